//! Agents: their configuration, logging in and out, readiness, after-call work, the
//! queues they qualify for and their places in the queues' ready sets.

use std::time::Duration;

use super::validation::{check_duration, validate_agent};
use super::{Acd, Agent, Eligibility, Phase, Queue, ReadyKey, Timer};
use crate::ids::IdMap;
use crate::types::*;

impl Acd {
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

    /// Sends calls held for this agent as sticky agent back to their queues.
    pub(super) fn release_sticky(&mut self, agent: AgentId) {
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
    pub(super) fn qualify(&mut self, agent: AgentId) {
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
    pub(super) fn refresh_agent(&mut self, agent: AgentId) {
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

    fn agent_mut(&mut self, agent: AgentId) -> Result<&mut Agent, AcdError> {
        self.agents
            .get_mut(&agent)
            .ok_or(AcdError::UnknownAgent(agent))
    }

    pub(super) fn sorted_agents(&self, keep: impl Fn(&Agent) -> bool) -> Vec<AgentId> {
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
