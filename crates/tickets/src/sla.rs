//! The SLA clock of one time limit (限时) of an order — to accept it, to act, to resolve it.
//!
//! A limit is counted in working minutes or working days on the tenant's business calendar
//! (its hours with a lunch break, statutory holidays and make-up workdays), or in minutes
//! of the wall clock for 7×24 services. The clock pauses while the order waits on the
//! customer and the pause is not counted. [`Clock::poll`] says, exactly once each, when a
//! warning is due (催办, at a share of the limit), when the limit is breached (escalation to
//! the lead) and when it is still not met well past it (to the managers); a limit met stops
//! the clock, and nothing is said after it.

use calendar::Calendar;
use serde::{Deserialize, Serialize};

/// How a limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Limit {
    /// Open minutes of the calendar.
    WorkingMinutes(u32),
    /// Working days counted from the next working day (受理次日起算) to the close of the
    /// last.
    WorkingDays(u32),
    /// Minutes of the wall clock (7×24).
    WallMinutes(u32),
}

/// What the clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The share of the limit for a warning is used (催办 to the handler).
    Warn,
    /// The limit is used up (escalation to the lead).
    Breach,
    /// Still not met well past the limit (the second escalation, to the managers).
    Escalate,
}

/// One limit's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub started_ms: i64,
    pub limit: Limit,
    /// Warn when this share (percent) of the limit is used; 0 for no warning.
    pub warn_percent: u8,
    /// Counted time spent paused, in the limit's measure.
    paused_ms: i64,
    /// Since when it is paused.
    paused_since: Option<i64>,
    /// When the limit was met (the order accepted, acted on, resolved).
    pub met_ms: Option<i64>,
    pub warned: bool,
    pub breached: bool,
    /// Escalate to the managers when this share (percent, above 100) of the limit is used;
    /// 0 for no second escalation.
    #[serde(default)]
    pub escalate_percent: u16,
    #[serde(default)]
    pub escalated: bool,
}

impl Clock {
    pub fn new(started_ms: i64, limit: Limit, warn_percent: u8) -> Clock {
        Clock {
            started_ms,
            limit,
            warn_percent: warn_percent.min(99),
            paused_ms: 0,
            paused_since: None,
            met_ms: None,
            warned: false,
            breached: false,
            escalate_percent: 0,
            escalated: false,
        }
    }

    /// With the second escalation at `percent` of the limit (above 100; else none).
    pub fn escalating_at(mut self, percent: u16) -> Clock {
        self.escalate_percent = if percent > 100 { percent } else { 0 };
        self
    }

    /// Time between two instants in the limit's measure: open time, or wall time.
    fn measure(&self, cal: &Calendar, from: i64, to: i64) -> i64 {
        match self.limit {
            Limit::WallMinutes(_) => (to - from).max(0),
            _ => cal.business_ms(from, to),
        }
    }

    /// The limit in its measure; `None` when the calendar has no open days to count.
    pub fn budget_ms(&self, cal: &Calendar) -> Option<i64> {
        Some(match self.limit {
            Limit::WorkingMinutes(m) | Limit::WallMinutes(m) => i64::from(m) * 60_000,
            Limit::WorkingDays(n) => {
                let end = cal.working_days_after(self.started_ms, n)?;
                cal.business_ms(self.started_ms, end)
            }
        })
    }

    /// Time counted by `now`: pauses left out; nothing after the limit was met.
    pub fn used_ms(&self, cal: &Calendar, now: i64) -> i64 {
        let now = self.met_ms.map_or(now, |m| m.min(now));
        let open_pause = self
            .paused_since
            .map_or(0, |p| self.measure(cal, p, now.max(p)));
        (self.measure(cal, self.started_ms, now) - self.paused_ms - open_pause).max(0)
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Waiting on the customer from `now`.
    pub fn pause(&mut self, now: i64) {
        if self.paused_since.is_none() && self.met_ms.is_none() {
            self.paused_since = Some(now);
        }
    }

    /// The customer answered: counting again from `now`.
    pub fn resume(&mut self, cal: &Calendar, now: i64) {
        if let Some(p) = self.paused_since.take() {
            self.paused_ms += self.measure(cal, p, now.max(p));
        }
    }

    /// The limit is met at `now`: the clock stops.
    pub fn meet(&mut self, cal: &Calendar, now: i64) {
        if self.met_ms.is_none() {
            self.resume(cal, now);
            self.met_ms = Some(now);
        }
    }

    /// When the limit runs out if nothing pauses it: `None` while paused, once met, or with
    /// no open time ahead in the calendar.
    pub fn due_ms(&self, cal: &Calendar, now: i64) -> Option<i64> {
        self.at_share(cal, now, 100)
    }

    /// When the warning falls due, on the same terms as [`Clock::due_ms`].
    pub fn warn_ms(&self, cal: &Calendar, now: i64) -> Option<i64> {
        if self.warn_percent == 0 {
            return None;
        }
        self.at_share(cal, now, i64::from(self.warn_percent))
    }

    /// When the second escalation falls due, on the same terms as [`Clock::due_ms`].
    pub fn escalate_ms(&self, cal: &Calendar, now: i64) -> Option<i64> {
        if self.escalate_percent <= 100 {
            return None;
        }
        self.at_share(cal, now, i64::from(self.escalate_percent))
    }

    fn at_share(&self, cal: &Calendar, now: i64, percent: i64) -> Option<i64> {
        if self.paused_since.is_some() || self.met_ms.is_some() {
            return None;
        }
        let target = self.budget_ms(cal)? * percent / 100;
        let left = target - self.used_ms(cal, now);
        if left <= 0 {
            return Some(now);
        }
        match self.limit {
            Limit::WallMinutes(_) => Some(now + left),
            _ => cal.add_business_ms(now, left),
        }
    }

    /// What is due by `now` and not yet said, in order: the warning, then the breach; each
    /// once in the clock's life, neither once the limit is met.
    pub fn poll(&mut self, cal: &Calendar, now: i64) -> Vec<Signal> {
        let mut out = Vec::new();
        if self.met_ms.is_some() {
            return out;
        }
        let Some(budget) = self.budget_ms(cal) else {
            return out;
        };
        let used = self.used_ms(cal, now);
        // The warning's share of the budget rounded as `warn_ms` rounds it, so a poll at the
        // instant `warn_ms` names says it.
        if !self.warned
            && self.warn_percent > 0
            && used >= budget * i64::from(self.warn_percent) / 100
        {
            self.warned = true;
            out.push(Signal::Warn);
        }
        if !self.breached && used >= budget {
            if !self.warned && self.warn_percent > 0 {
                // A clock that jumps past both says both, warning first.
                self.warned = true;
                out.push(Signal::Warn);
            }
            self.breached = true;
            out.push(Signal::Breach);
        }
        if self.breached
            && !self.escalated
            && self.escalate_percent > 100
            && used >= budget * i64::from(self.escalate_percent) / 100
        {
            self.escalated = true;
            out.push(Signal::Escalate);
        }
        out
    }
}
