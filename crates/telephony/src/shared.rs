//! What the SIP endpoint and the call tasks share: the configuration, the application, the
//! dialog layer, the registrar, the media resources and the live calls by id. The endpoint
//! (`sip`) starts call tasks and sends them [`Command`]s; a call task (`call`) holds this
//! and never the endpoint, so neither module needs the other's insides.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Transport, Uri};
use rsipstack::transport::SipAddr;
use tokio::sync::{mpsc, oneshot};

use crate::registrar::{Binding, Registrar};
use crate::throttle::{self, Throttle};
use crate::{Action, App, Clock, Config, prompts::Prompts, rtp::Ports};

/// What reaches a call from outside its own dialogs.
#[derive(Debug)]
pub(crate) enum Command {
    Act(Action),
    /// Pass the call on to a queue or an extension, asked by this agent (if any); the
    /// answer says whether it went.
    Transfer(String, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// Consult an extension (an expert) on the connected call, asked by this agent; the
    /// customer is held meanwhile.
    Consult(String, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// End the consultation, asked by this agent: completed (the expert takes the call)
    /// or not (back to the customer).
    EndConsult(bool, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// Hold the customer (music) or take them off hold, asked by this agent.
    Hold(bool, Option<i64>, oneshot::Sender<Result<(), String>>),
    Hangup(String),
    /// The application's routing engine was rebuilt and no longer knows the call: a caller
    /// waiting in line is queued again.
    Requeue,
}

/// Failed registrations, counted per source address and per extension (realm, number).
#[derive(Debug)]
pub(crate) struct Guard {
    sources: Mutex<Throttle<IpAddr>>,
    extensions: Mutex<Throttle<(String, String)>>,
    /// REGISTERs refused for a wrong password, an unknown extension…
    pub(crate) failures: AtomicU64,
    /// REGISTERs refused unread, from a barred source or to a barred extension.
    pub(crate) barred: AtomicU64,
}

impl Guard {
    pub(crate) fn new() -> Guard {
        Guard {
            sources: Mutex::new(Throttle::new(throttle::PER_SOURCE)),
            extensions: Mutex::new(Throttle::new(throttle::PER_EXTENSION)),
            failures: AtomicU64::new(0),
            barred: AtomicU64::new(0),
        }
    }

    pub(crate) fn sources(&self) -> MutexGuard<'_, Throttle<IpAddr>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn extensions(&self) -> MutexGuard<'_, Throttle<(String, String)>> {
        self.extensions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The state the endpoint and every call task hold in common.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) app: Arc<dyn App>,
    pub(crate) dialogs: Arc<DialogLayer>,
    pub(crate) registrar: Mutex<Registrar>,
    /// REGISTERs that change bindings take turns from the change to its saving, so the
    /// store never keeps an older list than the registrar.
    pub(crate) registering: tokio::sync::Mutex<()>,
    pub(crate) guard: Guard,
    pub(crate) ports: Ports,
    pub(crate) prompts: Prompts,
    pub(crate) recorder: crate::recorder::Recorder,
    /// Recordings in progress: the recorder's id → (tenant, call id), for failures.
    pub(crate) recordings: Mutex<HashMap<u64, (i64, String)>>,
    pub(crate) next_id: AtomicU64,
    /// Live calls by id: their tenant and their task.
    pub(crate) calls: Mutex<HashMap<String, (i64, mpsc::UnboundedSender<Command>)>>,
    /// Where phones and trunks reach us (signalling).
    pub(crate) public: SocketAddr,
    /// Set once a graceful shutdown began: no new calls.
    pub(crate) draining: AtomicBool,
    /// The time of day, as the application gave it.
    pub(crate) clock: Clock,
}

impl Shared {
    pub(crate) fn live_calls(&self) -> usize {
        self.calls.lock().map_or(0, |c| c.len())
    }

    pub(crate) fn registrar(&self) -> MutexGuard<'_, Registrar> {
        self.registrar.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a call's id for a new call task; `None` if a call with that id is live.
    pub(crate) fn enlist(
        &self,
        tenant: i64,
        call_id: &str,
    ) -> Option<mpsc::UnboundedReceiver<Command>> {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls.contains_key(call_id) {
            return None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        calls.insert(call_id.to_string(), (tenant, tx));
        Some(rx)
    }

    /// The call ended: it is no longer live, and its recordings are no longer followed.
    pub(crate) fn delist(&self, call_id: &str) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(call_id);
        self.recordings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, id)| id != call_id);
    }

    /// Recordings followed (of live calls).
    pub(crate) fn recordings_followed(&self) -> usize {
        self.recordings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub(crate) fn call(&self, call_id: &str) -> Option<(i64, mpsc::UnboundedSender<Command>)> {
        self.calls.lock().ok().and_then(|c| c.get(call_id).cloned())
    }

    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Our Contact for dialogs over `transport`.
    pub(crate) fn contact(&self, transport: Transport) -> Uri {
        let tcp = if transport == Transport::Tcp {
            ";transport=tcp"
        } else {
            ""
        };
        let text = format!("sip:hotline@{}{tcp}", self.public);
        Uri::try_from(text.as_str()).unwrap_or_default()
    }

    pub(crate) fn trunk_allows(&self, ip: IpAddr) -> bool {
        self.config.trunks.contains(&ip)
    }
}

/// Where to send requests to a registered phone, over its transport. Over UDP, the port its
/// Contact names if the Contact has the address the REGISTER came from (a phone may
/// register from one port and listen on another, or be registered by a provisioning
/// tool); otherwise, and over TCP, the address it registered from, so phones behind NAT
/// are reached.
pub(crate) fn phone_target(b: &Binding, ext: &str) -> (Uri, SipAddr) {
    let tcp = b.transport == "tcp";
    let to = match crate::headers::uri_addr(&b.contact) {
        Some(contact) if !tcp && contact.ip() == b.source.ip() => contact,
        _ => b.source,
    };
    let text = format!("sip:{ext}@{to}{}", if tcp { ";transport=tcp" } else { "" });
    let uri = Uri::try_from(text.as_str()).unwrap_or_default();
    let mut addr = SipAddr::from(to);
    addr.r#type = Some(if tcp { Transport::Tcp } else { Transport::Udp });
    (uri, addr)
}
