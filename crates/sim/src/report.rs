//! What a run measured, per interval, per queue and in total.

use serde::Serialize;

/// Raw sums; rates are derived from them in [`Tally::stats`] so that tallies add up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tally {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub overflowed: u64,
    /// Offered, but not to an agent at once on arrival.
    pub waited: u64,
    pub answered_in_time: u64,
    pub wait_ms: u64,
    pub handle_ms: u64,
    /// Agent time ringing, talking, holding or in after-call work.
    pub busy_ms: u64,
    /// Agent time busy or ready (logged in and not on a not-ready reason).
    pub staffed_ms: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.overflowed += o.overflowed;
        self.waited += o.waited;
        self.answered_in_time += o.answered_in_time;
        self.wait_ms += o.wait_ms;
        self.handle_ms += o.handle_ms;
        self.busy_ms += o.busy_ms;
        self.staffed_ms += o.staffed_ms;
    }

    pub fn stats(&self, start_seconds: f64) -> Stats {
        let per = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        Stats {
            start_seconds,
            offered: self.offered,
            answered: self.answered,
            abandoned: self.abandoned,
            overflowed: self.overflowed,
            service_level: per(self.answered_in_time, self.offered),
            asa_seconds: per(self.wait_ms, self.answered) / 1000.0,
            aht_seconds: per(self.handle_ms, self.answered) / 1000.0,
            occupancy: per(self.busy_ms, self.staffed_ms),
            p_wait: per(self.waited, self.offered),
            p_abandon: per(self.abandoned, self.offered),
        }
    }
}

/// Measures over a set of calls (by arrival time) and of agent time.
///
/// - service level: calls answered within the queue's target time / calls offered (abandoned
///   and overflowed calls count against it, whatever their wait);
/// - ASA: mean wait from arrival to answer of the answered calls;
/// - AHT: mean talk + after-call work of the answered calls;
/// - occupancy: agent time busy (ringing, talking, on hold, after-call work) / time busy or
///   ready;
/// - P(wait): share of offered calls that found no agent free on arrival;
/// - P(abandon): share of offered calls whose caller hung up before an answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub start_seconds: f64,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub overflowed: u64,
    pub service_level: f64,
    pub asa_seconds: f64,
    pub aht_seconds: f64,
    pub occupancy: f64,
    pub p_wait: f64,
    pub p_abandon: f64,
}

/// A run's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Every queue together, per reporting interval of the run.
    pub intervals: Vec<Stats>,
    /// Per queue over the whole run, in the model's order.
    pub queues: Vec<(String, Stats)>,
    pub total: Stats,
    /// Simulated calls that were still waiting when nothing else could happen (a queue with
    /// nobody logged in, no patience and no overflow); counted as offered only.
    pub unfinished: u64,
    /// Inputs fed to the routing engine.
    pub engine_inputs: u64,
}
