//! Saved reports (报表订阅): a report's parameters under a name, produced into a file when
//! asked or on a schedule, and the files to download. Saved reports are the center's: whoever
//! may see reports may save, change, run and delete them; every change, run and download is
//! audited.

use app::saved_reports::{ReportSpec, SavedReport};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::ReportFileRow;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// When a saved report is produced by itself, in the tenant's time zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDto {
    /// `day`, `week` or `month`.
    pub every: String,
    /// `HH:MM`.
    pub at: String,
    /// For `week`: 1 (Monday) to 7 (Sunday).
    #[serde(default)]
    pub weekday: Option<u8>,
    /// For `month`: 1 to 28.
    #[serde(default)]
    pub day: Option<u8>,
}

/// A report's parameters, as `/api/reports` takes them, with a range relative to the run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecDto {
    /// A dimension of `/api/reports` (`all`, `queue`, `agent`…).
    pub dim: String,
    /// `half_hour`, `hour`, `day`, `week`, `month`, `year` or `total`.
    pub by: String,
    /// Glossary keys; every metric when empty.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Only these keys; all when empty.
    #[serde(default)]
    pub keys: Vec<String>,
    /// `today`, `yesterday`, `last7_days`, `last30_days`, `this_week`, `last_week`,
    /// `this_month`, `last_month`, `last_year` or `custom` (with `from` and `to`).
    pub range: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// `xlsx` (the default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
    /// Produced by itself on this schedule; only when asked if none.
    #[serde(default)]
    pub schedule: Option<ScheduleDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedReportInput {
    /// Up to 60 characters.
    pub name: String,
    pub spec: SpecDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReportBody {
    pub id: i64,
    pub name: String,
    /// Who saved it.
    pub owner_id: i64,
    pub spec: SpecDto,
    /// When its schedule produces it next.
    pub next_run_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFileBody {
    pub id: i64,
    pub saved_id: i64,
    /// The file's name when downloaded.
    pub name: String,
    /// The days it covers: `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    pub produced_ms: i64,
    pub bytes: i64,
    pub rows: i64,
    /// Who asked for it; none when the schedule produced it.
    pub by_user_id: Option<i64>,
}

/// A value of an enum named by its serde name, or the field named.
fn named<T: serde::de::DeserializeOwned>(field: &str, v: &str, choices: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(v.to_string()))
        .map_err(|_| ApiError::invalid(field, choices))
}

fn spec_from(d: SpecDto) -> ApiResult<ReportSpec> {
    let schedule = match d.schedule {
        None => None,
        Some(s) => Some(reports::Schedule {
            every: named("schedule.every", &s.every, "day, week or month")?,
            at: s.at,
            weekday: s.weekday,
            day: s.day,
        }),
    };
    Ok(ReportSpec {
        dim: d.dim,
        by: d.by,
        metrics: d.metrics,
        keys: d.keys,
        range: named(
            "range",
            &d.range,
            "today, yesterday, last7_days, last30_days, this_week, last_week, this_month, \
             last_month, last_year or custom",
        )?,
        from: d.from,
        to: d.to,
        format: d.format.unwrap_or_else(|| "xlsx".into()),
        schedule,
    })
}

fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn body(s: SavedReport) -> SavedReportBody {
    let spec = s.spec;
    SavedReportBody {
        id: s.row.id,
        name: s.row.name,
        owner_id: s.row.owner.0,
        spec: SpecDto {
            dim: spec.dim,
            by: spec.by,
            metrics: spec.metrics,
            keys: spec.keys,
            range: name_of(&spec.range),
            from: spec.from,
            to: spec.to,
            format: Some(spec.format),
            schedule: spec.schedule.map(|s| ScheduleDto {
                every: name_of(&s.every),
                at: s.at,
                weekday: s.weekday,
                day: s.day,
            }),
        },
        next_run_ms: s.row.next_run_ms,
        created_ms: s.row.created_ms,
        updated_ms: s.row.updated_ms,
    }
}

fn file_body(f: ReportFileRow) -> ReportFileBody {
    ReportFileBody {
        id: f.id,
        saved_id: f.saved_id,
        name: f.name,
        from_ms: f.from_ms,
        to_ms: f.to_ms,
        produced_ms: f.produced_ms,
        bytes: f.bytes,
        rows: f.rows,
        by_user_id: f.by_user.map(|u| u.0),
    }
}

/// The center's saved reports, by name.
#[utoipa::path(get, path = "/api/reports/saved", tag = "reports",
    responses((status = 200, body = [SavedReportBody])))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<SavedReportBody>>> {
    let tenant = caller.tenant()?;
    let all = state.app().saved_reports(tenant).await?;
    Ok(Json(all.into_iter().map(body).collect()))
}

/// Saves a report; with a schedule, it is produced by itself from then on.
#[utoipa::path(post, path = "/api/reports/saved", tag = "reports", request_body = SavedReportInput,
    responses((status = 201, body = SavedReportBody), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<SavedReportInput>,
) -> ApiResult<(StatusCode, Json<SavedReportBody>)> {
    let tenant = caller.tenant()?;
    let spec = spec_from(input.spec)?;
    let saved = state
        .app()
        .save_report(tenant, caller.user.id, &input.name, &spec)
        .await?;
    super::audit(
        &state,
        &caller,
        "report.save",
        "saved_report",
        saved.row.id,
        json!({ "name": saved.row.name }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body(saved))))
}

/// Changes a saved report (its schedule starts again from now).
#[utoipa::path(put, path = "/api/reports/saved/{saved_id}", tag = "reports",
    params(("saved_id" = i64, Path)),
    request_body = SavedReportInput,
    responses((status = 200, body = SavedReportBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SavedReportInput>,
) -> ApiResult<Json<SavedReportBody>> {
    let tenant = caller.tenant()?;
    let spec = spec_from(input.spec)?;
    let saved = state
        .app()
        .update_saved_report(tenant, id, &input.name, &spec)
        .await?;
    super::audit(
        &state,
        &caller,
        "report.save",
        "saved_report",
        id,
        json!({ "name": saved.row.name }),
    )
    .await?;
    Ok(Json(body(saved)))
}

/// Deletes a saved report and the files it produced.
#[utoipa::path(delete, path = "/api/reports/saved/{saved_id}", tag = "reports",
    params(("saved_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    let saved = state.app().saved_report(tenant, id).await?;
    state.app().delete_saved_report(tenant, id).await?;
    super::audit(
        &state,
        &caller,
        "report.delete",
        "saved_report",
        id,
        json!({ "name": saved.row.name }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Produces the saved report into a file now, for the range as of now.
#[utoipa::path(post, path = "/api/reports/saved/{saved_id}/run", tag = "reports",
    params(("saved_id" = i64, Path)),
    responses((status = 201, body = ReportFileBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<ReportFileBody>)> {
    let tenant = caller.tenant()?;
    let file = state
        .app()
        .produce_report(tenant, id, caller.user.id)
        .await?;
    super::audit(
        &state,
        &caller,
        "report.run",
        "saved_report",
        id,
        json!({ "file_id": file.id, "rows": file.rows }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(file_body(file))))
}

/// The files a saved report produced, newest first (the last 100 are kept).
#[utoipa::path(get, path = "/api/reports/saved/{saved_id}/files", tag = "reports",
    params(("saved_id" = i64, Path)),
    responses((status = 200, body = [ReportFileBody]), (status = 404, body = ErrorBody)))]
pub async fn files(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ReportFileBody>>> {
    let tenant = caller.tenant()?;
    let files = state.app().report_files(tenant, id).await?;
    Ok(Json(files.into_iter().map(file_body).collect()))
}

/// A produced file, to download (audited).
#[utoipa::path(get, path = "/api/reports/files/{file_id}", tag = "reports",
    params(("file_id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let tenant = caller.tenant()?;
    let (row, bytes) = state.app().report_file(tenant, id).await?;
    super::audit(
        &state,
        &caller,
        "report.download",
        "report_file",
        id,
        json!({ "saved_id": row.saved_id, "name": row.name }),
    )
    .await?;
    let format = sheets::Format::sniff(&bytes);
    // The name as RFC 5987 asks for non-ASCII, with an ASCII fallback.
    let ascii: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; {}",
                    super::utf8_filename(&row.name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
