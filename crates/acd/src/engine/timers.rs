//! Time moving forward: the timers due by an input's `now` fired in order, each settled
//! before the next.

use std::collections::BTreeSet;

use super::{Acd, Call, CallState, Timer};
use crate::types::*;

impl Acd {
    /// Fires the timers due at `now`: ring timeouts, end of after-call work, relaxation and
    /// acceleration steps, max wait, sticky holds. A `now` beyond [`Time::LATEST`] is ignored.
    pub fn handle_timeout(&mut self, now: Time) {
        let _ = self.input(now, |_| Ok(()));
    }

    /// Moves time forward to `now`, firing each due timer at its own time, in order.
    #[inline]
    pub(super) fn advance(&mut self, now: Time) {
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
    pub(super) fn finish(&mut self) {
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

    pub(super) fn set_timer(&mut self, call: CallId, timer: Option<(Time, Timer)>) {
        let c = self.calls.get_mut(&call).expect("call");
        retime(&mut self.timers, c, timer);
    }
}

/// Sets or clears a call's timer.
pub(super) fn retime(
    timers: &mut BTreeSet<(Time, Timer)>,
    c: &mut Call,
    timer: Option<(Time, Timer)>,
) {
    if let Some(old) = std::mem::replace(&mut c.timer, timer) {
        timers.remove(&old);
    }
    if let Some(new) = timer {
        timers.insert(new);
    }
}
