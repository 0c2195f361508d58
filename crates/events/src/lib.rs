//! Every kind of event on Hotline's event log, with its typed payload: the contract between
//! the running center that writes them, the store that keeps them, the reports and CDRs that
//! read them back and the web app that receives them live.
//!
//! Each kind is one type here with its name ([`Payload::KIND`]) and, beside it, the one
//! function that makes its event id (unique in the tenant for this happening, so a retry is
//! counted once). Writers build the type; readers parse into it ([`Event::parse`]) and
//! report what does not parse — never skip it silently. Field names are the log's format:
//! renaming one breaks what is stored, so add fields (with a default) rather than rename.
//!
//! Pure: no I/O, no clock. The routing engine's own events are carried as they are
//! ([`AcdEvent`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A payload type and the kind of event it is.
pub trait Payload: Serialize + DeserializeOwned {
    /// The event's kind on the log: `call.ended`.
    const KIND: &'static str;

    /// The payload as the log stores it.
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// An event whose payload does not parse as its kind says (written by another version, or
/// damaged). Readers log and count it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a `{kind}` event does not parse: {reason}")]
pub struct Unreadable {
    pub kind: String,
    pub reason: String,
}

/// Parses a stored payload of kind `P`.
pub fn parse<P: Payload>(payload: &Value) -> Result<P, Unreadable> {
    P::deserialize(payload).map_err(|e| Unreadable {
        kind: P::KIND.to_string(),
        reason: e.to_string(),
    })
}

macro_rules! payload {
    ($(#[$meta:meta])* $name:ident = $kind:literal { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
        pub struct $name { $($body)* }

        impl Payload for $name {
            const KIND: &'static str = $kind;
        }
    };
}

/// A carrier's Call-ID (or another outside string) as a part of an event id: as it is
/// up to `max` bytes, else `~` and 24 hex digits of its SHA-256, so every id stays within
/// the log's 128 characters however long the carrier makes its Call-IDs.
fn bounded(part: &str, max: usize) -> std::borrow::Cow<'_, str> {
    use sha2::Digest;
    if part.len() <= max {
        return part.into();
    }
    let digest = sha2::Sha256::digest(part.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("~{hex}").into()
}

fn call(call_id: &str) -> std::borrow::Cow<'_, str> {
    bounded(call_id, 48)
}

fn ivr_node(node: &str) -> std::borrow::Cow<'_, str> {
    bounded(node, 24)
}

// ----- calls ----------------------------------------------------------------------------------

payload!(
    /// A call came in (answered by the IVR), or was started for an agent.
    CallArrived = "call.arrived" {
        pub call_id: String,
        pub caller: String,
        pub dialled: String,
    }
);

impl CallArrived {
    pub fn id(call_id: &str) -> String {
        format!("arrived:{}", call(call_id))
    }
}

payload!(
    /// The caller reached a node of the IVR flow.
    IvrNode = "ivr.node" {
        pub call_id: String,
        pub node: String,
    }
);

impl IvrNode {
    pub fn id(call_id: &str, node: &str, at_ms: i64) -> String {
        format!("ivr:{}:{}:{at_ms}", call(call_id), ivr_node(node))
    }
}

payload!(
    /// The IVR handed the call to a queue.
    CallQueued = "call.queued" {
        pub call_id: String,
        pub queue: String,
        pub customer_id: Option<i64>,
        pub ivr_ms: u64,
        pub ivr_path: Vec<String>,
    }
);

impl CallQueued {
    pub fn id(call_id: &str) -> String {
        format!("queued:{}", call(call_id))
    }
}

payload!(
    /// An agent's phone rings for the call: the screen pop.
    CallRinging = "call.ringing" {
        pub call_id: String,
        /// The agent rung (also as `to_user_id`, which agents' streams filter on).
        pub user_id: i64,
        pub to_user_id: i64,
        pub extension: String,
        pub caller: String,
        pub customer_id: Option<i64>,
        /// Empty for a call rung straight to an extension.
        pub queue: String,
        pub dialled: String,
        pub ivr_ms: u64,
        pub ivr_path: Vec<String>,
        /// Since the call arrived in its first queue.
        pub waited_ms: i64,
        /// A 回访 task: the work order whose customer the agent is to call back. Offered
        /// on the desktop; the agent places the call from there (click-to-call).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub order_id: Option<i64>,
    }
);

impl CallRinging {
    pub fn id(call_id: &str, user_id: i64, at_ms: i64) -> String {
        format!("ringing:{}:{user_id}:{at_ms}", call(call_id))
    }
}

payload!(
    /// The call was passed on to a queue or an extension; its next part starts.
    CallTransferred = "call.transferred" {
        pub call_id: String,
        pub from_agent: Option<i64>,
        /// The queue's key or the extension.
        pub to: String,
        pub segment: u32,
        pub to_user_id: Option<i64>,
    }
);

impl CallTransferred {
    pub fn id(call_id: &str, segment: u32) -> String {
        format!("transferred:{}:{segment}", call(call_id))
    }
}

payload!(
    /// A waiting caller asked to be called back; their place is kept.
    CallbackRequested = "call.callback_requested" {
        pub call_id: String,
    }
);

impl CallbackRequested {
    pub fn id(call_id: &str) -> String {
        format!("callback:{}", call(call_id))
    }
}

payload!(
    /// The call's recording began (a part of the call: `segment`); the file grows as the
    /// call goes on. Its CDR names it too, unless the call was cut off by a crash.
    RecordingStarted = "call.recording" {
        pub call_id: String,
        pub path: String,
    }
);

impl RecordingStarted {
    pub fn id(call_id: &str, path: &str) -> String {
        format!("recording:{}:{}", call(call_id), bounded(path, 48))
    }
}

payload!(
    /// The call's recording could not be written; the call went on.
    RecordingFailed = "call.recording_failed" {
        pub call_id: String,
        pub error: String,
    }
);

impl RecordingFailed {
    pub fn id(call_id: &str) -> String {
        format!("recording-failed:{}", call(call_id))
    }
}

payload!(
    /// The caller left a message.
    Voicemail = "call.voicemail" {
        pub call_id: String,
        pub mailbox: String,
        pub path: String,
    }
);

impl Voicemail {
    pub fn id(call_id: &str) -> String {
        format!("voicemail:{}", call(call_id))
    }
}

payload!(
    /// A waiting caller was told their place and the expected wait.
    CallAnnounced = "call.announced" {
        pub call_id: String,
        pub ahead: u32,
        pub wait_s: Option<u64>,
    }
);

impl CallAnnounced {
    pub fn id(call_id: &str, at_ms: i64) -> String {
        format!("announced:{}:{at_ms}", call(call_id))
    }
}

payload!(
    /// A consultation's step: the expert rings, talks, takes the call, or not.
    CallConsult = "call.consult" {
        pub call_id: String,
        pub agent_id: Option<i64>,
        pub expert_id: i64,
        /// The extension consulted.
        pub to: String,
        /// `ringing`, `talking`, `completed`, `cancelled` or `failed`.
        pub state: String,
        /// The SIP status of a failure.
        pub status: Option<u16>,
    }
);

impl CallConsult {
    pub fn id(call_id: &str, expert_id: i64, state: &str, at_ms: i64) -> String {
        format!("consult:{}:{expert_id}:{state}:{at_ms}", call(call_id))
    }
}

payload!(
    /// An agent placed a call from the desktop (click-to-call).
    CallPlaced = "call.placed" {
        pub call_id: String,
        pub user_id: i64,
        pub number: String,
        pub customer_id: Option<i64>,
    }
);

impl CallPlaced {
    pub fn id(call_id: &str) -> String {
        format!("placed:{}", call(call_id))
    }
}

payload!(
    /// An agent's wrap-up of a call: the disposition code and notes.
    CallWrapup = "call.wrapup" {
        pub call_id: String,
        pub user_id: i64,
        /// The agent's display name.
        pub agent: String,
        pub disposition: String,
        pub notes: String,
        pub customer_id: Option<i64>,
        /// The customer's journey stage the agent tagged (`search`, `select`, `buy`,
        /// `receive`, `return`; R3.5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub journey: Option<String>,
    }
);

impl CallWrapup {
    pub fn id(call_id: &str, user_id: i64, at_ms: i64) -> String {
        format!("wrapup:{}:{user_id}:{at_ms}", call(call_id))
    }
}

/// How a part of a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    Abandoned,
    Voicemail,
    Callback,
    Disconnected,
    Overflowed,
    /// A callback the agent placed.
    CallbackDone,
    /// Ended in the IVR, never queued.
    Ivr,
    /// Placed by an agent.
    Outbound,
    /// Live when the center stopped (a crash, a kill): closed when it came back.
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::Voicemail => "voicemail",
            Outcome::Callback => "callback",
            Outcome::Disconnected => "disconnected",
            Outcome::Overflowed => "overflowed",
            Outcome::CallbackDone => "callback_done",
            Outcome::Ivr => "ivr",
            Outcome::Outbound => "outbound",
            Outcome::Interrupted => "interrupted",
        }
    }
}

impl From<acd::Outcome> for Outcome {
    fn from(o: acd::Outcome) -> Outcome {
        use acd::Overflow;
        match o {
            acd::Outcome::Answered { .. } => Outcome::Answered,
            acd::Outcome::Abandoned => Outcome::Abandoned,
            acd::Outcome::Overflowed(Overflow::Voicemail) => Outcome::Voicemail,
            acd::Outcome::Overflowed(Overflow::Callback) => Outcome::Callback,
            acd::Outcome::Overflowed(Overflow::Disconnect) => Outcome::Disconnected,
            acd::Outcome::Overflowed(Overflow::Queue(_)) => Outcome::Overflowed,
            acd::Outcome::CallbackDone { .. } => Outcome::CallbackDone,
        }
    }
}

/// RTP packets of a call's two legs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MediaCounts {
    pub caller_received: u64,
    pub caller_lost: u64,
    pub caller_late: u64,
    pub agent_received: u64,
    pub agent_lost: u64,
    pub agent_late: u64,
    /// Packets dropped for coming from elsewhere than their leg's phone (someone else
    /// sending to the call's ports).
    #[serde(default)]
    pub strangers: u64,
}

payload!(
    /// A part of a call ended: its detail record (CDR). One per part: a transferred call
    /// has one per agent. Fields added after the first records have defaults, so old
    /// records still read.
    CallEnded = "call.ended" {
        pub call_id: String,
        pub caller: String,
        pub customer_id: Option<i64>,
        /// The queue it ended in (after any overflow); empty if never queued.
        pub queue: String,
        /// The queue it arrived in.
        pub first_queue: String,
        pub agent_id: Option<i64>,
        /// The agent last offered the call (whose phone rang).
        #[serde(default)]
        pub offered_to: Option<i64>,
        pub arrived_at_ms: i64,
        pub answered_at_ms: Option<i64>,
        pub ended_at_ms: i64,
        pub wait_ms: i64,
        pub talk_ms: i64,
        #[serde(default)]
        pub ring_ms: i64,
        #[serde(default)]
        pub hold_ms: i64,
        #[serde(default)]
        pub ivr_ms: u64,
        #[serde(default)]
        pub dialled: String,
        /// The stereo recording (caller left, agent right), under the data directory.
        #[serde(default)]
        pub recording: Option<String>,
        /// `caller`, `agent` or `system`, and why.
        #[serde(default)]
        pub ended_by: Option<String>,
        #[serde(default)]
        pub end_reason: Option<String>,
        #[serde(default)]
        pub media: Option<MediaCounts>,
        pub outcome: Outcome,
        /// 0 for the first part, then one more per transfer.
        #[serde(default)]
        pub segment: u32,
        /// Where this part was passed on to (a queue or an extension).
        #[serde(default)]
        pub transferred_to: Option<String>,
        /// The customer's segment (`large_account`, `general`…) when the caller was known
        /// as they arrived: reports count by it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_segment: Option<String>,
    }
);

payload!(
    /// The caller's verdict in the satisfaction survey (满意度) they were passed to when
    /// the agent hung up: on the call and on the agent's record.
    CallSurveyed = "call.survey" {
        pub call_id: String,
        /// The agent rated (of the part before the survey).
        pub agent_id: i64,
        /// 1 (very unsatisfied) to 5 (very satisfied); none if the caller pressed no
        /// valid key.
        pub score: Option<u8>,
        /// The survey's part of the call.
        pub segment: u32,
    }
);

impl CallSurveyed {
    pub fn id(call_id: &str) -> String {
        format!("survey:{}", call(call_id))
    }
}

payload!(
    /// An agent marked a knowledge article as what solved a contact ("this solved it"):
    /// once per agent, article and call.
    KbSolved = "kb.solved" {
        pub article_id: i64,
        pub user_id: i64,
        /// The call, when there was one, and its queue.
        pub call_id: Option<String>,
        pub queue: Option<String>,
    }
);

impl KbSolved {
    pub fn id(article_id: i64, user_id: i64, call_id: Option<&str>, at_ms: i64) -> String {
        match call_id {
            Some(c) => format!("kb-solved:{}:{article_id}:{user_id}", call(c)),
            None => format!("kb-solved:{article_id}:{user_id}:{at_ms}"),
        }
    }
}

impl CallEnded {
    /// One record per part of the call.
    pub fn id(call_id: &str, segment: u32) -> String {
        match segment {
            0 => format!("cdr:{}", call(call_id)),
            n => format!("cdr:{}:{n}", call(call_id)),
        }
    }
}

// ----- the center itself ----------------------------------------------------------------------

payload!(
    /// The tenant's routing engine failed and was started again from the configuration and
    /// the log: agents signed in again, callbacks queued again, callers waiting on the line
    /// queued again (their wait starting over); supervisors are alerted.
    CenterRestarted = "center.restarted" {
        pub reason: String,
        /// Agents signed in again and callbacks queued again.
        pub agents: u64,
        pub callbacks: u64,
    }
);

payload!(
    /// A number's IVR flow could not be loaded (missing, or not readable): the caller was
    /// answered by the tenant's fallback instead, and supervisors are alerted.
    IvrFlowFailed = "ivr.flow_failed" {
        pub number: String,
        pub reason: String,
        /// What the caller got: `queue:<key>` or `message`.
        pub fallback: String,
    }
);

impl CenterRestarted {
    pub fn id(at_ms: i64) -> String {
        format!("center-restarted:{at_ms}")
    }
}

// ----- people and customers -------------------------------------------------------------------

payload!(
    /// A user logged in.
    UserLogin = "user.login" {
        pub user_id: i64,
        pub role: String,
    }
);

payload!(
    /// A user logged out (an agent is signed out of the queues with it).
    UserLogout = "user.logout" {
        pub user_id: i64,
        pub role: String,
    }
);

impl UserLogin {
    /// `session`: a prefix of the session's hash, so each login is its own event.
    pub fn id(session: &str) -> String {
        format!("login:{session}")
    }
}

impl UserLogout {
    pub fn id(session: &str) -> String {
        format!("logout:{session}")
    }
}

payload!(
    CustomerCreated = "customer.created" {
        pub customer_id: i64,
        pub actor_id: i64,
    }
);

impl CustomerCreated {
    pub fn id(customer_id: i64) -> String {
        format!("customer:{customer_id}:v1")
    }
}

payload!(
    CustomerUpdated = "customer.updated" {
        pub customer_id: i64,
        pub version: i64,
        pub actor_id: i64,
    }
);

impl CustomerUpdated {
    pub fn id(customer_id: i64, version: i64) -> String {
        format!("customer:{customer_id}:v{version}")
    }
}

payload!(
    /// Two records of one customer became one; `absorbed_id` lives on in `customer_id`.
    CustomerMerged = "customer.merged" {
        pub customer_id: i64,
        pub absorbed_id: i64,
        pub actor_id: i64,
    }
);

impl CustomerMerged {
    pub fn id(merge_id: i64) -> String {
        format!("merge:{merge_id}")
    }
}

payload!(
    /// A merge undone: `restored_id` is its own customer again.
    CustomerMergeUndone = "customer.merge_undone" {
        pub customer_id: i64,
        pub restored_id: i64,
        pub actor_id: i64,
    }
);

impl CustomerMergeUndone {
    pub fn id(merge_id: i64) -> String {
        format!("merge:{merge_id}:undo")
    }
}

payload!(
    /// A spreadsheet of customers was imported.
    CustomersImported = "customers.imported" {
        pub import_id: u64,
        pub filename: String,
        /// `done` or `failed`.
        pub status: String,
        pub created: u64,
        pub skipped: u64,
    }
);

impl CustomersImported {
    pub fn id(import_id: u64, at_ms: i64) -> String {
        format!("import:{import_id}:{at_ms}")
    }
}

// ----- work orders ------------------------------------------------------------------------------

payload!(
    /// A work order (工单) changed: taken in (`action` `create`), dispatched, accepted,
    /// returned, resolved, called back, merged… Each version of an order is one event, on
    /// the order's timeline and, through `customer_id`, on the customer's.
    OrderChanged = "order.changed" {
        pub order_id: i64,
        pub version: i64,
        pub customer_id: Option<i64>,
        /// Who did it; `None` for the center itself (routing by rule, the sweep).
        pub actor_id: Option<i64>,
        /// `create`, `dispatch`, `redispatch`, `accept`, `return`, `wait`, `resume`,
        /// `on_the_way`, `on_site`, `note`, `resolve`, `callback`, `callback_missed`,
        /// `override`, `merge`, `absorb`, `repeat_call`, `attach`.
        pub action: String,
        /// The status before and after (`dispatched` → `accepted`).
        pub from: String,
        pub to: String,
        #[serde(default)]
        pub group: Option<String>,
        #[serde(default)]
        pub handler_id: Option<i64>,
        /// What was said: the return's reason, the handler's note, the customer's words.
        #[serde(default)]
        pub note: Option<String>,
        /// A callback's score (1–5).
        #[serde(default)]
        pub score: Option<u8>,
        /// A resolution: within the order's resolve limit (维修及时) or not; none without a
        /// limit (and for other actions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub on_time: Option<bool>,
        /// The customer's journey stage the order was taken in at (R3.5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub journey: Option<String>,
    }
);

impl OrderChanged {
    pub fn id(order_id: i64, version: i64) -> String {
        format!("order:{order_id}:v{version}")
    }
}

payload!(
    /// A time limit of an order is nearly used (`warn`, 催办 to the handler) or used up
    /// (`breach`, escalated to the group's lead), or still not met well past it
    /// (`escalate`, to the managers).
    OrderSla = "order.sla" {
        pub order_id: i64,
        pub customer_id: Option<i64>,
        /// `accept`, `first_action` or `resolve`.
        pub limit: String,
        /// `warn`, `breach` or `escalate`.
        pub signal: String,
        /// Who is told; none for `escalate` (the managers: supervisors and administrators
        /// see every event).
        pub to_user_id: Option<i64>,
        /// When the limit runs (ran) out.
        pub due_ms: Option<i64>,
    }
);

impl OrderSla {
    /// `started_ms` tells a limit's successive clocks apart (a new one on each dispatch).
    pub fn id(order_id: i64, limit: &str, started_ms: i64, signal: &str) -> String {
        format!("order-sla:{order_id}:{limit}:{started_ms}:{signal}")
    }
}

payload!(
    /// A sales lead (销售线索) changed: captured (`action` `capture`), offered to a dealer
    /// (`assign`), accepted, followed up, won, lost, given back (`return`), taken back
    /// (`reclaim`) or taken by the center (`take`). Each version of a lead is one event, on
    /// the lead's timeline and, through `customer_id`, on the customer's.
    LeadChanged = "lead.changed" {
        pub lead_id: i64,
        pub version: i64,
        pub customer_id: Option<i64>,
        /// Who did it; `None` for the center itself (assignment by rule, the sweep).
        pub actor_id: Option<i64>,
        pub action: String,
        /// The status before and after (`offered` → `working`).
        pub from: String,
        pub to: String,
        /// The dealer the lead was with before and is with after (none: the center).
        #[serde(default)]
        pub from_dealer: Option<i64>,
        #[serde(default)]
        pub to_dealer: Option<i64>,
        /// The agent who captured it (credited when it is won).
        #[serde(default)]
        pub captured_by: Option<i64>,
        pub product_line: String,
        /// `省/市/区`.
        pub region: String,
        /// A follow-up's kind (`call`, `visit`, `quote`), a reason (return, loss, reclaim),
        /// a note.
        #[serde(default)]
        pub note: Option<String>,
        /// A win's amount, in fen (分).
        #[serde(default)]
        pub amount: Option<i64>,
        /// A dealer's step by its deadline, or not (a reclaim by the sweep: false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub on_time: Option<bool>,
        /// An acceptance: how long the lead waited for it (ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub waited_ms: Option<i64>,
        /// The customer's journey stage (R3.5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub journey: Option<String>,
    }
);

impl LeadChanged {
    pub fn id(lead_id: i64, version: i64) -> String {
        format!("lead:{lead_id}:v{version}")
    }
}

// ----- the routing engine ---------------------------------------------------------------------

/// One of the routing engine's events (`acd.<kind>`), as the engine reports it, with the
/// names the API knows: the agent as `user_id`, queues by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcdEvent {
    #[serde(flatten)]
    pub event: acd::EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_key: Option<String>,
}

impl AcdEvent {
    /// The engine's event with the API's names: `key` gives a queue's key.
    pub fn new(event: acd::EventKind, key: impl Fn(acd::QueueId) -> Option<String>) -> AcdEvent {
        use acd::EventKind as K;
        let (agent, queue, from) = match event {
            K::AgentState { agent, .. } | K::AgentPresence { agent, .. } => {
                (Some(agent), None, None)
            }
            K::CallQueued { queue, .. } | K::CallEnded { queue, .. } => (None, Some(queue), None),
            K::CallOffered { agent, .. } | K::CallReturned { agent, .. } => {
                (Some(agent), None, None)
            }
            K::CallAnswered { agent, queue, .. } => (Some(agent), Some(queue), None),
            K::CallbackRequested { .. } => (None, None, None),
            K::CallOverflowed { from, .. } => (None, None, Some(from)),
        };
        AcdEvent {
            event,
            user_id: agent.map(|a| a.0),
            queue_key: queue.and_then(&key),
            from_key: from.and_then(&key),
        }
    }

    /// `acd.agent_state`, `acd.call_answered`…
    pub fn kind(&self) -> String {
        let v = serde_json::to_value(self.event).unwrap_or(Value::Null);
        format!("acd.{}", v["kind"].as_str().unwrap_or("event"))
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

// ----- every kind -----------------------------------------------------------------------------

macro_rules! every_kind {
    ($($name:ident),* $(,)?) => {
        /// An event of any kind, parsed.
        // Events are read one at a time; a CDR the size of the enum costs nothing worth
        // boxing it for.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $($name($name),)*
            Acd(AcdEvent),
        }

        /// Every kind but the engine's (`acd.*`).
        pub const KINDS: &[&str] = &[$($name::KIND,)*];

        impl Event {
            /// Reads a stored event; an unknown kind or a payload that does not fit its kind
            /// is [`Unreadable`].
            pub fn parse(kind: &str, payload: &Value) -> Result<Event, Unreadable> {
                $(if kind == $name::KIND {
                    return parse::<$name>(payload).map(Event::$name);
                })*
                if kind.starts_with("acd.") {
                    return AcdEvent::deserialize(payload).map(Event::Acd).map_err(|e| Unreadable {
                        kind: kind.to_string(),
                        reason: e.to_string(),
                    });
                }
                Err(Unreadable { kind: kind.to_string(), reason: "no such kind".into() })
            }

            pub fn kind(&self) -> String {
                match self {
                    $(Event::$name(_) => $name::KIND.to_string(),)*
                    Event::Acd(a) => a.kind(),
                }
            }

            pub fn to_value(&self) -> Value {
                match self {
                    $(Event::$name(p) => p.to_value(),)*
                    Event::Acd(a) => a.to_value(),
                }
            }
        }
    };
}

every_kind!(
    CallArrived,
    IvrNode,
    CallQueued,
    CallRinging,
    CallTransferred,
    CallbackRequested,
    RecordingStarted,
    RecordingFailed,
    Voicemail,
    CallAnnounced,
    CallConsult,
    CallPlaced,
    CallWrapup,
    CallEnded,
    CallSurveyed,
    KbSolved,
    CenterRestarted,
    IvrFlowFailed,
    UserLogin,
    UserLogout,
    CustomerCreated,
    CustomerUpdated,
    CustomerMerged,
    CustomerMergeUndone,
    CustomersImported,
    OrderChanged,
    OrderSla,
    LeadChanged,
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A CDR as the first version wrote it (before split times, segments and media) still
    /// reads, with defaults for what it lacks.
    #[test]
    fn issue_19_an_old_cdr_still_reads() {
        let old = json!({
            "call_id": "abc", "caller": "+8613812345678", "customer_id": 7, "queue": "repair",
            "first_queue": "repair", "agent_id": 4, "arrived_at_ms": 1000,
            "answered_at_ms": 5000, "ended_at_ms": 65000, "wait_ms": 4000, "talk_ms": 60000,
            "outcome": "answered"
        });
        let Event::CallEnded(c) = Event::parse("call.ended", &old).unwrap() else {
            panic!("not a CDR")
        };
        assert_eq!((c.outcome, c.segment, c.hold_ms), (Outcome::Answered, 0, 0));
        assert_eq!(c.media, None);
        // And what is written now reads back as itself.
        assert_eq!(parse::<CallEnded>(&c.to_value()).unwrap(), c);
    }

    /// A payload that does not fit its kind is reported with the kind and the reason,
    /// never read as something else.
    #[test]
    fn issue_19_a_payload_that_does_not_fit_is_unreadable() {
        let e = Event::parse(
            "call.ended",
            &json!({"call_id": "x", "outcome": "answered"}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "call.ended");
        assert!(e.reason.contains("caller"), "{e}");
        let e = Event::parse(
            "call.ended",
            &json!({"call_id": "x", "caller": "1",
            "customer_id": null, "queue": "", "first_queue": "", "agent_id": null,
            "arrived_at_ms": 0, "answered_at_ms": null, "ended_at_ms": 0, "wait_ms": 0,
            "talk_ms": 0, "outcome": "lost in space"}),
        )
        .unwrap_err();
        assert!(e.reason.contains("lost in space"), "{e}");
        assert_eq!(
            Event::parse("no.such", &json!({})).unwrap_err().reason,
            "no such kind"
        );
    }

    /// The engine's events carry the API's names and read back.
    #[test]
    fn engine_events_carry_user_ids_and_queue_keys() {
        let answered = acd::EventKind::CallAnswered {
            call: acd::CallId(3),
            agent: acd::AgentId(9),
            queue: acd::QueueId(0),
            waited_ms: 1500,
        };
        let e = AcdEvent::new(answered, |q| (q.0 == 0).then(|| "repair".to_string()));
        assert_eq!(e.kind(), "acd.call_answered");
        let v = e.to_value();
        assert_eq!(
            (
                v["user_id"].as_u64(),
                v["agent"].as_u64(),
                v["queue_key"].as_str()
            ),
            (Some(9), Some(9), Some("repair"))
        );
        assert_eq!(v.get("from_key"), None);
        assert_eq!(Event::parse(&e.kind(), &v).unwrap(), Event::Acd(e));
    }

    /// Every kind has one name, and ids are made beside their kind.
    #[test]
    fn kinds_are_unique() {
        let mut k = KINDS.to_vec();
        k.sort_unstable();
        k.dedup();
        assert_eq!(k.len(), KINDS.len());
        assert_eq!(CallEnded::id("c", 0), "cdr:c");
        assert_eq!(CallEnded::id("c", 2), "cdr:c:2");
    }
}

#[cfg(test)]
mod ids {
    use super::*;

    /// Issue 20: a carrier's Call-ID of any length makes ids the log takes (1–128
    /// characters), still one per call; the usual short ones stay as they were.
    #[test]
    fn issue_20_long_call_ids_make_ids_within_the_log_limit() {
        let long = "x".repeat(300);
        let other = format!("{}y", "x".repeat(299));
        let ids = [
            CallEnded::id(&long, 3),
            CallRinging::id(&long, i64::MAX, i64::MAX),
            CallConsult::id(&long, i64::MAX, "cancelled", i64::MAX),
            IvrNode::id(&long, &"n".repeat(500), i64::MAX),
            CallWrapup::id(&long, i64::MAX, i64::MAX),
        ];
        for id in &ids {
            assert!(!id.is_empty() && id.chars().count() <= 128, "{id}");
        }
        assert_ne!(CallEnded::id(&long, 0), CallEnded::id(&other, 0));
        assert_eq!(CallEnded::id(&long, 0), CallEnded::id(&long, 0));
        let sipp = "1-4242@127.0.0.1";
        assert_eq!(CallEnded::id(sipp, 0), format!("cdr:{sipp}"));
    }
}
