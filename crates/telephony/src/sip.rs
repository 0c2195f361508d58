//! The SIP endpoint: listeners, the loop that takes every incoming transaction, the
//! registrar's REGISTER handling, and the handle the application holds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Method, StatusCode, Transport};
use rsipstack::transaction::endpoint::{Endpoint, EndpointOption};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use tokio::sync::mpsc;

use crate::call;
use crate::digest::{self, Nonces, Verdict};
use crate::registrar::{RegisterError, Registrar};
use crate::screen::ScreenedUdp;
use crate::shared::{Command, Shared};
use crate::{Action, App, Clock, Config, Report, Stats, prompts::Prompts, rtp::Ports};

/// Telephony, running. The application keeps it in an `Arc` and tells it the routing
/// engine's decisions with [`Telephony::act`].
pub struct Telephony {
    /// What the call tasks hold too.
    shared: Arc<Shared>,
    endpoint: Endpoint,
    nonces: Nonces,
    token: CancellationToken,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony")
            .field("public", &self.shared.public)
            .field("calls", &self.live_calls())
            .finish_non_exhaustive()
    }
}

/// The address of the interface that routes outward (no packet is sent).
fn outward_ip() -> IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip())
}

impl Telephony {
    /// Binds SIP (UDP and TCP) and starts serving.
    pub async fn start(config: Config, app: Arc<dyn App>) -> Result<Arc<Telephony>, String> {
        let socket = ScreenedUdp::bind(config.listen)
            .map_err(|e| format!("SIP cannot listen on udp {}: {e}", config.listen))?;
        let (public, token, transports) = Telephony::transports(&config, Arc::new(socket)).await?;
        // rsipstack binds TCP when serving and only logs a failure: bind here first to say so.
        std::net::TcpListener::bind(config.listen)
            .map_err(|e| format!("SIP cannot listen on tcp {}: {e}", config.listen))?;
        let tcp = TcpListenerConnection::new(config.listen, Some(public))
            .await
            .map_err(|e| format!("SIP cannot listen on tcp {}: {e}", config.listen))?;
        transports.add_transport(tcp.into());
        Telephony::serve(config, Clock::System, app, public, token, transports).await
    }

    /// Serves SIP on an in-memory [`Wire`](crate::wire::Wire) at the listen address,
    /// UDP only and unscreened: the test harness's telephony, on tokio's clock.
    pub async fn start_on_wire(
        config: Config,
        app: Arc<dyn App>,
        wire: &crate::wire::Wire,
    ) -> Result<Arc<Telephony>, String> {
        Telephony::start_on_wire_with_clock(config, Clock::System, app, wire).await
    }

    /// [`Telephony::start_on_wire`] telling the time by `clock` ([`Clock::tokio`] for a
    /// harness whose registrations expire as its paused clock advances).
    pub async fn start_on_wire_with_clock(
        config: Config,
        clock: Clock,
        app: Arc<dyn App>,
        wire: &crate::wire::Wire,
    ) -> Result<Arc<Telephony>, String> {
        let socket = wire
            .bind(config.listen)
            .map_err(|e| format!("SIP cannot listen on the wire at {}: {e}", config.listen))?;
        let (public, token, transports) = Telephony::transports(&config, Arc::new(socket)).await?;
        Telephony::serve(config, clock, app, public, token, transports).await
    }

    /// Our public SIP address and a transport layer with `socket` as its UDP.
    async fn transports(
        config: &Config,
        socket: Arc<dyn rsipstack::platform::net::UdpSocket>,
    ) -> Result<(SocketAddr, CancellationToken, TransportLayer), String> {
        let ip = match (config.public_ip, config.listen.ip()) {
            (Some(ip), _) => ip,
            (None, ip) if !ip.is_unspecified() => ip,
            _ => outward_ip(),
        };
        let public = SocketAddr::new(ip, config.listen.port());
        let token = CancellationToken::new();
        let transports = TransportLayer::new(token.child_token());
        let udp = UdpConnection::from_socket(socket, Some(public), Some(token.child_token()))
            .await
            .map_err(|e| format!("SIP cannot listen on udp {}: {e}", config.listen))?;
        transports.add_transport(udp.into());
        Ok((public, token, transports))
    }

    /// Starts the endpoint on its transports, and the tasks beside it, with the phones
    /// registered before a restart.
    async fn serve(
        config: Config,
        clock: Clock,
        app: Arc<dyn App>,
        public: SocketAddr,
        token: CancellationToken,
        transports: TransportLayer,
    ) -> Result<Arc<Telephony>, String> {
        let ip = public.ip();
        let endpoint = EndpointBuilder::new()
            .with_user_agent(concat!("Hotline/", env!("CARGO_PKG_VERSION")))
            .with_transport_layer(transports)
            .with_cancel_token(token.clone())
            .with_option(EndpointOption::default())
            .build();
        let mut incoming = endpoint
            .incoming_transactions()
            .map_err(|e| format!("SIP endpoint: {e}"))?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let (fail_tx, mut fail_rx) = mpsc::unbounded_channel();
        let recorder = crate::recorder::Recorder::start(16_384, move |f| {
            let _ = fail_tx.send(f);
        });
        let rtp_ip = if config.listen.ip().is_unspecified() {
            config.listen.ip()
        } else {
            ip
        };
        let t = Arc::new(Telephony {
            shared: Arc::new(Shared {
                ports: Ports::new(rtp_ip, config.rtp_ports.0, config.rtp_ports.1),
                prompts: Prompts::load(config.prompts_dir.as_deref())
                    .with_speech(config.data_dir.join("tts")),
                config,
                app,
                dialogs,
                registrar: Mutex::new(Registrar::new()),
                registering: tokio::sync::Mutex::new(()),
                guard: crate::shared::Guard::new(),
                recorder,
                recordings: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                calls: Mutex::new(HashMap::new()),
                public,
                draining: AtomicBool::new(false),
                clock,
            }),
            endpoint,
            nonces: Nonces::random(),
            token,
        });
        let inner = t.endpoint.inner.clone();
        tokio::spawn(async move { inner.serve().await });
        let me = t.clone();
        tokio::spawn(async move {
            while let Some(tx) = incoming.recv().await {
                me.clone().take(tx);
            }
        });
        let me = Arc::downgrade(&t);
        tokio::spawn(async move {
            while let Some(f) = fail_rx.recv().await {
                let Some(t) = me.upgrade() else { return };
                let owner = t
                    .shared
                    .recordings
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&f.recording);
                if owner.is_none() {
                    tracing::error!(
                        "recording {} failed after its call ended: {}",
                        f.path.display(),
                        f.error
                    );
                }
                if let Some((tenant, call_id)) = owner {
                    let error = format!("{}: {}", f.path.display(), f.error);
                    tracing::error!(call_id, "recording failed: {error}");
                    t.shared
                        .app
                        .report(tenant, Report::RecordingFailed { call_id, error })
                        .await;
                }
            }
        });
        let me = Arc::downgrade(&t);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                let Some(t) = me.upgrade() else { return };
                let gone = t.shared.registrar().expire(t.shared.clock.now_ms());
                for (tenant, user) in gone {
                    t.shared
                        .app
                        .report(
                            tenant,
                            Report::Reachable {
                                user,
                                reachable: false,
                            },
                        )
                        .await;
                }
            }
        });
        t.restore().await;
        tracing::info!(%public, "SIP listening on udp and tcp {}", t.shared.config.listen);
        Ok(t)
    }

    /// Puts back the registrations kept before a restart: the agents' phones are reachable
    /// at once, without waiting for them to register again. (The application asks
    /// [`Telephony::is_reachable`] once it has attached telephony.)
    async fn restore(&self) {
        let saved = self.shared.app.saved_bindings().await;
        let now = self.shared.clock.now_ms();
        let mut r = self.shared.registrar();
        for (ext, b) in saved {
            r.restore(now, ext, b);
        }
        if !r.is_empty() {
            tracing::info!("{} phones' registrations restored", r.len());
        }
    }

    /// A user was deactivated: their phones are forgotten at once (no call rings them, and
    /// the registrar refuses them from now on, as the application no longer knows them).
    pub async fn forget_user(&self, tenant: i64, user: i64) {
        let _in_turn = self.shared.registering.lock().await;
        let gone = self.shared.registrar().forget_user(tenant, user);
        for ext in &gone {
            self.shared.app.save_bindings(tenant, &ext.1, &[]).await;
        }
        if !gone.is_empty() {
            let unreachable = Report::Reachable {
                user,
                reachable: false,
            };
            self.shared.app.report(tenant, unreachable).await;
        }
    }

    /// The application rebuilt the tenant's routing engine (after a failure): callers
    /// waiting in line are queued in it again.
    pub fn requeue(&self, tenant: i64) {
        let calls = self.shared.calls.lock().unwrap_or_else(|e| e.into_inner());
        for (t, commands) in calls.values() {
            if *t == tenant {
                let _ = commands.send(crate::shared::Command::Requeue);
            }
        }
    }

    /// Counters since start, for `/metrics`.
    pub fn stats(&self) -> Stats {
        Stats {
            calls: self.live_calls(),
            recordings: self.shared.recordings_followed(),
            registered: self.shared.registrar().len(),
            auth_failures: self.shared.guard.failures.load(Ordering::Relaxed),
            auth_barred: self.shared.guard.barred.load(Ordering::Relaxed),
            rtp_strangers: crate::rtp::strangers_dropped(),
        }
    }

    /// Where phones and trunks send SIP.
    pub fn sip_address(&self) -> SocketAddr {
        self.shared.public
    }

    pub fn live_calls(&self) -> usize {
        self.shared.live_calls()
    }

    /// Makes a prompt ready before a caller needs it (a text spoken now, in the
    /// background), so the first caller does not wait for it.
    pub fn prepare_prompt(&self, prompt: String) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            shared.prompts.prompt(&prompt).await;
        });
    }

    /// Whether a user has a phone registered now.
    pub fn is_reachable(&self, tenant: i64, user: i64) -> bool {
        !self.shared.registrar().of_user(tenant, user).is_empty()
    }

    /// Whether the tenant has this call live.
    pub fn is_live(&self, tenant: i64, call_id: &str) -> bool {
        self.shared.call(call_id).is_some_and(|(t, _)| t == tenant)
    }

    /// Places a call for an agent: their phone rings, and once they answer the customer
    /// is dialled through the outbound trunk. Refused at once if there is no outbound
    /// trunk, the agent has no registered phone, or the call id is in use.
    pub fn dial(self: &Arc<Self>, dial: crate::Dial) -> Result<(), String> {
        if self.shared.draining() {
            return Err("shutting down".into());
        }
        if self.shared.config.outbound.is_none() {
            return Err("no outbound trunk is configured (--trunk-out)".into());
        }
        if !self.is_reachable(dial.tenant, dial.agent) {
            return Err("the agent's phone is not registered".into());
        }
        let commands = self
            .shared
            .enlist(dial.tenant, &dial.call_id)
            .ok_or("a call with this id is live")?;
        tokio::spawn(call::outbound(self.shared.clone(), dial, commands));
        Ok(())
    }

    /// Passes a connected call on to a queue or an extension, as a REFER from the
    /// agent's phone would; `by`, if given, must be the agent connected to it.
    pub async fn transfer(
        &self,
        tenant: i64,
        call_id: &str,
        by: Option<i64>,
        to: &str,
    ) -> Result<(), String> {
        let to = to.to_string();
        self.ask(tenant, call_id, |tx| Command::Transfer(to, by, tx))
            .await
    }

    /// Consults an extension (an expert) on a connected call: the customer hears music
    /// while the expert's phone rings and the agent talks with them; `by`, if given, must
    /// be the agent connected to it.
    pub async fn consult(
        &self,
        tenant: i64,
        call_id: &str,
        by: Option<i64>,
        to: &str,
    ) -> Result<(), String> {
        let to = to.to_string();
        self.ask(tenant, call_id, |tx| Command::Consult(to, by, tx))
            .await
    }

    /// Ends a consultation: `completed`, the expert takes the call (attended transfer);
    /// otherwise the expert is let go and the agent is back with the customer.
    pub async fn end_consult(
        &self,
        tenant: i64,
        call_id: &str,
        by: Option<i64>,
        completed: bool,
    ) -> Result<(), String> {
        self.ask(tenant, call_id, |tx| Command::EndConsult(completed, by, tx))
            .await
    }

    /// Holds the customer of a connected call (music) or takes them off hold; `by`, if
    /// given, must be the agent connected to it.
    pub async fn hold(
        &self,
        tenant: i64,
        call_id: &str,
        by: Option<i64>,
        on: bool,
    ) -> Result<(), String> {
        self.ask(tenant, call_id, |tx| Command::Hold(on, by, tx))
            .await
    }

    /// Asks a live call of the tenant to do something, and waits for its answer.
    async fn ask(
        &self,
        tenant: i64,
        call_id: &str,
        command: impl FnOnce(tokio::sync::oneshot::Sender<Result<(), String>>) -> Command,
    ) -> Result<(), String> {
        let call = self
            .shared
            .call(call_id)
            .filter(|(t, _)| *t == tenant)
            .ok_or("no such live call")?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        call.1.send(command(tx)).map_err(|_| "the call ended")?;
        rx.await.map_err(|_| "the call ended".to_string())?
    }

    /// Carries out a decision of the routing engine.
    pub fn act(&self, action: Action) {
        let call_id = match &action {
            Action::Offer { call_id, .. }
            | Action::CancelOffer { call_id, .. }
            | Action::Overflow { call_id, .. } => call_id.clone(),
        };
        // A call already gone needs nothing more: its `Ended` report, on its way to the
        // engine, withdraws whatever the engine offered meanwhile.
        if let Some((_, call)) = self.shared.call(&call_id) {
            let _ = call.send(Command::Act(action));
        }
    }

    /// Stops taking new calls, lets live ones go on for the configured time, then hangs
    /// up the rest and stops SIP.
    pub async fn shutdown(&self) {
        self.shared.draining.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + self.shared.config.drain;
        while self.live_calls() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let calls: Vec<_> = self
            .shared
            .calls
            .lock()
            .map(|c| c.values().map(|(_, tx)| tx.clone()).collect())
            .unwrap_or_default();
        for c in calls {
            let _ = c.send(Command::Hangup("shutdown".into()));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.live_calls() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.token.cancel();
    }

    fn take(self: Arc<Self>, mut tx: Transaction) {
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        let method = tx.original.method;
        tokio::spawn(async move {
            if in_dialog {
                match self.shared.dialogs.match_dialog(&tx) {
                    Some(mut d) => {
                        let _ = d.handle(&mut tx).await;
                    }
                    None => {
                        let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                    }
                }
                return;
            }
            match method {
                Method::Invite => call::inbound(self.shared.clone(), tx).await,
                Method::Register => self.register(tx).await,
                Method::Options => {
                    let _ = tx.reply(StatusCode::OK).await;
                }
                Method::Bye | Method::Info | Method::Refer | Method::Update | Method::PRack => {
                    let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                }
                _ => {
                    let allow = Header::Other(
                        "Allow".into(),
                        "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER".into(),
                    );
                    let _ = tx
                        .reply_with(StatusCode::MethodNotAllowed, vec![allow], None)
                        .await;
                }
            }
        });
    }

    async fn register(&self, mut tx: Transaction) {
        let now = self.shared.clock.now_ms();
        let (status, headers) = match self.registration(&tx, now).await {
            Ok(headers) => (StatusCode::OK, headers),
            Err((status, headers)) => (status, headers),
        };
        let _ = tx.reply_with(status, headers, None).await;
    }

    /// The answer to a REGISTER: the headers of a 200, or the refusal.
    async fn registration(
        &self,
        tx: &Transaction,
        now: i64,
    ) -> Result<Vec<Header>, (StatusCode, Vec<Header>)> {
        let req = &tx.original;
        let bad = |why: &str| {
            (
                StatusCode::BadRequest,
                vec![Header::Other(
                    "Warning".into(),
                    format!("399 hotline \"{why}\""),
                )],
            )
        };
        let to = req
            .to_header()
            .ok()
            .and_then(|t| t.uri().ok())
            .ok_or_else(|| bad("no To URI"))?;
        let ext = to.user().unwrap_or_default().to_string();
        let domain = to.host_with_port.host.to_string();
        let source = tx
            .connection
            .as_ref()
            .and_then(|c| c.get_remote_addr())
            .and_then(|a| a.get_socketaddr().ok())
            .ok_or_else(|| bad("no source address"))?;
        let guard = &self.shared.guard;
        let forbidden = || (StatusCode::Forbidden, Vec::new());
        // A source that keeps failing is refused before anything is looked up — unless
        // phones registered from it (an office behind one NAT is not shut out by one
        // misconfigured phone).
        if guard.sources().barred(&source.ip(), now)
            && !self.shared.registrar().has_source(source.ip())
        {
            guard.barred.fetch_add(1, Ordering::Relaxed);
            return Err(forbidden());
        }
        // Unknown and known extensions are answered alike: challenged, then refused.
        let auth = self.shared.app.extension(&domain, &ext).await;
        let realm = match &auth {
            Some(a) => a.realm.clone(),
            None => self.shared.app.realm(&domain, &ext).await,
        };
        let challenge = |stale: bool| {
            (
                StatusCode::Unauthorized,
                vec![Header::WwwAuthenticate(
                    self.nonces.challenge(&realm, now, stale).into(),
                )],
            )
        };
        let creds = req
            .authorization_header()
            .and_then(|h| digest::parse(h.value()))
            .ok_or_else(|| challenge(false))?;
        // An extension under attack stays open to the places its phones registered from.
        let ext_key = (realm.clone(), ext.clone());
        if guard.extensions().barred(&ext_key, now) {
            let known = auth.as_ref().is_some_and(|a| {
                self.shared
                    .registrar()
                    .of_user(a.tenant, a.user)
                    .iter()
                    .any(|b| b.source.ip() == source.ip())
            });
            if !known {
                guard.barred.fetch_add(1, Ordering::Relaxed);
                return Err(forbidden());
            }
        }
        let verdict = match &auth {
            Some(a) if creds.username == ext => {
                self.nonces.check(&creds, &a.realm, &a.ha1, "REGISTER", now)
            }
            _ => Verdict::Refused,
        };
        let auth = match (verdict, auth) {
            // A success does not clear the source's failures: guesses spread between
            // good REGISTERs still add up.
            (Verdict::Ok, Some(auth)) => auth,
            (Verdict::Stale | Verdict::Replayed, _) => return Err(challenge(true)),
            _ => {
                guard.failures.fetch_add(1, Ordering::Relaxed);
                let by_source = guard.sources().fail(source.ip(), now);
                let by_ext = guard.extensions().fail(ext_key, now);
                if by_source || by_ext {
                    tracing::warn!(%source, ext, "REGISTER barred after repeated failures");
                }
                return Err(forbidden());
            }
        };
        let expires = req
            .expires_header()
            .and_then(|e| e.value().trim().parse::<u32>().ok());
        let raw: Vec<String> = req
            .contact_headers()
            .iter()
            .map(|c| c.value().to_string())
            .collect();
        let contacts = if raw.iter().any(|c| c.trim() == "*") {
            None
        } else {
            Some(
                raw.iter()
                    .flat_map(|v| crate::headers::contacts(v))
                    .collect::<Vec<_>>(),
            )
        };
        let call_id = req
            .call_id_header()
            .map(|c| c.value().to_string())
            .unwrap_or_default();
        let cseq = req
            .cseq_header()
            .ok()
            .and_then(|c| c.seq().ok())
            .unwrap_or(0);
        let transport = match tx.connection.as_ref().map(|c| c.transport()) {
            Some(Transport::Tcp) => "tcp",
            _ => "udp",
        };
        let ext_key = (auth.tenant, ext);
        let _in_turn = self.shared.registering.lock().await;
        let (before, result) = {
            let mut r = self.shared.registrar();
            let before = !r.of_user(auth.tenant, auth.user).is_empty();
            let result = r.register(
                now,
                &ext_key,
                &crate::registrar::Register {
                    user: auth.user,
                    source,
                    transport,
                    call_id: &call_id,
                    cseq,
                    contacts,
                    expires,
                },
            );
            (before, result)
        };
        let bindings = result.map_err(|e| match e {
            RegisterError::TooBrief => (
                StatusCode::IntervalTooBrief,
                vec![Header::Other(
                    "Min-Expires".into(),
                    crate::registrar::MIN_EXPIRES.to_string(),
                )],
            ),
            RegisterError::TooManyContacts => (
                StatusCode::Forbidden,
                vec![Header::Other(
                    "Warning".into(),
                    format!("399 hotline \"{e}\""),
                )],
            ),
            e => bad(&e.to_string()),
        })?;
        // Kept before the phone is told, so a restart still knows where it is.
        self.shared
            .app
            .save_bindings(auth.tenant, &ext_key.1, &bindings)
            .await;
        let after = !bindings.is_empty();
        if before != after {
            self.shared
                .app
                .report(
                    auth.tenant,
                    Report::Reachable {
                        user: auth.user,
                        reachable: after,
                    },
                )
                .await;
        }
        Ok(bindings
            .iter()
            .map(|b| {
                let left = (b.expires_at_ms - now).max(0) / 1000;
                Header::Contact(format!("<{}>;expires={left}", b.contact).into())
            })
            .collect())
    }
}
