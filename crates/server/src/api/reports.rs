//! Reports (报表): any period by any dimension, from the half-hour rollups of the event log,
//! with the period before beside it; every metric as the glossary defines it
//! (`reports::GLOSSARY`, also served here), under the tenant's choices of formula. Tables
//! export to XLSX and CSV that Excel opens in Chinese.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use reports::{Dim, Granularity, Unit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sheets::{Format, Table};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;

/// A metric as the glossary defines it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDef {
    pub key: String,
    /// `count`, `ratio` (0–1), `seconds` or `score` (1–5).
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    pub formula_zh: String,
    pub formula_en: String,
}

/// The tenant's report definitions in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDefinitions {
    /// `answered_or_abandoned_in_t`, `answered_only`, `answered_in_t_over_all` or
    /// `abandoned_after_t`.
    pub service_level_formula: String,
    pub service_level_s: u32,
    pub short_abandon_s: u32,
    pub exclude_short_abandons: bool,
    pub count_flow_outs: bool,
    /// FCR's and the repeat-call rate's window (the closed loop's days).
    pub repeat_days: u32,
}

/// The glossary (指标口径) and the definitions the tenant chose.
#[derive(Debug, Serialize, ToSchema)]
pub struct Glossary {
    pub metrics: Vec<MetricDef>,
    pub settings: ReportDefinitions,
    /// The service-level times and short-abandon times one can choose (seconds).
    pub thresholds_s: Vec<u32>,
}

fn unit(u: Unit) -> &'static str {
    match u {
        Unit::Count => "count",
        Unit::Ratio => "ratio",
        Unit::Seconds => "seconds",
        Unit::Score => "score",
    }
}

fn definitions(s: &reports::Settings) -> ReportDefinitions {
    ReportDefinitions {
        service_level_formula: serde_json::to_value(s.service_level_formula)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        service_level_s: s.service_level_s,
        short_abandon_s: s.short_abandon_s,
        exclude_short_abandons: s.exclude_short_abandons,
        count_flow_outs: s.count_flow_outs,
        repeat_days: s.repeat_days,
    }
}

/// Every metric reports show, with its formula, and the tenant's definitions.
#[utoipa::path(get, path = "/api/reports/glossary", tag = "reports",
    responses((status = 200, body = Glossary)))]
pub async fn glossary(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Glossary>> {
    let settings = state.app().report_settings(caller.tenant()?).await?;
    Ok(Json(Glossary {
        metrics: reports::GLOSSARY
            .iter()
            .map(|m| MetricDef {
                key: m.key.into(),
                unit: unit(m.unit).into(),
                name_zh: m.zh.into(),
                name_en: m.en.into(),
                formula_zh: m.formula_zh.into(),
                formula_en: m.formula_en.into(),
            })
            .collect(),
        settings: definitions(&settings),
        thresholds_s: reports::THRESHOLDS_S.to_vec(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The first day (`2026-12-01`), in the tenant's time zone.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// `half_hour`, `hour`, `day` (default), `week`, `month`, `year` or `total`.
    pub by: Option<String>,
    /// `all` (default), `queue`, `skill` (the queues that need it added up), `agent`,
    /// `team` (its agents added up), `dialled`, `segment` (the known caller's), `ivr_node`,
    /// `ivr_edge` (IVR steps `from>to`), `disposition`, `reason`, `agent_reason`,
    /// `order_group` (work orders' handling group) or `journey` (the customer's stage).
    pub dim: Option<String>,
    /// Only these keys (comma-separated).
    pub keys: Option<String>,
    /// Only these metrics (comma-separated glossary keys); all if left out.
    pub metrics: Option<String>,
    /// For the export: `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// One row: a period and a key, with the metrics' values in the order of `metrics` (none
/// where a ratio has nothing to divide by).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLine {
    /// The period's first instant (ms).
    pub period_ms: i64,
    pub key: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    /// The tenant's time zone, in which days, weeks and months are counted.
    pub zone: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub previous_from_ms: i64,
    pub previous_to_ms: i64,
    pub by: String,
    pub dim: String,
    /// The glossary keys of `values`, in order.
    pub metrics: Vec<String>,
    /// By period and key.
    pub rows: Vec<ReportLine>,
    /// By key over the whole range.
    pub totals: Vec<ReportLine>,
    /// By key over the period before.
    pub previous: Vec<ReportLine>,
    /// Names of the keys that have them (queues, agents, wrap-up codes).
    pub labels: BTreeMap<String, String>,
    pub settings: ReportDefinitions,
}

const DAY_MS: i64 = 86_400_000;

/// A table a person can read (and a spreadsheet Excel opens): not the half hours of every
/// agent for two months.
fn too_big(r: &app::reports::Report) -> ApiResult<()> {
    let max = app::saved_reports::MAX_REPORT_ROWS;
    if r.rows.len() > max {
        return Err(ApiError::invalid(
            "by",
            format!(
                "{} rows: at most {max}; choose longer periods, fewer keys or a shorter range",
                r.rows.len()
            ),
        ));
    }
    Ok(())
}

struct Asked {
    query: app::reports::ReportQuery,
    metrics: Vec<&'static str>,
    by: &'static str,
}

fn day_start(field: &str, date: &str, zone: &jiff::tz::TimeZone) -> ApiResult<i64> {
    let d: jiff::civil::Date = date
        .parse()
        .map_err(|_| ApiError::invalid(field, "a date like 2026-12-01"))?;
    d.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| ApiError::invalid(field, "a date like 2026-12-01"))
}

/// The days asked, as instants in the tenant's zone: `[from's midnight, the midnight after
/// to)`.
async fn asked_range(state: &AppState, caller: &Caller, p: &ReportParams) -> ApiResult<(i64, i64)> {
    let zone = state.app().tenant_zone(caller.tenant()?).await?;
    let from_ms = day_start("from", &p.from, &zone)?;
    let to_ms = day_start("to", &p.to, &zone)? + DAY_MS;
    // The next day's start, whatever the day's length (a change of clocks).
    let to_ms = reports::period_start(to_ms, Granularity::Day, &zone, 0);
    if to_ms <= from_ms {
        return Err(ApiError::invalid("to", "on or after from"));
    }
    if (to_ms - from_ms) / DAY_MS > 3 * 366 {
        return Err(ApiError::invalid("to", "at most three years after from"));
    }
    Ok((from_ms, to_ms))
}

async fn asked(state: &AppState, caller: &Caller, p: &ReportParams) -> ApiResult<Asked> {
    let by = p.by.as_deref().unwrap_or("day");
    let granularity = Granularity::parse(by).ok_or_else(|| {
        ApiError::invalid("by", "half_hour, hour, day, week, month, year or total")
    })?;
    let by = ["half_hour", "hour", "day", "week", "month", "year", "total"]
        .into_iter()
        .find(|b| *b == by)
        .unwrap_or("day");
    let dim = Dim::parse(p.dim.as_deref().unwrap_or("all")).ok_or_else(|| {
        ApiError::invalid(
            "dim",
            "all, queue, skill, agent, team, dialled, segment, ivr_node, ivr_edge, \
             disposition, reason, agent_reason, order_group or journey",
        )
    })?;
    let metrics = match p.metrics.as_deref() {
        None | Some("") => reports::GLOSSARY.iter().map(|m| m.key).collect(),
        Some(list) => list
            .split(',')
            .map(|k| {
                reports::metric(k.trim())
                    .map(|m| m.key)
                    .ok_or_else(|| ApiError::invalid("metrics", format!("no metric `{k}`")))
            })
            .collect::<ApiResult<Vec<_>>>()?,
    };
    let (from_ms, to_ms) = asked_range(state, caller, p).await?;
    let days = (to_ms - from_ms) / DAY_MS;
    if matches!(granularity, Granularity::HalfHour | Granularity::Hour) && days > 62 {
        return Err(ApiError::invalid(
            "by",
            "half hours and hours for at most 62 days",
        ));
    }
    let keys = p.keys.as_deref().filter(|k| !k.is_empty()).map(|k| {
        k.split(',')
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    });
    if keys.as_ref().is_some_and(|k| k.len() > 500) {
        return Err(ApiError::invalid("keys", "at most 500"));
    }
    Ok(Asked {
        query: app::reports::ReportQuery {
            from_ms,
            to_ms,
            granularity,
            dim,
            keys,
        },
        metrics,
        by,
    })
}

async fn build(state: &AppState, caller: &Caller, p: &ReportParams) -> ApiResult<ReportBody> {
    let tenant = caller.tenant()?;
    let a = asked(state, caller, p).await?;
    let r = state.app().report(tenant, &a.query).await?;
    too_big(&r)?;
    let line = |row: &app::reports::ReportRow| {
        let c = row.components();
        ReportLine {
            period_ms: row.period_ms,
            key: row.key.to_string(),
            values: a
                .metrics
                .iter()
                .map(|m| reports::value(m, &c, &r.settings))
                .collect(),
        }
    };
    let labels = state
        .app()
        .report_labels(tenant, a.query.dim)
        .await?
        .into_iter()
        .filter(|(k, _)| {
            r.totals.iter().any(|t| *t.key == **k) || r.previous.iter().any(|t| *t.key == **k)
        })
        .collect();
    Ok(ReportBody {
        zone: r.zone.clone(),
        from_ms: r.from_ms,
        to_ms: r.to_ms,
        previous_from_ms: r.previous_from_ms,
        previous_to_ms: r.previous_to_ms,
        by: a.by.into(),
        dim: a.query.dim.as_str().into(),
        metrics: a.metrics.iter().map(|m| m.to_string()).collect(),
        rows: r.rows.iter().map(line).collect(),
        totals: r.totals.iter().map(line).collect(),
        previous: r.previous.iter().map(line).collect(),
        labels,
        settings: definitions(&r.settings),
    })
}

/// A report: the metrics by period and key over a range of days, with each key's total and
/// the period before.
#[utoipa::path(get, path = "/api/reports", tag = "reports", params(ReportParams),
    responses((status = 200, body = ReportBody), (status = 400, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<ReportBody>> {
    if p.format.is_some() {
        return Err(ApiError::invalid("format", "only for /api/reports/export"));
    }
    Ok(Json(build(&state, &caller, &p).await?))
}

/// The export's `format`: `xlsx` (the default) or `csv`.
pub(crate) fn sheet_format(asked: Option<&str>) -> ApiResult<Format> {
    match asked {
        None | Some("xlsx") => Ok(Format::Xlsx),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(ApiError::invalid("format", "xlsx or csv")),
    }
}

/// A table as a file to download (`report.xlsx`, `ranking.csv`…), its export audited with
/// `detail` and the number of rows.
pub(crate) async fn sheet(
    state: &AppState,
    caller: &Caller,
    table: &Table,
    (format, file): (Format, &str),
    (what, key): (&str, &str),
    mut detail: serde_json::Value,
) -> ApiResult<Response> {
    let bytes = sheets::write(table, format).map_err(ApiError::internal)?;
    detail["rows"] = json!(table.rows.len());
    super::audit(state, caller, "report.export", what, key, detail).await?;
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.{}\"", format.extension()),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The same report as a spreadsheet: a row per period and key, then each key's total.
#[utoipa::path(get, path = "/api/reports/export", tag = "reports", params(ReportParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let format = sheet_format(p.format.as_deref())?;
    let tenant = caller.tenant()?;
    let a = asked(&state, &caller, &p).await?;
    let r = state.app().report(tenant, &a.query).await?;
    too_big(&r)?;
    let labels = state.app().report_labels(tenant, a.query.dim).await?;
    let table = app::saved_reports::report_table(&r, &a.metrics, &labels, a.query.granularity);
    let detail = json!({ "by": a.by, "from_ms": r.from_ms, "to_ms": r.to_ms });
    sheet(
        &state,
        &caller,
        &table,
        (format, "report"),
        ("reports", a.query.dim.as_str()),
        detail,
    )
    .await
}

/// Folds the tenant's whole event log again into new rollups (after an upgrade that
/// changes what rollups keep); how many events were read.
#[utoipa::path(post, path = "/api/reports/rebuild", tag = "reports",
    responses((status = 200, body = RebuildBody), (status = 403, body = ErrorBody)))]
pub async fn rebuild(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<RebuildBody>> {
    let tenant = caller.tenant()?;
    state
        .app()
        .events()
        .flush()
        .await
        .map_err(ApiError::internal)?;
    let events = state.app().rebuild_rollups(tenant).await?;
    super::audit(
        &state,
        &caller,
        "report.rebuild",
        "reports",
        "*",
        json!({ "events": events }),
    )
    .await?;
    Ok(Json(RebuildBody { events }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildBody {
    /// Events of the log folded.
    pub events: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RankingParams {
    /// The first day (`2026-11-01`), in the tenant's time zone.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// `agent` (default) or `team`.
    pub by: Option<String>,
    /// For the export: `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// A metric's weight in the star ranking.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RankWeight {
    /// A glossary key.
    pub metric: String,
    /// 0 to 100.
    pub weight: u32,
}

/// One ranked agent or team.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedLine {
    pub key: String,
    pub label: String,
    /// 1 for the best; ties share one.
    pub rank: usize,
    /// 0 to 100: the weighted mean of where the key places on each metric (best 1, worst 0).
    pub score: f64,
    /// ★ 1 to 5: 90 and above five, 75 four, 60 three, 40 two.
    pub stars: u8,
    /// The values of `metrics`, in order.
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RankingBody {
    pub from_ms: i64,
    pub to_ms: i64,
    pub by: String,
    /// The weights in force (the center settings' `reports.ranking`).
    pub weights: Vec<RankWeight>,
    /// The glossary keys of `values`: the weighed metrics first, then others worth seeing.
    pub metrics: Vec<String>,
    pub rows: Vec<RankedLine>,
}

fn stars(score: f64) -> u8 {
    match score {
        s if s >= 90.0 => 5,
        s if s >= 75.0 => 4,
        s if s >= 60.0 => 3,
        s if s >= 40.0 => 2,
        _ => 1,
    }
}

async fn ranking_body(
    state: &AppState,
    caller: &Caller,
    p: &RankingParams,
) -> ApiResult<RankingBody> {
    let tenant = caller.tenant()?;
    let by = p.by.as_deref().unwrap_or("agent");
    let dim = match by {
        "agent" => Dim::Agent,
        "team" => Dim::Team,
        _ => return Err(ApiError::invalid("by", "agent or team")),
    };
    let asked = ReportParams {
        from: p.from.clone(),
        to: p.to.clone(),
        by: Some("total".into()),
        dim: Some(by.into()),
        keys: None,
        metrics: None,
        format: None,
    };
    let a = asked_range(state, caller, &asked).await?;
    let (ranked, weights, report) = state.app().ranking(tenant, a.0, a.1, dim).await?;
    let mut metrics: Vec<String> = weights.iter().map(|w| w.metric.clone()).collect();
    for m in [
        "answered",
        "talk_time",
        "aht",
        "avg_acw",
        "not_ready_time",
        "occupancy",
        "transferred_out",
        "fcr",
        "satisfaction",
    ] {
        if !metrics.iter().any(|x| x == m) {
            metrics.push(m.into());
        }
    }
    let labels = state.app().report_labels(tenant, dim).await?;
    let components: std::collections::HashMap<&str, reports::Components> = report
        .totals
        .iter()
        .map(|r| (&*r.key, r.components()))
        .collect();
    let rows = ranked
        .iter()
        .map(|r| RankedLine {
            label: labels.get(&r.key).cloned().unwrap_or_else(|| r.key.clone()),
            key: r.key.clone(),
            rank: r.rank,
            score: (r.score * 10.0).round() / 10.0,
            stars: stars(r.score),
            values: metrics
                .iter()
                .map(|m| {
                    components
                        .get(r.key.as_str())
                        .and_then(|c| reports::value(m, c, &report.settings))
                })
                .collect(),
        })
        .collect();
    Ok(RankingBody {
        from_ms: report.from_ms,
        to_ms: report.to_ms,
        by: by.into(),
        weights: weights
            .into_iter()
            .map(|w| RankWeight {
                metric: w.metric,
                weight: w.weight,
            })
            .collect(),
        metrics,
        rows,
    })
}

/// The star ranking (星级员工) of agents or teams over a range of days, by the tenant's
/// weights.
#[utoipa::path(get, path = "/api/reports/ranking", tag = "reports", params(RankingParams),
    responses((status = 200, body = RankingBody), (status = 400, body = ErrorBody)))]
pub async fn ranking(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<RankingParams>,
) -> ApiResult<Json<RankingBody>> {
    if p.format.is_some() {
        return Err(ApiError::invalid(
            "format",
            "only for /api/reports/ranking/export",
        ));
    }
    Ok(Json(ranking_body(&state, &caller, &p).await?))
}

/// The ranking as a spreadsheet.
#[utoipa::path(get, path = "/api/reports/ranking/export", tag = "reports", params(RankingParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400, body = ErrorBody)))]
pub async fn ranking_export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<RankingParams>,
) -> ApiResult<Response> {
    let format = sheet_format(p.format.as_deref())?;
    let body = ranking_body(&state, &caller, &p).await?;
    let defs: Vec<&reports::Metric> = body
        .metrics
        .iter()
        .filter_map(|k| reports::metric(k))
        .collect();
    let mut headers = vec![
        "名次 Rank".to_string(),
        "姓名 Name".to_string(),
        "得分 Score".to_string(),
        "星级 Stars".to_string(),
    ];
    headers.extend(defs.iter().map(|m| format!("{} {}", m.zh, m.en)));
    let rows = body
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.rank.to_string(),
                r.label.clone(),
                format!("{:.1}", r.score),
                "★".repeat(usize::from(r.stars)),
            ];
            row.extend(
                defs.iter()
                    .zip(&r.values)
                    .map(|(m, v)| app::saved_reports::cell(m.unit, *v)),
            );
            row
        })
        .collect();
    let detail = json!({ "from_ms": body.from_ms, "to_ms": body.to_ms });
    let table = Table { headers, rows };
    sheet(
        &state,
        &caller,
        &table,
        (format, "ranking"),
        ("ranking", &body.by),
        detail,
    )
    .await
}
