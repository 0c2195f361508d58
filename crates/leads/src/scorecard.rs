//! The dealers' scorecard and the agents' credit, folded from a month's lead moves: how fast
//! each dealer accepts, how often their steps come by the deadline, how many leads they
//! convert, how many are taken back from them — per dealer and per region — and, for each
//! agent, the leads they captured and those won (绩效).

use std::collections::BTreeMap;

/// One move as the log keeps it (`lead.changed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    pub action: &'a str,
    pub from_dealer: Option<i64>,
    pub to_dealer: Option<i64>,
    pub on_time: Option<bool>,
    pub waited_ms: Option<i64>,
    pub amount: Option<i64>,
    /// `省/市/区`.
    pub region: &'a str,
    pub captured_by: Option<i64>,
}

impl Step<'_> {
    /// The dealer whose step this is: the one offered it, or the one who had it.
    pub fn dealer(&self) -> Option<i64> {
        match self.action {
            "assign" => self.to_dealer,
            _ => self.from_dealer,
        }
    }
}

/// A dealer's (or a region's dealers') month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub offered: u64,
    pub accepted: u64,
    /// Summed over acceptances, for the mean.
    pub accept_ms: i64,
    /// Dealer steps (accept, follow-up, win, lose) by their deadline, and not (with those
    /// taken back by the sweep).
    pub on_time: u64,
    pub late: u64,
    pub follow_ups: u64,
    pub won: u64,
    /// In fen.
    pub won_amount: i64,
    pub lost: u64,
    pub returned: u64,
    pub reclaimed: u64,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Tally {
    fn add(&mut self, s: &Step<'_>) {
        match s.action {
            "assign" => self.offered += 1,
            "accept" => {
                self.accepted += 1;
                self.accept_ms += s.waited_ms.unwrap_or(0).max(0);
            }
            "follow_up" => self.follow_ups += 1,
            "win" => {
                self.won += 1;
                self.won_amount = self.won_amount.saturating_add(s.amount.unwrap_or(0));
            }
            "lose" => self.lost += 1,
            "return" => self.returned += 1,
            "reclaim" => self.reclaimed += 1,
            _ => {}
        }
        match s.on_time {
            Some(true) => self.on_time += 1,
            Some(false) => self.late += 1,
            None => {}
        }
    }

    /// Mean time to accept, ms.
    pub fn mean_accept_ms(&self) -> Option<i64> {
        (self.accepted > 0).then(|| self.accept_ms / self.accepted as i64)
    }

    /// Steps by their deadline ÷ all timed steps.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.on_time, self.on_time + self.late)
    }

    /// Won ÷ offered.
    pub fn conversion(&self) -> Option<f64> {
        ratio(self.won, self.offered)
    }

    /// Taken back ÷ offered.
    pub fn reclaimed_share(&self) -> Option<f64> {
        ratio(self.reclaimed, self.offered)
    }
}

/// An agent's month: leads captured, and those won (credited to whoever captured them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credit {
    pub captured: u64,
    pub won: u64,
    pub won_amount: i64,
}

/// A month folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scorecard {
    pub dealers: BTreeMap<i64, Tally>,
    /// By `省/市`.
    pub regions: BTreeMap<String, Tally>,
    pub agents: BTreeMap<i64, Credit>,
}

/// `浙江省/杭州市/西湖区` → `浙江省/杭州市`.
pub fn region_key(region: &str) -> String {
    region.split('/').take(2).collect::<Vec<_>>().join("/")
}

/// Folds a month's moves.
pub fn fold<'a>(steps: impl IntoIterator<Item = Step<'a>>) -> Scorecard {
    let mut card = Scorecard::default();
    for s in steps {
        if let Some(d) = s.dealer() {
            card.dealers.entry(d).or_default().add(&s);
            card.regions
                .entry(region_key(s.region))
                .or_default()
                .add(&s);
        }
        if let Some(agent) = s.captured_by {
            match s.action {
                "capture" => card.agents.entry(agent).or_default().captured += 1,
                "win" => {
                    let c = card.agents.entry(agent).or_default();
                    c.won += 1;
                    c.won_amount = c.won_amount.saturating_add(s.amount.unwrap_or(0));
                }
                _ => {}
            }
        }
    }
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(action: &str, from: Option<i64>, to: Option<i64>) -> Step<'_> {
        Step {
            action,
            from_dealer: from,
            to_dealer: to,
            on_time: None,
            waited_ms: None,
            amount: None,
            region: "浙江省/杭州市/西湖区",
            captured_by: Some(4),
        }
    }

    #[test]
    fn a_month_per_dealer_region_and_agent() {
        let card = fold([
            step("capture", None, None),
            step("assign", None, Some(7)),
            Step {
                on_time: Some(true),
                waited_ms: Some(3_600_000),
                ..step("accept", Some(7), Some(7))
            },
            Step {
                on_time: Some(false),
                ..step("reclaim", Some(7), None)
            },
            step("assign", None, Some(9)),
            Step {
                on_time: Some(true),
                waited_ms: Some(600_000),
                ..step("accept", Some(9), Some(9))
            },
            Step {
                on_time: Some(true),
                amount: Some(7_800_000),
                ..step("win", Some(9), Some(9))
            },
        ]);
        let d7 = card.dealers[&7];
        assert_eq!((d7.offered, d7.accepted, d7.reclaimed), (1, 1, 1));
        assert_eq!(d7.on_time_rate(), Some(0.5));
        assert_eq!(d7.reclaimed_share(), Some(1.0));
        assert_eq!(d7.conversion(), Some(0.0));
        let d9 = card.dealers[&9];
        assert_eq!(
            (d9.won, d9.won_amount, d9.mean_accept_ms()),
            (1, 7_800_000, Some(600_000))
        );
        let region = card.regions["浙江省/杭州市"];
        assert_eq!((region.offered, region.won, region.reclaimed), (2, 1, 1));
        assert_eq!(
            card.agents[&4],
            Credit {
                captured: 1,
                won: 1,
                won_amount: 7_800_000
            }
        );
    }
}
