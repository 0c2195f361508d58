//! The floor view (现场管理) and the wallboard: each queue's day and every agent's state with
//! the time in it, as one snapshot (`GET /api/floor`) or live (`/api/floor/live`, a
//! WebSocket that sends a fresh snapshot whenever the floor changes, at most four times a
//! second, and one on connect, so a client that reconnects has caught up at once). A team
//! lead may set an agent not ready or sign them out; both are audited.

use std::collections::HashMap;
use std::time::Duration;

use app::agents::Set;
use app::live::Live;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::TenantId;
use utoipa::ToSchema;

use super::agents::{AgentStatus, describe};
use super::settings::{Threshold, center_settings};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueFloor {
    pub key: String,
    pub name: String,
    pub open: bool,
    /// Calls waiting now (held for a sticky agent included, ringing not).
    pub waiting: usize,
    /// Since when the longest-waiting call (ringing included) waits.
    pub oldest_waiting_since_ms: Option<i64>,
    /// Today, since midnight in the center's time zone, as the reports count (see the
    /// glossary, `/api/reports/glossary`): calls whose wait has ended, and those answered
    /// and still going on.
    pub offered: u32,
    pub answered: u32,
    pub answered_in_target: u32,
    pub abandoned: u32,
    /// Abandoned within the tenant's short-abandon time (in `abandoned` too).
    pub short_abandoned: u32,
    /// Sent on: overflowed to another queue, a callback, voicemail or a disconnect.
    pub overflowed: u32,
    /// By the tenant's service-level formula; `null` before the first call it counts.
    pub service_level: Option<f64>,
    /// Average speed of answer, seconds; `null` before the first answer.
    pub asa_seconds: Option<f64>,
    /// The goal, e.g. 0.8 (80 %) …
    pub service_level_goal: f64,
    /// … in this many seconds (the tenant's service-level time).
    pub target_seconds: f64,
    /// Agents serving the queue by state (`ready`, `talking`, `not_ready`…).
    pub agents: HashMap<String, u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FloorAgent {
    #[serde(flatten)]
    pub status: AgentStatus,
    /// The queues the agent serves.
    pub queues: Vec<String>,
    /// Whether the engine can ring the agent's phone: false when no phone is registered, or
    /// while it is on a call the engine does not follow (placed by the agent, a
    /// consultation, rung straight) — a "ready" agent who gets no calls.
    pub phone_reachable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FloorView {
    /// The server's clock, so clients count time in state against it, not their own.
    pub now_ms: i64,
    pub queues: Vec<QueueFloor>,
    pub agents: Vec<FloorAgent>,
    /// When a state turns amber and red on the floor.
    pub thresholds: Vec<Threshold>,
    /// Set when the routing engine failed and was restarted from the log: agents were
    /// signed in again and waiting callers queued again.
    pub alert: Option<FloorAlert>,
    /// Set when a number's IVR flow could not be loaded: its callers get the tenant's
    /// fallback (its first queue, or an apology) until the flow is fixed.
    pub flow_alert: Option<FlowAlert>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FloorAlert {
    pub at_ms: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowAlert {
    pub at_ms: i64,
    /// The number dialled.
    pub number: String,
    pub reason: String,
}

/// What the store knows of the floor's people and queues: names, extensions, thresholds.
/// The live view keeps one for a few seconds, so a busy floor does not read it per change.
struct Directory {
    /// Display name and extension by user id.
    people: HashMap<i64, (String, Option<String>)>,
    queue_names: HashMap<String, String>,
    thresholds: Vec<Threshold>,
    read_at: std::time::Instant,
}

/// How long the live view trusts its directory.
const DIRECTORY_FOR: Duration = Duration::from_secs(5);

async fn directory(state: &AppState, tenant: TenantId) -> ApiResult<Directory> {
    let store = state.store();
    let extensions: HashMap<String, String> = store
        .scoped(tenant)
        .config_items("agent")
        .await?
        .into_iter()
        .filter_map(|p| Some((p.key, p.data["extension"].as_str()?.to_string())))
        .collect();
    let people = store
        .scoped(tenant)
        .users()
        .await?
        .into_iter()
        .map(|u| {
            let ext = extensions.get(&u.id.0.to_string()).cloned();
            (u.id.0, (u.display_name, ext))
        })
        .collect();
    let queue_names = store
        .scoped(tenant)
        .config_items("queue")
        .await?
        .into_iter()
        .map(|q| {
            let name = q.data["name"].as_str().unwrap_or(&q.key).to_string();
            (q.key, name)
        })
        .collect();
    Ok(Directory {
        people,
        queue_names,
        thresholds: center_settings(state, tenant).await?.thresholds,
        read_at: std::time::Instant::now(),
    })
}

/// Today's counts by queue and the definitions they are read with.
type Day = (HashMap<String, reports::Components>, reports::Settings);

/// The whole floor now.
pub async fn snapshot(state: &AppState, tenant: TenantId) -> ApiResult<FloorView> {
    let live = state.app().floor_live(tenant).await?;
    let day = state.app().floor_day(tenant, &live).await?;
    Ok(assemble(live, &directory(state, tenant).await?, &day))
}

/// The engine's floor with the directory's names.
fn assemble(live: Live, dir: &Directory, (days, settings): &Day) -> FloorView {
    let mut agents = Vec::new();
    for a in live.agents {
        let Some((name, extension)) = dir.people.get(&a.user) else {
            continue;
        };
        let (state_name, reason) = describe(a.state);
        agents.push(FloorAgent {
            status: AgentStatus {
                user_id: a.user,
                display_name: name.clone(),
                state: state_name,
                reason,
                extension: extension.clone(),
                since_ms: a.since_ms,
                wrap_up_until_ms: a.wrap_up_until_ms,
                now_ms: live.now_ms,
                call: None,
            },
            queues: a.queues,
            phone_reachable: a.reachable,
        });
    }
    agents.sort_by(|a, b| a.status.display_name.cmp(&b.status.display_name));
    let queues = live
        .queues
        .into_iter()
        .map(|q| {
            let mut by_state = HashMap::new();
            for a in agents.iter().filter(|a| a.queues.contains(&q.key)) {
                *by_state.entry(a.status.state.clone()).or_insert(0) += 1;
            }
            let day = days.get(&q.key).cloned().unwrap_or_default();
            let count = |k: &str| reports::value(k, &day, settings).unwrap_or(0.0) as u32;
            let t = reports::threshold_index(settings.service_level_s);
            QueueFloor {
                name: dir
                    .queue_names
                    .get(&q.key)
                    .cloned()
                    .unwrap_or_else(|| q.key.clone()),
                key: q.key,
                open: q.open,
                waiting: q.waiting,
                oldest_waiting_since_ms: q.oldest_ms,
                offered: count("offered"),
                answered: count("answered"),
                answered_in_target: u32::try_from(day.answered_in[t]).unwrap_or(0),
                abandoned: count("abandoned"),
                short_abandoned: count("short_abandoned"),
                overflowed: u32::try_from(
                    day.flowed_out + day.callback_requested + day.voicemail + day.disconnected,
                )
                .unwrap_or(0),
                service_level: reports::value("service_level", &day, settings),
                asa_seconds: reports::value("asa", &day, settings),
                service_level_goal: q.goal,
                target_seconds: f64::from(settings.service_level_s),
                agents: by_state,
            }
        })
        .collect();
    FloorView {
        now_ms: live.now_ms,
        queues,
        agents,
        thresholds: dir.thresholds.clone(),
        alert: live
            .alert
            .map(|(at_ms, reason)| FloorAlert { at_ms, reason }),
        flow_alert: live.flow_alert.map(|(at_ms, number, reason)| FlowAlert {
            at_ms,
            number,
            reason,
        }),
    }
}

/// Who and what a call can be passed to: the tenant's queues by name, and the people who
/// take calls (agents, experts, team leads) with their extension and presence.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryView {
    pub queues: Vec<DirectoryQueue>,
    pub people: Vec<DirectoryPerson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryQueue {
    pub key: String,
    pub name: String,
    pub open: bool,
    pub waiting: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryPerson {
    pub user_id: i64,
    pub display_name: String,
    /// `agent`, `expert`, `supervisor`.
    pub role: String,
    pub extension: Option<String>,
    /// As on the floor (`ready`, `talking`, `not_ready`…); `offline` when not signed in.
    pub state: String,
    pub reason: Option<String>,
}

/// The directory for transfers, consultations and names on every screen.
#[utoipa::path(get, path = "/api/directory", tag = "floor",
    responses((status = 200, body = DirectoryView), (status = 403, body = ErrorBody)))]
pub async fn directory_view(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<DirectoryView>> {
    let tenant = caller.tenant()?;
    let live = state.app().floor_live(tenant).await?;
    let dir = directory(&state, tenant).await?;
    let users = state.store().scoped(tenant).users().await?;
    let mut people: Vec<DirectoryPerson> = users
        .into_iter()
        .filter(|u| u.active)
        .filter_map(|u| {
            let (_, extension) = dir.people.get(&u.id.0)?;
            extension.as_ref()?;
            let (state_name, reason) = live
                .agents
                .iter()
                .find(|a| a.user == u.id.0)
                .map(|a| describe(a.state))
                .unwrap_or_else(|| ("offline".into(), None));
            Some(DirectoryPerson {
                user_id: u.id.0,
                display_name: u.display_name,
                role: u.role.as_str().into(),
                extension: extension.clone(),
                state: state_name,
                reason,
            })
        })
        .collect();
    people.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let mut queues: Vec<DirectoryQueue> = dir
        .queue_names
        .iter()
        .map(|(key, name)| {
            let q = live.queues.iter().find(|q| &q.key == key);
            DirectoryQueue {
                key: key.clone(),
                name: name.clone(),
                open: q.is_some_and(|q| q.open),
                waiting: q.map_or(0, |q| q.waiting),
            }
        })
        .collect();
    queues.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Json(DirectoryView { queues, people }))
}

/// The floor now: queues today and every agent's state with the time in it.
#[utoipa::path(get, path = "/api/floor", tag = "floor",
    responses((status = 200, body = FloorView), (status = 403, body = ErrorBody)))]
pub async fn view(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<FloorView>> {
    Ok(Json(snapshot(&state, caller.tenant()?).await?))
}

/// Upgrade to a WebSocket that sends the floor (as `GET /api/floor`) on connect and again
/// whenever it changes.
#[utoipa::path(get, path = "/api/floor/live", tag = "floor",
    responses((status = 101, description = "Switching to the WebSocket protocol"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn live_view(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    super::same_site(&headers)?;
    let tenant = caller.tenant()?;
    let slot = state.0.sockets.take(caller.user.id.0)?;
    let changes = state.app().floor_changes(tenant).await?;
    let ws = ws
        .max_message_size(crate::sockets::MAX_MESSAGE)
        .max_frame_size(crate::sockets::MAX_MESSAGE);
    Ok(ws.on_upgrade(move |socket| async move {
        serve(state, caller, tenant, changes, socket).await;
        drop(slot);
    }))
}

async fn serve(
    state: AppState,
    caller: Caller,
    tenant: TenantId,
    mut changes: tokio::sync::watch::Receiver<u64>,
    mut socket: WebSocket,
) {
    let mut dir: Option<Directory> = None;
    let mut pace = crate::sockets::Pace::default();
    loop {
        changes.borrow_and_update();
        // A session that has ended (logout, deactivation, role change) ends the view.
        match state
            .store()
            .session(&caller.session.token_hash, state.now_ms())
            .await
        {
            Ok(Some((_, u))) if crate::perm::allows(u.role, crate::perm::Perm::ViewFloor) => {}
            _ => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
        let view = match state.app().floor_live(tenant).await {
            Ok(live) => {
                // Read the directory again when it is old or someone on the floor is new.
                let stale = dir.as_ref().is_none_or(|d| {
                    d.read_at.elapsed() > DIRECTORY_FOR
                        || live.agents.iter().any(|a| !d.people.contains_key(&a.user))
                });
                if stale {
                    dir = directory(&state, tenant).await.ok();
                }
                match state.app().floor_day(tenant, &live).await {
                    Ok(day) => dir.as_ref().map(|d| assemble(live, d, &day)),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        let Some(view) = view else {
            tracing::error!("floor view: the center or the store did not answer");
            let _ = socket.send(Message::Close(None)).await;
            return;
        };
        if socket
            .send(Message::Text(json!(view).to_string().into()))
            .await
            .is_err()
        {
            return;
        }
        // Time in state is counted by the client; a fresh snapshot every 30 s anyway
        // keeps a quiet floor's clock honest.
        tokio::select! {
            changed = changes.changed() => if changed.is_err() {
                // The engine was restarted (after a failure): follow the new one.
                match state.app().floor_changes(tenant).await {
                    Ok(c) => changes = c,
                    Err(_) => return,
                }
            },
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {
                    if !pace.allow() {
                        crate::sockets::too_fast(&mut socket).await;
                        return;
                    }
                    continue;
                }
            },
            () = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
        // Changes come in bursts (a call answered is several events): one snapshot each
        // quarter second at most.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAgentState {
    /// `not_ready` (with a reason) or `offline` (signed out).
    pub state: String,
    /// With `not_ready`: `break`, `meal`, `training`, `meeting`, `away`.
    pub reason: Option<String>,
}

/// A team lead sets an agent not ready or signs them out (a call in progress goes on).
/// Audited as `agent.state_set`.
#[utoipa::path(post, path = "/api/agents/{user_id}/state", tag = "floor",
    params(("user_id" = i64, Path)), request_body = SetAgentState,
    responses((status = 200, body = AgentStatus), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_state(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
    ApiJson(req): ApiJson<SetAgentState>,
) -> ApiResult<Json<AgentStatus>> {
    let tenant = caller.tenant()?;
    let user = state
        .store()
        .user(Some(tenant), store::UserId(user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let reason = match req.state.as_str() {
        "offline" if req.reason.is_none() => None,
        "offline" => return Err(ApiError::invalid("reason", "only with not_ready")),
        "not_ready" => Some(super::agents::reason(req.reason.as_deref())?),
        _ => return Err(ApiError::invalid("state", "not_ready or offline")),
    };
    let to = reason.map_or(Set::SignedOut, Set::NotReady);
    let changed = state.app().set_agent(tenant, user_id, to).await?;
    // Asking for what already is changes nothing and is not audited.
    if changed {
        super::audit(
            &state,
            &caller,
            "agent.state_set",
            "user",
            user_id,
            json!({"state": req.state, "reason": req.reason}),
        )
        .await?;
    }
    Ok(Json(
        super::agents::status(&state, tenant, &user, false).await?,
    ))
}
