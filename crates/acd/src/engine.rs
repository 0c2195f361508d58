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

use std::cmp::Reverse;
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::{SmallVec, smallvec};

use crate::calls::CallMap;
use crate::ids::IdMap;
use crate::sorted::SortedDeque;
use crate::types::*;

/// A waiting call's place: score key (higher first), entry time, arrival sequence, id.
pub(crate) type Slot = (Reverse<i64>, u64, u64, CallId);
/// An available agent's place in a queue: strategy key (lower first), tie-break, id.
pub(crate) type ReadyKey = (u64, u64, AgentId);

/// The agents a call rings: one but for ring-all (inline, so an offer allocates nothing).
pub(crate) type Ringing = SmallVec<[AgentId; 2]>;

/// A call's rank in the order of service: score, then earlier entry, then earlier arrival.
type Rank = (i64, Reverse<u64>, Reverse<u64>);

/// How many times one call may overflow from queue to queue before it is disconnected.
const MAX_HOPS: u8 = 4;

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

/// The routing engine. See the crate documentation for the contract.
#[derive(Debug, Default)]
pub struct Acd {
    pub(crate) now: Time,
    pub(crate) queues: IdMap<QueueId, Queue>,
    pub(crate) agents: IdMap<AgentId, Agent>,
    pub(crate) calls: CallMap<Call>,
    pub(crate) timers: BTreeSet<(Time, Timer)>,
    last_agent: FxHashMap<CustomerId, AgentId>,
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

    // ----- inputs: configuration -----------------------------------------------------------
    //
    // Every input first moves time to `now`, firing the timers due by then, and only then
    // checks itself against the state: an offer that rang out at `now` can no longer be
    // answered. A refused input changes nothing (beyond the timers that were due anyway).

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

    /// Creates or reconfigures a queue. Waiting calls are re-ranked under the new rules and
    /// agents re-qualified; nothing is dropped.
    pub fn handle_queue(
        &mut self,
        now: Time,
        id: QueueId,
        cfg: QueueConfig,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            validate_queue(id, &cfg, &s.queues, &s.calls)?;
            s.configure_queue(id, cfg);
            Ok(())
        })
    }

    fn configure_queue(&mut self, id: QueueId, cfg: QueueConfig) {
        let waiting: Vec<CallId> = match self.queues.get(&id) {
            Some(q) => q.waiting.iter().flatten().flatten().map(|s| s.3).collect(),
            None => Vec::new(),
        };
        for &c in &waiting {
            self.unqueue(c);
        }
        match self.queues.get_mut(&id) {
            Some(q) => {
                let levels = cfg.relax.len() + 1;
                q.cfg = cfg;
                q.waiting = (0..levels).map(|_| Default::default()).collect();
                q.ready = vec![SortedDeque::default(); levels];
            }
            None => {
                self.queues.insert(id, Queue::new(cfg));
            }
        }
        for c in waiting {
            self.enqueue(c);
        }
        for a in self.sorted_agents(|a| a.cfg.queues.contains(&id)) {
            let agent = self.agents.get_mut(&a).expect("listed");
            agent.indexed.retain(|(q, _, _)| *q != id); // the sets were rebuilt
            agent.rekey = true;
            self.qualify(a);
            self.refresh_agent(a);
            // The agent may no longer qualify for calls held for it as sticky agent.
            self.release_sticky(a);
        }
        // The queue may now overflow when unstaffed, and be unstaffed.
        self.emptied.push(id);
    }

    /// Creates or reconfigures an agent, busy or not. Contacts in progress go on; calls held
    /// for the agent as sticky agent go back to their queues.
    pub fn handle_agent(
        &mut self,
        now: Time,
        id: AgentId,
        cfg: AgentConfig,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            validate_agent(&cfg, &s.queues)?;
            let at = s.now;
            let agent = s.agents.get_or_insert_with(id, || Agent {
                cfg: AgentConfig::default(),
                presence: Presence::Offline,
                work: Vec::new(),
                eligible: Vec::new(),
                indexed: Vec::new(),
                counted: false,
                available_since: [at; Channel::COUNT],
                was_available: [false; Channel::COUNT],
                rekey: true,
                calls_today: 0,
                talk_today_ms: 0,
                sticky: Vec::new(),
                state: AgentState::Offline,
                reported: Presence::Offline,
                unreachable: [false; Channel::COUNT],
            });
            agent.cfg = cfg;
            agent.rekey = true;
            s.qualify(id);
            s.refresh_agent(id);
            s.release_sticky(id);
            Ok(())
        })
    }

    // ----- inputs: agents ------------------------------------------------------------------

    /// Logs the agent in, ready. Logging in twice changes nothing.
    pub fn handle_login(&mut self, now: Time, agent: AgentId) -> Result<(), AcdError> {
        self.input(now, |s| {
            let a = s.agent_mut(agent)?;
            if a.presence == Presence::Offline {
                a.presence = Presence::Ready;
                s.refresh_agent(agent);
            }
            Ok(())
        })
    }

    /// Logs the agent out. A ringing offer goes back to its queue (keeping its place),
    /// after-call work ends; a call being talked goes on until it hangs up.
    pub fn handle_logout(&mut self, now: Time, agent: AgentId) -> Result<(), AcdError> {
        self.input(now, |s| {
            s.agent_mut(agent)?.presence = Presence::Offline;
            s.withdraw_reservation(agent);
            s.end_wrap_up(agent);
            s.refresh_agent(agent);
            s.release_sticky(agent);
            Ok(())
        })
    }

    /// Whether the agent can be reached on `channel` (telephony: a phone is registered).
    /// An unreachable agent is offered nothing on it; a ringing offer there goes back to
    /// its queue, keeping its place. Agents are reachable until told otherwise.
    pub fn handle_reachable(
        &mut self,
        now: Time,
        agent: AgentId,
        channel: Channel,
        reachable: bool,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            let a = s.agent_mut(agent)?;
            a.unreachable[channel.index()] = !reachable;
            if !reachable {
                s.withdraw_reservation(agent);
            }
            s.refresh_agent(agent);
            Ok(())
        })
    }

    /// The agent is ready for contacts (after any after-call work in progress).
    pub fn handle_ready(&mut self, now: Time, agent: AgentId) -> Result<(), AcdError> {
        self.set_presence(now, agent, Presence::Ready)
    }

    /// The agent is not ready, for a reason. A ringing offer goes back to its queue.
    pub fn handle_not_ready(
        &mut self,
        now: Time,
        agent: AgentId,
        reason: Reason,
    ) -> Result<(), AcdError> {
        self.set_presence(now, agent, Presence::NotReady(reason))
    }

    fn set_presence(
        &mut self,
        now: Time,
        agent: AgentId,
        presence: Presence,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            let a = s.agent_mut(agent)?;
            if a.presence == Presence::Offline {
                return Err(AcdError::InvalidState("the agent is not logged in"));
            }
            a.presence = presence;
            if presence != Presence::Ready {
                s.withdraw_reservation(agent);
            }
            s.refresh_agent(agent);
            Ok(())
        })
    }

    /// Lengthens the agent's after-call work.
    pub fn handle_wrap_up_extend(
        &mut self,
        now: Time,
        agent: AgentId,
        by: Duration,
    ) -> Result<(), AcdError> {
        self.input(now, |s| {
            s.wrapping_up(agent)?;
            check_duration("by", by)?;
            let a = s.agents.get_mut(&agent).expect("checked");
            for w in a.work.iter_mut() {
                if let Phase::Wrap { until } = w.phase {
                    s.timers.remove(&(until, Timer::Wrap(agent, w.call)));
                    w.phase = Phase::Wrap { until: until + by };
                    s.timers.insert((until + by, Timer::Wrap(agent, w.call)));
                }
            }
            Ok(())
        })
    }

    /// Ends the agent's after-call work now.
    pub fn handle_wrap_up_end(&mut self, now: Time, agent: AgentId) -> Result<(), AcdError> {
        self.input(now, |s| {
            s.wrapping_up(agent)?;
            s.end_wrap_up(agent);
            s.refresh_agent(agent);
            Ok(())
        })
    }

    fn wrapping_up(&mut self, agent: AgentId) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        if a.work.iter().any(|w| matches!(w.phase, Phase::Wrap { .. })) {
            Ok(())
        } else {
            Err(AcdError::InvalidState(
                "the agent is not in after-call work",
            ))
        }
    }

    fn end_wrap_up(&mut self, agent: AgentId) {
        let a = self.agents.get_mut(&agent).expect("agent");
        a.work.retain(|w| match w.phase {
            Phase::Wrap { until } => {
                self.timers.remove(&(until, Timer::Wrap(agent, w.call)));
                self.wrapping.remove(&w.call);
                false
            }
            _ => true,
        });
    }

    /// Starts a new day for the "fewest calls" and "least talk time" strategies. The driver
    /// calls it at midnight in the tenant's time zone.
    pub fn handle_new_day(&mut self, now: Time) {
        let _ = self.input(now, |s| {
            for a in s.sorted_agents(|_| true) {
                let agent = s.agents.get_mut(&a).expect("listed");
                agent.calls_today = 0;
                agent.talk_today_ms = 0;
                agent.rekey = true;
                s.refresh_agent(a);
            }
            Ok(())
        });
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
                    callback: false,
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

    /// Fires the timers due at `now`: ring timeouts, end of after-call work, relaxation and
    /// acceleration steps, max wait, sticky holds. A `now` beyond [`Time::LATEST`] is ignored.
    pub fn handle_timeout(&mut self, now: Time) {
        let _ = self.input(now, |_| Ok(()));
    }

    // ----- the machinery -------------------------------------------------------------------

    /// Moves time forward to `now`, firing each due timer at its own time, in order.
    #[inline]
    fn advance(&mut self, now: Time) {
        // Twice per input, and mostly nothing is due: the check inline, the work out of line.
        if self.timers.first().is_some_and(|&(at, _)| at <= now) {
            self.fire_due(now);
        }
        self.now = self.now.max(now);
    }

    #[inline(never)]
    fn fire_due(&mut self, now: Time) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.now = self.now.max(at);
            self.fire(timer);
            self.settle();
        }
    }

    /// The end of every input: match, then fire anything that fell due meanwhile.
    fn finish(&mut self) {
        self.settle();
        self.advance(self.now);
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Ring(call) => {
                let c = self
                    .calls
                    .get_mut(&call)
                    .expect("ring timer of a live call");
                c.timer = None;
                let CallState::Offered { agents, ring_all } = c.state.clone() else {
                    unreachable!("ring timer of a ringing call")
                };
                for agent in agents {
                    self.actions.push_back(Action::CancelOffer { call, agent });
                    self.withdraw(call, agent, ReturnReason::RingNoAnswer, ring_all);
                }
            }
            Timer::Stage(call) => {
                self.calls.get_mut(&call).expect("stage timer").timer = None;
                self.unqueue(call);
                self.enqueue(call);
            }
            Timer::Sticky(call) => {
                self.calls.get_mut(&call).expect("sticky timer").timer = None;
                self.detach(call);
                self.enqueue(call);
            }
            Timer::Wrap(agent, call) => {
                let a = self.agents.get_mut(&agent).expect("wrap timer");
                a.work.retain(|w| w.call != call);
                self.wrapping.remove(&call);
                self.free_agent(agent);
            }
        }
    }

    /// An agent just done with a contact: if a call waits for them and nothing else awaits
    /// matching, it is theirs at once — they are never shown idle in between and skip the
    /// round through the ready sets. (A call of a ring-all queue rings everyone, so it goes
    /// the usual way: the refresh marks the agent for `settle`.)
    fn free_agent(&mut self, agent: AgentId) {
        if self.settled()
            && let Some(call) = self.call_for(agent)
        {
            let c = &self.calls[&call];
            let ring_all = matches!(c.state, CallState::Queued { .. })
                && self.queues[&c.queue].cfg.strategy == Strategy::RingAll;
            if !ring_all {
                self.detach(call);
                self.offer(call, smallvec![agent]); // refreshes the agent
                return;
            }
        }
        self.refresh_agent(agent);
    }

    /// Offers calls to agents who became available until none is left. (A call that starts
    /// waiting is matched at once by `enqueue`.)
    #[inline]
    fn settle(&mut self) {
        if !self.settled() {
            self.match_dirty();
        }
    }

    /// Nothing awaits matching: no agent or call marked dirty, no queue left unstaffed.
    #[inline]
    fn settled(&self) -> bool {
        self.emptied.is_empty() && self.dirty_agents.is_empty() && self.dirty_calls.is_empty()
    }

    #[inline(never)]
    fn match_dirty(&mut self) {
        loop {
            if let Some(q) = self.emptied.pop() {
                self.overflow_if_unstaffed(q);
            } else if let Some(agent) = self.dirty_agents.pop_front() {
                if let Some(call) = self.call_for(agent) {
                    let c = &self.calls[&call];
                    let agents = match c.state {
                        // Ring-all rings every available agent, this one among them.
                        CallState::Queued { level, .. }
                            if self.queues[&c.queue].cfg.strategy == Strategy::RingAll =>
                        {
                            self.agents_for(c.queue, usize::from(level))
                        }
                        _ => smallvec![agent],
                    };
                    self.detach(call);
                    self.offer(call, agents);
                }
            } else if !self.dirty_calls.is_empty() {
                // Calls that started waiting while agents were unsettled: best first, each to
                // the best agent free for it.
                let mut calls = std::mem::take(&mut self.dirty_calls);
                calls.retain(|c| {
                    self.calls
                        .get(c)
                        .is_some_and(|c| matches!(c.state, CallState::Queued { .. }))
                });
                calls.sort_by_cached_key(|c| (Reverse(self.rank(*c)), *c));
                calls.dedup();
                for call in calls {
                    if let Some(&Call {
                        queue,
                        state: CallState::Queued { level, .. },
                        ..
                    }) = self.calls.get(&call)
                    {
                        let agents = self.agents_for(queue, usize::from(level));
                        if !agents.is_empty() {
                            self.detach(call);
                            self.debug_assert_best(call, &agents);
                            self.offer(call, agents);
                        }
                    }
                }
            } else {
                break;
            }
        }
    }

    /// A call's place in the order of service at `now`: score (base priority plus the
    /// accelerated waiting time), then earlier entry, then earlier arrival. Higher first.
    fn rank(&self, call: CallId) -> Rank {
        let c = &self.calls[&call];
        let cfg = &self.queues[&c.queue].cfg;
        let acc = cfg.acceleration;
        let waited = i64::try_from(self.now.ms_since(c.entered)).unwrap_or(i64::MAX);
        let boost = waited
            .saturating_mul(i64::from(acc.per_second))
            .min(i64::from(acc.cap) * 1000);
        let base = i64::from(c.priority.saturating_add(cfg.priority)) * 1000;
        (base + boost, Reverse(c.entered.0), Reverse(c.seq))
    }

    /// The agents to offer a call at relaxation `level` to: the best one by the queue's
    /// strategy, or every available one for ring-all. Empty if none is available.
    fn agents_for(&mut self, queue: QueueId, level: usize) -> Ringing {
        let q = self.queues.get_mut(&queue).expect("queue of a call");
        let sets = &q.ready[..=level];
        match q.cfg.strategy {
            Strategy::RingAll => sets.iter().flatten().map(|k| k.2).collect(),
            Strategy::RoundRobin => {
                let cursor = q.rr_cursor;
                let pick = sets
                    .iter()
                    .filter_map(|s| {
                        s.first_from(&(u64::from(cursor) + 1, 0, AgentId(0)))
                            .or_else(|| s.first())
                    })
                    .min_by_key(|k| (k.2.0 <= cursor, k.2.0))
                    .map(|k| k.2);
                if let Some(a) = pick {
                    q.rr_cursor = a.0;
                }
                pick.into_iter().collect()
            }
            _ => sets
                .iter()
                .filter_map(|s| s.first())
                .min()
                .map(|k| k.2)
                .into_iter()
                .collect(),
        }
    }

    /// The best call for an available agent: first a call held for it as sticky agent, then
    /// the highest score (ties: longest waiting) among the queues and levels it qualifies for.
    fn call_for(&self, agent: AgentId) -> Option<CallId> {
        let a = self.agents.get(&agent)?;
        if a.sticky.is_empty()
            && a.eligible
                .iter()
                .all(|e| self.queues[&e.queue].queued() == 0)
        {
            return None; // the usual case when agents outnumber calls: nothing waits
        }
        if let Some(&held) = a
            .sticky
            .iter()
            .find(|c| a.available(self.queues[&self.calls[*c].queue].cfg.channel))
        {
            return Some(held);
        }
        self.best_waiting(agent).map(|(_, c)| c)
    }

    /// The highest-ranked waiting call the agent qualifies for on a channel it is free on.
    fn best_waiting(&self, agent: AgentId) -> Option<(Rank, CallId)> {
        let a = self.agents.get(&agent)?;
        let available = a.status().1;
        let now = self.now.0 as i64;
        let mut best: Option<(Rank, CallId)> = None;
        for e in &a.eligible {
            if !available[e.channel.index()] {
                continue;
            }
            let q = &self.queues[&e.queue];
            let acc = i64::from(q.cfg.acceleration.per_second);
            for (level, [accelerating, capped]) in q.waiting.iter().enumerate() {
                if level < usize::from(e.level) {
                    continue;
                }
                let heads = [
                    accelerating.first().map(|s| (s.0.0 + now * acc, s)),
                    capped.first().map(|s| (s.0.0, s)),
                ];
                for (score, s) in heads.into_iter().flatten() {
                    let rank = (score, Reverse(s.1), Reverse(s.2));
                    if best.is_none_or(|(b, _)| rank > b) {
                        best = Some((rank, s.3));
                    }
                }
            }
        }
        best
    }

    /// Debug builds check the order of service on every offer that is not ring-all: nobody
    /// is offered a call while a better one they qualify for waits.
    fn debug_assert_best(&self, call: CallId, agents: &[AgentId]) {
        if !cfg!(debug_assertions) || agents.len() != 1 {
            return;
        }
        if let Some((rank, other)) = self.best_waiting(agents[0]) {
            debug_assert!(
                rank < self.rank(call),
                "{:?} offered {call:?} while {other:?} ranks higher",
                agents[0]
            );
        }
    }

    /// Places a call in `queue`: overflow if the queue cannot take it, hold it for its sticky
    /// agent, or queue it.
    fn arrive_in(&mut self, call: CallId, queue: QueueId) {
        let q = &self.queues[&queue];
        let (sticky_hold, channel) = (q.cfg.sticky, q.cfg.channel);
        let first_level = q.level_at(0);
        let reason = if !q.cfg.open {
            Some(OverflowReason::Closed)
        } else if q
            .cfg
            .max_size
            .is_some_and(|m| q.queued() + q.held as usize >= m as usize)
        {
            Some(OverflowReason::QueueFull)
        } else if q.logged_in == 0 && q.cfg.nobody_logged_in == NobodyLoggedIn::Overflow {
            Some(OverflowReason::NobodyLoggedIn)
        } else {
            None
        };
        let c = self.calls.get_mut(&call).expect("arriving call");
        c.queue = queue;
        c.entered = self.now;
        let customer = c.customer;
        if let Some(reason) = reason {
            self.overflow(call, reason);
            return;
        }
        self.emit(EventKind::CallQueued { call, queue });
        let sticky = sticky_hold.zip(customer).and_then(|(hold, customer)| {
            let agent = *self.last_agent.get(&customer)?;
            let a = self.agents.get(&agent)?;
            // Only an agent who qualifies for a call that has not waited at all.
            let serves = a
                .eligible
                .iter()
                .any(|e| e.queue == queue && usize::from(e.level) <= first_level);
            (serves && a.presence != Presence::Offline).then_some((agent, hold))
        });
        match sticky {
            Some((agent, _)) if self.agents[&agent].available(channel) => {
                self.offer(call, smallvec![agent]);
            }
            Some((agent, hold)) => {
                let until = self.now + hold;
                self.calls.get_mut(&call).expect("arriving").state = CallState::Held { agent };
                self.queues.get_mut(&queue).expect("checked").held += 1;
                self.agents
                    .get_mut(&agent)
                    .expect("checked")
                    .sticky
                    .push(call);
                self.set_timer(call, Some((until, Timer::Sticky(call))));
            }
            None => self.enqueue(call),
        }
    }

    /// Places a call (not in any set) in its queue: offered at once to an available agent who
    /// qualifies, or else into the waiting sets at the place its entry time and priority give
    /// it, with a timer for its next relaxation / cap / max-wait step. A call past its max
    /// wait, or in a queue that overflows when nobody is logged in and nobody is, overflows.
    /// While other agents or calls await matching, the call waits for `settle` instead, so
    /// that everything is matched in order.
    fn enqueue(&mut self, call: CallId) {
        let now = self.now;
        let c = &self.calls[&call];
        let q = &self.queues[&c.queue];
        let waited_ms = now.ms_since(c.entered);
        let max_wait = q.cfg.max_wait.filter(|_| !c.callback);
        if max_wait.is_some_and(|m| waited_ms >= millis(m)) {
            self.overflow(call, OverflowReason::MaxWait);
            return;
        }
        if q.logged_in == 0 && q.cfg.nobody_logged_in == NobodyLoggedIn::Overflow {
            self.overflow(call, OverflowReason::NobodyLoggedIn);
            return;
        }
        let level = q.level_at(waited_ms);
        let capped = q.capped_at(waited_ms);
        let base = i64::from(c.priority.saturating_add(q.cfg.priority)) * 1000;
        let acc = i64::from(q.cfg.acceleration.per_second);
        let key = if capped {
            base + i64::from(q.cfg.acceleration.cap) * 1000
        } else {
            base - c.entered.0 as i64 * acc
        };
        let slot = (Reverse(key), c.entered.0, c.seq, call);
        let next = [
            q.cfg.relax.get(level).map(|r| c.entered + r.after),
            q.cap_after()
                .filter(|_| !capped)
                .map(|ms| Time(c.entered.0 + ms)),
            max_wait.map(|m| c.entered + m),
        ]
        .into_iter()
        .flatten()
        .min();
        let queue = c.queue;
        let settled = self.dirty_agents.is_empty() && self.dirty_calls.is_empty();
        if settled {
            // Every available agent is matched, so none who qualifies has a better call
            // waiting: the call is theirs by every ordering rule.
            let agents = self.agents_for(queue, level);
            if !agents.is_empty() {
                self.debug_assert_best(call, &agents);
                self.offer(call, agents);
                return;
            }
        } else {
            self.dirty_calls.push(call);
        }
        self.queues.get_mut(&queue).expect("checked").waiting[level][usize::from(capped)]
            .insert(slot);
        let c = self.calls.get_mut(&call).expect("checked");
        c.state = CallState::Queued {
            level: level as u8,
            slot,
        };
        self.set_timer(call, next.map(|t| (t, Timer::Stage(call))));
    }

    /// Takes a queued call out of its waiting set, its step timer off: the call is detached.
    fn unqueue(&mut self, call: CallId) {
        let c = self.calls.get_mut(&call).expect("call");
        if let CallState::Queued { level, slot } = c.state {
            let q = self.queues.get_mut(&c.queue).expect("queue of a call");
            let [accelerating, capped] = &mut q.waiting[usize::from(level)];
            if !accelerating.remove(&slot) {
                capped.remove(&slot);
            }
            c.state = CallState::Detached;
            retime(&mut self.timers, c, None);
        }
    }

    /// Takes a call out of wherever it waits or rings, so it can be offered, moved or ended.
    fn detach(&mut self, call: CallId) {
        let c = &self.calls[&call];
        match c.state.clone() {
            CallState::Queued { .. } => return self.unqueue(call), // detached by it
            CallState::Held { agent } => {
                self.queues.get_mut(&c.queue).expect("queue").held -= 1;
                self.agents
                    .get_mut(&agent)
                    .expect("sticky agent")
                    .sticky
                    .retain(|x| *x != call);
                self.set_timer(call, None);
            }
            CallState::Offered { agents, .. } => {
                self.set_timer(call, None);
                for agent in agents {
                    self.drop_work(agent, call);
                    self.actions.push_back(Action::CancelOffer { call, agent });
                    self.refresh_agent(agent);
                }
            }
            CallState::Connected { .. } | CallState::Detached => return,
        }
        self.calls.get_mut(&call).expect("call").state = CallState::Detached;
    }

    /// Rings `agents` (all available, the call detached) with the call; an agent with
    /// auto-answer (alone, not ring-all) is connected at once.
    fn offer(&mut self, call: CallId, agents: Ringing) {
        let c = &self.calls[&call];
        let (queue, callback) = (c.queue, c.callback);
        let cfg = &self.queues[&queue].cfg;
        let (channel, ring_all) = (cfg.channel, cfg.strategy == Strategy::RingAll);
        let deadline = self.now + cfg.ring_timeout;
        let auto = !ring_all && agents.len() == 1 && self.agents[&agents[0]].cfg.auto_answer;
        for &agent in &agents {
            let a = self.agents.get_mut(&agent).expect("available agent");
            debug_assert!(
                a.available(channel),
                "{agent:?} offered {call:?} but busy: {a:?}"
            );
            debug_assert!(
                a.sticky.contains(&call) || a.eligible.iter().any(|e| e.queue == queue),
                "{agent:?} offered {call:?} of a queue it does not serve"
            );
            a.work.push(Work {
                call,
                channel,
                phase: if auto {
                    Phase::Talking
                } else {
                    Phase::Reserved
                },
            });
            self.actions.push_back(Action::Offer {
                call,
                agent,
                callback,
                connected: auto,
            });
            self.emit(EventKind::CallOffered { call, agent });
            if auto {
                self.connect(call, agent);
                return;
            }
            self.refresh_agent(agent);
        }
        let c = self.calls.get_mut(&call).expect("checked");
        c.state = CallState::Offered { agents, ring_all };
        retime(&mut self.timers, c, Some((deadline, Timer::Ring(call))));
    }

    /// Connects an offered call (or, for auto-answer, one being offered) to the agent; any
    /// other agent it rings stops ringing.
    fn connect(&mut self, call: CallId, agent: AgentId) {
        let c = self.calls.get_mut(&call).expect("offered call");
        let connected = CallState::Connected {
            agent,
            since: self.now,
        };
        let others = match std::mem::replace(&mut c.state, connected) {
            CallState::Offered { agents, .. } => agents,
            _ => Ringing::new(),
        };
        let (queue, waited_ms, customer) = (c.queue, self.now.ms_since(c.arrived), c.customer);
        retime(&mut self.timers, c, None);
        for other in others.into_iter().filter(|a| *a != agent) {
            self.drop_work(other, call);
            self.actions
                .push_back(Action::CancelOffer { call, agent: other });
            self.refresh_agent(other);
        }
        let a = self.agents.get_mut(&agent).expect("offered");
        if let Some(w) = a.work.iter_mut().find(|w| w.call == call) {
            w.phase = Phase::Talking;
        }
        a.calls_today += 1;
        a.rekey |= !a.indexed.is_empty(); // still available on another channel
        if let Some(customer) = customer {
            self.last_agent.insert(customer, agent);
        }
        self.emit(EventKind::CallAnswered {
            call,
            agent,
            queue,
            waited_ms,
        });
        self.refresh_agent(agent);
    }

    /// Stops ringing `agent` with `call`. A missed offer (not for ring-all, which simply
    /// rings again) makes the agent not ready. When nobody rings any more the call goes back
    /// to its place in the queue.
    fn withdraw(&mut self, call: CallId, agent: AgentId, reason: ReturnReason, keep_ready: bool) {
        self.drop_work(agent, call);
        let a = self.agents.get_mut(&agent).expect("offered agent");
        let missed = matches!(reason, ReturnReason::RingNoAnswer | ReturnReason::Declined);
        if missed && !keep_ready && a.presence != Presence::Offline {
            a.presence = Presence::NotReady(Reason::Missed);
        }
        self.emit(EventKind::CallReturned {
            call,
            agent,
            reason,
        });
        self.refresh_agent(agent);
        let c = self.calls.get_mut(&call).expect("offered call");
        if let CallState::Offered { agents, .. } = &mut c.state {
            agents.retain(|x| *x != agent);
            if agents.is_empty() {
                self.set_timer(call, None);
                self.enqueue(call);
            }
        }
    }

    /// The agent can no longer take the offer ringing it (logout, not ready).
    fn withdraw_reservation(&mut self, agent: AgentId) {
        if let Some(call) = self.agents[&agent].reserved() {
            self.actions.push_back(Action::CancelOffer { call, agent });
            self.withdraw(call, agent, ReturnReason::AgentUnavailable, true);
        }
    }

    fn drop_work(&mut self, agent: AgentId, call: CallId) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.work.retain(|w| w.call != call);
        }
    }

    /// Sends a call (detached or not) to its queue's overflow target.
    fn overflow(&mut self, call: CallId, reason: OverflowReason) {
        self.detach(call);
        let c = &self.calls[&call];
        let from = c.queue;
        let target = self.queues[&from].cfg.overflow;
        match target {
            Overflow::Queue(to) if c.hops < MAX_HOPS && self.queues.contains_key(&to) => {
                self.emit(EventKind::CallOverflowed {
                    call,
                    from,
                    to: target,
                    reason,
                });
                self.calls.get_mut(&call).expect("checked").hops += 1;
                self.arrive_in(call, to);
            }
            _ => {
                let (target, reason) = match target {
                    Overflow::Queue(_) => (Overflow::Disconnect, OverflowReason::TooManyHops),
                    other => (other, reason),
                };
                self.emit(EventKind::CallOverflowed {
                    call,
                    from,
                    to: target,
                    reason,
                });
                self.actions.push_back(Action::Overflow { call, target });
                self.end(call, Outcome::Overflowed(target));
            }
        }
    }

    /// After the last agent of an overflow-when-unstaffed queue logged out: its callers go.
    fn overflow_if_unstaffed(&mut self, queue: QueueId) {
        let Some(q) = self.queues.get(&queue) else {
            return;
        };
        if q.logged_in > 0 || q.cfg.nobody_logged_in != NobodyLoggedIn::Overflow {
            return;
        }
        let mut calls: Vec<(Reverse<Rank>, CallId)> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.queue == queue
                    && matches!(c.state, CallState::Queued { .. } | CallState::Held { .. })
            })
            .map(|(id, _)| (Reverse(self.rank(id)), id))
            .collect();
        calls.sort_unstable(); // best first, wherever they go
        for (_, call) in calls {
            self.overflow(call, OverflowReason::NobodyLoggedIn);
        }
    }

    fn end(&mut self, call: CallId, outcome: Outcome) {
        let c = self.calls.remove(&call).expect("live call");
        debug_assert!(c.timer.is_none());
        self.emit(EventKind::CallEnded {
            call,
            queue: c.queue,
            outcome,
        });
    }

    /// Sends calls held for this agent as sticky agent back to their queues.
    fn release_sticky(&mut self, agent: AgentId) {
        let held = self.agents[&agent].sticky.clone();
        for &call in &held {
            self.detach(call);
        }
        // Marked as unsettled so that they are matched best first, not in holding order.
        self.dirty_calls.extend_from_slice(&held);
        for call in held {
            self.enqueue(call);
        }
    }

    /// Recomputes which queues the agent qualifies for, and from which level.
    fn qualify(&mut self, agent: AgentId) {
        let a = &self.agents[&agent];
        let mut eligible: Vec<Eligibility> = Vec::new();
        for &queue in &a.cfg.queues {
            let Some(q) = self.queues.get(&queue) else {
                continue;
            };
            // Serving a queue on a channel the agent has no capacity for is serving nothing.
            if eligible.iter().any(|e| e.queue == queue)
                || a.cfg.capacity[q.cfg.channel.index()] == 0
            {
                continue;
            }
            let meets = |(reqs, min): (&[SkillReq], Option<u8>)| {
                reqs.iter()
                    .all(|r| a.proficiency(r.skill) >= min.unwrap_or(r.min))
            };
            if let Some(level) = (0..q.waiting.len()).find(|&l| meets(q.requirement(l))) {
                let proficiency = q
                    .requirement(level)
                    .0
                    .iter()
                    .map(|r| u32::from(a.proficiency(r.skill)))
                    .sum();
                eligible.push(Eligibility {
                    queue,
                    level: level as u8,
                    proficiency,
                    channel: q.cfg.channel,
                    strategy: q.cfg.strategy,
                });
            }
        }
        let a = self.agents.get_mut(&agent).expect("agent");
        if a.counted {
            for e in &a.eligible {
                count_in(&mut self.queues, &mut self.emptied, e.queue, false);
            }
            for e in &eligible {
                count_in(&mut self.queues, &mut self.emptied, e.queue, true);
            }
        }
        a.eligible = eligible;
    }

    /// Brings everything derived from an agent up to date after any change to it: its
    /// reported state (an event if it changed), the queues' logged-in counts, its places in
    /// the queues' ready sets; and marks it for matching if it is available.
    fn refresh_agent(&mut self, agent: AgentId) {
        let now = self.now;
        let presences = self.recorded(EventType::AgentPresence);
        let states = self.recorded(EventType::AgentState);
        let a = self.agents.get_mut(&agent).expect("agent");
        if a.presence != a.reported {
            a.reported = a.presence;
            if presences {
                self.events.push_back(Event {
                    at: now,
                    kind: EventKind::AgentPresence {
                        agent,
                        presence: a.presence,
                    },
                });
            }
        }
        let (state, available) = a.status();
        if state != a.state {
            self.load.change(now, a.state, state);
            a.state = state;
            if states {
                self.events.push_back(Event {
                    at: now,
                    kind: EventKind::AgentState { agent, state },
                });
            }
        }

        let logged_in = a.presence != Presence::Offline;
        if logged_in != a.counted {
            a.counted = logged_in;
            for e in &a.eligible {
                count_in(&mut self.queues, &mut self.emptied, e.queue, logged_in);
            }
        }

        let became = available != a.was_available;
        if became {
            for (ch, free) in available.into_iter().enumerate() {
                if free && !a.was_available[ch] {
                    a.available_since[ch] = now;
                }
            }
            a.was_available = available;
        }
        if became || std::mem::take(&mut a.rekey) {
            reindex(&mut self.queues, &mut self.scratch, agent, a, available);
        }
        // To be matched, if available and a call waits for it: one held for it as sticky
        // agent, or one in a queue it serves on a channel it is free on. (If none does, a call
        // that comes later finds the agent in the ready sets.)
        let wanted = available != [false; Channel::COUNT]
            && (!a.sticky.is_empty()
                || a.eligible
                    .iter()
                    .any(|e| available[e.channel.index()] && self.queues[&e.queue].queued() > 0));
        if wanted {
            self.dirty_agents.push_back(agent);
        }
    }

    fn set_timer(&mut self, call: CallId, timer: Option<(Time, Timer)>) {
        let c = self.calls.get_mut(&call).expect("call");
        retime(&mut self.timers, c, timer);
    }

    fn emit(&mut self, kind: EventKind) {
        if self.recorded(kind.event_type()) {
            self.events.push_back(Event { at: self.now, kind });
        }
    }

    fn agent_mut(&mut self, agent: AgentId) -> Result<&mut Agent, AcdError> {
        self.agents
            .get_mut(&agent)
            .ok_or(AcdError::UnknownAgent(agent))
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

    fn sorted_agents(&self, keep: impl Fn(&Agent) -> bool) -> Vec<AgentId> {
        let mut ids: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, a)| keep(a))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// Puts the agent in the ready sets of the queues it is available for, keyed by each queue's
/// strategy. Only availability and the agent's configuration and daily counters change the
/// keys, so `refresh_agent` calls this only when one of those changed. (A function of the
/// fields it needs, so that the caller's borrow of the agent serves.)
fn reindex(
    queues: &mut IdMap<QueueId, Queue>,
    scratch: &mut Vec<(QueueId, u8, ReadyKey)>,
    agent: AgentId,
    a: &mut Agent,
    available: [bool; Channel::COUNT],
) {
    if available == [false; Channel::COUNT] {
        // In no ready set any more (the usual case: the agent took a contact).
        for (q, level, key) in a.indexed.drain(..) {
            if let Some(set) = queues
                .get_mut(&q)
                .and_then(|q| q.ready.get_mut(usize::from(level)))
            {
                set.remove(&key);
            }
        }
        return;
    }
    scratch.clear();
    for e in &a.eligible {
        let ch = e.channel.index();
        if !available[ch] {
            continue;
        }
        let since = a.available_since[ch].0;
        let key = match e.strategy {
            Strategy::LongestIdle => (since, 0),
            Strategy::FewestCalls => (u64::from(a.calls_today), since),
            Strategy::LeastTalkTime => (a.talk_today_ms, since),
            Strategy::BestProficiency => (u64::from(u32::MAX - e.proficiency), since),
            Strategy::RoundRobin | Strategy::RingAll => (u64::from(agent.0), 0),
        };
        scratch.push((e.queue, e.level, (key.0, key.1, agent)));
    }
    if *scratch != a.indexed {
        for &(q, level, key) in &a.indexed {
            if let Some(set) = queues
                .get_mut(&q)
                .and_then(|q| q.ready.get_mut(usize::from(level)))
            {
                set.remove(&key);
            }
        }
        for &(q, level, key) in scratch.iter() {
            queues.get_mut(&q).expect("queue").ready[usize::from(level)].insert(key);
        }
        std::mem::swap(&mut a.indexed, scratch);
    }
}

/// Sets or clears a call's timer.
fn retime(timers: &mut BTreeSet<(Time, Timer)>, c: &mut Call, timer: Option<(Time, Timer)>) {
    if let Some(old) = std::mem::replace(&mut c.timer, timer) {
        timers.remove(&old);
    }
    if let Some(new) = timer {
        timers.insert(new);
    }
}

/// Counts an agent in (or out of) a queue's logged-in agents; a queue left with none is noted
/// for `settle`, which overflows its callers if the queue says so.
fn count_in(
    queues: &mut IdMap<QueueId, Queue>,
    emptied: &mut Vec<QueueId>,
    queue: QueueId,
    add: bool,
) {
    let q = queues.get_mut(&queue).expect("queue");
    if add {
        q.logged_in += 1;
    } else {
        q.logged_in -= 1;
        if q.logged_in == 0 {
            emptied.push(queue);
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AcdError {
    AcdError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}

fn check_skills(field: &'static str, reqs: &[SkillReq]) -> Result<(), AcdError> {
    match reqs.iter().find(|r| !(1..=10).contains(&r.min)) {
        Some(r) => Err(invalid(
            field,
            format!(
                "proficiency {} for skill {} is not within 1–10",
                r.min, r.skill.0
            ),
        )),
        None => Ok(()),
    }
}

/// The longest duration any setting may have: keeps every time the engine computes far from
/// overflow, and no contact center waits a week for anything.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

fn check_duration(field: &'static str, d: Duration) -> Result<(), AcdError> {
    if d > LONGEST {
        return Err(invalid(field, "must be at most a week"));
    }
    Ok(())
}

fn validate_queue(
    id: QueueId,
    cfg: &QueueConfig,
    queues: &IdMap<QueueId, Queue>,
    calls: &CallMap<Call>,
) -> Result<(), AcdError> {
    check_skills("skills", &cfg.skills)?;
    if cfg.ring_timeout.is_zero() {
        return Err(invalid("ring_timeout", "must be longer than zero"));
    }
    for (field, d) in [
        ("ring_timeout", Some(cfg.ring_timeout)),
        ("wrap_up", Some(cfg.wrap_up)),
        ("service_time", Some(cfg.service_time)),
        ("max_wait", cfg.max_wait),
        ("sticky", cfg.sticky),
    ] {
        check_duration(field, d.unwrap_or_default())?;
    }
    if let Some(r) = cfg.relax.last() {
        check_duration("relax", r.after)?;
    }
    // A contact keeps its channel for life: a voice call never becomes a chat.
    if let Some(old) = queues.get(&id).filter(|q| q.cfg.channel != cfg.channel) {
        let live = calls.values().any(|c| c.queue == id);
        let fed = queues
            .values()
            .any(|q| q.cfg.overflow == Overflow::Queue(id));
        if live || fed {
            return Err(invalid(
                "channel",
                format!(
                    "cannot change from {:?} while contacts are in the queue or another queue \
                     overflows into it",
                    old.cfg.channel
                ),
            ));
        }
    }
    if let Overflow::Queue(to) = cfg.overflow
        && queues
            .get(&to)
            .is_some_and(|q| q.cfg.channel != cfg.channel)
    {
        return Err(invalid(
            "overflow",
            format!("queue {} takes another channel", to.0),
        ));
    }
    if cfg.relax.len() > 250 {
        return Err(invalid("relax", "at most 250 steps"));
    }
    for pair in cfg.relax.windows(2) {
        if pair[0].after >= pair[1].after {
            return Err(invalid(
                "relax",
                "steps must come in increasing `after` order",
            ));
        }
    }
    for r in &cfg.relax {
        match &r.step {
            RelaxStep::MinProficiency(m) if !(1..=10).contains(m) => {
                return Err(invalid(
                    "relax",
                    format!("proficiency {m} is not within 1–10"),
                ));
            }
            RelaxStep::Fallback(set) => check_skills("relax", set)?,
            _ => {}
        }
    }
    if cfg.acceleration.per_second > 1000 {
        return Err(invalid("acceleration", "at most 1000 points per second"));
    }
    if cfg.max_wait.is_some_and(|d| d.is_zero()) {
        return Err(invalid("max_wait", "must be longer than zero (or unset)"));
    }
    if cfg.sticky.is_some_and(|d| d.is_zero()) {
        return Err(invalid("sticky", "must be longer than zero (or unset)"));
    }
    match cfg.overflow {
        Overflow::Queue(to) if to == id => {
            Err(invalid("overflow", "a queue cannot overflow into itself"))
        }
        Overflow::Queue(to) if !queues.contains_key(&to) => Err(invalid(
            "overflow",
            format!("queue {} does not exist", to.0),
        )),
        _ => Ok(()),
    }
}

fn validate_agent(cfg: &AgentConfig, queues: &IdMap<QueueId, Queue>) -> Result<(), AcdError> {
    if let Some((s, p)) = cfg.skills.iter().find(|(_, p)| !(1..=10).contains(p)) {
        return Err(invalid(
            "skills",
            format!("proficiency {p} for skill {} is not within 1–10", s.0),
        ));
    }
    if let Some(q) = cfg.queues.iter().find(|q| !queues.contains_key(q)) {
        return Err(invalid("queues", format!("queue {} does not exist", q.0)));
    }
    Ok(())
}
