//! IVR flows through the API: written as data, checked against the tenant's queues and
//! calendars so that no caller is stranded, versioned (a stale write gets 409), and tried
//! out — a test call that says what a caller pressing these keys would hear and where they
//! would end up, before the flow goes live. Telephony reads the current version of a flow
//! when each call starts, so a change applies to the next call without a restart.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::config::{
    ConfigDoc, VersionParam, VersionQuery, Wire, create_kind, delete_kind, list_kind, update_kind,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrFlowInput {
    #[serde(default, skip_serializing)]
    pub key: Option<String>,
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
    pub name: String,
    /// `{"start": "…", "nodes": {"name": {"type": "play" | "menu" | "collect" | "branch" |
    /// "queue" | "voicemail" | "callback" | "transfer" | "hangup", …}}}`.
    #[schema(value_type = Object)]
    pub flow: Value,
}

/// The most nodes a flow may have: far more than any menu a caller should sit through.
pub const MAX_NODES: usize = 300;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryCall {
    /// The keys the caller presses, in order; each is pressed after the prompt before it
    /// has finished playing. A space waits out the prompt and the timeout (silence).
    #[serde(default)]
    pub keys: String,
    /// What is known of the caller: `segment` and so on.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Take every calendar as open (or closed) instead of asking the real ones now.
    pub open: Option<bool>,
    /// A draft to try instead of the stored flow, checked as saving it would be; nothing is
    /// saved and nothing live changes.
    #[schema(value_type = Option<Object>)]
    pub flow: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TryResult {
    /// What the caller heard and what happened, in order.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Value>,
    /// The nodes passed through.
    pub trail: Vec<String>,
    pub vars: BTreeMap<String, String>,
    /// Whether the flow ended (queue, voicemail, transfer, hang-up) rather than still
    /// waiting for the caller.
    pub finished: bool,
}

impl super::config::Wire for IvrFlowInput {
    type Doc = app::config::IvrFlow;
    fn key(&self) -> &Option<String> {
        &self.key
    }
    fn version(&self) -> Option<i64> {
        self.version
    }
    /// The flow as the interpreter reads it; a fault names its place (`flow.nodes.main`).
    /// Bounded before it is read: a flow's checks walk every node.
    fn into_doc(self) -> ApiResult<app::config::IvrFlow> {
        if let Some(nodes) = self.flow.get("nodes").and_then(Value::as_object) {
            if nodes.len() > MAX_NODES {
                return Err(ApiError::invalid(
                    "flow.nodes",
                    format!("at most {MAX_NODES} nodes"),
                ));
            }
            if let Some(long) = nodes
                .keys()
                .find(|k| k.is_empty() || k.chars().count() > 64)
            {
                let short: String = long.chars().take(64).collect();
                return Err(ApiError::invalid(
                    &format!("flow.nodes.{short}"),
                    "a node's name is 1 to 64 characters",
                ));
            }
        }
        let flow: ivr::Flow = serde_path_to_error::deserialize(self.flow).map_err(|e| {
            let path = e.path().to_string();
            ApiError::invalid(
                &format!("flow.{}", path.trim_start_matches('.')),
                e.into_inner().to_string(),
            )
        })?;
        Ok(app::config::IvrFlow {
            name: self.name,
            flow,
        })
    }
}

#[utoipa::path(get, path = "/api/ivr-flows", tag = "config", responses((status = 200, body = Vec<ConfigDoc>)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    list_kind::<app::config::IvrFlow>(&state, &caller).await
}

/// Create a flow; checked so that no caller is stranded (every node reachable, every queue
/// and calendar it names exists).
#[utoipa::path(post, path = "/api/ivr-flows", tag = "config", request_body = IvrFlowInput,
    responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<IvrFlowInput>,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    create_kind(&state, &caller, input).await
}

/// Change a flow at the version you read; the next call takes it.
#[utoipa::path(put, path = "/api/ivr-flows/{flow_key}", tag = "config", request_body = IvrFlowInput,
    params(("flow_key" = String, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<IvrFlowInput>,
) -> ApiResult<Json<ConfigDoc>> {
    update_kind(&state, &caller, &key, input).await
}

/// Delete a flow at the version you read.
#[utoipa::path(delete, path = "/api/ivr-flows/{flow_key}", tag = "config",
    params(("flow_key" = String, Path), VersionQuery),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    q: VersionParam,
) -> ApiResult<StatusCode> {
    delete_kind::<app::config::IvrFlow>(&state, &caller, &key, q).await
}

/// A saved version of a flow, as its audit row keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowVersion {
    /// The version this save made (0 for a deletion).
    pub version: i64,
    pub at_ms: i64,
    /// Who saved it (their display name), if a person did.
    pub by: Option<String>,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The document as saved: `{name, flow}`.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// The flow's saved versions, newest first (up to 50): to compare and to roll back to.
#[utoipa::path(get, path = "/api/ivr-flows/{flow_key}/versions", tag = "config",
    params(("flow_key" = String, Path)),
    responses((status = 200, body = Vec<FlowVersion>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<FlowVersion>>> {
    let tenant = caller.tenant()?;
    state
        .app()
        .config_get::<app::config::IvrFlow>(tenant, &key)
        .await?;
    let scoped = state.store().scoped(tenant);
    let rows = scoped.audit_of("ivr_flow", &key, 50).await?;
    let mut names = BTreeMap::new();
    for u in scoped.users().await? {
        names.insert(u.id, u.display_name);
    }
    Ok(Json(
        rows.into_iter()
            .map(|r| FlowVersion {
                version: r.entry.detail["version"].as_i64().unwrap_or(0),
                at_ms: r.entry.at_ms,
                by: r.entry.actor.and_then(|a| names.get(&a).cloned()),
                action: r
                    .entry
                    .action
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                document: r.entry.detail["document"].clone(),
            })
            .collect(),
    ))
}

/// Calendars as the routing engine knows them now, or all open / all closed.
struct Calendars(BTreeMap<String, bool>, Option<bool>);

impl ivr::Env for Calendars {
    fn calendar_open(&self, calendar: &str) -> bool {
        self.1
            .unwrap_or_else(|| self.0.get(calendar).copied().unwrap_or(false))
    }
}

/// A test call through the flow as stored now.
#[utoipa::path(post, path = "/api/ivr-flows/{flow_key}/try", tag = "config", request_body = TryCall,
    params(("flow_key" = String, Path)),
    responses((status = 200, body = TryResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn try_call(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<TryCall>,
) -> ApiResult<Json<TryResult>> {
    let tenant = caller.tenant()?;
    let item = state
        .store()
        .scoped(tenant)
        .config_item("ivr_flow", &key)
        .await?
        .ok_or_else(|| ApiError::not_found("IVR flow"))?;
    if req.keys.chars().count() > 200 {
        return Err(ApiError::invalid("keys", "at most 200 keys"));
    }
    if let Some(bad) = req
        .keys
        .chars()
        .find(|c| !matches!(c, '0'..='9' | '*' | '#' | ' '))
    {
        return Err(ApiError::invalid(
            "keys",
            format!("`{bad}` is not a key (0–9, *, #, or a space for silence)"),
        ));
    }
    let stored = app::config::parse::<app::config::IvrFlow>(&item)?;
    let flow = match req.flow {
        None => stored.flow,
        Some(draft) => {
            let draft = IvrFlowInput {
                key: None,
                version: None,
                name: stored.name,
                flow: draft,
            }
            .into_doc()?;
            state.app().check_config(tenant, &key, &draft).await?;
            draft.flow
        }
    };
    let calendars: Vec<String> = state
        .store()
        .scoped(tenant)
        .config_items("calendar")
        .await?
        .into_iter()
        .map(|c| c.key)
        .collect();
    let open = state
        .center(tenant, move |c| {
            calendars
                .iter()
                .map(|k| (k.clone(), c.calendar_open(k).unwrap_or(false)))
                .collect::<BTreeMap<_, _>>()
        })
        .await?;
    let env = Calendars(open, req.open);
    let mut call = ivr::Caller::new(flow, req.vars);
    let mut steps = Vec::new();
    let mut now = 0u64;
    let drain = |call: &mut ivr::Caller, steps: &mut Vec<Value>| {
        while let Some(s) = call.poll_step() {
            steps.push(serde_json::to_value(s).unwrap_or(Value::Null));
        }
    };
    call.handle_start(now, &env);
    drain(&mut call, &mut steps);
    for key in req.keys.chars() {
        if call.is_done() {
            break;
        }
        now += 1_000;
        if key == ' ' {
            // Silence: the prompt ends and the caller lets the timeout pass.
            call.handle_played(now, &env);
            drain(&mut call, &mut steps);
            if let Some(t) = call.poll_timeout() {
                now = now.max(t);
                call.handle_timeout(now, &env);
            }
        } else {
            call.handle_digit(now, key, &env);
        }
        drain(&mut call, &mut steps);
    }
    // Prompts that play to the end without keys (a Play node) lead on by themselves.
    for _ in 0..50 {
        if call.is_done() || call.poll_timeout().is_some() {
            break;
        }
        now += 1_000;
        call.handle_played(now, &env);
        drain(&mut call, &mut steps);
    }
    Ok(Json(TryResult {
        steps,
        trail: call.trail().to_vec(),
        vars: call.vars().clone(),
        finished: call.is_done(),
    }))
}
