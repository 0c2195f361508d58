//! A tenant administrator's users and their roles.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::json;
use store::{NewUser, Role, UserChanges, UserId};

use crate::AppState;
use crate::auth::{self, Caller};
use crate::dto::{NewUserRequest, PasswordReset, UserDto, UserPatch};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

fn tenant_role(field: &str, s: &str) -> ApiResult<Role> {
    match Role::parse(s) {
        Some(Role::PlatformAdmin) | None => Err(ApiError::invalid(
            field,
            "one of tenant_admin, supervisor, agent, quality_inspector, expert, back_office, dealer",
        )),
        Some(r) => Ok(r),
    }
}

#[utoipa::path(get, path = "/api/users", tag = "users",
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<UserDto>>> {
    let users = state.store().scoped(caller.tenant()?).users().await?;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

#[utoipa::path(get, path = "/api/users/{user_id}", tag = "users",
    params(("user_id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UserDto>> {
    let u = state
        .store()
        .user(Some(caller.tenant()?), UserId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(UserDto::from(&u)))
}

#[utoipa::path(post, path = "/api/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = UserDto), (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let role = tenant_role("role", &req.role)?;
    auth::check_new_password(&req.password)?;
    let user = state
        .store()
        .create_user(
            &NewUser {
                tenant: Some(caller.tenant()?),
                username: req.username,
                display_name: req.display_name,
                role,
                password_hash: auth::hash_password_off_thread(req.password.clone()).await?,
            },
            state.now_ms(),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "user.create",
        "user",
        user.id.0,
        json!({ "username": user.username, "role": role.as_str() }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

/// Change a user's name, role or whether they may log in. Deactivating ends their sessions.
#[utoipa::path(patch, path = "/api/users/{user_id}", tag = "users", request_body = UserPatch,
    params(("user_id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UserPatch>,
) -> ApiResult<Json<UserDto>> {
    let tenant = caller.tenant()?;
    if state
        .store()
        .user(Some(tenant), UserId(id))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("user"));
    }
    let role = req
        .role
        .as_deref()
        .map(|r| tenant_role("role", r))
        .transpose()?;
    if id == caller.user.id.0
        && (req.active == Some(false) || role.is_some_and(|r| r != Role::TenantAdmin))
    {
        return Err(ApiError::invalid(
            "user_id",
            "you cannot lock yourself out; ask another administrator",
        ));
    }
    let changes = UserChanges {
        display_name: req.display_name,
        role,
        active: req.active,
    };
    let user = state
        .store()
        .scoped(tenant)
        .update_user(UserId(id), req.version, &changes)
        .await?;
    if req.active == Some(false) {
        state
            .store()
            .revoke_user_sessions(user.id, state.now_ms())
            .await?;
        // Their phone stops taking calls now, not when its registration runs out.
        state.app().deactivated(tenant, id).await;
    }
    super::audit(&state, &caller, "user.update", "user", id, json!({
        "display_name": changes.display_name, "role": role.map(Role::as_str), "active": changes.active,
    })).await?;
    Ok(Json(UserDto::from(&user)))
}

/// Set a user's password (they forgot it); their sessions end.
#[utoipa::path(post, path = "/api/users/{user_id}/password", tag = "users", request_body = PasswordReset,
    params(("user_id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    if state
        .store()
        .user(Some(tenant), UserId(id))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("user"));
    }
    auth::check_new_password(&req.password)?;
    let hash = auth::hash_password_off_thread(req.password.clone()).await?;
    state
        .store()
        .set_password_hash(UserId(id), &hash, state.now_ms(), None)
        .await?;
    super::audit(
        &state,
        &caller,
        "user.password_reset",
        "user",
        id,
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
