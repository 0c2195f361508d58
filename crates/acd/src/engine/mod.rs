//! The engine: state, inputs, matching.
//!
//! How calls meet agents. Every queue keeps its waiting calls in ordered sets, one pair per
//! relaxation level (calls whose priority is still accelerating, and calls that reached the
//! cap), and its available agents in ordered sets per the lowest level they qualify at, keyed
//! by the queue's strategy. Both orders are invariant in time, so the best call for an agent
//! and the best agent for a call are each a handful of `first()` lookups, whatever the number
//! of agents and calls. An agent that becomes available is marked dirty and `settle` gives it
//! its best call before the input returns; a call that starts waiting goes at once to the best
//! free agent who qualifies, or, while other agents are still to be matched, is marked dirty
//! too and matched best first after them. That is what keeps an available agent from idling
//! next to a call it could take, and every call in its order of service.
//!
//! The state, the outputs, the queries and the calls' inputs are here; the rest is split as
//! in quinn-proto: `agents` (agent configuration and state transitions), `queues` (queue
//! configuration, arrival in a queue, overflow), `matching` (settle, enqueue, offer and the
//! order of service), `timers` (time moving forward, each timer firing) and `validation`
//! (what a configuration must satisfy).

mod agents;
mod matching;
mod queues;
mod timers;
mod validation;

use std::cmp::Reverse;
use std::collections::{BTreeSet, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use crate::calls::CallMap;
use crate::ids::IdMap;
use crate::sorted::SortedDeque;
use crate::types::*;
use validation::{validate_agent, validate_queue};

/// A waiting call's place: score key (higher first), entry time, arrival sequence, id.
pub(crate) type Slot = (Reverse<i64>, u64, u64, CallId);
/// An available agent's place in a queue: strategy key (lower first), tie-break, id.
pub(crate) type ReadyKey = (u64, u64, AgentId);

/// The agents a call rings: one but for ring-all (inline, so an offer allocates nothing).
pub(crate) type Ringing = SmallVec<[AgentId; 2]>;

/// A call's rank in the order of service: score, then earlier entry, then earlier arrival.
type Rank = (i64, Reverse<u64>, Reverse<u64>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    Ring(CallId),
    Stage(CallId),
    Sticky(CallId),
    Wrap(AgentId, CallId),
}

#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) cfg: QueueConfig,
    /// Per relaxation level: `[accelerating, capped]` waiting calls.
    pub(crate) waiting: Vec<[BTreeSet<Slot>; 2]>,
    /// Per relaxation level: available agents whose lowest qualifying level it is.
    pub(crate) ready: Vec<SortedDeque<ReadyKey>>,
    /// Calls held for a sticky agent.
    pub(crate) held: u32,
    /// Agents logged in (any presence but offline) who qualify at some level and have
    /// capacity on the queue's channel.
    pub(crate) logged_in: u32,
    rr_cursor: u32,
}

impl Queue {
    fn new(cfg: QueueConfig) -> Queue {
        let levels = cfg.relax.len() + 1;
        Queue {
            cfg,
            waiting: (0..levels).map(|_| Default::default()).collect(),
            ready: vec![SortedDeque::default(); levels],
            held: 0,
            logged_in: 0,
            rr_cursor: 0,
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.waiting.iter().map(|[a, b]| a.len() + b.len()).sum()
    }

    /// Milliseconds of waiting after which the priority stops accelerating.
    fn cap_after(&self) -> Option<u64> {
        let acc = self.cfg.acceleration;
        (acc.per_second > 0)
            .then(|| (u64::from(acc.cap) * 1000).div_ceil(u64::from(acc.per_second)))
    }

    /// The relaxation level reached after `waited_ms` of waiting.
    pub(crate) fn level_at(&self, waited_ms: u64) -> usize {
        self.cfg
            .relax
            .iter()
            .take_while(|r| millis(r.after) <= waited_ms)
            .count()
    }

    pub(crate) fn capped_at(&self, waited_ms: u64) -> bool {
        self.cap_after().is_some_and(|cap| waited_ms >= cap)
    }

    /// The requirement sets, one per level; an agent qualifies at level L if it meets any
    /// set up to L. `None` as the minimum means each requirement's own.
    fn requirement(&self, level: usize) -> (&[SkillReq], Option<u8>) {
        match level.checked_sub(1).map(|i| &self.cfg.relax[i].step) {
            None => (&self.cfg.skills, None),
            Some(RelaxStep::MinProficiency(min)) => (&self.cfg.skills, Some(*min)),
            Some(RelaxStep::Fallback(set)) => (set, None),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Reserved,
    Talking,
    Hold,
    Wrap { until: Time },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Work {
    pub(crate) call: CallId,
    pub(crate) channel: Channel,
    pub(crate) phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Eligibility {
    pub(crate) queue: QueueId,
    pub(crate) level: u8,
    proficiency: u32,
    /// The queue's channel and strategy, copied here (`qualify` runs again when they change)
    /// so that re-indexing the agent needs no look-up of the queue.
    channel: Channel,
    strategy: Strategy,
}

#[derive(Debug)]
pub(crate) struct Agent {
    pub(crate) cfg: AgentConfig,
    pub(crate) presence: Presence,
    pub(crate) work: Vec<Work>,
    pub(crate) eligible: Vec<Eligibility>,
    /// Where the agent sits in queues' ready sets now.
    pub(crate) indexed: Vec<(QueueId, u8, ReadyKey)>,
    /// Whether the `logged_in` counts of the queues in `eligible` include this agent.
    counted: bool,
    available_since: [Time; Channel::COUNT],
    was_available: [bool; Channel::COUNT],
    /// The ready-set keys must be recomputed (configuration or daily counters changed).
    rekey: bool,
    calls_today: u32,
    talk_today_ms: u64,
    /// Calls held for this agent as their sticky agent.
    pub(crate) sticky: Vec<CallId>,
    pub(crate) state: AgentState,
    /// The presence last reported in an event.
    reported: Presence,
    /// Channels the agent cannot be reached on now (no phone registered).
    unreachable: [bool; Channel::COUNT],
}

impl Agent {
    pub(crate) fn reserved(&self) -> Option<CallId> {
        self.work
            .iter()
            .find(|w| w.phase == Phase::Reserved)
            .map(|w| w.call)
    }

    /// May be offered one more contact on `channel`: ready, not ringing for another one, and
    /// under capacity.
    pub(crate) fn available(&self, channel: Channel) -> bool {
        self.status().1[channel.index()]
    }

    pub(crate) fn summary(&self) -> AgentState {
        self.status().0
    }

    /// The state a supervisor sees and the channels the agent is available on, in one pass
    /// over its contacts (this runs on nearly every input). For several contacts at once the
    /// most engaged shows: talking, then hold, then ringing, then after-call work.
    fn status(&self) -> (AgentState, [bool; Channel::COUNT]) {
        // One bit per phase, most engaged highest (no branch per contact).
        const WRAP: u8 = 1;
        const RESERVED: u8 = 2;
        const HOLD: u8 = 4;
        const TALKING: u8 = 8;
        let mut phases = 0;
        let mut load = [0_usize; Channel::COUNT];
        for w in &self.work {
            load[w.channel.index()] += 1;
            phases |= match w.phase {
                Phase::Wrap { .. } => WRAP,
                Phase::Reserved => RESERVED,
                Phase::Hold => HOLD,
                Phase::Talking => TALKING,
            };
        }
        let reserved = phases & RESERVED != 0;
        let state = if phases >= TALKING {
            AgentState::Talking
        } else if phases >= HOLD {
            AgentState::Hold
        } else if reserved {
            AgentState::Reserved
        } else if phases == WRAP {
            AgentState::AfterCallWork
        } else {
            match self.presence {
                Presence::Offline => AgentState::Offline,
                Presence::Ready => AgentState::Ready,
                Presence::NotReady(r) => AgentState::NotReady(r),
            }
        };
        if self.presence != Presence::Ready || reserved {
            return (state, [false; Channel::COUNT]);
        }
        let available = std::array::from_fn(|i| {
            !self.unreachable[i] && load[i] < usize::from(self.cfg.capacity[i])
        });
        (state, available)
    }

    fn proficiency(&self, skill: SkillId) -> u8 {
        self.cfg
            .skills
            .iter()
            .find(|(s, _)| *s == skill)
            .map_or(0, |(_, p)| *p)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallState {
    /// Between places: arriving, or taken out of one place on the way to the next.
    Detached,
    Queued {
        level: u8,
        slot: Slot,
    },
    Held {
        agent: AgentId,
    },
    Offered {
        agents: Ringing,
        /// Offered under ring-all: a ring timeout makes nobody not ready.
        ring_all: bool,
    },
    Connected {
        agent: AgentId,
        since: Time,
    },
}

#[derive(Debug)]
pub(crate) struct Call {
    /// The contact's channel is its queue's.
    pub(crate) queue: QueueId,
    priority: i32,
    customer: Option<CustomerId>,
    arrived: Time,
    pub(crate) entered: Time,
    seq: u64,
    pub(crate) callback: bool,
    hops: u8,
    pub(crate) state: CallState,
    pub(crate) timer: Option<(Time, Timer)>,
}

/// Customers whose last agent is remembered for the sticky agent: past it, the half served
/// longest ago are forgotten (their next call is routed as a first one).
pub(crate) const LAST_AGENTS: usize = if cfg!(test) { 1_000 } else { 200_000 };

/// The routing engine. See the crate documentation for the contract.
#[derive(Debug, Default)]
pub struct Acd {
    pub(crate) now: Time,
    pub(crate) queues: IdMap<QueueId, Queue>,
    pub(crate) agents: IdMap<AgentId, Agent>,
    pub(crate) calls: CallMap<Call>,
    pub(crate) timers: BTreeSet<(Time, Timer)>,
    /// The agent who last answered each customer, and when (for the sticky agent); bounded
    /// by [`LAST_AGENTS`], the longest-ago forgotten first.
    pub(crate) last_agent: FxHashMap<CustomerId, (AgentId, Time)>,
    /// Ended calls whose agent is still in after-call work for them.
    pub(crate) wrapping: FxHashSet<CallId>,
    seq: u64,
    dirty_agents: VecDeque<AgentId>,
    /// Calls that started waiting while agents were still to be matched.
    dirty_calls: Vec<CallId>,
    emptied: Vec<QueueId>,
    /// Reused buffer for `refresh_agent`, which runs on almost every input.
    scratch: Vec<(QueueId, u8, ReadyKey)>,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
    /// The event types not to record, as bits by `EventType as u16` (none by default).
    unrecorded: u16,
    pub(crate) load: Load,
}

/// Agents staffed and busy now, and the agent time summed up to `since`.
#[derive(Debug, Default)]
pub(crate) struct Load {
    pub(crate) staffed: u64,
    pub(crate) busy: u64,
    since: Time,
    total: AgentTime,
}

impl Load {
    /// The totals up to `at` (not before `since`).
    fn at(&self, at: Time) -> AgentTime {
        let dt = at.0.saturating_sub(self.since.0);
        AgentTime {
            staffed_ms: self.total.staffed_ms + self.staffed * dt,
            busy_ms: self.total.busy_ms + self.busy * dt,
        }
    }

    /// An agent went from state `was` to `now_state` at `now`.
    fn change(&mut self, now: Time, was: AgentState, now_state: AgentState) {
        let ((s0, b0), (s1, b1)) = (was.staffed_busy(), now_state.staffed_busy());
        if (s0, b0) != (s1, b1) {
            self.total = self.at(now);
            self.since = now;
            self.staffed = self.staffed + u64::from(s1) - u64::from(s0);
            self.busy = self.busy + u64::from(b1) - u64::from(b0);
        }
    }
}

impl Acd {
    pub fn new() -> Acd {
        Acd::default()
    }

    // ----- outputs -------------------------------------------------------------------------

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next thing that happened, in time order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Records only events of these types from now on (all, until this is called): a driver
    /// that reads a few kinds, such as the simulator, spares the others their cost.
    pub fn record_only(&mut self, types: &[EventType]) {
        self.unrecorded = !types.iter().fold(0, |bits, t| bits | 1 << *t as u16);
    }

    fn recorded(&self, t: EventType) -> bool {
        self.unrecorded & 1 << t as u16 == 0
    }

    /// When [`Acd::handle_timeout`] must next be called. Every input also fires the timers
    /// that are due at its `now`, so a late call loses nothing.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.timers.first().map(|(t, _)| *t)
    }

    // ----- queries -------------------------------------------------------------------------

    /// Agent time staffed and busy, summed over all agents from the start up to `at` (from
    /// the latest input's time on; earlier times read as that time).
    pub fn agent_time(&self, at: Time) -> AgentTime {
        self.load.at(at.max(self.now))
    }

    /// The latest `now` the engine has seen.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Whether [`Acd::handle_queue`] would take this configuration; changes nothing.
    pub fn check_queue(&self, id: QueueId, cfg: &QueueConfig) -> Result<(), AcdError> {
        validate_queue(id, cfg, &self.queues, &self.calls)
    }

    /// Whether [`Acd::handle_agent`] would take this configuration; changes nothing.
    pub fn check_agent(&self, cfg: &AgentConfig) -> Result<(), AcdError> {
        validate_agent(cfg, &self.queues)
    }

    /// Agents logged in (in any state but offline).
    pub fn agents_logged_in(&self) -> usize {
        self.agents
            .values()
            .filter(|a| a.presence != Presence::Offline)
            .count()
    }

    /// Every configured agent, in id order.
    pub fn agent_ids(&self) -> Vec<AgentId> {
        let mut ids: Vec<AgentId> = self.agents.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// A queue's configuration as in force.
    pub fn queue_config(&self, queue: QueueId) -> Option<&QueueConfig> {
        self.queues.get(&queue).map(|q| &q.cfg)
    }

    pub fn agent_state(&self, agent: AgentId) -> Option<AgentState> {
        self.agents.get(&agent).map(|a| a.state)
    }

    /// Whether the agent can be reached on `channel` (for voice: a phone registered and not
    /// busy on a call the engine does not follow); `None` for an unknown agent.
    pub fn reachable(&self, agent: AgentId, channel: Channel) -> Option<bool> {
        self.agents
            .get(&agent)
            .map(|a| !a.unreachable[channel.index()])
    }

    /// An agent's configuration as in force.
    pub fn agent_config(&self, agent: AgentId) -> Option<&AgentConfig> {
        self.agents.get(&agent).map(|a| &a.cfg)
    }

    /// When the agent's after-call work ends by itself, if they are in it.
    pub fn wrap_up_until(&self, agent: AgentId) -> Option<Time> {
        self.agents
            .get(&agent)?
            .work
            .iter()
            .filter_map(|w| match w.phase {
                Phase::Wrap { until } => Some(until),
                _ => None,
            })
            .max()
    }

    /// Calls waiting in the queue, held for a sticky agent included.
    pub fn waiting(&self, queue: QueueId) -> Option<usize> {
        self.queues
            .get(&queue)
            .map(|q| q.queued() + q.held as usize)
    }

    /// Where a waiting call stands, for telling the caller: how many calls of its queue
    /// will be served first (by the order of service now), and how many agents serving the
    /// queue are logged in. None unless the call waits in a queue's line (not ringing, not
    /// held for a sticky agent).
    pub fn place(&self, call: CallId) -> Option<Place> {
        let c = self.calls.get(&call)?;
        if !matches!(c.state, CallState::Queued { .. }) {
            return None;
        }
        let q = &self.queues[&c.queue];
        let mine = self.rank(call);
        let ahead = q
            .waiting
            .iter()
            .flatten()
            .flatten()
            .filter(|slot| slot.3 != call && self.rank(slot.3) > mine)
            .count();
        Some(Place {
            queue: c.queue,
            ahead: u32::try_from(ahead).unwrap_or(u32::MAX),
            agents: q.logged_in,
        })
    }

    /// Calls the engine knows: waiting, ringing or connected.
    pub fn live_calls(&self) -> usize {
        self.calls.len()
    }

    // ----- inputs ----------------------------------------------------------------------------
    //
    // Every input first moves time to `now`, firing the timers due by then, and only then
    // checks itself against the state: an offer that rang out at `now` can no longer be
    // answered. A refused input changes nothing (beyond the timers that were due anyway).
    // Queues are configured in `queues`, agents in `agents`; calls come in here.

    fn input(
        &mut self,
        now: Time,
        f: impl FnOnce(&mut Acd) -> Result<(), AcdError>,
    ) -> Result<(), AcdError> {
        if now > Time::LATEST {
            return Err(AcdError::TimeOutOfRange(now));
        }
        self.advance(now);
        let result = f(self);
        self.finish();
        result
    }

    // ----- inputs: calls -------------------------------------------------------------------

    /// A new contact for a queue. It may be offered at once, wait, or overflow.
    pub fn handle_arrival(
        &mut self,
        now: Time,
        call: CallId,
        arrival: Arrival,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            // An id still in after-call work is taken too: its agent is wrapping it up.
            if s.calls.contains_key(&call) || s.wrapping.contains(&call) {
                return Err(AcdError::DuplicateCall(call));
            }
            if !s.queues.contains_key(&arrival.queue) {
                return Err(AcdError::UnknownQueue(arrival.queue));
            }
            s.seq += 1;
            s.calls.insert_new(
                call,
                Call {
                    queue: arrival.queue,
                    priority: arrival.priority,
                    customer: arrival.customer,
                    arrived: s.now,
                    entered: s.now,
                    seq: s.seq,
                    callback: arrival.callback,
                    hops: 0,
                    state: CallState::Detached,
                    timer: None,
                },
            );
            s.arrive_in(call, arrival.queue);
            Ok(())
        })
    }

    /// The agent answered the offered call (for a callback: placed it). With ring-all the
    /// other agents stop ringing.
    pub fn handle_answer(
        &mut self,
        now: Time,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            s.check_offered(call, agent)?;
            s.connect(call, agent);
            Ok(())
        })
    }

    /// The agent declined the offer. It counts as a missed offer: the agent goes not ready
    /// (missed) and the call goes back to its place in the queue.
    pub fn handle_decline(
        &mut self,
        now: Time,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            s.check_offered(call, agent)?;
            s.withdraw(call, agent, ReturnReason::Declined, false);
            Ok(())
        })
    }

    /// The call is over (either side hung up): abandoned if no agent had answered it, else the
    /// agent moves to after-call work.
    pub fn handle_hangup(&mut self, now: Time, call: CallId) -> Result<(), AcdError> {
        self.input(now, |s| {
            let c = s.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
            let CallState::Connected { agent, since } = c.state else {
                s.detach(call);
                s.end(call, Outcome::Abandoned);
                return Ok(());
            };
            let (callback, queue) = (c.callback, c.queue);
            let wrap = s.queues[&queue].cfg.wrap_up;
            let until = s.now + wrap;
            let a = s.agents.get_mut(&agent).expect("connected");
            a.talk_today_ms += s.now.ms_since(since);
            a.rekey |= !a.indexed.is_empty();
            if wrap.is_zero() || a.presence == Presence::Offline {
                a.work.retain(|w| w.call != call);
            } else if let Some(w) = a.work.iter_mut().find(|w| w.call == call) {
                w.phase = Phase::Wrap { until };
                s.timers.insert((until, Timer::Wrap(agent, call)));
                s.wrapping.insert(call);
            }
            let outcome = if callback {
                Outcome::CallbackDone { agent }
            } else {
                Outcome::Answered { agent }
            };
            s.end(call, outcome);
            s.free_agent(agent);
            Ok(())
        })
    }

    /// Puts a connected call on hold or takes it off hold.
    pub fn handle_hold(&mut self, now: Time, call: CallId, on: bool) -> Result<(), AcdError> {
        self.input(now, |s| {
            let c = s.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
            let CallState::Connected { agent, .. } = c.state else {
                return Err(AcdError::InvalidState("only a connected call can be held"));
            };
            let a = s.agents.get_mut(&agent).expect("connected");
            if let Some(w) = a.work.iter_mut().find(|w| w.call == call) {
                w.phase = if on { Phase::Hold } else { Phase::Talking };
            }
            s.refresh_agent(agent);
            Ok(())
        })
    }

    /// The waiting caller asks to be called back instead of holding (virtual hold): the call
    /// keeps its place, and when its turn comes an agent is offered it as a callback to place.
    /// The caller's line can then be released without telling the engine: `handle_hangup` on
    /// the call from now on means the callback is cancelled.
    pub fn handle_callback_request(&mut self, now: Time, call: CallId) -> Result<(), AcdError> {
        self.input(now, |s| {
            let c = s.calls.get_mut(&call).ok_or(AcdError::UnknownCall(call))?;
            let queued = match c.state {
                CallState::Queued { .. } => true,
                CallState::Held { .. } => false,
                _ => {
                    return Err(AcdError::InvalidState(
                        "only a waiting call can turn into a callback",
                    ));
                }
            };
            if !c.callback {
                c.callback = true;
                s.emit(EventKind::CallbackRequested { call });
                if queued {
                    // A callback waits without a max-wait limit: re-time it.
                    s.unqueue(call);
                    s.enqueue(call);
                }
            }
            Ok(())
        })
    }

    fn emit(&mut self, kind: EventKind) {
        if self.recorded(kind.event_type()) {
            self.events.push_back(Event { at: self.now, kind });
        }
    }

    fn check_offered(&self, call: CallId, agent: AgentId) -> Result<(), AcdError> {
        if !self.agents.contains_key(&agent) {
            return Err(AcdError::UnknownAgent(agent));
        }
        let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        match &c.state {
            CallState::Offered { agents, .. } if agents.contains(&agent) => Ok(()),
            _ => Err(AcdError::InvalidState("the call is not ringing this agent")),
        }
    }
}
