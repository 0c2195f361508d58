//! Agents at work: signing in to the queues (签入) and out (签出), ready and not ready with a
//! reason, and the supervisor's floor view of everyone's state.

use acd::{AgentState, Reason};
use app::agents::Set;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::TenantId;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentStatus {
    pub user_id: i64,
    pub display_name: String,
    /// `offline`, `ready`, `reserved` (ringing), `talking`, `hold`, `after_call_work`,
    /// `not_ready`.
    pub state: String,
    /// For `not_ready`: `break`, `meal`, `training`, `meeting`, `away`, `missed`.
    pub reason: Option<String>,
    pub extension: Option<String>,
    /// Since when the agent is in this state (the server's clock, ms); `null` if not seen
    /// since the server started.
    pub since_ms: Option<i64>,
    /// In after-call work: when it ends by itself.
    pub wrap_up_until_ms: Option<i64>,
    /// The server's clock when this was read, so a client counts time in state against
    /// it rather than its own.
    pub now_ms: i64,
    /// Your own call, ringing or connected (`GET /api/me/agent` only): the screen pop
    /// again after a reload.
    pub call: Option<LiveCall>,
}

/// A call ringing for an agent or connected to them: what the screen pop shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveCall {
    pub call_id: String,
    pub caller: String,
    pub dialled: String,
    pub queue: String,
    pub customer_id: Option<i64>,
    pub ivr_path: Vec<String>,
    /// When the caller started waiting in the queue.
    pub arrived_at_ms: i64,
    pub answered_at_ms: Option<i64>,
    /// A callback task (回访): the work order whose customer to call back
    /// (`POST /api/calls/{call_id}/dial` places it).
    pub order_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// `ready` or `not_ready`.
    pub state: String,
    /// With `not_ready`: `break` (小休), `meal` (用餐), `training` (培训), `meeting` (会议),
    /// `away` (离席).
    pub reason: Option<String>,
}

pub(crate) fn describe(state: Option<AgentState>) -> (String, Option<String>) {
    let v = serde_json::to_value(state.unwrap_or(AgentState::Offline)).unwrap_or(Value::Null);
    match v {
        Value::String(s) => (s, None),
        Value::Object(o) => {
            let (k, r) = o.into_iter().next().unwrap_or_default();
            (k, r.as_str().map(String::from))
        }
        _ => ("offline".into(), None),
    }
}

/// An agent's status; `with_call` for their own view, with their live call.
pub(crate) async fn status(
    state: &AppState,
    tenant: TenantId,
    user: &store::User,
    with_call: bool,
) -> ApiResult<AgentStatus> {
    let profile = state
        .store()
        .scoped(tenant)
        .config_item("agent", &user.id.0.to_string())
        .await?;
    let mut s = status_with(state, tenant, user, profile.as_ref()).await?;
    if with_call {
        let uid = user.id.0;
        s.call = state
            .center(tenant, move |c| {
                c.call_of(uid).map(|r| LiveCall {
                    call_id: r.id.clone(),
                    caller: r.caller.clone(),
                    dialled: r.dialled.clone(),
                    queue: r.queue.clone(),
                    customer_id: r.customer,
                    ivr_path: r.ivr_path.clone(),
                    arrived_at_ms: r.arrived_ms,
                    answered_at_ms: r.answered_ms,
                    order_id: r.order,
                })
            })
            .await?;
    }
    Ok(s)
}

/// An agent's status when their profile is already at hand.
async fn status_with(
    state: &AppState,
    tenant: TenantId,
    user: &store::User,
    profile: Option<&store::ConfigItem>,
) -> ApiResult<AgentStatus> {
    let snap = state.app().agent_snapshot(tenant, user.id.0).await?;
    let (s, reason) = describe(snap.state);
    Ok(AgentStatus {
        user_id: user.id.0,
        display_name: user.display_name.clone(),
        state: s,
        reason,
        extension: profile.and_then(|p| p.data["extension"].as_str().map(String::from)),
        since_ms: snap.since_ms,
        wrap_up_until_ms: snap.wrap_up_until_ms,
        now_ms: snap.now_ms,
        call: None,
    })
}

/// Your own state.
#[utoipa::path(get, path = "/api/me/agent", tag = "agents",
    responses((status = 200, body = AgentStatus), (status = 403, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<AgentStatus>> {
    Ok(Json(
        status(&state, caller.tenant()?, &caller.user, true).await?,
    ))
}

/// Sign in to your queues (签入): ready for contacts.
#[utoipa::path(post, path = "/api/me/agent/login", tag = "agents",
    responses((status = 200, body = AgentStatus), (status = 409, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<AgentStatus>> {
    let tenant = caller.tenant()?;
    state.app().sign_in(tenant, caller.user.id.0).await?;
    Ok(Json(status(&state, tenant, &caller.user, true).await?))
}

/// Sign out (签出); a contact in progress goes on until it ends.
#[utoipa::path(post, path = "/api/me/agent/logout", tag = "agents",
    responses((status = 200, body = AgentStatus), (status = 409, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<AgentStatus>> {
    let tenant = caller.tenant()?;
    state
        .app()
        .set_agent(tenant, caller.user.id.0, Set::SignedOut)
        .await?;
    Ok(Json(status(&state, tenant, &caller.user, true).await?))
}

/// Ready, or not ready for a reason.
#[utoipa::path(post, path = "/api/me/agent/state", tag = "agents", request_body = StateChange,
    responses((status = 200, body = AgentStatus), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<StateChange>,
) -> ApiResult<Json<AgentStatus>> {
    let tenant = caller.tenant()?;
    let to = match (req.state.as_str(), req.reason.as_deref()) {
        ("ready", None) => Set::Ready,
        ("ready", Some(_)) => return Err(ApiError::invalid("reason", "only with not_ready")),
        ("not_ready", r) => Set::NotReady(reason(r)?),
        _ => return Err(ApiError::invalid("state", "ready or not_ready")),
    };
    state.app().set_agent(tenant, caller.user.id.0, to).await?;
    Ok(Json(status(&state, tenant, &caller.user, true).await?))
}

/// A not-ready reason a person may choose (`missed` is the engine's alone).
pub(crate) fn reason(r: Option<&str>) -> ApiResult<Reason> {
    Ok(match r {
        Some("break") => Reason::Break,
        Some("meal") => Reason::Meal,
        Some("training") => Reason::Training,
        Some("meeting") => Reason::Meeting,
        Some("away") => Reason::Away,
        Some(_) => {
            return Err(ApiError::invalid(
                "reason",
                "one of break, meal, training, meeting, away",
            ));
        }
        None => {
            return Err(ApiError::invalid(
                "reason",
                "say why: break, meal, training, meeting, away",
            ));
        }
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUp {
    /// `extend` (by `seconds`, 30 if left out) or `done`.
    pub action: String,
    pub seconds: Option<u32>,
}

/// After-call work (话后处理): take longer, or be done now.
#[utoipa::path(post, path = "/api/me/agent/wrap-up", tag = "agents", request_body = WrapUp,
    responses((status = 200, body = AgentStatus), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn wrap_up(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<WrapUp>,
) -> ApiResult<Json<AgentStatus>> {
    let tenant = caller.tenant()?;
    let extend = match (req.action.as_str(), req.seconds) {
        ("extend", None) => Some(30),
        ("extend", Some(n @ 1..=3600)) => Some(n),
        ("extend", Some(_)) => return Err(ApiError::invalid("seconds", "1 to 3600")),
        ("done", None) => None,
        ("done", Some(_)) => return Err(ApiError::invalid("seconds", "only with extend")),
        _ => return Err(ApiError::invalid("action", "extend or done")),
    };
    let extend = extend.map(|n| std::time::Duration::from_secs(u64::from(n)));
    state
        .app()
        .wrap_up(tenant, caller.user.id.0, extend)
        .await?;
    Ok(Json(status(&state, tenant, &caller.user, true).await?))
}

/// The floor: every agent with a routing profile and their state now.
#[utoipa::path(get, path = "/api/agents", tag = "agents",
    responses((status = 200, body = Vec<AgentStatus>), (status = 403, body = ErrorBody)))]
pub async fn floor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<AgentStatus>>> {
    let tenant = caller.tenant()?;
    let profiles = state.store().scoped(tenant).config_items("agent").await?;
    let users = state.store().scoped(tenant).users().await?;
    let mut out = Vec::new();
    for p in profiles {
        if let Some(u) = users.iter().find(|u| u.id.0.to_string() == p.key) {
            out.push(status_with(&state, tenant, u, Some(&p)).await?);
        }
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// From this instant (ms); 24 hours ago if left out.
    pub from_ms: Option<i64>,
    /// Until this instant; now if left out.
    pub to_ms: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateChangeDto {
    pub at_ms: i64,
    pub state: String,
    pub reason: Option<String>,
}

/// An agent's state changes, newest first, from the event log: the raw material of
/// adherence and occupancy reports.
#[utoipa::path(get, path = "/api/agents/{user_id}/history", tag = "agents",
    params(("user_id" = i64, Path), HistoryParams),
    responses((status = 200, body = Vec<StateChangeDto>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    crate::extract::ApiPath(user_id): crate::extract::ApiPath<i64>,
    crate::extract::ApiQuery(p): crate::extract::ApiQuery<HistoryParams>,
) -> ApiResult<Json<Vec<StateChangeDto>>> {
    let tenant = caller.tenant()?;
    if state
        .store()
        .user(Some(tenant), store::UserId(user_id))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("user"));
    }
    let limit = super::limit(p.limit)?;
    let now = state.now_ms();
    state.events().flush().await.map_err(ApiError::internal)?;
    let events = state
        .store()
        .scoped(tenant)
        .events_of_kind(
            "acd.agent_state",
            p.from_ms.unwrap_or(now - 86_400_000),
            p.to_ms.unwrap_or(now + 1),
            &[("user_id", user_id.to_string())],
            limit,
        )
        .await?;
    Ok(Json(
        events
            .iter()
            .filter_map(|e| {
                let events::Event::Acd(events::AcdEvent {
                    event: acd::EventKind::AgentState { state: s, .. },
                    ..
                }) = state.app().read_event(e)?
                else {
                    return None;
                };
                let (state, reason) = describe(Some(s));
                Some(StateChangeDto {
                    at_ms: e.at_ms,
                    state,
                    reason,
                })
            })
            .collect(),
    ))
}
