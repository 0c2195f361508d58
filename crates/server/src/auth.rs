//! Who is calling: passwords (argon2id), sessions by HttpOnly cookie with a CSRF token, bearer
//! tokens for API clients, and the lockout after repeated failed logins.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{Session, User};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Code};
use crate::perm::{Perm, allows};

pub const SESSION_COOKIE: &str = "hotline_session";
pub const CSRF_COOKIE: &str = "hotline_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of a request, put there by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

impl Caller {
    /// The caller's tenant; platform administrators have none and are refused here.
    pub fn tenant(&self) -> ApiResult<store::TenantId> {
        self.user.tenant.ok_or_else(ApiError::forbidden)
    }
}

/// Hashes a password with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Password work is slow on purpose (tens of milliseconds of CPU and 19 MiB each): it runs
/// off the async workers, a few at a time, so logins cannot stall calls and sockets.
static PASSWORD_WORK: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub async fn hash_password_off_thread(password: String) -> ApiResult<String> {
    let _permit = PASSWORD_WORK.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
}

pub async fn verify_password_off_thread(password: String, hash: String) -> ApiResult<bool> {
    let _permit = PASSWORD_WORK.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)
}

/// A hash to verify against when the user does not exist, so that a wrong name takes as
/// long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

pub fn check_new_password(password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(ApiError::invalid("password", "8 to 128 characters"));
    }
    Ok(())
}

/// A fresh random secret, 256 bits as hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a secret.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts failed logins per account and per client address.
///
/// An attempt counts as a failure from the moment it is admitted until it succeeds, so
/// guesses sent in parallel are counted before their passwords are checked. Both maps are
/// pruned when they grow, so unknown names cannot fill memory.
#[derive(Debug, Default)]
pub struct LoginGuard {
    inner: Mutex<GuardState>,
    clients: RateGuard,
}

#[derive(Debug, Default)]
struct GuardState {
    accounts: HashMap<String, Account>,
}

/// Counts requests per client address and minute (logins, the public's searches); pruned
/// when it grows, so a flood of addresses cannot fill memory.
#[derive(Debug, Default)]
pub struct RateGuard {
    /// Per address: the minute and the requests in it.
    clients: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl RateGuard {
    /// Counts a request of `ip` at `now_ms`; `Err(seconds to wait)` when it is over `per_minute`.
    pub fn admit(&self, now_ms: i64, ip: IpAddr, per_minute: u32) -> Result<(), i64> {
        let ip = network(ip);
        let minute = now_ms / 60_000;
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() > GUARD_ENTRIES {
            clients.retain(|_, (m, _)| *m == minute);
        }
        if clients.len() > GUARD_ENTRIES {
            // More addresses in one minute than it keeps: a spread-out flood. Those that
            // came more than once are kept.
            clients.retain(|_, (_, n)| *n > 1);
        }
        if clients.len() > GUARD_ENTRIES {
            clients.clear();
        }
        let entry = clients.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        if entry.1 > per_minute {
            return Err(60 - (now_ms / 1000) % 60);
        }
        Ok(())
    }

    /// Takes back one request counted for `ip` (one that turned out well).
    pub fn forgive(&self, ip: IpAddr) {
        let ip = network(ip);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, n)) = clients.get_mut(&ip) {
            *n = n.saturating_sub(1);
        }
    }

    pub fn entries(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// An address as counted: IPv6 by its /64 (one subscriber's network hands out many).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
        v4 => v4,
    }
}

#[derive(Debug, Default)]
struct Account {
    failures: u32,
    locked_until: i64,
    last_ms: i64,
}

const GUARD_ENTRIES: usize = 10_000;

impl LoginGuard {
    /// Refuses an attempt if the client is over its rate or the account is locked; else
    /// counts it.
    pub fn admit(&self, state: &AppState, account: &str, client: Option<IpAddr>) -> ApiResult<()> {
        let now = state.now_ms();
        let s = state.settings();
        let lock_ms = i64::try_from(s.lockout_for.as_millis()).unwrap_or(i64::MAX);
        if let Some(ip) = client {
            // The accounts' counts hold even when a flood of addresses is forgotten.
            if let Err(retry) = self.clients.admit(now, ip, s.logins_per_minute) {
                return Err(ApiError::new(
                    Code::RateLimited,
                    format!("too many login attempts from your address; try again in {retry} s"),
                )
                .with_details(serde_json::json!({ "retry_after_s": retry })));
            }
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.accounts.len() > GUARD_ENTRIES {
            g.accounts
                .retain(|_, a| a.locked_until > now || a.last_ms > now.saturating_sub(lock_ms));
        }
        if g.accounts.len() > GUARD_ENTRIES {
            // Still full (many names guessed at lately): forget the half tried longest ago.
            // Never a locked account: a flood of names must not lift a lockout.
            let mut last: Vec<i64> = g.accounts.values().map(|a| a.last_ms).collect();
            last.sort_unstable();
            let cut = last[last.len() / 2];
            g.accounts
                .retain(|_, a| a.locked_until > now || a.last_ms > cut);
        }
        let a = g.accounts.entry(account.to_string()).or_default();
        if a.locked_until > now {
            return Err(locked((a.locked_until - now + 999) / 1000));
        }
        if a.locked_until != 0 {
            *a = Account::default();
        }
        if a.failures >= s.lockout_after {
            a.locked_until = now.saturating_add(lock_ms);
            return Err(locked((lock_ms + 999) / 1000));
        }
        a.failures += 1;
        a.last_ms = now;
        Ok(())
    }

    /// Accounts and addresses being counted.
    pub fn entries(&self) -> usize {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.accounts.len() + self.clients.entries()
    }

    /// The admitted attempt failed: the error to give (attempts left, or the lockout).
    pub fn failed(&self, state: &AppState, account: &str) -> ApiError {
        let now = state.now_ms();
        let s = state.settings();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let a = g.accounts.entry(account.to_string()).or_default();
        if a.failures >= s.lockout_after {
            let ms = i64::try_from(s.lockout_for.as_millis()).unwrap_or(i64::MAX);
            a.locked_until = now.saturating_add(ms);
            tracing::warn!(account, "account locked after repeated failed logins");
            return locked((ms + 999) / 1000);
        }
        let left = s.lockout_after - a.failures;
        ApiError::new(Code::BadCredentials, "wrong user name or password")
            .with_details(serde_json::json!({ "attempts_left": left }))
    }

    /// The admitted attempt succeeded: it no longer counts against the account or the
    /// address. A whole shift logging in from behind one NAT at 8:00 is not an attack;
    /// guessing is, and failures keep counting.
    pub fn succeeded(&self, account: &str, client: Option<IpAddr>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.accounts.remove(account);
        if let Some(ip) = client {
            self.clients.forgive(ip);
        }
    }
}

fn locked(retry_s: i64) -> ApiError {
    ApiError::new(
        Code::AccountLocked,
        format!(
            "too many failed logins: this account is locked for {} min",
            (retry_s + 59) / 60
        ),
    )
    .with_details(serde_json::json!({ "retry_after_s": retry_s }))
}

/// The client's address: the connection's, or — when that is this machine's own (a
/// reverse proxy in front, as the README sets one up) — the last address the proxy put in
/// `X-Forwarded-For`. A client elsewhere cannot choose its address this way.
pub fn client_ip(req_ext: &axum::http::Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())?;
    if !peer.is_loopback() {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        // The proxy's own entry, last; what the client sent before it is not believed.
        .next_back()
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    Some(forwarded.unwrap_or(peer))
}

/// The secret a request carries: `Authorization: Bearer …` or the session cookie.
fn presented_secret(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v
            .strip_prefix("Bearer ")
            .map(|t| (t.trim().to_string(), true));
    }
    cookie(headers, SESSION_COOKIE).map(|c| (c, false))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Middleware for every route but login and the OpenAPI document: finds the session, checks
/// the CSRF token on a cookie session's changes, checks the route's permission, and leaves
/// the [`Caller`] in the request's extensions.
pub async fn authenticate(
    State((state, perm)): State<(AppState, Perm)>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (secret, bearer) = presented_secret(req.headers()).ok_or_else(ApiError::unauthenticated)?;
    let hash = token_hash(&secret);
    let now = state.now_ms();
    let (session, user) = state
        .store()
        .session(&hash, now)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if bearer != (session.kind == store::SessionKind::Bearer) {
        return Err(ApiError::unauthenticated());
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !bearer && !safe {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf.as_str()) {
            return Err(ApiError::new(
                Code::CsrfFailed,
                format!("send the CSRF token from login in the `{CSRF_HEADER}` header"),
            ));
        }
    }
    if !allows(user.role, perm) || (perm.tenant_scoped() && user.tenant.is_none()) {
        return Err(ApiError::forbidden());
    }
    // Sliding expiry for browser sessions, written at most every tenth of the idle time.
    if !bearer {
        let idle = i64::try_from(state.settings().session_idle.as_millis()).unwrap_or(i64::MAX);
        if session.expires_at_ms - now < idle - idle / 10 {
            state.store().extend_session(&hash, now + idle).await?;
        }
    }
    req.extensions_mut().insert(Caller { user, session });
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 24: behind a proxy on this machine the client is the proxy's last entry;
    /// anyone else's `X-Forwarded-For` is not believed.
    #[test]
    fn issue_24_the_client_behind_a_local_proxy_is_counted_not_the_proxy() {
        let at = |peer: &str| {
            let mut ext = axum::http::Extensions::new();
            ext.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            ext
        };
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(&at("127.0.0.1:5000"), &h), ip("203.0.113.9"));
        assert_eq!(client_ip(&at("198.51.100.4:5000"), &h), ip("198.51.100.4"));
        assert_eq!(
            client_ip(&at("127.0.0.1:5000"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        let mut bad = HeaderMap::new();
        bad.insert("x-forwarded-for", "203.0.113.9, junk".parse().unwrap());
        assert_eq!(client_ip(&at("127.0.0.1:5000"), &bad), ip("127.0.0.1"));
        // One IPv6 subscriber's network is one client.
        let g = RateGuard::default();
        assert_eq!(g.admit(0, "2001:db8::1".parse().unwrap(), 1), Ok(()));
        assert!(g.admit(0, "2001:db8::2".parse().unwrap(), 1).is_err());
    }

    /// Issue 24: the public's searches are counted per address and minute, and a flood of
    /// addresses does not grow the count without bound.
    #[test]
    fn issue_24_the_public_is_rate_limited_per_address() {
        let g = RateGuard::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        let t = 1_000 * 60_000 + 15_000;
        for _ in 0..3 {
            assert_eq!(g.admit(t, ip, 3), Ok(()));
        }
        assert_eq!(g.admit(t, ip, 3), Err(45));
        assert_eq!(g.admit(t, other, 3), Ok(()));
        // The next minute starts afresh.
        assert_eq!(g.admit(t + 60_000, ip, 3), Ok(()));
        for i in 0..3 * GUARD_ENTRIES as u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            let _ = g.admit(t + 60_000, ip, 3);
        }
        assert!(g.entries() <= GUARD_ENTRIES + 1, "{}", g.entries());
    }

    /// Issue 20: the login guard remembers at most so many accounts and addresses, however
    /// many names and addresses a spread-out guesser uses (before, recent ones were all
    /// kept: a flood of new names grew it without bound).
    #[test]
    fn issue_20_the_login_guard_stays_bounded_under_a_flood_of_names() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = std::env::temp_dir().join(format!("hotline-guard-{}", std::process::id()));
            let store = store::Store::open(&format!("sqlite://{}/g.db", dir.display()))
                .await
                .unwrap();
            let state = AppState::new(store, crate::Clock::System, crate::Settings::default());
            let guard = LoginGuard::default();
            for i in 0..50_000u32 {
                let ip = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
                let _ = guard.admit(&state, &format!("water/guess-{i}"), Some(ip));
            }
            assert!(
                guard.entries() <= 2 * (GUARD_ENTRIES + 1),
                "{} entries",
                guard.entries()
            );
            let _ = std::fs::remove_dir_all(&dir);
        });
    }
}
