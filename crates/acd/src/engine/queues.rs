//! Queues: their configuration, a call's arrival in one (held for its sticky agent,
//! queued or turned away) and overflow to the next target.

use std::cmp::Reverse;

use smallvec::smallvec;

use super::validation::validate_queue;
use super::{Acd, CallState, Queue, Rank, Timer};
use crate::sorted::SortedDeque;
use crate::types::*;

/// How many times one call may overflow from queue to queue before it is disconnected.
const MAX_HOPS: u8 = 4;

impl Acd {
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

    /// Places a call in `queue`: overflow if the queue cannot take it, hold it for its sticky
    /// agent, or queue it.
    pub(super) fn arrive_in(&mut self, call: CallId, queue: QueueId) {
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
            let (agent, _) = *self.last_agent.get(&customer)?;
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

    /// Sends a call (detached or not) to its queue's overflow target.
    pub(super) fn overflow(&mut self, call: CallId, reason: OverflowReason) {
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
    pub(super) fn overflow_if_unstaffed(&mut self, queue: QueueId) {
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
}
