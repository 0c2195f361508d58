//! Telephony: Hotline on the wire. SIP over UDP and TCP (rsipstack), a registrar for the
//! agents' phones, trunks that bring callers in, and a back-to-back user agent that answers
//! each caller, runs them through their IVR flow, queues them, rings the agent the routing
//! engine picks and bridges the two with the audio anchored here and recorded.
//!
//! What a call means to the business (tenants, queues, customers, the routing engine, the
//! event log) is the application's: it implements [`App`] and is told what happens through
//! [`App::report`]; it tells telephony what the routing engine decided with
//! [`Telephony::act`]. Nothing here knows HTTP or SQL.
//!
//! - [`sdp`], [`digest`], [`registrar`], [`headers`]: pure pieces, tested alone and fuzzed.
//! - [`rtp`]: the media of one call, a task per call.
//! - [`prompts`]: what callers hear; [`recorder`]: recordings written to disk.
//! - `sip`: the endpoint and REGISTER; `call`: one task per call; `shared`: what both hold.
//! - [`clock`]: the time of day, the system's or tokio's.
//! - [`wire`]: an in-memory datagram network to run SIP on in tests, on tokio's clock.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub mod clock;
pub mod digest;
pub mod fuzz;
pub mod headers;
pub mod prompts;
pub mod recorder;
pub mod registrar;
pub mod rtp;
pub mod screen;
pub mod sdp;
pub mod throttle;
pub mod wire;

mod call;
mod shared;
mod sip;

pub use clock::Clock;
pub use sip::Telephony;

/// How telephony is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// SIP listens here, on UDP and TCP.
    pub listen: SocketAddr,
    /// The address phones and trunks reach us at, for Contact, Via and SDP; the listen
    /// address if it is not a wildcard, else the first non-loopback one.
    pub public_ip: Option<IpAddr>,
    /// RTP ports, even ones used.
    pub rtp_ports: (u16, u16),
    /// The addresses of the trunks (carriers, PBXs) allowed to send calls in.
    pub trunks: Vec<IpAddr>,
    /// The trunk calls out go through (click-to-call, callbacks); none, no calls out.
    pub outbound: Option<SocketAddr>,
    /// Recordings and voicemail go under here.
    pub data_dir: PathBuf,
    /// Prompts (`<name>.wav`, 8 kHz mono) are read from here.
    pub prompts_dir: Option<PathBuf>,
    /// How long a graceful shutdown lets live calls go on.
    pub drain: Duration,
    /// A call whose phone or trunk sends no RTP this long is hung up.
    pub rtp_timeout: Duration,
}

/// Where a dialled number goes: the tenant, its IVR flow, and what is known of the caller.
#[derive(Debug, Clone)]
pub struct Route {
    pub tenant: i64,
    pub flow: ivr::Flow,
    /// For the flow's branches: `segment`, `customer_id`…
    pub vars: BTreeMap<String, String>,
    /// The calendars open now (a call's IVR lasts seconds; looked up once).
    pub open_calendars: Vec<String>,
    pub customer: Option<i64>,
}

/// An extension's credentials, for digest authentication.
#[derive(Debug, Clone)]
pub struct ExtensionAuth {
    pub tenant: i64,
    pub user: i64,
    /// `MD5(extension:realm:password)` in hex ([`digest::ha1`]): the password itself is
    /// never kept.
    pub ha1: String,
    /// The digest realm: the tenant's SIP domain.
    pub realm: String,
}

/// Telling waiting callers where they stand (排队位置播报), as their queue asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announce {
    /// Between announcements (the first comes a few seconds after queueing).
    pub every: Duration,
    /// Say how many callers are ahead.
    pub position: bool,
    /// Say about how long the wait will be.
    pub wait: bool,
}

/// Where a waiting caller stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Callers who will be served first.
    pub ahead: u32,
    /// The expected wait, when it can be estimated (someone serving the queue is logged in).
    pub wait: Option<Duration>,
}

/// A caller handed to the queues by the IVR.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The SIP Call-ID of the inbound call: the call's id everywhere.
    pub call_id: String,
    /// The caller's number as it came (the application normalises it).
    pub caller: String,
    pub dialled: String,
    pub customer: Option<i64>,
    pub queue: String,
    pub priority: i32,
    /// Milliseconds spent in the IVR.
    pub ivr_ms: u64,
    /// The nodes the caller went through.
    pub ivr_path: Vec<String>,
}

/// A call the agent asked to pass on (REFER from the phone, or the desktop).
#[derive(Debug, Clone)]
pub struct Transfer {
    pub call_id: String,
    /// A queue's key, or an extension of the tenant.
    pub to: String,
    /// The agent passing it on.
    pub from_agent: Option<i64>,
    /// The part of the call that begins now: 0 for the first agent, then 1, 2…
    pub segment: u32,
    pub caller: String,
    pub dialled: String,
    pub customer: Option<i64>,
}

/// Where a transfer goes, as the application decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    /// Queued again (the application queued it): the routing engine offers it, and the
    /// caller hears that queue's announcements, if it makes any.
    Queue(String, Option<Announce>),
    /// Straight to this user's phone.
    Agent(i64),
}

/// A call placed for an agent: their phone rings first, and once they answer the
/// customer is dialled through the outbound trunk.
#[derive(Debug, Clone)]
pub struct Dial {
    pub tenant: i64,
    /// The call's id (a callback keeps the id of the call it calls back).
    pub call_id: String,
    pub agent: i64,
    /// The customer's number, as the trunk takes it.
    pub number: String,
    /// The number the customer sees (the tenant's).
    pub from: String,
    pub customer: Option<i64>,
}

/// Who ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Caller,
    Agent,
    /// Hotline itself (no media, shutdown, the flow hung up).
    System,
}

/// What telephony tells the application, in order, per call.
#[derive(Debug, Clone)]
pub enum Report {
    /// A waiting caller was told their place.
    Announced {
        call_id: String,
        ahead: u32,
        wait_s: Option<u64>,
    },
    /// A call came in and was answered by the IVR (or, placed for an agent, was started).
    Arrived {
        call_id: String,
        caller: String,
        dialled: String,
    },
    /// The caller entered an IVR node (counted, so managers see where callers go).
    IvrNode {
        call_id: String,
        node: String,
    },
    /// The agent's phone is ringing (with what the call knows of the caller, for a call
    /// the routing engine does not follow).
    Ringing {
        call_id: String,
        agent: i64,
        extension: String,
        caller: String,
        dialled: String,
        customer: Option<i64>,
    },
    Answered {
        call_id: String,
        agent: i64,
    },
    /// The agent's phone refused or failed (busy, declined, unreachable): next agent.
    Declined {
        call_id: String,
        agent: i64,
        status: u16,
    },
    Hold {
        call_id: String,
        on: bool,
    },
    Recording {
        call_id: String,
        path: PathBuf,
    },
    RecordingFailed {
        call_id: String,
        error: String,
    },
    /// A message left in a mailbox.
    Voicemail {
        call_id: String,
        mailbox: String,
        path: PathBuf,
    },
    Ended {
        call_id: String,
        by: Party,
        reason: String,
        media: rtp::Summary,
        /// For the record of a call that never reached a queue.
        caller: String,
        dialled: String,
        customer: Option<i64>,
        arrived_at_ms: i64,
        ivr_ms: u64,
        /// The agent of the last part of the call (for a call placed for an agent, that
        /// agent, connected or not), and when they were connected to the customer.
        agent: Option<i64>,
        connected_at_ms: Option<i64>,
        /// The agent whose phone was still ringing for the call when it ended.
        ringing: Option<i64>,
        /// The last part's recording.
        recording: Option<PathBuf>,
        /// The last part of the call (see [`Transfer::segment`]).
        segment: u32,
        /// Placed by an agent ([`Dial`]) rather than taken from a trunk.
        outbound: bool,
        /// This part was the satisfaction survey after the agent (`agent`) hung up: the
        /// caller's key, `None` if they pressed none.
        survey: Option<Survey>,
    },
    /// A consultation on a connected call moved on: the agent (`agent`) consults the
    /// expert (`expert`, at extension `to`) while the customer is held.
    Consult {
        call_id: String,
        agent: Option<i64>,
        expert: i64,
        to: String,
        state: ConsultState,
    },
    /// Whether an agent's phone can be rung (registered or not any more).
    Reachable {
        user: i64,
        reachable: bool,
    },
}

/// Where a consultation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultState {
    /// The expert's phone rings.
    Ringing,
    /// The agent and the expert talk; the customer hears music.
    Talking,
    /// The expert took the call: the agent's part ended (attended transfer).
    Completed,
    /// Ended without a transfer (the agent went back to the customer, the expert hung up,
    /// or the call ended): the expert is free again.
    Cancelled,
    /// The expert's phone could not be rung or did not answer (the SIP status).
    Failed(u16),
}

impl ConsultState {
    pub fn name(self) -> &'static str {
        match self {
            ConsultState::Ringing => "ringing",
            ConsultState::Talking => "talking",
            ConsultState::Completed => "completed",
            ConsultState::Cancelled => "cancelled",
            ConsultState::Failed(_) => "failed",
        }
    }
}

/// What the application (the routing engine) asks of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring this agent's phone for the call.
    Offer { call_id: String, agent: i64 },
    /// Stop ringing (no answer in time, or the call went elsewhere).
    CancelOffer { call_id: String, agent: i64 },
    /// The queue gave up on the call: to voicemail, a callback, or disconnect.
    Overflow { call_id: String, to: Overflow },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overflow {
    Voicemail,
    Callback,
    Disconnect,
}

/// What telephony needs from the application.
#[async_trait::async_trait]
pub trait App: Send + Sync + 'static {
    /// Where a call to `dialled` from `caller` goes; `None` refuses it (404).
    async fn route(&self, dialled: &str, caller: &str) -> Option<Route>;
    /// An extension's credentials, by the domain it registers to (a tenant's SIP domain,
    /// or our address when the extension is unique) and its number.
    async fn extension(&self, domain: &str, extension: &str) -> Option<ExtensionAuth>;
    /// The realm to challenge an extension nobody has with: one a real extension at this
    /// domain could have, so that unknown and known extensions are answered alike.
    async fn realm(&self, domain: &str, _extension: &str) -> String {
        domain.to_string()
    }
    /// Queue the caller; an error is said to the caller as a failure and the call ends.
    /// The queue's announcements, if it makes them.
    async fn queue(&self, tenant: i64, call: Queued) -> Result<Option<Announce>, String>;
    /// Where a queued caller stands now; None when not waiting in line (ringing an agent,
    /// held for a sticky agent, gone).
    async fn place(&self, tenant: i64, call_id: &str) -> Option<Place>;
    /// A connected call is passed on: the application ends the agent's part and says where
    /// the call goes (having queued it, for a queue). An error leaves the call as it was.
    async fn transfer(&self, tenant: i64, transfer: Transfer) -> Result<TransferTo, String>;
    /// The agent on a connected call (`from_agent`) asks to consult `to`, an extension of
    /// the tenant: the application says whose it is and keeps them from being offered
    /// calls until the consultation ends ([`Report::Consult`]). An error refuses it.
    async fn consult(
        &self,
        tenant: i64,
        call_id: &str,
        to: &str,
        from_agent: Option<i64>,
    ) -> Result<i64, String>;
    /// The waiting caller chose to be called back: the application keeps their place in
    /// the queue; the call in hand ends after a last prompt.
    async fn callback(&self, tenant: i64, call_id: &str) -> Result<(), String>;
    /// The agent hung up on a caller from a trunk: the survey flow (满意度) the caller is
    /// passed to, if the tenant has one — the application has then ended the agent's part
    /// (part `segment` of the call follows). `None` hangs up as before.
    async fn survey(&self, _tenant: i64, _call_id: &str, _segment: u32) -> Option<ivr::Flow> {
        None
    }
    async fn report(&self, tenant: i64, report: Report);
    /// Keeps an extension's phones (its bindings now; none when it unregistered) so that a
    /// restart finds them; awaited before the phone is answered.
    async fn save_bindings(&self, _tenant: i64, _extension: &str, _now: &[registrar::Binding]) {}
    /// The phones kept, when telephony starts.
    async fn saved_bindings(&self) -> Vec<(registrar::Extension, registrar::Binding)> {
        Vec::new()
    }
}

/// What a caller said in the survey after their call with an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The agent rated.
    pub agent: i64,
    /// The flow's `score` variable, as collected (`5`); `None` if nothing was.
    pub score: Option<String>,
}

/// Telephony's counters, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Calls in progress.
    pub calls: usize,
    /// Recordings being written (of calls in progress).
    pub recordings: usize,
    /// Phones registered.
    pub registered: usize,
    /// REGISTERs refused for bad credentials or an unknown extension, since start.
    pub auth_failures: u64,
    /// REGISTERs refused unread from a barred source or to a barred extension.
    pub auth_barred: u64,
    /// RTP packets dropped because they came from somewhere a call's leg does not listen
    /// to, since start.
    pub rtp_strangers: u64,
}
