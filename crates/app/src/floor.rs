//! The floor now (现场): since when each agent is in their state, and the calls still
//! waiting with the time they started. Fed with the engine's events by the tenant's center
//! task; it also tells the center when midnight passes in the tenant's time zone. The
//! day's counts (offered, answered, service level…) are not kept here: the floor view and
//! the wallboard read them from the reports' rollups with the reports' definitions
//! ([`crate::App::floor_day`]), so the floor and the reports never disagree.

use std::collections::HashMap;

use acd::{AgentId, CallId, EventKind, QueueId};
use tokio::sync::watch;

#[derive(Debug)]
pub struct Floor {
    /// The next midnight in the tenant's zone (ms): when the counts start again. Kept as an
    /// instant so the check on every job of the center is one comparison.
    day_ends_ms: i64,
    zone: jiff::tz::TimeZone,
    since: HashMap<AgentId, i64>,
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

    /// Whether `now_ms` is past midnight (a new day began); then the next midnight.
    pub fn roll(&mut self, now_ms: i64) -> bool {
        if now_ms < self.day_ends_ms {
            return false;
        }
        self.day_ends_ms = next_midnight(&self.zone, now_ms);
        true
    }

    /// Takes one of the engine's events.
    pub fn observe(&mut self, kind: &EventKind, at_ms: i64) {
        match *kind {
            EventKind::AgentState { agent, .. } => {
                self.since.insert(agent, at_ms);
            }
            EventKind::CallQueued { call, queue } => {
                // An overflowed call waits on in its next queue since it first arrived.
                self.waiting.entry(call).or_insert((queue, at_ms)).0 = queue;
            }
            EventKind::CallAnswered { call, .. } | EventKind::CallEnded { call, .. } => {
                self.waiting.remove(&call);
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
    use acd::{AgentState, Outcome};

    const Q: QueueId = QueueId(0);

    fn floor() -> Floor {
        // 2026-11-29 10:00 in Shanghai.
        Floor::new("Asia/Shanghai", 1_795_917_600_000)
    }

    #[test]
    fn follows_the_waiting_calls_and_tells_midnight_in_the_tenants_zone() {
        let mut f = floor();
        let t0 = 1_795_917_600_000;
        for (i, at) in [(1, t0), (2, t0 + 1000)] {
            f.observe(
                &EventKind::CallQueued {
                    call: CallId(i),
                    queue: Q,
                },
                at,
            );
        }
        assert_eq!(f.oldest_waiting(Q), Some(t0));
        f.observe(
            &EventKind::CallAnswered {
                call: CallId(1),
                agent: AgentId(7),
                queue: Q,
                waited_ms: 5_000,
            },
            t0 + 5000,
        );
        assert_eq!(f.oldest_waiting(Q), Some(t0 + 1000));
        f.observe(
            &EventKind::CallEnded {
                call: CallId(2),
                queue: Q,
                outcome: Outcome::Abandoned,
            },
            t0 + 40_000,
        );
        assert_eq!(f.oldest_waiting(Q), None);
        // 23:59 the same day in Shanghai, then 00:00 the next.
        assert!(!f.roll(t0 + 14 * 3_600_000 - 60_000));
        assert!(f.roll(t0 + 14 * 3_600_000));
        assert!(!f.roll(t0 + 14 * 3_600_000 + 1));
    }

    #[test]
    fn an_overflowed_call_keeps_its_wait_in_the_next_queue() {
        let mut f = floor();
        let (q2, t0) = (QueueId(1), 1_795_917_600_000);
        f.observe(
            &EventKind::CallQueued {
                call: CallId(1),
                queue: Q,
            },
            t0,
        );
        f.observe(
            &EventKind::CallQueued {
                call: CallId(1),
                queue: q2,
            },
            t0 + 60_000,
        );
        assert_eq!(
            (f.oldest_waiting(Q), f.oldest_waiting(q2)),
            (None, Some(t0))
        );
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
        );
        f.observe(
            &EventKind::AgentState {
                agent: AgentId(3),
                state: AgentState::Talking,
            },
            5000,
        );
        assert_eq!(f.since(AgentId(3)), Some(5000));
        assert_eq!(f.since(AgentId(4)), None);
    }
}
