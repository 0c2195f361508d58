//! Matching calls and agents: `settle`, `enqueue`, offers, answers and withdrawals, and
//! the order of service (a call's rank, the best call for an agent, the best agent for a
//! call).

use std::cmp::Reverse;

use smallvec::smallvec;

use super::timers::retime;
use super::{Acd, Call, CallState, Phase, Rank, Ringing, Timer, Work};
use crate::types::*;

impl Acd {
    /// Remembers who served `customer` for their next call, within [`super::LAST_AGENTS`].
    fn remember_agent(&mut self, customer: CustomerId, agent: AgentId) {
        let now = self.now;
        self.last_agent.insert(customer, (agent, now));
        if self.last_agent.len() > super::LAST_AGENTS {
            let mut times: Vec<Time> = self.last_agent.values().map(|(_, t)| *t).collect();
            times.sort_unstable();
            let cut = times[times.len() / 2];
            self.last_agent.retain(|_, (_, t)| *t > cut);
        }
    }

    /// An agent just done with a contact: if a call waits for them and nothing else awaits
    /// matching, it is theirs at once — they are never shown idle in between and skip the
    /// round through the ready sets. (A call of a ring-all queue rings everyone, so it goes
    /// the usual way: the refresh marks the agent for `settle`.)
    pub(super) fn free_agent(&mut self, agent: AgentId) {
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
    pub(super) fn settle(&mut self) {
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
    pub(super) fn rank(&self, call: CallId) -> Rank {
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

    /// Places a call (not in any set) in its queue: offered at once to an available agent who
    /// qualifies, or else into the waiting sets at the place its entry time and priority give
    /// it, with a timer for its next relaxation / cap / max-wait step. A call past its max
    /// wait, or in a queue that overflows when nobody is logged in and nobody is, overflows.
    /// While other agents or calls await matching, the call waits for `settle` instead, so
    /// that everything is matched in order.
    pub(super) fn enqueue(&mut self, call: CallId) {
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
    pub(super) fn unqueue(&mut self, call: CallId) {
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
    pub(super) fn detach(&mut self, call: CallId) {
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
    pub(super) fn offer(&mut self, call: CallId, agents: Ringing) {
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
    pub(super) fn connect(&mut self, call: CallId, agent: AgentId) {
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
            self.remember_agent(customer, agent);
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
    pub(super) fn withdraw(
        &mut self,
        call: CallId,
        agent: AgentId,
        reason: ReturnReason,
        keep_ready: bool,
    ) {
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
    pub(super) fn withdraw_reservation(&mut self, agent: AgentId) {
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

    pub(super) fn end(&mut self, call: CallId, outcome: Outcome) {
        let c = self.calls.remove(&call).expect("live call");
        debug_assert!(c.timer.is_none());
        self.emit(EventKind::CallEnded {
            call,
            queue: c.queue,
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20: the sticky agent's memory is bounded (before, every customer ever
    /// answered stayed in it); the customers served most recently are kept.
    #[test]
    fn issue_20_the_last_agent_memory_stays_bounded() {
        let mut acd = Acd::new();
        for i in 0..(5 * super::super::LAST_AGENTS as u64) {
            acd.now = Time(i);
            acd.remember_agent(CustomerId(i), AgentId(1));
        }
        assert!(acd.last_agent.len() <= super::super::LAST_AGENTS);
        let newest = 5 * super::super::LAST_AGENTS as u64 - 1;
        assert!(acd.last_agent.contains_key(&CustomerId(newest)));
    }
}
