//! The floor today (现场): since when each agent is in their state, and each queue's day —
//! offered, answered, answered within the service-level target, abandoned, and the calls
//! still waiting with the time they started. Fed with the engine's events by the tenant's
//! center task, reset at midnight in the tenant's time zone; the floor view and the
//! wallboard read it through `GET /api/floor` and the `/api/floor/live` WebSocket.

use std::collections::HashMap;

use acd::{AgentId, CallId, EventKind, Outcome, QueueId};
use tokio::sync::watch;

/// One queue's counts since midnight.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct QueueDay {
    /// Calls that entered the queue (an overflowed call in each queue it entered).
    pub offered: u32,
    pub answered: u32,
    /// Answered within the queue's service-level time.
    pub answered_in_target: u32,
    /// The caller hung up while waiting.
    pub abandoned: u32,
    /// Sent on to another queue, voicemail, a callback or a disconnect.
    pub overflowed: u32,
}

impl QueueDay {
    /// Answered within the target over the calls whose wait has ended (answered, abandoned
    /// or sent on); `None` before the first of those.
    pub fn service_level(&self) -> Option<f64> {
        let done = self.answered + self.abandoned + self.overflowed;
        (done > 0).then(|| f64::from(self.answered_in_target) / f64::from(done))
    }
}

#[derive(Debug)]
pub struct Floor {
    /// The next midnight in the tenant's zone (ms): when the counts start again. Kept as an
    /// instant so the check on every job of the center is one comparison.
    day_ends_ms: i64,
    zone: jiff::tz::TimeZone,
    since: HashMap<AgentId, i64>,
    queues: HashMap<QueueId, QueueDay>,
    /// Calls not yet answered nor ended: their queue and when they started waiting.
    waiting: HashMap<CallId, (QueueId, i64)>,
    /// Bumped after each batch of changes; the live view waits on it.
    version: watch::Sender<u64>,
    /// When the engine was last restarted after a failure, and why: shown to supervisors.
    pub(crate) alert: Option<(i64, String)>,
    /// When a number's IVR flow last failed to load: when, the number, why.
    pub(crate) flow_alert: Option<(i64, String, String)>,
}

impl Floor {
    pub fn new(zone: &str, now_ms: i64) -> Floor {
        let zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        Floor {
            day_ends_ms: next_midnight(&zone, now_ms),
            zone,
            since: HashMap::new(),
            queues: HashMap::new(),
            waiting: HashMap::new(),
            version: watch::channel(0).0,
            alert: None,
            flow_alert: None,
        }
    }

    /// The engine was restarted after a failure at `at_ms`.
    pub fn alert(&mut self, at_ms: i64, reason: &str) {
        self.alert = Some((at_ms, reason.to_string()));
        self.changed();
    }

    /// A number's IVR flow failed to load at `at_ms`; its callers get the fallback. Whether
    /// it is news: not the same number's failure of the last minute (a flood of callers to
    /// a broken number raises one alert a minute, not one a call).
    pub fn flow_failed(&mut self, at_ms: i64, number: &str, reason: &str) -> bool {
        let news = !matches!(&self.flow_alert,
            Some((at, n, _)) if n == number && at_ms - at < 60_000);
        if news {
            self.flow_alert = Some((at_ms, number.to_string(), reason.to_string()));
            self.changed();
        }
        news
    }

    /// A flow was saved: the alert about one that failed is answered.
    pub fn clear_flow_alert(&mut self) {
        if self.flow_alert.take().is_some() {
            self.changed();
        }
    }

    /// Starts a new day if `now_ms` is past midnight; true if it did.
    pub fn roll(&mut self, now_ms: i64) -> bool {
        if now_ms < self.day_ends_ms {
            return false;
        }
        self.day_ends_ms = next_midnight(&self.zone, now_ms);
        self.queues.clear();
        true
    }

    /// Takes one of the engine's events. `target_ms` is the service-level time of a queue.
    pub fn observe(&mut self, kind: &EventKind, at_ms: i64, target_ms: impl Fn(QueueId) -> u64) {
        match *kind {
            EventKind::AgentState { agent, .. } => {
                self.since.insert(agent, at_ms);
            }
            EventKind::CallQueued { call, queue } => {
                self.queues.entry(queue).or_default().offered += 1;
                // An overflowed call waits on in its next queue since it first arrived.
                self.waiting.entry(call).or_insert((queue, at_ms)).0 = queue;
            }
            EventKind::CallAnswered {
                call,
                queue,
                waited_ms,
                ..
            } => {
                self.waiting.remove(&call);
                let q = self.queues.entry(queue).or_default();
                q.answered += 1;
                if waited_ms <= target_ms(queue) {
                    q.answered_in_target += 1;
                }
            }
            // Then it waits on in the next queue (`CallQueued`) or ends (`CallEnded`).
            EventKind::CallOverflowed { from, .. } => {
                self.queues.entry(from).or_default().overflowed += 1;
            }
            // The guard takes the call off the waiting list whatever the outcome.
            EventKind::CallEnded {
                call,
                queue,
                outcome,
            } if self.waiting.remove(&call).is_some() && outcome == Outcome::Abandoned => {
                self.queues.entry(queue).or_default().abandoned += 1;
            }
            _ => {}
        }
    }

    /// Tells the live views that something changed.
    pub fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Since when the agent is in their state; `None` if unknown (not seen since start).
    pub fn since(&self, agent: AgentId) -> Option<i64> {
        self.since.get(&agent).copied()
    }

    pub fn day(&self, queue: QueueId) -> QueueDay {
        self.queues.get(&queue).copied().unwrap_or_default()
    }

    /// When the longest-waiting call of the queue started waiting.
    pub fn oldest_waiting(&self, queue: QueueId) -> Option<i64> {
        self.waiting
            .values()
            .filter(|(q, _)| *q == queue)
            .map(|(_, t)| *t)
            .min()
    }
}

/// The first instant of the day after the one `ms` falls on, in `zone`.
fn next_midnight(zone: &jiff::tz::TimeZone, ms: i64) -> i64 {
    jiff::Timestamp::from_millisecond(ms)
        .and_then(|ts| ts.to_zoned(zone.clone()).date().tomorrow())
        .and_then(|d| d.to_zoned(zone.clone()))
        .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;
    use acd::AgentState;

    const Q: QueueId = QueueId(0);

    fn floor() -> Floor {
        // 2026-11-29 10:00 in Shanghai.
        Floor::new("Asia/Shanghai", 1_795_917_600_000)
    }

    #[test]
    fn counts_a_queues_day_and_resets_at_local_midnight() {
        let mut f = floor();
        let t0 = 1_795_917_600_000;
        let target = |_| 20_000;
        f.observe(
            &EventKind::CallQueued {
                call: CallId(1),
                queue: Q,
            },
            t0,
            target,
        );
        f.observe(
            &EventKind::CallQueued {
                call: CallId(2),
                queue: Q,
            },
            t0 + 1000,
            target,
        );
        f.observe(
            &EventKind::CallQueued {
                call: CallId(3),
                queue: Q,
            },
            t0 + 2000,
            target,
        );
        assert_eq!(f.oldest_waiting(Q), Some(t0));
        f.observe(
            &EventKind::CallAnswered {
                call: CallId(1),
                agent: AgentId(7),
                queue: Q,
                waited_ms: 5_000,
            },
            t0 + 5000,
            target,
        );
        f.observe(
            &EventKind::CallAnswered {
                call: CallId(2),
                agent: AgentId(8),
                queue: Q,
                waited_ms: 30_000,
            },
            t0 + 31_000,
            target,
        );
        f.observe(
            &EventKind::CallEnded {
                call: CallId(3),
                queue: Q,
                outcome: Outcome::Abandoned,
            },
            t0 + 40_000,
            target,
        );
        // An answered call ending later is not an abandonment.
        f.observe(
            &EventKind::CallEnded {
                call: CallId(1),
                queue: Q,
                outcome: Outcome::Answered { agent: AgentId(7) },
            },
            t0 + 90_000,
            target,
        );
        let day = f.day(Q);
        assert_eq!(
            day,
            QueueDay {
                offered: 3,
                answered: 2,
                answered_in_target: 1,
                abandoned: 1,
                overflowed: 0
            }
        );
        assert_eq!(day.service_level(), Some(1.0 / 3.0));
        assert_eq!(f.oldest_waiting(Q), None);
        // 23:59 the same day in Shanghai, then 00:00 the next.
        assert!(!f.roll(t0 + 14 * 3_600_000 - 60_000));
        assert!(f.roll(t0 + 14 * 3_600_000));
        assert_eq!(f.day(Q), QueueDay::default());
        assert_eq!(f.day(Q).service_level(), None);
    }

    #[test]
    fn an_overflowed_call_keeps_its_wait_in_the_next_queue() {
        let mut f = floor();
        let (q2, t0) = (QueueId(1), 1_795_917_600_000);
        let target = |_| 20_000;
        f.observe(
            &EventKind::CallQueued {
                call: CallId(1),
                queue: Q,
            },
            t0,
            target,
        );
        f.observe(
            &EventKind::CallOverflowed {
                call: CallId(1),
                from: Q,
                to: acd::Overflow::Queue(q2),
                reason: acd::OverflowReason::MaxWait,
            },
            t0 + 60_000,
            target,
        );
        f.observe(
            &EventKind::CallQueued {
                call: CallId(1),
                queue: q2,
            },
            t0 + 60_000,
            target,
        );
        assert_eq!(
            (f.oldest_waiting(Q), f.oldest_waiting(q2)),
            (None, Some(t0))
        );
        assert_eq!(
            (f.day(Q).overflowed, f.day(Q).offered, f.day(q2).offered),
            (1, 1, 1)
        );
        f.observe(
            &EventKind::CallEnded {
                call: CallId(1),
                queue: q2,
                outcome: Outcome::Abandoned,
            },
            t0 + 90_000,
            target,
        );
        assert_eq!((f.day(Q).abandoned, f.day(q2).abandoned), (0, 1));
        assert_eq!(f.oldest_waiting(q2), None);
    }

    #[test]
    fn an_agent_is_in_their_state_since_its_last_change() {
        let mut f = floor();
        f.observe(
            &EventKind::AgentState {
                agent: AgentId(3),
                state: AgentState::Ready,
            },
            1000,
            |_| 0,
        );
        f.observe(
            &EventKind::AgentState {
                agent: AgentId(3),
                state: AgentState::Talking,
            },
            5000,
            |_| 0,
        );
        assert_eq!(f.since(AgentId(3)), Some(5000));
        assert_eq!(f.since(AgentId(4)), None);
    }
}
