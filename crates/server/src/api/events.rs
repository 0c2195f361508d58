//! Live events: the WebSocket `/api/events` and the same log read page by page.
//!
//! Events are streamed from the log, after they are written: a client that reconnects with
//! the last `seq` it saw gets everything after it, and nothing twice. What a user sees live:
//! roles that watch the floor (tenant administrators, supervisors) see every event of their
//! tenant; others only the events that name them — their screen pop, their calls, their
//! state, what they did — so an agent's browser never receives other callers' numbers.
//! A customer's timeline (read where the customer is open) shows the events addressed to
//! nobody in particular too ([`visible`]).

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use store::{StoredEvent, User};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Caller;
use crate::dto::EventDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::perm::{Perm, allows, sees_all_events};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// The last `seq` already seen; 0 or left out for the start of the log, -1 for what
    /// happens from now on (the WebSocket only).
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// Whether `user` may see `e` on a customer's timeline: everything for those who watch the
/// floor, otherwise the events addressed to nobody in particular and those to them.
pub fn visible(user: &User, e: &StoredEvent) -> bool {
    if sees_all_events(user.role) {
        return true;
    }
    match e.payload.get("to_user_id").and_then(|v| v.as_i64()) {
        Some(to) => to == user.id.0,
        None => true,
    }
}

/// Whether `user` receives `e` live: everything for those who watch the floor, otherwise
/// only events whose payload names them (see the module documentation).
pub fn visible_live(user: &User, e: &StoredEvent) -> bool {
    if sees_all_events(user.role) {
        return true;
    }
    [
        "to_user_id",
        "user_id",
        "agent_id",
        "expert_id",
        "offered_to",
        "actor_id",
        "handler_id",
    ]
    .iter()
    .any(|f| e.payload.get(*f).and_then(|v| v.as_i64()) == Some(user.id.0))
}

/// A page of the event log after `after`, for clients that poll: what the user receives
/// live ([`visible_live`]).
#[utoipa::path(get, path = "/api/events/log", tag = "events", params(EventParams),
    responses((status = 200, body = Vec<EventDto>), (status = 400, body = ErrorBody)))]
pub async fn log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<EventParams>,
) -> ApiResult<Json<Vec<EventDto>>> {
    let limit = super::limit(p.limit)?;
    let events = state
        .store()
        .scoped(caller.tenant()?)
        .events_after(p.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(
        events
            .iter()
            .filter(|e| visible_live(&caller.user, e))
            .map(EventDto::from)
            .collect(),
    ))
}

/// Upgrade to a WebSocket of live events. Each message is a JSON event (`seq`, `id`,
/// `at_ms`, `kind`, `payload`); reconnect with `?after=<last seq>` to resume.
#[utoipa::path(get, path = "/api/events", tag = "events", params(EventParams),
    responses((status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(p): ApiQuery<EventParams>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    super::same_site(&headers)?;
    let tenant = caller.tenant()?;
    let slot = state.0.sockets.take(caller.user.id.0)?;
    let after = match p.after.unwrap_or(0) {
        -1 => {
            state.events().flush().await.map_err(ApiError::internal)?;
            state.store().scoped(tenant).last_event_seq().await?
        }
        n => n.max(0),
    };
    let ws = ws
        .max_message_size(crate::sockets::MAX_MESSAGE)
        .max_frame_size(crate::sockets::MAX_MESSAGE);
    Ok(ws.on_upgrade(move |socket| async move {
        serve(state, caller, after, socket).await;
        drop(slot);
    }))
}

async fn serve(state: AppState, caller: Caller, mut after: i64, mut socket: WebSocket) {
    let Some(tenant) = caller.user.tenant else {
        return;
    };
    // Who the user is now: a role changed while the socket is open applies at once.
    let mut user = caller.user;
    // Woken by this tenant's writes only.
    let mut written = state.events().written_for(tenant);
    let mut pace = crate::sockets::Pace::default();
    loop {
        // Mark what has been written as seen before reading, so a batch written while we
        // read wakes us again.
        written.borrow_and_update();
        let batch = match state.store().scoped(tenant).events_after(after, 500).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("event stream: {e}");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        for e in &batch {
            after = e.seq;
            if !visible_live(&user, e) {
                continue;
            }
            let text = json!(EventDto::from(e)).to_string();
            if socket.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
        if batch.len() == 500 {
            continue;
        }
        // A session that has ended (logout, deactivation) ends its stream.
        match state
            .store()
            .session(&caller.session.token_hash, state.now_ms())
            .await
        {
            Ok(Some((_, now))) if allows(now.role, Perm::ViewEvents) => user = now,
            _ => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
        tokio::select! {
            changed = written.changed() => if changed.is_err() { return },
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => if !pace.allow() {
                    crate::sockets::too_fast(&mut socket).await;
                    return;
                },
            },
            () = tokio::time::sleep(Duration::from_secs(25)) => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
