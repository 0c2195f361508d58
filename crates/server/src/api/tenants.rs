//! The platform administrator's tenants (托管: companies renting seats).

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::json;
use store::{NewTenant, NewUser, Role, TenantId};

use crate::AppState;
use crate::auth::{self, Caller};
use crate::dto::{NewTenantRequest, TenantDto};
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
    let admin_hash = match &req.admin {
        Some(a) => {
            auth::check_new_password(&a.password)
                .map_err(|_| ApiError::invalid("admin.password", "8 to 128 characters"))?;
            if a.username.trim().is_empty() || a.display_name.trim().is_empty() {
                return Err(ApiError::invalid(
                    "admin",
                    "needs a username and a display_name",
                ));
            }
            Some(auth::hash_password(&a.password)?)
        }
        None => None,
    };
    let now = state.now_ms();
    let tenant = state.store().create_tenant(&t, now).await?;
    if let (Some(a), Some(hash)) = (&req.admin, admin_hash) {
        state
            .store()
            .create_user(
                &NewUser {
                    tenant: Some(tenant.id),
                    username: a.username.clone(),
                    display_name: a.display_name.clone(),
                    role: Role::TenantAdmin,
                    password_hash: hash,
                },
                now,
            )
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
