//! Call detail records (CDRs): one per call, derived from the event log (`call.ended`,
//! written by the routing engine's task when a call ends), so they are exactly the calls the
//! log knows — none lost, none counted twice. Listed with filters, and exported for Excel.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sheets::{Format, Table};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Serialize, ToSchema)]
pub struct Cdr {
    pub call_id: String,
    pub caller: String,
    pub customer_id: Option<i64>,
    /// The queue it ended in (after any overflow) and the one it arrived in.
    pub queue: String,
    pub first_queue: String,
    pub agent_id: Option<i64>,
    pub arrived_at_ms: i64,
    pub answered_at_ms: Option<i64>,
    pub ended_at_ms: i64,
    pub wait_ms: i64,
    pub talk_ms: i64,
    /// `answered`, `abandoned`, `voicemail`, `callback`, `disconnected`, `overflowed`,
    /// `callback_done`, `ivr` (ended in the IVR, never queued), `outbound` (placed by
    /// an agent) or `interrupted` (live when the center stopped; closed when it came back).
    pub outcome: String,
    /// The number the caller dialled (telephony calls).
    #[serde(default)]
    pub dialled: String,
    /// Split times: in the IVR, the agent's phone ringing, on hold.
    #[serde(default)]
    pub ivr_ms: i64,
    #[serde(default)]
    pub ring_ms: i64,
    #[serde(default)]
    pub hold_ms: i64,
    /// The stereo recording (caller left, agent right), under the data directory.
    #[serde(default)]
    pub recording: Option<String>,
    /// `caller`, `agent` or `system`, and why.
    #[serde(default)]
    pub ended_by: Option<String>,
    #[serde(default)]
    pub end_reason: Option<String>,
    /// A transferred call has a record per agent: 0 for the first, then 1, 2…
    #[serde(default)]
    pub segment: u32,
    /// Where this part was passed on to (a queue or an extension; `survey` when the
    /// agent hung up and the caller was asked for their verdict).
    #[serde(default)]
    pub transferred_to: Option<String>,
    /// The caller's verdict on this part in the survey (1–5).
    pub survey_score: Option<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CdrParams {
    /// Calls that ended at or after this instant (ms); the start of time if left out.
    pub from_ms: Option<i64>,
    /// …and before this one; now if left out.
    pub to_ms: Option<i64>,
    pub queue: Option<String>,
    pub agent_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// The caller's number, as written anywhere (`138 1234 5678`, `+86…`).
    pub caller: Option<String>,
    /// The number dialled.
    pub dialled: Option<String>,
    pub call_id: Option<String>,
    /// `answered`, `abandoned`, `voicemail`, `callback`, `disconnected`, `overflowed`,
    /// `callback_done`, `ivr`, `outbound` or `interrupted`.
    pub outcome: Option<String>,
    /// Only calls that arrived at or after this instant (ms) and before `arrived_to_ms`:
    /// the calls a report counted in a period (reports count calls when they arrive).
    pub arrived_from_ms: Option<i64>,
    pub arrived_to_ms: Option<i64>,
    /// Talk time at least / at most this many seconds.
    pub min_talk_s: Option<i64>,
    pub max_talk_s: Option<i64>,
    /// Wrapped up with this disposition code.
    pub disposition: Option<String>,
    /// Only each call's first part (a transferred call's later parts left out): the
    /// contacts a center-wide count of a report counted.
    pub first_parts: Option<bool>,
    /// 1 to 500 (50 if left out); the export takes up to 100,000.
    pub limit: Option<u32>,
    /// For the export: `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

async fn find(state: &AppState, caller: &Caller, p: &CdrParams, limit: u32) -> ApiResult<Vec<Cdr>> {
    // An expert sees the calls they took, not everyone's (and so not every caller's number).
    let agent_id = if caller.user.role == store::Role::Expert {
        if p.agent_id.is_some_and(|a| a != caller.user.id.0) {
            return Ok(Vec::new());
        }
        Some(caller.user.id.0)
    } else {
        p.agent_id
    };
    const OUTCOMES: [&str; 10] = [
        "answered",
        "abandoned",
        "voicemail",
        "callback",
        "disconnected",
        "overflowed",
        "callback_done",
        "ivr",
        "outbound",
        "interrupted",
    ];
    if let Some(o) = &p.outcome
        && !OUTCOMES.contains(&o.as_str())
    {
        return Err(ApiError::invalid("outcome", OUTCOMES.join(", ")));
    }
    let caller_number = match p.caller.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            phone::normalize(raw, None)
                .map_err(|e| ApiError::invalid("caller", e.to_string()))?
                .as_str()
                .to_string(),
        ),
    };
    let arrived = match (p.arrived_from_ms, p.arrived_to_ms) {
        (None, None) => None,
        (from, to) => Some((from.unwrap_or(0), to.unwrap_or(i64::MAX))),
    };
    let talk_ms = match (p.min_talk_s, p.max_talk_s) {
        (None, None) => None,
        (min, max) => {
            let (min, max) = (min.unwrap_or(0), max.unwrap_or(i64::MAX / 1000));
            if min < 0 || max < min {
                return Err(ApiError::invalid(
                    "max_talk_s",
                    "at least min_talk_s, both 0 or more",
                ));
            }
            Some((min.saturating_mul(1000), max.saturating_mul(1000)))
        }
    };
    // A report's drill-down asks by arrival: the records end up to a day after.
    let from_ms = p.from_ms.or(arrived.map(|a| a.0)).unwrap_or(0);
    let to_ms = p.to_ms.unwrap_or_else(|| match arrived {
        Some((_, to)) if to < i64::MAX => to.saturating_add(86_400_000),
        _ => state.now_ms() + 1,
    });
    let filter = app::records::CdrFilter {
        from_ms,
        to_ms,
        queue: p.queue.clone(),
        agent_id,
        customer_id: p.customer_id,
        caller: caller_number,
        dialled: p.dialled.clone().filter(|d| !d.is_empty()),
        call_id: p.call_id.clone().filter(|d| !d.is_empty()),
        outcome: p.outcome.clone(),
        arrived,
        talk_ms,
        disposition: p.disposition.clone().filter(|d| !d.is_empty()),
        first_parts: p.first_parts.unwrap_or(false),
        limit,
    };
    let tenant = caller.tenant()?;
    let records = state.app().cdrs(tenant, &filter).await?;
    let mut rows: Vec<Cdr> = records.into_iter().map(Cdr::from).collect();
    // The verdicts of the parts the caller was surveyed after: logged as the survey ended.
    let surveyed: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|c| c.transferred_to.as_deref() == Some("survey"))
        .map(|c| c.call_id.as_str())
        .collect();
    if let (Some(first), Some(last)) = (
        rows.iter().map(|c| c.ended_at_ms).min(),
        rows.iter().map(|c| c.ended_at_ms).max(),
    ) && !surveyed.is_empty()
    {
        let scores = state
            .app()
            .survey_scores(tenant, &surveyed, first, last.saturating_add(3_600_000))
            .await?;
        for c in &mut rows {
            if c.transferred_to.as_deref() == Some("survey") {
                c.survey_score = scores.get(&c.call_id).copied().flatten();
            }
        }
    }
    Ok(rows)
}

impl From<events::CallEnded> for Cdr {
    fn from(c: events::CallEnded) -> Cdr {
        Cdr {
            call_id: c.call_id,
            caller: c.caller,
            customer_id: c.customer_id,
            queue: c.queue,
            first_queue: c.first_queue,
            agent_id: c.agent_id,
            arrived_at_ms: c.arrived_at_ms,
            answered_at_ms: c.answered_at_ms,
            ended_at_ms: c.ended_at_ms,
            wait_ms: c.wait_ms,
            talk_ms: c.talk_ms,
            outcome: c.outcome.as_str().to_string(),
            dialled: c.dialled,
            ivr_ms: i64::try_from(c.ivr_ms).unwrap_or(i64::MAX),
            ring_ms: c.ring_ms,
            hold_ms: c.hold_ms,
            recording: c.recording,
            ended_by: c.ended_by,
            end_reason: c.end_reason,
            segment: c.segment,
            transferred_to: c.transferred_to,
            survey_score: None,
        }
    }
}

/// Call detail records, newest first.
#[utoipa::path(get, path = "/api/cdrs", tag = "calls", params(CdrParams),
    responses((status = 200, body = Vec<Cdr>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<CdrParams>,
) -> ApiResult<Json<Vec<Cdr>>> {
    if p.format.is_some() {
        return Err(ApiError::invalid("format", "only for /api/cdrs/export"));
    }
    let limit = super::limit(p.limit)?;
    Ok(Json(find(&state, &caller, &p, limit).await?))
}

/// The same records as a spreadsheet.
#[utoipa::path(get, path = "/api/cdrs/export", tag = "calls", params(CdrParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<CdrParams>,
) -> ApiResult<Response> {
    let format = match p.format.as_deref() {
        None | Some("xlsx") => Format::Xlsx,
        Some("csv") => Format::Csv,
        Some(_) => return Err(ApiError::invalid("format", "xlsx or csv")),
    };
    let limit = match p.limit {
        None => 100_000,
        Some(n @ 1..=100_000) => n,
        Some(_) => return Err(ApiError::invalid("limit", "1 to 100,000")),
    };
    let rows = find(&state, &caller, &p, limit).await?;
    let secs = |ms: i64| format!("{:.0}", ms as f64 / 1000.0);
    let table = Table {
        headers: [
            "通话编号 Call",
            "主叫 Caller",
            "客户 Customer",
            "队列 Queue",
            "座席 Agent",
            "到达 Arrived (UTC)",
            "接通 Answered (UTC)",
            "结束 Ended (UTC)",
            "等待秒 Wait s",
            "通话秒 Talk s",
            "结果 Outcome",
            "被叫号码 Dialled",
            "IVR秒 IVR s",
            "振铃秒 Ring s",
            "保持秒 Hold s",
            "挂机方 Ended by",
            "转接至 Transferred to",
            "满意度 Survey",
            "录音 Recording",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    c.call_id.clone(),
                    c.caller.clone(),
                    c.customer_id.map(|x| x.to_string()).unwrap_or_default(),
                    c.queue.clone(),
                    c.agent_id.map(|x| x.to_string()).unwrap_or_default(),
                    super::imports::utc(c.arrived_at_ms),
                    c.answered_at_ms
                        .map(super::imports::utc)
                        .unwrap_or_default(),
                    super::imports::utc(c.ended_at_ms),
                    secs(c.wait_ms),
                    secs(c.talk_ms),
                    c.outcome.clone(),
                    c.dialled.clone(),
                    secs(c.ivr_ms),
                    secs(c.ring_ms),
                    secs(c.hold_ms),
                    c.ended_by.clone().unwrap_or_default(),
                    c.transferred_to.clone().unwrap_or_default(),
                    c.survey_score.map(|s| s.to_string()).unwrap_or_default(),
                    c.recording.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    let bytes = sheets::write(&table, format).map_err(ApiError::internal)?;
    super::audit(
        &state,
        &caller,
        "cdr.export",
        "cdrs",
        "*",
        json!({ "rows": table.rows.len() }),
    )
    .await?;
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"calls.{}\"", format.extension()),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Your own recent calls (the desktop's "recent calls"), newest first: up to 20.
#[utoipa::path(get, path = "/api/me/cdrs", tag = "cdrs",
    responses((status = 200, body = Vec<Cdr>), (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<Cdr>>> {
    let p = CdrParams {
        from_ms: None,
        to_ms: None,
        queue: None,
        agent_id: Some(caller.user.id.0),
        customer_id: None,
        caller: None,
        dialled: None,
        call_id: None,
        outcome: None,
        arrived_from_ms: None,
        arrived_to_ms: None,
        min_talk_s: None,
        max_talk_s: None,
        disposition: None,
        first_parts: None,
        limit: None,
        format: None,
    };
    Ok(Json(find(&state, &caller, &p, 20).await?))
}

/// One thing the log says about a call.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailStep {
    pub at_ms: i64,
    /// The event's kind: `call.arrived`, `ivr.node`, `call.queued`, `call.ringing`,
    /// `call.transferred`, `call.consult`, `call.recording`, `call.wrapup`, `call.ended`,
    /// `call.survey`…
    pub kind: String,
    /// The event's payload (its schema is the kind's, in this document's components).
    pub payload: serde_json::Value,
}

/// A call's trail (IVR path, queueing, rings, transfers, consultations, recordings, its
/// records and survey), oldest first.
#[utoipa::path(get, path = "/api/calls/{call_id}/trail", tag = "calls",
    params(("call_id" = String, Path)),
    responses((status = 200, body = Vec<TrailStep>), (status = 404, body = ErrorBody)))]
pub async fn trail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    crate::extract::ApiPath(call_id): crate::extract::ApiPath<String>,
) -> ApiResult<Json<Vec<TrailStep>>> {
    let tenant = caller.tenant()?;
    let records = own_records(&state, &caller, &call_id).await?;
    let around = records.iter().map(|c| c.arrived_at_ms).min().unwrap_or(0);
    let steps = state.app().call_trail(tenant, &call_id, around).await?;
    Ok(Json(
        steps
            .into_iter()
            .map(|(at_ms, e)| TrailStep {
                at_ms,
                kind: e.kind(),
                payload: e.to_value(),
            })
            .collect(),
    ))
}

/// The call's records, if the caller may see the call: an expert only the calls they took.
async fn own_records(
    state: &AppState,
    caller: &Caller,
    call_id: &str,
) -> ApiResult<Vec<events::CallEnded>> {
    let tenant = caller.tenant()?;
    let filter = app::records::CdrFilter {
        from_ms: 0,
        to_ms: i64::MAX,
        call_id: Some(call_id.to_string()),
        limit: 100,
        ..Default::default()
    };
    let records = state.app().cdrs(tenant, &filter).await?;
    let mine = caller.user.role != store::Role::Expert
        || records.iter().any(|c| c.agent_id == Some(caller.user.id.0));
    if records.is_empty() || !mine {
        return Err(ApiError::not_found("call"));
    }
    Ok(records)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordingParams {
    /// The part of the call (0 for the first; one more per transfer).
    pub segment: Option<u32>,
}

/// A call's recording (stereo WAV: caller left, agent right), to play in the browser;
/// byte ranges served for seeking. Each listen is audited.
#[utoipa::path(get, path = "/api/calls/{call_id}/recording", tag = "calls",
    params(("call_id" = String, Path), RecordingParams),
    responses((status = 200, description = "The WAV file", content_type = "audio/wav"),
              (status = 206, description = "A byte range of it", content_type = "audio/wav"),
              (status = 404, body = ErrorBody)))]
pub async fn recording(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    crate::extract::ApiPath(call_id): crate::extract::ApiPath<String>,
    ApiQuery(p): ApiQuery<RecordingParams>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    use axum::http::StatusCode;
    use axum::http::header::{ACCEPT_RANGES, CONTENT_RANGE, RANGE};
    let tenant = caller.tenant()?;
    own_records(&state, &caller, &call_id).await?;
    let segment = p.segment.unwrap_or(0);
    let (path, cdr) = state
        .app()
        .call_recording(tenant, &call_id, segment)
        .await?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found("recording"))?;
    let len = bytes.len() as u64;
    // `bytes=a-b`, `bytes=a-`: one range; anything else is the whole file.
    let range = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|r| {
            let (a, b) = r.split_once('-')?;
            let a: u64 = a.trim().parse().ok()?;
            let b: u64 = match b.trim() {
                "" => len.checked_sub(1)?,
                b => b.parse::<u64>().ok()?.min(len.checked_sub(1)?),
            };
            (a <= b).then_some((a, b))
        });
    // A listen starts at the file's start: audited once, not for every range asked.
    if range.is_none_or(|(a, _)| a == 0) {
        super::audit(
            &state,
            &caller,
            "recording.listen",
            "call",
            &call_id,
            json!({ "segment": segment, "agent_id": cdr.agent_id, "caller": cdr.caller }),
        )
        .await?;
    }
    let content_type = (CONTENT_TYPE, "audio/wav".to_string());
    let ranges = (ACCEPT_RANGES, "bytes".to_string());
    Ok(match range {
        Some((a, b)) => (
            StatusCode::PARTIAL_CONTENT,
            [
                content_type,
                ranges,
                (CONTENT_RANGE, format!("bytes {a}-{b}/{len}")),
            ],
            bytes[a as usize..=b as usize].to_vec(),
        )
            .into_response(),
        None => (StatusCode::OK, [content_type, ranges], bytes).into_response(),
    })
}
