//! Bounds on live connections (the WebSockets of `/api/events` and `/api/floor/live`): a
//! few per user, small messages, and a client that talks too fast is cut off — one stolen
//! session or one buggy tab cannot tie up the server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};

use crate::error::{ApiError, ApiResult, Code};

/// Live connections one user may hold (a desktop, a floor view, a wallboard, a spare tab…).
pub const PER_USER: usize = 8;
/// Messages a client may send a second (it needs none but pongs).
pub const MESSAGES_PER_SECOND: u32 = 10;
/// Largest message or frame a client may send.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Live connections by user.
#[derive(Debug, Default, Clone)]
pub struct Sockets(Arc<Mutex<HashMap<i64, usize>>>);

/// One connection's place, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    sockets: Sockets,
    user: i64,
}

impl Sockets {
    /// A place for one more connection of `user`, or 429 when they hold [`PER_USER`].
    pub fn take(&self, user: i64) -> ApiResult<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user).or_insert(0);
        if *n >= PER_USER {
            return Err(ApiError::new(
                Code::RateLimited,
                format!("at most {PER_USER} live connections per user; close another tab"),
            ));
        }
        *n += 1;
        Ok(Slot {
            sockets: self.clone(),
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.sockets.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Counts what a client sends, a second at a time.
#[derive(Debug)]
pub struct Pace {
    since: Instant,
    count: u32,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace {
            since: Instant::now(),
            count: 0,
        }
    }
}

impl Pace {
    /// Counts a message; false when the client is over [`MESSAGES_PER_SECOND`].
    pub fn allow(&mut self) -> bool {
        if self.since.elapsed() >= Duration::from_secs(1) {
            *self = Pace::default();
        }
        self.count += 1;
        self.count <= MESSAGES_PER_SECOND
    }
}

/// Closes a socket whose client sent too much, saying why (1008: policy violation).
pub async fn too_fast(socket: &mut WebSocket) {
    let frame = CloseFrame {
        code: 1008,
        reason: format!("more than {MESSAGES_PER_SECOND} messages a second").into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
