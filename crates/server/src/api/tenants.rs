//! The platform administrator's tenants (托管: companies renting seats).

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::json;
use store::{NewTenant, NewUser, Role, TenantId};

use crate::AppState;
use crate::auth::{self, Caller};
use crate::dto::{NewTenantRequest, TenantDto, TenantNumbers, TenantPatch, TenantUsage};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// Every tenant on the platform.
#[utoipa::path(get, path = "/api/tenants", tag = "tenants",
    responses((status = 200, body = Vec<TenantDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let tenants = state.store().tenants().await?;
    Ok(Json(tenants.iter().map(TenantDto::from).collect()))
}

#[utoipa::path(get, path = "/api/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = i64, Path)),
    responses((status = 200, body = TenantDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TenantDto>> {
    let t = state
        .store()
        .tenant(TenantId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(Json(TenantDto::from(&t)))
}

/// Create a tenant, optionally with its first administrator.
#[utoipa::path(post, path = "/api/tenants", tag = "tenants", request_body = NewTenantRequest,
    responses((status = 201, body = TenantDto), (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<NewTenantRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let mut t = NewTenant::new(&req.slug, &req.name, req.seat_quota, &req.sip_domain);
    if let Some(tz) = req.time_zone {
        t.time_zone = tz;
    }
    if let Some(l) = req.locale {
        t.locale = l;
    }
    // Check the administrator before creating anything, so a bad one leaves no tenant.
    let admin = match &req.admin {
        Some(a) => {
            auth::check_new_password(&a.password)
                .map_err(|_| ApiError::invalid("admin.password", "8 to 128 characters"))?;
            let user = NewUser {
                // Checked as if in the tenant; the real id is known once it exists.
                tenant: Some(TenantId(0)),
                username: a.username.clone(),
                display_name: a.display_name.clone(),
                role: Role::TenantAdmin,
                password_hash: auth::hash_password_off_thread(a.password.clone()).await?,
            };
            user.validate().map_err(|e| match e {
                store::StoreError::Invalid { field, reason } => {
                    ApiError::invalid(&format!("admin.{field}"), reason)
                }
                other => ApiError::from(other),
            })?;
            Some(user)
        }
        None => None,
    };
    t.validate().map_err(ApiError::from)?;
    let numbers = normalise(req.numbers.as_deref().unwrap_or_default())?;
    for n in &numbers {
        if state.store().tenant_by_number(n).await?.is_some() {
            return Err(ApiError::new(
                crate::error::Code::AlreadyExists,
                format!("{n} already reaches another tenant"),
            )
            .with_details(json!({ "field": "numbers", "number": n })));
        }
    }
    let now = state.now_ms();
    let tenant = state.store().create_tenant(&t, now).await?;
    if let Some(mut admin) = admin {
        admin.tenant = Some(tenant.id);
        state.store().create_user(&admin, now).await?;
    }
    if !numbers.is_empty() {
        state
            .store()
            .scoped(tenant.id)
            .set_tenant_numbers(&numbers, now)
            .await?;
    }
    super::audit(
        &state,
        &caller,
        "tenant.create",
        "tenant",
        tenant.id.0,
        json!({ "slug": tenant.slug, "seat_quota": tenant.seat_quota }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(TenantDto::from(&tenant))))
}

/// Rename a tenant or change the seats it rents. Fewer seats than agents logged in ends
/// no one's session: the quota holds for the next login.
#[utoipa::path(patch, path = "/api/tenants/{tenant_id}", tag = "tenants", request_body = TenantPatch,
    params(("tenant_id" = i64, Path)),
    responses((status = 200, body = TenantDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TenantPatch>,
) -> ApiResult<Json<TenantDto>> {
    let mut tenant = state
        .store()
        .update_tenant(
            TenantId(id),
            req.name.as_deref(),
            req.seat_quota,
            req.sip_domain.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    if let Some(suspend) = req.suspended
        && suspend != tenant.suspended_at_ms.is_some()
    {
        let at = suspend.then(|| state.now_ms());
        tenant = state
            .store()
            .set_tenant_suspended(TenantId(id), at)
            .await?
            .ok_or_else(|| ApiError::not_found("tenant"))?;
        if suspend {
            state.app().suspended(tenant.id).await;
        }
    }
    super::audit(
        &state,
        &caller,
        "tenant.update",
        "tenant",
        id,
        json!({ "name": req.name, "seat_quota": req.seat_quota, "suspended": req.suspended,
                "sip_domain": req.sip_domain }),
    )
    .await?;
    Ok(Json(TenantDto::from(&tenant)))
}

/// What a tenant uses: seats in use now, users and agents, calls and talk time of the last
/// 24 hours.
#[utoipa::path(get, path = "/api/tenants/{tenant_id}/usage", tag = "tenants",
    params(("tenant_id" = i64, Path)),
    responses((status = 200, body = TenantUsage), (status = 404, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TenantUsage>> {
    let tenant = state
        .store()
        .tenant(TenantId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let scoped = state.store().scoped(tenant.id);
    let users = scoped
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .count();
    let agents = scoped.config_items("agent").await?.len();
    // Read from the engine only if it runs: the operator's page starts no tenant's center.
    let signed_in = if state.app().running_centers().contains(&tenant.id) {
        state
            .app()
            .floor_live(tenant.id)
            .await?
            .agents
            .iter()
            .filter(|a| !matches!(a.state, None | Some(acd::AgentState::Offline)))
            .count()
    } else {
        0
    };
    let now = state.now_ms();
    let filter = app::records::CdrFilter {
        from_ms: now - 24 * 3600 * 1000,
        to_ms: now + 1,
        limit: 100_000,
        ..Default::default()
    };
    let calls = state.app().cdrs(tenant.id, &filter).await?;
    let talk_ms: i64 = calls.iter().map(|c| c.talk_ms).sum();
    Ok(Json(TenantUsage {
        seat_quota: tenant.seat_quota,
        users,
        agents,
        signed_in,
        calls_24h: calls.len(),
        talk_minutes_24h: talk_ms / 60_000,
    }))
}

fn normalise(numbers: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in numbers.iter().enumerate() {
        let p = phone::normalize(n, None)
            .map_err(|e| ApiError::invalid(&format!("numbers[{i}]"), e.to_string()))?;
        if !out.iter().any(|o| o == p.as_str()) {
            out.push(p.as_str().to_string());
        }
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/tenants/{tenant_id}/numbers", tag = "tenants",
    params(("tenant_id" = i64, Path)),
    responses((status = 200, body = TenantNumbers), (status = 404, body = ErrorBody)))]
pub async fn numbers(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TenantNumbers>> {
    if state.store().tenant(TenantId(id)).await?.is_none() {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(Json(TenantNumbers {
        numbers: state.store().scoped(TenantId(id)).tenant_numbers().await?,
    }))
}

/// Replace the numbers that reach a tenant; a number another tenant has is refused (409).
#[utoipa::path(put, path = "/api/tenants/{tenant_id}/numbers", tag = "tenants", request_body = TenantNumbers,
    params(("tenant_id" = i64, Path)),
    responses((status = 200, body = TenantNumbers), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_numbers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TenantNumbers>,
) -> ApiResult<Json<TenantNumbers>> {
    if state.store().tenant(TenantId(id)).await?.is_none() {
        return Err(ApiError::not_found("tenant"));
    }
    let numbers = normalise(&req.numbers)?;
    let numbers = state
        .store()
        .scoped(TenantId(id))
        .set_tenant_numbers(&numbers, state.now_ms())
        .await?;
    super::audit(
        &state,
        &caller,
        "tenant.numbers",
        "tenant",
        id,
        json!({ "numbers": numbers }),
    )
    .await?;
    Ok(Json(TenantNumbers { numbers }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockAdvance {
    /// How far to move the center's clock forward, 1 ms to 30 days.
    pub advance_ms: i64,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClockNow {
    pub now_ms: i64,
}

/// Move the center's clock forward (a center started with `--time-travel` only: demos and
/// browser tests see deadlines pass without waiting). Audited.
#[utoipa::path(post, path = "/api/platform/clock", tag = "tenants", request_body = ClockAdvance,
    responses((status = 200, body = ClockNow), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<ClockAdvance>,
) -> ApiResult<Json<ClockNow>> {
    let now_ms = state.app().advance_clock(body.advance_ms)?;
    super::audit(
        &state,
        &caller,
        "clock.advance",
        "clock",
        "center",
        json!({ "advance_ms": body.advance_ms, "now_ms": now_ms }),
    )
    .await?;
    Ok(Json(ClockNow { now_ms }))
}
