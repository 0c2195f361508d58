//! Logging in and out, the current session, passwords and API tokens.

use app::agents::Set;
use axum::Extension;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;
use store::{Role, Session, SessionKind, User};

use crate::AppState;
use crate::auth::{self, CSRF_COOKIE, Caller, SESSION_COOKIE};
use crate::dto::{
    LoginMode, LoginRequest, PasswordChange, SessionInfo, TenantDto, TokenRequest, UserDto,
};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;
use crate::perm::grants;

async fn info(
    state: &AppState,
    user: &User,
    session: &Session,
    token: Option<String>,
) -> ApiResult<SessionInfo> {
    let tenant = match user.tenant {
        Some(t) => state.store().tenant(t).await?.as_ref().map(TenantDto::from),
        None => None,
    };
    Ok(SessionInfo {
        user: UserDto::from(user),
        tenant,
        permissions: grants(user.role)
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
        csrf_token: (session.kind == SessionKind::Cookie).then(|| session.csrf.clone()),
        token,
        expires_at_ms: session.expires_at_ms,
    })
}

/// Log in with a password: a session cookie (browsers) or a bearer token (API clients).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    req_parts: axum::http::Extensions,
    req_headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    // Bounded before anything is counted or hashed: the guard keys on these.
    for (field, value, max) in [
        ("tenant", req.tenant.as_deref().unwrap_or(""), 64),
        ("username", req.username.as_str(), 128),
        ("password", req.password.as_str(), 1024),
    ] {
        if value.chars().count() > max {
            return Err(ApiError::invalid(
                field,
                format!("at most {max} characters"),
            ));
        }
    }
    let account = format!("{}/{}", req.tenant.as_deref().unwrap_or(""), req.username);
    let guard = &state.0.guard;
    let client = auth::client_ip(&req_parts, &req_headers);
    guard.admit(&state, &account, client)?;
    let store = state.store();
    let tenant = match &req.tenant {
        Some(slug) => store.tenant_by_slug(slug).await?,
        None => None,
    };
    let user = match (&req.tenant, &tenant) {
        (Some(_), None) => None,
        (_, t) => {
            store
                .user_by_name(t.as_ref().map(|t| t.id), &req.username)
                .await?
        }
    };
    // Verify against something even for an unknown name, so timing tells nothing.
    let hash = user
        .as_ref()
        .map_or(auth::dummy_hash(), |u| u.password_hash.as_str());
    let ok = auth::verify_password_off_thread(req.password.clone(), hash.to_string()).await?
        && user.as_ref().is_some_and(|u| u.active);
    let Some(user) = user.filter(|_| ok) else {
        return Err(guard.failed(&state, &account));
    };
    guard.succeeded(&account, client);
    // Told only to someone who knows the password.
    if tenant.as_ref().is_some_and(|t| t.suspended_at_ms.is_some()) {
        return Err(ApiError::new(
            Code::TenantSuspended,
            "this center is suspended; ask the platform's operator",
        ));
    }

    let now = state.now_ms();
    let settings = state.settings();
    let (kind, lifetime) = match req.mode {
        LoginMode::Cookie => (SessionKind::Cookie, settings.session_idle),
        LoginMode::Bearer => (SessionKind::Bearer, settings.token_lifetime),
    };
    let secret = auth::new_secret();
    let session = Session {
        token_hash: auth::token_hash(&secret),
        user: user.id,
        tenant: user.tenant,
        kind,
        csrf: auth::new_secret(),
        label: "login".into(),
        created_at_ms: now,
        expires_at_ms: now + i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX / 2),
    };
    // Browser sessions of the people who take contacts hold seats; API tokens do not.
    let quota = match (&tenant, user.role, kind) {
        (Some(t), Role::Agent | Role::Expert, SessionKind::Cookie) => Some(t.seat_quota),
        _ => None,
    };
    store.create_session(&session, quota, now).await?;
    if let Some(t) = user.tenant {
        state
            .app()
            .record(
                t,
                events::UserLogin::id(&session.token_hash[..16]),
                &events::UserLogin {
                    user_id: user.id.0,
                    role: user.role.as_str().to_string(),
                },
            )
            .await;
    }
    let mut headers = HeaderMap::new();
    let body = match kind {
        SessionKind::Cookie => {
            let max_age = settings.session_idle.as_secs();
            // Served over HTTPS, said by the deployment or by the TLS proxy in front
            // (a client claiming it only makes its own cookie stricter).
            let over_tls = req_headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
            let secure = if settings.secure_cookies || over_tls {
                "; Secure"
            } else {
                ""
            };
            for c in [
                format!(
                    "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
                ),
                format!(
                    "{CSRF_COOKIE}={}; Path=/; SameSite=Lax; Max-Age={max_age}{secure}",
                    session.csrf
                ),
            ] {
                headers.append(
                    SET_COOKIE,
                    HeaderValue::from_str(&c).map_err(ApiError::internal)?,
                );
            }
            info(&state, &user, &session, None).await?
        }
        SessionKind::Bearer => info(&state, &user, &session, Some(secret)).await?,
    };
    Ok((headers, axum::Json(body)))
}

/// End this session (and free the agent's seat).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    state
        .store()
        .revoke_session(&caller.session.token_hash, state.now_ms())
        .await?;
    if let Some(t) = caller.user.tenant {
        // Leaving the desktop signs the agent out of the queues: nobody rings an empty seat.
        if crate::perm::allows(caller.user.role, crate::perm::Perm::TakeContacts) {
            let _ = state
                .app()
                .set_agent(t, caller.user.id.0, Set::SignedOut)
                .await;
        }
        state
            .app()
            .record(
                t,
                events::UserLogout::id(&caller.session.token_hash[..16]),
                &events::UserLogout {
                    user_id: caller.user.id.0,
                    role: caller.user.role.as_str().to_string(),
                },
            )
            .await;
    }
    let mut headers = HeaderMap::new();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        headers.append(
            SET_COOKIE,
            HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0"))
                .map_err(ApiError::internal)?,
        );
    }
    Ok((StatusCode::NO_CONTENT, headers))
}

/// Who is logged in.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
pub async fn current(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<axum::Json<SessionInfo>> {
    Ok(axum::Json(
        info(&state, &caller.user, &caller.session, None).await?,
    ))
}

/// Change your own password; your other sessions end.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    if !auth::verify_password_off_thread(
        req.current_password.clone(),
        caller.user.password_hash.clone(),
    )
    .await?
    {
        return Err(ApiError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    auth::check_new_password(&req.new_password)
        .map_err(|_| ApiError::invalid("new_password", "8 to 128 characters"))?;
    let hash = auth::hash_password_off_thread(req.new_password.clone()).await?;
    state
        .store()
        .set_password_hash(
            caller.user.id,
            &hash,
            state.now_ms(),
            Some(&caller.session.token_hash),
        )
        .await?;
    super::audit(
        &state,
        &caller,
        "user.password_change",
        "user",
        caller.user.id.0,
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A bearer token for an API client acting as you; shown once.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = SessionInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<SessionInfo>)> {
    // A token cannot mint tokens: a leaked one must not outlive its own expiry.
    if caller.session.kind != SessionKind::Cookie {
        return Err(ApiError::new(
            crate::error::Code::InvalidState,
            "create API tokens from a browser session, not with another token",
        ));
    }
    if req.label.trim().is_empty() || req.label.chars().count() > 100 {
        return Err(ApiError::invalid("label", "1 to 100 characters"));
    }
    let days = req.days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("days", "1 to 365"));
    }
    let now = state.now_ms();
    let secret = auth::new_secret();
    let session = Session {
        token_hash: auth::token_hash(&secret),
        user: caller.user.id,
        tenant: caller.user.tenant,
        kind: SessionKind::Bearer,
        csrf: auth::new_secret(),
        label: req.label.clone(),
        created_at_ms: now,
        expires_at_ms: now + i64::from(days) * 86_400_000,
    };
    // A token is not a seat: agents hold seats by their desktop session.
    state.store().create_session(&session, None, now).await?;
    super::audit(
        &state,
        &caller,
        "token.create",
        "user",
        caller.user.id.0,
        json!({ "label": req.label, "days": days }),
    )
    .await?;
    let body = info(&state, &caller.user, &session, Some(secret)).await?;
    Ok((StatusCode::CREATED, axum::Json(body)))
}
