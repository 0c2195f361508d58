//! The engine's invariants, checked from scratch against its state.

use std::collections::BTreeSet;

use crate::engine::{Acd, CallState, Phase, Timer};
use crate::types::Presence;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(format!($($fmt)*));
        }
    };
}

impl Acd {
    /// Checks every invariant the engine promises, in time linear in its size. For tests and
    /// debugging; the engine keeps them by construction. Returns what is broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        let now = self.now;
        let mut timers = BTreeSet::new();
        let mut queued = 0;

        for (id, c) in self.calls.iter() {
            let q = self
                .queues
                .get(&c.queue)
                .ok_or(format!("{id:?}: no queue"))?;
            if let Some(t) = c.timer {
                ensure!(t.0 > now, "{id:?}: timer {t:?} overdue at {now:?}");
                timers.insert(t);
            }
            match &c.state {
                CallState::Detached => return Err(format!("{id:?} left between places")),
                CallState::Queued { level, slot } => {
                    queued += 1;
                    let waited = now.ms_since(c.entered);
                    let capped = q.capped_at(waited);
                    ensure!(slot.3 == id, "{id:?}: slot names {:?}", slot.3);
                    ensure!(
                        usize::from(*level) == q.level_at(waited),
                        "{id:?}: relaxation level {level} is stale after {waited} ms"
                    );
                    ensure!(
                        q.waiting[usize::from(*level)][usize::from(capped)].contains(slot),
                        "{id:?}: not in its waiting set"
                    );
                    let limited = q.cfg.max_wait.filter(|_| !c.callback);
                    ensure!(
                        limited.is_none_or(|m| waited < m.as_millis() as u64),
                        "{id:?}: waited {waited} ms past max wait"
                    );
                    let more_steps = usize::from(*level) < q.cfg.relax.len()
                        || (!capped && q.cfg.acceleration.per_second > 0)
                        || limited.is_some();
                    ensure!(
                        c.timer.map(|t| t.1) == more_steps.then_some(Timer::Stage(id)),
                        "{id:?}: waiting without its step timer: {:?}",
                        c.timer
                    );
                }
                CallState::Held { agent } => {
                    let a = self.agents.get(agent).ok_or(format!("{id:?}: no agent"))?;
                    ensure!(a.sticky.contains(&id), "{id:?}: held, unknown to {agent:?}");
                    ensure!(
                        a.eligible.iter().any(|e| e.queue == c.queue),
                        "{id:?}: held for {agent:?}, who does not serve {:?}",
                        c.queue
                    );
                    ensure!(
                        c.timer.map(|t| t.1) == Some(Timer::Sticky(id)),
                        "{id:?}: held without a timer"
                    );
                    ensure!(
                        !a.available(q.cfg.channel),
                        "{id:?}: held for {agent:?}, who is available"
                    );
                }
                CallState::Offered { agents, .. } => {
                    ensure!(!agents.is_empty(), "{id:?}: offered to nobody");
                    for agent in agents {
                        let a = self.agents.get(agent).ok_or(format!("{id:?}: no agent"))?;
                        ensure!(
                            a.work
                                .iter()
                                .any(|w| w.call == id && w.phase == Phase::Reserved),
                            "{id:?}: offered to {agent:?}, who is not reserved for it"
                        );
                    }
                    ensure!(
                        c.timer.map(|t| t.1) == Some(Timer::Ring(id)),
                        "{id:?}: rings without a ring timeout"
                    );
                }
                CallState::Connected { agent, .. } => {
                    let a = self.agents.get(agent).ok_or(format!("{id:?}: no agent"))?;
                    ensure!(
                        a.work.iter().any(
                            |w| w.call == id && matches!(w.phase, Phase::Talking | Phase::Hold)
                        ),
                        "{id:?}: connected to {agent:?}, who is not on it"
                    );
                    ensure!(c.timer.is_none(), "{id:?}: connected with a timer");
                }
            }
        }

        let mut ready_entries = 0;
        let mut wrapping = rustc_hash::FxHashSet::default();
        for (&id, a) in self.agents.iter() {
            let reservations = a.work.iter().filter(|w| w.phase == Phase::Reserved).count();
            ensure!(
                reservations <= 1,
                "{id:?} reserved for {reservations} calls"
            );
            for w in &a.work {
                let call = self.calls.get(&w.call);
                match w.phase {
                    Phase::Reserved => ensure!(
                        call.is_some_and(
                            |c| matches!(&c.state, CallState::Offered { agents, .. } if agents.contains(&id))
                        ),
                        "{id:?}: reserved for {:?}, which is not ringing it",
                        w.call
                    ),
                    Phase::Talking | Phase::Hold => ensure!(
                        call.is_some_and(
                            |c| matches!(c.state, CallState::Connected { agent, .. } if agent == id)
                        ),
                        "{id:?}: talking on {:?}, which is not connected to it",
                        w.call
                    ),
                    Phase::Wrap { until } => {
                        ensure!(call.is_none(), "{id:?}: wrapping up a live call");
                        wrapping.insert(w.call);
                        ensure!(until > now, "{id:?}: after-call work overdue");
                        timers.insert((until, Timer::Wrap(id, w.call)));
                    }
                }
            }
            ensure!(a.state == a.summary(), "{id:?}: reported state out of date");
            ensure!(
                a.presence != Presence::Offline || a.reserved().is_none(),
                "{id:?}: offline and ringing"
            );
            for &c in &a.sticky {
                ensure!(
                    self.calls
                        .get(&c)
                        .is_some_and(|c| c.state == CallState::Held { agent: id }),
                    "{id:?}: holds {c:?}, which is not held for it"
                );
            }

            let mut expected = 0;
            for e in &a.eligible {
                let q = &self.queues[&e.queue];
                if !a.available(q.cfg.channel) {
                    continue;
                }
                expected += 1;
                let entry = a.indexed.iter().find(|(qq, _, _)| *qq == e.queue);
                ensure!(
                    entry.is_some_and(|(_, level, key)| *level == e.level
                        && q.ready[usize::from(e.level)].contains(key)),
                    "{id:?}: available but not in the ready set of {:?}",
                    e.queue
                );
                for (level, [accelerating, capped]) in q.waiting.iter().enumerate() {
                    ensure!(
                        level < usize::from(e.level)
                            || (accelerating.is_empty() && capped.is_empty()),
                        "{id:?} idles while a call it qualifies for waits in {:?}",
                        e.queue
                    );
                }
            }
            ensure!(
                a.indexed.len() == expected,
                "{id:?}: in {} ready sets, expected {expected}",
                a.indexed.len()
            );
            ready_entries += expected;
        }

        let mut sets = 0;
        let mut ready = 0;
        for (&qid, q) in self.queues.iter() {
            sets += q.queued();
            ready += q.ready.iter().map(|s| s.len()).sum::<usize>();
            let held = self
                .calls
                .values()
                .filter(|c| c.queue == qid && matches!(c.state, CallState::Held { .. }))
                .count();
            ensure!(
                q.held as usize == held,
                "{qid:?}: held count {} vs {held}",
                q.held
            );
            let logged_in = self
                .agents
                .values()
                .filter(|a| {
                    a.presence != Presence::Offline && a.eligible.iter().any(|e| e.queue == qid)
                })
                .count();
            ensure!(
                q.logged_in as usize == logged_in,
                "{qid:?}: logged-in count {} vs {logged_in}",
                q.logged_in
            );
        }
        ensure!(
            sets == queued,
            "{sets} calls in waiting sets, {queued} waiting"
        );
        ensure!(
            self.wrapping == wrapping,
            "calls in after-call work {:?}, known as such {:?}",
            wrapping,
            self.wrapping
        );
        ensure!(
            ready == ready_entries,
            "{ready} ready entries, {ready_entries} expected"
        );
        let (mut staffed, mut busy) = (0, 0);
        for (_, a) in self.agents.iter() {
            let (s, b) = a.state.staffed_busy();
            staffed += u64::from(s);
            busy += u64::from(b);
        }
        ensure!(
            (self.load.staffed, self.load.busy) == (staffed, busy),
            "agents staffed and busy counted as {:?}, not {:?}",
            (self.load.staffed, self.load.busy),
            (staffed, busy)
        );
        ensure!(
            self.timers == timers,
            "timers differ from what calls and agents expect: {:?}",
            self.timers
                .symmetric_difference(&timers)
                .collect::<Vec<_>>()
        );
        Ok(())
    }
}
