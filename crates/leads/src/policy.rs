//! One contact policy per tenant (R2.4): every call the center places to a customer — a
//! callback, a closed-loop callback (回访), a lead the center works, a campaign — is checked
//! here first. A customer is called at most `per_day` times a local day and `per_week` times
//! in any seven local days, only within the calling hours (08:00–21:00 Beijing time every day
//! but statutory holidays unless the tenant says otherwise), within their own hours if they
//! gave some, and never while blacklisted or after asking not to be called.
//!
//! What cannot be called now is deferred to the first instant it can, with the reason, never
//! dropped. The pending contacts of one customer from different departments become one
//! [`Task`] listing them all, so one call covers every topic.

use calendar::{Calendar, CalendarSpec, SpecError};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// A tenant's contact policy, ready to answer.
#[derive(Debug, Clone)]
pub struct Policy {
    pub per_day: u32,
    pub per_week: u32,
    hours: Calendar,
    tz: TimeZone,
}

/// What the policy needs to know of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub blacklisted: bool,
    /// The customer asked not to be called (免打扰).
    pub do_not_call: bool,
    /// The customer's own hours, local time (from, to), from before to.
    pub hours: Option<(Time, Time)>,
}

/// Why a call may not be placed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Blacklisted,
    DoNotCall,
    /// Outside the calling hours, or a holiday.
    QuietHours,
    /// Outside the hours the customer gave.
    CustomerHours,
    /// Called as often today as the policy allows.
    DailyLimit,
    /// Called as often in seven days as the policy allows.
    WeeklyLimit,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Blacklisted => "blacklisted",
            Reason::DoNotCall => "do_not_call",
            Reason::QuietHours => "quiet_hours",
            Reason::CustomerHours => "customer_hours",
            Reason::DailyLimit => "daily_limit",
            Reason::WeeklyLimit => "weekly_limit",
        }
    }

    /// Said to the agent who tried.
    pub fn explain(self) -> &'static str {
        match self {
            Reason::Blacklisted => "the customer is blacklisted",
            Reason::DoNotCall => "the customer asked not to be called",
            Reason::QuietHours => "outside the calling hours (or a holiday)",
            Reason::CustomerHours => "outside the hours the customer gave",
            Reason::DailyLimit => "the customer was called as often today as the policy allows",
            Reason::WeeklyLimit => {
                "the customer was called as often this week as the policy allows"
            }
        }
    }
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Call,
    /// Not before `until` (the first instant it may be placed), because of `reason`.
    Defer {
        until: i64,
        reason: Reason,
    },
    /// Not at all while this holds.
    Never {
        reason: Reason,
    },
}

/// Checks a change of hours at most this many times (a day's limit, a week's, the hours, the
/// customer's hours each move the instant forward; a year of holidays is one step).
const STEPS: usize = 64;

impl Policy {
    /// The calling hours by default: every day 08:00–21:00 Beijing time, but statutory
    /// holidays.
    pub fn default_hours() -> CalendarSpec {
        CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            weekly: std::array::from_fn(|_| vec!["08:00-21:00".to_string()]),
            cn_statutory: true,
            holidays: Vec::new(),
            workdays: Vec::new(),
            special: Vec::new(),
        }
    }

    /// A policy: at most `per_day` calls a local day and `per_week` in seven, within `hours`.
    pub fn new(per_day: u32, per_week: u32, hours: &CalendarSpec) -> Result<Policy, SpecError> {
        if hours.weekly.iter().all(Vec::is_empty) {
            return Err(SpecError {
                field: "weekly".into(),
                reason: "some calling hours in the week".into(),
            });
        }
        let cal = Calendar::new(hours)?;
        let tz = TimeZone::get(&hours.time_zone).map_err(|_| SpecError {
            field: "time_zone".into(),
            reason: "not a known IANA time zone".into(),
        })?;
        Ok(Policy {
            per_day,
            per_week,
            hours: cal,
            tz,
        })
    }

    /// The defaults: once a day, three times a week, [`Policy::default_hours`].
    pub fn standard() -> Policy {
        Policy::new(1, 3, &Policy::default_hours()).expect("the default hours are valid")
    }

    fn date(&self, ms: i64) -> Date {
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
            .date()
    }

    fn at(&self, date: Date, time: Time) -> i64 {
        date.to_datetime(time)
            .to_zoned(self.tz.clone())
            .map_or(0, |z| z.timestamp().as_millisecond())
    }

    /// Whether `customer`, called at the instants `placed` (any order; only the last seven
    /// days matter), may be called at `now`, and if not, when.
    pub fn check(&self, customer: &Contact, placed: &[i64], now: i64) -> Verdict {
        if customer.blacklisted {
            return Verdict::Never {
                reason: Reason::Blacklisted,
            };
        }
        if customer.do_not_call {
            return Verdict::Never {
                reason: Reason::DoNotCall,
            };
        }
        let dates: Vec<Date> = placed.iter().map(|t| self.date(*t)).collect();
        let mut t = now;
        let mut first: Option<Reason> = None;
        for _ in 0..STEPS {
            let day = self.date(t);
            let (next, reason) = self.blocked(customer, &dates, day, t);
            match next {
                None => {
                    return match first {
                        None => Verdict::Call,
                        Some(reason) => Verdict::Defer { until: t, reason },
                    };
                }
                Some(next) => {
                    first.get_or_insert(reason);
                    // Never backwards: a moment later at least.
                    t = next.max(t + 1);
                }
            }
        }
        // No instant found soon: the customer's hours never meet the calling hours (not
        // while they hold), or the next opening is further off than the steps look.
        match first {
            None | Some(Reason::CustomerHours) => Verdict::Never {
                reason: Reason::CustomerHours,
            },
            Some(reason) => Verdict::Defer { until: t, reason },
        }
    }

    /// `(None, _)` when `t` (on local `day`) is allowed; else the next instant worth trying
    /// and why not `t`.
    fn blocked(
        &self,
        customer: &Contact,
        dates: &[Date],
        day: Date,
        t: i64,
    ) -> (Option<i64>, Reason) {
        let midnight = |d: Date| self.at(d, Time::midnight());
        let today = dates.iter().filter(|d| **d == day).count();
        if today >= self.per_day as usize {
            return (
                Some(midnight(day.tomorrow().unwrap_or(day))),
                Reason::DailyLimit,
            );
        }
        let week_start = day.checked_sub(6.days()).unwrap_or(day);
        let mut week: Vec<Date> = dates
            .iter()
            .filter(|d| **d >= week_start && **d <= day)
            .copied()
            .collect();
        if week.len() >= self.per_week as usize {
            // Free again when enough of those calls are seven days old.
            week.sort();
            let freeing = week[week.len() - self.per_week as usize];
            let free = freeing.checked_add(7.days()).unwrap_or(day);
            return (Some(midnight(free)), Reason::WeeklyLimit);
        }
        if !self.hours.is_open(t) {
            let next = self.hours.next_change(t).unwrap_or(t + 86_400_000);
            return (Some(next), Reason::QuietHours);
        }
        if let Some((from, to)) = customer.hours
            && from < to
        {
            let (start, end) = (self.at(day, from), self.at(day, to));
            if t < start {
                return (Some(start), Reason::CustomerHours);
            }
            if t >= end {
                let tomorrow = day.tomorrow().unwrap_or(day);
                return (Some(self.at(tomorrow, from)), Reason::CustomerHours);
            }
        }
        (None, Reason::QuietHours)
    }

    /// Whether `t` is within the calling hours (for tests and the explanation).
    pub fn in_hours(&self, t: i64) -> bool {
        self.hours.is_open(t)
    }

    /// The local date and time of `t`, as `2026-12-04 08:00`.
    pub fn local_time(&self, t: i64) -> String {
        Timestamp::from_millisecond(t)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The local date of `t`, as `2026-12-03`.
    pub fn local_date(&self, t: i64) -> String {
        self.date(t).to_string()
    }
}

/// A contact some department wants made: a callback, a 回访, a lead's follow-up, a due
/// payment, an invitation, a satisfaction question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub id: u64,
    pub customer: u64,
    /// What it is about, for the agent: `回访 工单 #1042`.
    pub topic: String,
    pub department: String,
    /// Not before this instant.
    pub not_before: i64,
}

/// One call to one customer, covering every contact pending for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub customer: u64,
    /// The pending contacts' ids, the earliest first.
    pub items: Vec<u64>,
    /// The earliest instant any of them may be made.
    pub not_before: i64,
}

/// The pending contacts as one task per customer, the most overdue task first.
pub fn merge(pending: &[Pending]) -> Vec<Task> {
    let mut by_customer: std::collections::BTreeMap<u64, Vec<&Pending>> = Default::default();
    for p in pending {
        by_customer.entry(p.customer).or_default().push(p);
    }
    let mut tasks: Vec<Task> = by_customer
        .into_iter()
        .map(|(customer, mut items)| {
            items.sort_by_key(|p| (p.not_before, p.id));
            Task {
                customer,
                not_before: items[0].not_before,
                items: items.iter().map(|p| p.id).collect(),
            }
        })
        .collect();
    tasks.sort_by_key(|t| (t.not_before, t.customer));
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03 (a Thursday) at `h:m` Beijing time.
    fn bj(day: i8, h: i8, m: i8) -> i64 {
        jiff::civil::date(2026, 12, day)
            .at(h, m, 0, 0)
            .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    #[test]
    fn limits_hours_and_the_customer_s_own() {
        let p = Policy::standard();
        let c = Contact::default();
        assert_eq!(p.check(&c, &[], bj(3, 10, 0)), Verdict::Call);
        // Called this morning: tomorrow at eight.
        assert_eq!(
            p.check(&c, &[bj(3, 9, 0)], bj(3, 10, 0)),
            Verdict::Defer {
                until: bj(4, 8, 0),
                reason: Reason::DailyLimit
            }
        );
        // Three calls in the last seven days (the 27th, 29th and 1st): free on the 4th, when
        // the 27th's is seven days old.
        let nov = |d: i8| {
            jiff::civil::date(2026, 11, d)
                .at(9, 0, 0, 0)
                .to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        assert_eq!(
            p.check(&c, &[nov(27), nov(29), bj(1, 9, 0)], bj(3, 10, 0)),
            Verdict::Defer {
                until: bj(4, 8, 0),
                reason: Reason::WeeklyLimit
            }
        );
        // At night: this morning at eight.
        assert_eq!(
            p.check(&c, &[], bj(3, 22, 30) - 86_400_000),
            Verdict::Defer {
                until: bj(3, 8, 0),
                reason: Reason::QuietHours
            }
        );
        let evening = Contact {
            hours: Some((Time::constant(18, 0, 0, 0), Time::constant(20, 0, 0, 0))),
            ..Contact::default()
        };
        assert_eq!(
            p.check(&evening, &[], bj(3, 10, 0)),
            Verdict::Defer {
                until: bj(3, 18, 0),
                reason: Reason::CustomerHours
            }
        );
        assert_eq!(p.check(&evening, &[], bj(3, 19, 0)), Verdict::Call);
        // Hours that never meet the calling hours: not callable, said so.
        let night = Contact {
            hours: Some((Time::constant(22, 0, 0, 0), Time::constant(23, 0, 0, 0))),
            ..Contact::default()
        };
        assert_eq!(
            p.check(&night, &[], bj(3, 10, 0)),
            Verdict::Never {
                reason: Reason::CustomerHours
            }
        );
        for (c, reason) in [
            (
                Contact {
                    blacklisted: true,
                    ..Contact::default()
                },
                Reason::Blacklisted,
            ),
            (
                Contact {
                    do_not_call: true,
                    ..Contact::default()
                },
                Reason::DoNotCall,
            ),
        ] {
            assert_eq!(p.check(&c, &[], bj(3, 10, 0)), Verdict::Never { reason });
        }
    }

    #[test]
    fn statutory_holidays_are_quiet() {
        let p = Policy::standard();
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |m: i8, d: i8, h: i8| {
            jiff::civil::date(2026, m, d)
                .at(h, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        // National Day week (1–7 October 2026): the 8th at eight.
        assert_eq!(
            p.check(&Contact::default(), &[], at(10, 2, 10)),
            Verdict::Defer {
                until: at(10, 8, 8),
                reason: Reason::QuietHours
            }
        );
    }

    #[test]
    fn one_task_per_customer_listing_every_topic() {
        let p = |id, customer, topic: &str, at| Pending {
            id,
            customer,
            topic: topic.into(),
            department: "d".into(),
            not_before: at,
        };
        let tasks = merge(&[
            p(1, 9, "回访", 30),
            p(2, 5, "催缴", 20),
            p(3, 9, "邀约", 10),
            p(4, 9, "满意度", 40),
        ]);
        assert_eq!(tasks.len(), 2);
        assert_eq!(
            (tasks[0].customer, &tasks[0].items[..]),
            (9, &[3, 1, 4][..])
        );
        assert_eq!((tasks[1].customer, tasks[1].not_before), (5, 20));
    }
}
