//! Saved reports' ranges and schedules, in a tenant's time zone: "yesterday", "last month"
//! as whole days relative to when the report runs, and when a daily, weekly or monthly
//! schedule falls due next (a day that has no such time — a change of clocks — runs at the
//! first instant after it).

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

/// A range of whole days relative to the instant a report runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelativeRange {
    /// Today so far (the whole day: what has not happened counts nothing).
    Today,
    Yesterday,
    /// The 7 days before today.
    Last7Days,
    /// The 30 days before today.
    Last30Days,
    /// Monday to today.
    ThisWeek,
    /// Last Monday to Sunday.
    LastWeek,
    /// The 1st to today.
    ThisMonth,
    LastMonth,
    LastYear,
    /// Fixed days (`from` and `to` of the saved report).
    Custom,
}

/// How often a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    /// On `weekday` (1 Monday … 7 Sunday).
    Week,
    /// On `day` of the month (1–28, so every month has it).
    Month,
}

/// When a saved report is produced by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub every: Every,
    /// `HH:MM` in the tenant's zone.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
}

/// What is wrong with a schedule or a range: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrong {
    pub field: &'static str,
    pub reason: String,
}

fn wrong(field: &'static str, reason: impl Into<String>) -> Wrong {
    Wrong {
        field,
        reason: reason.into(),
    }
}

fn zoned(ms: i64, zone: &TimeZone) -> Option<Zoned> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_zoned(zone.clone()))
}

/// A day's first instant in `zone`.
fn day_start(d: Date, zone: &TimeZone) -> Option<i64> {
    d.to_zoned(zone.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

impl RelativeRange {
    /// The days `[from, to)` (first instants) this range means for a report run at `at_ms`;
    /// `custom` is `days` (the first and the last day, both included).
    pub fn resolve(
        self,
        at_ms: i64,
        zone: &TimeZone,
        days: Option<(Date, Date)>,
    ) -> Result<(i64, i64), Wrong> {
        let today = zoned(at_ms, zone)
            .ok_or_else(|| wrong("range", "the run's time is out of range"))?
            .date();
        let add = |d: Date, n: i64| d.checked_add(n.days()).ok();
        let first_of_month = |d: Date| d.first_of_month();
        let monday = |d: Date| add(d, -i64::from(d.weekday().to_monday_zero_offset()));
        let (from, to) = match self {
            RelativeRange::Today => (Some(today), add(today, 1)),
            RelativeRange::Yesterday => (add(today, -1), Some(today)),
            RelativeRange::Last7Days => (add(today, -7), Some(today)),
            RelativeRange::Last30Days => (add(today, -30), Some(today)),
            RelativeRange::ThisWeek => (monday(today), add(today, 1)),
            RelativeRange::LastWeek => {
                let this = monday(today);
                (this.and_then(|m| add(m, -7)), this)
            }
            RelativeRange::ThisMonth => (Some(first_of_month(today)), add(today, 1)),
            RelativeRange::LastMonth => {
                let this = first_of_month(today);
                (
                    this.checked_sub(1.month()).ok().map(first_of_month),
                    Some(this),
                )
            }
            RelativeRange::LastYear => (
                Date::new(today.year() - 1, 1, 1).ok(),
                Date::new(today.year(), 1, 1).ok(),
            ),
            RelativeRange::Custom => {
                let (from, to) = days.ok_or_else(|| wrong("from", "a custom range needs days"))?;
                if to < from {
                    return Err(wrong("to", "on or after from"));
                }
                (Some(from), add(to, 1))
            }
        };
        match (
            from.and_then(|d| day_start(d, zone)),
            to.and_then(|d| day_start(d, zone)),
        ) {
            (Some(f), Some(t)) if t > f => Ok((f, t)),
            _ => Err(wrong("range", "no such days")),
        }
    }
}

impl Schedule {
    /// The schedule's time of day, weekday and day of month, checked.
    pub fn check(&self) -> Result<Time, Wrong> {
        let at: Time = self
            .at
            .parse()
            .ok()
            .filter(|t: &Time| t.second() == 0 && t.subsec_nanosecond() == 0)
            .ok_or_else(|| wrong("schedule.at", "a time of day like 07:30"))?;
        match self.every {
            Every::Day => {}
            Every::Week => {
                if !self.weekday.is_some_and(|d| (1..=7).contains(&d)) {
                    return Err(wrong("schedule.weekday", "1 (Monday) to 7 (Sunday)"));
                }
            }
            Every::Month => {
                if !self.day.is_some_and(|d| (1..=28).contains(&d)) {
                    return Err(wrong("schedule.day", "1 to 28"));
                }
            }
        }
        Ok(at)
    }

    /// The first time the schedule falls due strictly after `after_ms`, in `zone`.
    pub fn next_after(&self, after_ms: i64, zone: &TimeZone) -> Result<i64, Wrong> {
        let at = self.check()?;
        let now = zoned(after_ms, zone).ok_or_else(|| wrong("schedule", "out of range"))?;
        let mut day = now.date();
        // At most a month and a bit of days to look through.
        for _ in 0..64 {
            let fits = match self.every {
                Every::Day => true,
                Every::Week => Some(day.weekday().to_monday_one_offset() as u8) == self.weekday,
                Every::Month => Some(day.day() as u8) == self.day,
            };
            if fits
                && let Ok(z) = day.to_datetime(at).to_zoned(zone.clone())
                && z.timestamp().as_millisecond() > after_ms
            {
                return Ok(z.timestamp().as_millisecond());
            }
            day = day
                .checked_add(1.day())
                .map_err(|_| wrong("schedule", "out of range"))?;
        }
        Err(wrong("schedule", "never falls due"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn ms(s: &str, zone: &TimeZone) -> i64 {
        let dt: jiff::civil::DateTime = s.parse().unwrap();
        dt.to_zoned(zone.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    #[test]
    fn ranges_are_whole_days_before_the_run() {
        let z = shanghai();
        // Wednesday 2026-12-02 07:00.
        let at = ms("2026-12-02T07:00", &z);
        let day = |s: &str| ms(&format!("{s}T00:00"), &z);
        let r = |range: RelativeRange| range.resolve(at, &z, None).unwrap();
        assert_eq!(
            r(RelativeRange::Yesterday),
            (day("2026-12-01"), day("2026-12-02"))
        );
        assert_eq!(
            r(RelativeRange::Today),
            (day("2026-12-02"), day("2026-12-03"))
        );
        assert_eq!(
            r(RelativeRange::Last7Days),
            (day("2026-11-25"), day("2026-12-02"))
        );
        assert_eq!(
            r(RelativeRange::ThisWeek),
            (day("2026-11-30"), day("2026-12-03"))
        );
        assert_eq!(
            r(RelativeRange::LastWeek),
            (day("2026-11-23"), day("2026-11-30"))
        );
        assert_eq!(
            r(RelativeRange::LastMonth),
            (day("2026-11-01"), day("2026-12-01"))
        );
        assert_eq!(
            r(RelativeRange::LastYear),
            (day("2025-01-01"), day("2026-01-01"))
        );
        let custom = ("2026-02-27".parse().unwrap(), "2026-03-01".parse().unwrap());
        assert_eq!(
            RelativeRange::Custom.resolve(at, &z, Some(custom)).unwrap(),
            (day("2026-02-27"), day("2026-03-02"))
        );
        let backwards = (custom.1, custom.0);
        assert_eq!(
            RelativeRange::Custom
                .resolve(at, &z, Some(backwards))
                .unwrap_err()
                .field,
            "to"
        );
    }

    #[test]
    fn schedules_fall_due_at_their_next_time_in_the_tenants_zone() {
        let z = shanghai();
        let at = ms("2026-12-02T07:00", &z);
        let daily = Schedule {
            every: Every::Day,
            at: "07:00".into(),
            weekday: None,
            day: None,
        };
        // Strictly after: a run at 07:00 sets the next one tomorrow.
        assert_eq!(daily.next_after(at, &z), Ok(ms("2026-12-03T07:00", &z)));
        assert_eq!(daily.next_after(at - 1, &z), Ok(ms("2026-12-02T07:00", &z)));
        let monday = Schedule {
            every: Every::Week,
            at: "08:30".into(),
            weekday: Some(1),
            day: None,
        };
        assert_eq!(monday.next_after(at, &z), Ok(ms("2026-12-07T08:30", &z)));
        let monthly = Schedule {
            every: Every::Month,
            at: "09:00".into(),
            weekday: None,
            day: Some(1),
        };
        assert_eq!(monthly.next_after(at, &z), Ok(ms("2027-01-01T09:00", &z)));
        // New York's spring-forward day has no 02:30: the first instant after it.
        let ny = TimeZone::get("America/New_York").unwrap();
        let early = Schedule {
            every: Every::Day,
            at: "02:30".into(),
            weekday: None,
            day: None,
        };
        let before = ms("2026-03-08T00:00", &ny);
        let next = early.next_after(before, &ny).unwrap();
        assert_eq!(next, ms("2026-03-08T03:30", &ny));
        // Wrong fields are named.
        let bad = |s: Schedule| s.check().unwrap_err().field;
        assert_eq!(
            bad(Schedule {
                at: "25:00".into(),
                ..daily.clone()
            }),
            "schedule.at"
        );
        assert_eq!(
            bad(Schedule {
                weekday: Some(8),
                ..monday.clone()
            }),
            "schedule.weekday"
        );
        assert_eq!(
            bad(Schedule {
                day: Some(31),
                ..monthly.clone()
            }),
            "schedule.day"
        );
    }
}
