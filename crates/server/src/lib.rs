//! The application server: what turns the cores and the store into a contact center people
//! use. Auth and tenants, users and roles, customers (one view of every customer), the audit
//! log, live events; served as JSON over HTTP and a WebSocket with axum, described by an
//! OpenAPI document.
//!
//! Only this crate knows HTTP and JSON wire types (the DTOs in `dto` and beside the
//! handlers, converted by hand from the store's and the running center's types). It holds
//! no SQL (that is `store`) and no running center (that is `app`, whose domain errors it
//! maps to its table of codes).
//!
//! Every endpoint is one row of the route table ([`routes::table`]): method, path, the
//! permission it needs and the handler. The router, the permission check and the generated
//! tenant-isolation and role tests all read that table, so a new endpoint cannot skip them.

mod api;
mod auth;
pub mod demo;
pub mod dto;
pub mod error;
mod extract;
mod openapi;
mod ops;
pub mod perm;
pub mod routes;
mod sockets;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use store::{EventLog, Store};
use tokio::net::TcpListener;

pub use app::Clock;
pub use auth::{hash_password, token_hash};
pub use openapi::openapi_json;

/// Settings a deployment may change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A browser session ends after this long without a request (a shift and a half).
    pub session_idle: Duration,
    /// API tokens last this long.
    pub token_lifetime: Duration,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// Failed logins of one account before it is locked, and for how long.
    pub lockout_after: u32,
    pub lockout_for: Duration,
    /// Failed (or still unchecked) login attempts one client address may make a minute.
    pub logins_per_minute: u32,
    /// Requests to the public's API (the FAQ page's searches) one client address may make
    /// a minute.
    pub public_per_minute: u32,
    /// The built web app (`web/dist`), served at `/` with the API; `None` serves the API
    /// alone.
    pub web_dir: Option<std::path::PathBuf>,
    /// Lets `/metrics` be read from elsewhere than the loopback address, as a bearer token.
    pub metrics_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            session_idle: Duration::from_secs(12 * 3600),
            token_lifetime: Duration::from_secs(90 * 24 * 3600),
            secure_cookies: false,
            lockout_after: 5,
            lockout_for: Duration::from_secs(15 * 60),
            logins_per_minute: 30,
            public_per_minute: 120,
            web_dir: None,
            metrics_token: None,
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// The running center: everything a handler asks of it goes through here.
    app: app::App,
    settings: Settings,
    guard: auth::LoginGuard,
    public: auth::RateGuard,
    imports: api::imports::Imports,
    sockets: sockets::Sockets,
}

impl AppState {
    /// Must be called inside a tokio runtime (it starts the event-log writer).
    pub fn new(store: Store, clock: Clock, settings: Settings) -> AppState {
        AppState(Arc::new(Inner {
            app: app::App::new(store, clock),
            settings,
            guard: auth::LoginGuard::default(),
            public: auth::RateGuard::default(),
            imports: api::imports::Imports::default(),
            sockets: sockets::Sockets::default(),
        }))
    }

    /// The running center behind the API.
    pub fn app(&self) -> &app::App {
        &self.0.app
    }

    pub fn store(&self) -> &Store {
        self.0.app.store()
    }

    pub fn events(&self) -> &EventLog {
        self.0.app.events()
    }

    pub fn now_ms(&self) -> i64 {
        self.0.app.now_ms()
    }

    /// Counts a request to the public's API from `client`; refused when over its rate.
    pub fn admit_public(&self, client: Option<std::net::IpAddr>) -> error::ApiResult<()> {
        let Some(ip) = client else { return Ok(()) };
        self.0
            .public
            .admit(self.now_ms(), ip, self.0.settings.public_per_minute)
            .map_err(|retry| {
                error::ApiError::new(
                    error::Code::RateLimited,
                    format!("too many requests from your address; try again in {retry} s"),
                )
                .with_details(serde_json::json!({ "retry_after_s": retry }))
            })
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Accounts and client addresses the login guard is counting (bounded).
    #[doc(hidden)]
    pub fn login_guard_entries(&self) -> usize {
        self.0.guard.entries()
    }

    /// Connects telephony: from now on the routing engine's offers ring phones. Once only.
    pub fn attach_telephony(&self, t: Arc<telephony::Telephony>) {
        self.0.app.attach_telephony(t);
    }

    pub fn telephony(&self) -> Option<&Arc<telephony::Telephony>> {
        self.0.app.telephony()
    }

    /// Runs `job` on the tenant's engine, starting it if need be, and returns its result.
    pub async fn center<R: Send + 'static>(
        &self,
        tenant: store::TenantId,
        job: impl FnOnce(&mut app::center::Center) -> R + Send + 'static,
    ) -> error::ApiResult<R> {
        Ok(self.0.app.center(tenant, job).await?)
    }
}

/// The whole HTTP application, for a real listener or for `oneshot` tests.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish
/// and flushes the event log.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app(state.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let _ = state.events().flush().await;
    Ok(())
}
