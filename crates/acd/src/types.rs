//! The engine's vocabulary: ids, time, configuration, states, inputs' errors and outputs.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since an epoch the driver chooses (wall-clock milliseconds
/// in the server, zero at the start of a simulation). The engine never reads a clock.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    /// The latest `now` an input may carry, 2⁵⁰ ms (some 35,000 years after the epoch): all
    /// the engine's arithmetic on times stays far from overflow.
    pub const LATEST: Time = Time(1 << 50);

    pub fn from_secs_f64(secs: f64) -> Time {
        Time((secs * 1000.0).round() as u64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.ms_since(earlier))
    }

    /// Milliseconds elapsed since `earlier`, zero if `earlier` is later.
    pub fn ms_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(millis(d)))
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub struct $name(pub $inner);
    };
}

id!(
    /// A queue (skill group, 技能组).
    QueueId(u32)
);
id!(
    /// An agent (座席).
    AgentId(u32)
);
id!(
    /// One contact: a call, a chat, an e-mail. Chosen by the driver, unique for the engine's life.
    CallId(u64)
);
id!(
    /// A skill an agent has with a proficiency from 1 to 10.
    SkillId(u32)
);
id!(
    /// The customer behind a contact, for the sticky agent.
    CustomerId(u64)
);

/// The media a contact arrives on. Agents have a capacity per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Chat,
    Email,
}

impl Channel {
    pub const COUNT: usize = 3;

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A skill a queue asks for, at a minimum proficiency (1–10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillReq {
    pub skill: SkillId,
    pub min: u8,
}

/// How a queue widens the agents it accepts as a call waits longer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelaxStep {
    /// Accept the queue's own skills at this lower minimum proficiency.
    MinProficiency(u8),
    /// Also accept agents who have these skills (a fallback skill group).
    Fallback(Vec<SkillReq>),
}

/// After a call has waited `after` in the queue, apply `step` (steps accumulate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relax {
    #[serde(with = "secs")]
    pub after: Duration,
    pub step: RelaxStep,
}

/// Which of the ready agents able to take a call gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent who has been available the longest.
    #[default]
    LongestIdle,
    /// The agent with the fewest calls answered today, then the longest idle.
    FewestCalls,
    /// The agent with the least talk time today, then the longest idle.
    LeastTalkTime,
    /// The agent with the highest proficiency in the queue's skills, then the longest idle.
    BestProficiency,
    /// Agents in turn, by id, starting after the last one offered a call by this queue.
    RoundRobin,
    /// Ring every available agent at once; the first to answer takes the call (small teams).
    /// A ring-all timeout does not make anybody not-ready: the call rings everybody again.
    RingAll,
}

/// Where a call goes when its queue cannot keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Into another queue, where the call starts waiting afresh (its priority goes with it).
    Queue(QueueId),
    /// To a voicemail box: the call ends here.
    Voicemail,
    /// To a callback task placed later by an outbound campaign: the call ends here.
    Callback,
    /// Busy tone / polite goodbye: the call ends here.
    Disconnect,
}

/// What a queue does with new calls when none of its agents is logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NobodyLoggedIn {
    /// Keep queueing (the calls wait for the next login, subject to max wait).
    #[default]
    Wait,
    /// Overflow at once; when the last agent logs out, waiting calls overflow too.
    Overflow,
}

/// Priority acceleration: a waiting call's score grows by `per_second` points each second of
/// waiting, up to `cap` points, on top of its base priority. Zero means strict priority, then
/// first come first served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Acceleration {
    pub per_second: u32,
    pub cap: u32,
}

/// A queue's configuration. Every field can be changed at any time, calls waiting or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueConfig {
    pub channel: Channel,
    /// Skills an agent needs (all of them, each at its minimum proficiency).
    pub skills: Vec<SkillReq>,
    /// Widening of `skills` over waiting time, in increasing `after` order.
    pub relax: Vec<Relax>,
    pub strategy: Strategy,
    /// Added to every call's base priority in this queue; compare queues an agent serves.
    pub priority: i32,
    pub acceleration: Acceleration,
    /// Service-level target fraction, e.g. 0.8 of "80 % answered in 20 s" (for reports).
    pub service_level: f64,
    /// The "20 s" of "80 % answered in 20 s".
    #[serde(with = "secs")]
    pub service_time: Duration,
    /// After-call work (话后处理) before the agent is offered the next contact.
    #[serde(with = "secs")]
    pub wrap_up: Duration,
    /// How long an offer rings before it counts as not answered.
    #[serde(with = "secs")]
    pub ring_timeout: Duration,
    /// Longest a caller waits here before overflowing; `None` is no limit.
    #[serde(with = "opt_secs")]
    pub max_wait: Option<Duration>,
    /// Most callers waiting here; the next one overflows. `None` is no limit.
    pub max_size: Option<u32>,
    pub overflow: Overflow,
    pub nobody_logged_in: NobodyLoggedIn,
    /// Sticky agent: hold a returning customer's call up to this long for the agent who last
    /// served them, if that agent is logged in.
    #[serde(with = "opt_secs")]
    pub sticky: Option<Duration>,
    /// A closed queue overflows new calls; calls already waiting are still served.
    pub open: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            channel: Channel::Voice,
            skills: Vec::new(),
            relax: Vec::new(),
            strategy: Strategy::LongestIdle,
            priority: 0,
            acceleration: Acceleration::default(),
            service_level: 0.8,
            service_time: Duration::from_secs(20),
            wrap_up: Duration::from_secs(0),
            ring_timeout: Duration::from_secs(20),
            max_wait: None,
            max_size: None,
            overflow: Overflow::Disconnect,
            nobody_logged_in: NobodyLoggedIn::Wait,
            sticky: None,
            open: true,
        }
    }
}

/// An agent's configuration: what they can do and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentConfig {
    /// Skills with proficiency 1–10.
    pub skills: Vec<(SkillId, u8)>,
    /// Queues the agent serves (still subject to each queue's skills).
    pub queues: Vec<QueueId>,
    /// Contacts at once per channel, indexed by [`Channel`]: voice, chat, e-mail.
    pub capacity: [u8; Channel::COUNT],
    /// Auto-answer (auto-accept): an offer connects at once, without ringing — a headset
    /// agent whose phone picks up by itself, or chats and e-mails simply assigned. Ring-all
    /// queues ring even so.
    pub auto_answer: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            skills: Vec::new(),
            queues: Vec::new(),
            capacity: [1, 0, 0],
            auto_answer: false,
        }
    }
}

/// Why an agent is not ready. The codes a floor uses every day; `Other` carries a tenant's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 小休
    Break,
    /// 用餐
    Meal,
    /// 培训
    Training,
    /// 会议
    Meeting,
    /// 离席
    Away,
    /// Set by the engine after an offer rang out or was declined.
    Missed,
    Other(u16),
}

/// What the agent said about themselves: logged out, ready for contacts, or not ready for a
/// reason. Contacts in progress go on whatever it is; see [`AgentState`] for what shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Offline,
    Ready,
    NotReady(Reason),
}

/// The state a supervisor sees for an agent. For an agent with several contacts at once, the
/// most engaged one shows: talking, then hold, then ringing, then after-call work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Offline,
    Ready,
    /// Being offered a contact (ringing).
    Reserved,
    Talking,
    Hold,
    AfterCallWork,
    NotReady(Reason),
}

impl AgentState {
    /// Whether an agent in this state counts as staffed (ready or busy) and as busy (ringing,
    /// talking, on hold or in after-call work): occupancy is busy time over staffed time.
    pub fn staffed_busy(self) -> (bool, bool) {
        match self {
            AgentState::Reserved
            | AgentState::Talking
            | AgentState::Hold
            | AgentState::AfterCallWork => (true, true),
            AgentState::Ready => (true, false),
            AgentState::Offline | AgentState::NotReady(_) => (false, false),
        }
    }
}

/// Agent time summed over every agent since the engine started, for occupancy: the integral
/// of the number of agents staffed, and of those busy, in agent-milliseconds (see
/// [`AgentState::staffed_busy`]). `Acd::agent_time` reads it at any time from the latest input
/// on, so a report can cut it at interval boundaries without an event per state change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTime {
    pub staffed_ms: u64,
    pub busy_ms: u64,
}

/// How a contact's life in the engine ended. Every contact gets exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered by an agent and then hung up.
    Answered { agent: AgentId },
    /// The caller hung up before an agent answered.
    Abandoned,
    /// Sent to a target outside the queues (voicemail, callback task, disconnect).
    Overflowed(Overflow),
    /// A callback in queue was placed by an agent and has ended.
    CallbackDone { agent: AgentId },
}

/// Why a call left its queue for another target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowReason {
    MaxWait,
    QueueFull,
    NobodyLoggedIn,
    Closed,
    /// The overflow chain was too long (or pointed at a queue that does not exist).
    TooManyHops,
}

/// Why an offered call went back to its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    RingNoAnswer,
    Declined,
    /// The agent logged out or went not ready while it rang.
    AgentUnavailable,
}

/// A new contact for a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    pub queue: QueueId,
    /// Base priority of the customer's segment (key customers first), in points.
    pub priority: i32,
    pub customer: Option<CustomerId>,
    /// A contact the agent places (a callback owed, a 回访 task): offered as a callback,
    /// waiting without a max-wait limit.
    #[serde(default)]
    pub callback: bool,
}

/// Something the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Ring the agent with this contact. For a callback in queue, the agent places the call.
    /// `connected`: the agent has auto-answer and the contact is already theirs
    /// ([`EventKind::CallAnswered`] follows); put it through, no `handle_answer` comes.
    Offer {
        call: CallId,
        agent: AgentId,
        callback: bool,
        connected: bool,
    },
    /// Stop ringing this agent (no answer, taken by another agent, caller gone).
    CancelOffer { call: CallId, agent: AgentId },
    /// Send the call to voicemail, to a callback task or disconnect it; it is no longer ours.
    Overflow { call: CallId, target: Overflow },
}

/// Something that happened, with the time it happened. The event log records these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Time,
    pub kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EventKind {
    /// What shows on the wallboard changed (talking, after-call work, ready…).
    AgentState {
        agent: AgentId,
        state: AgentState,
    },
    /// Login, logout, ready, not ready with a reason — also while a contact goes on, so
    /// login time and adherence can be measured from the log.
    AgentPresence {
        agent: AgentId,
        presence: Presence,
    },
    CallQueued {
        call: CallId,
        queue: QueueId,
    },
    CallOffered {
        call: CallId,
        agent: AgentId,
    },
    CallReturned {
        call: CallId,
        agent: AgentId,
        reason: ReturnReason,
    },
    CallAnswered {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        /// From arrival at the first queue to answer.
        waited_ms: u64,
    },
    CallbackRequested {
        call: CallId,
    },
    CallOverflowed {
        call: CallId,
        from: QueueId,
        to: Overflow,
        reason: OverflowReason,
    },
    CallEnded {
        call: CallId,
        queue: QueueId,
        outcome: Outcome,
    },
}

/// The kinds of [`EventKind`], for choosing which ones to record ([`crate::Acd::record_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    AgentState,
    AgentPresence,
    CallQueued,
    CallOffered,
    CallReturned,
    CallAnswered,
    CallbackRequested,
    CallOverflowed,
    CallEnded,
}

impl EventKind {
    /// Which type of event this is.
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::AgentState { .. } => EventType::AgentState,
            EventKind::AgentPresence { .. } => EventType::AgentPresence,
            EventKind::CallQueued { .. } => EventType::CallQueued,
            EventKind::CallOffered { .. } => EventType::CallOffered,
            EventKind::CallReturned { .. } => EventType::CallReturned,
            EventKind::CallAnswered { .. } => EventType::CallAnswered,
            EventKind::CallbackRequested { .. } => EventType::CallbackRequested,
            EventKind::CallOverflowed { .. } => EventType::CallOverflowed,
            EventKind::CallEnded { .. } => EventType::CallEnded,
        }
    }
}

/// An input the engine refused. The engine's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    #[error("unknown queue {0:?}")]
    UnknownQueue(QueueId),
    #[error("unknown agent {0:?}")]
    UnknownAgent(AgentId),
    #[error("unknown call {0:?}")]
    UnknownCall(CallId),
    #[error("call {0:?} already exists")]
    DuplicateCall(CallId),
    #[error("{0}")]
    InvalidState(&'static str),
    #[error("time {0:?} is beyond Time::LATEST")]
    TimeOutOfRange(Time),
    #[error("`{field}` is invalid: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
}

/// Durations as (fractional) seconds in configuration files.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

mod opt_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<f64>::deserialize(d)? {
            Some(secs) => Duration::try_from_secs_f64(secs)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// A waiting call's place in its queue's line (see [`crate::Acd::place`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The queue it waits in (it may have overflowed from the one it came to).
    pub queue: QueueId,
    /// Calls that will be served first.
    pub ahead: u32,
    /// Agents serving the queue who are logged in.
    pub agents: u32,
}
