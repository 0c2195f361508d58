//! Reading the audit log.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Caller;
use crate::dto::AuditDto;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Entries older than this id (the last `id` of the previous page).
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// The tenant's audit log (the platform's, for a platform administrator), newest first.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditDto>>> {
    let limit = super::limit(p.limit)?;
    let entries = state
        .store()
        .audit_entries(caller.user.tenant, p.before, limit)
        .await?;
    Ok(Json(entries.iter().map(AuditDto::from).collect()))
}
