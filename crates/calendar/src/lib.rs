//! When a center is open: business hours per weekday in the center's time zone, public
//! holidays (closed) and make-up workdays (调休: a weekend day worked instead, with weekday
//! hours), dates with hours of their own (New Year's Eve closing early); and the SLA clock
//! that counts only service hours — "answer within 8 working hours" that pauses at night and
//! over the Spring Festival.
//!
//! China's statutory holidays and make-up workdays come built in for the years the State
//! Council has announced (`cn_statutory: true`), so a center need not type them in each
//! year; a center adds its own dates on top.
//!
//! Pure: every function takes the instant it is asked about (milliseconds since the Unix
//! epoch); nothing reads a clock.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

/// A calendar as configured (and stored, and sent over the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA zone; `Asia/Shanghai` if left out.
    #[serde(default = "shanghai")]
    pub time_zone: String,
    /// Opening hours per weekday, Monday first: `["08:00-12:00", "13:00-17:30"]`; an empty
    /// list is closed all day.
    pub weekly: [Vec<String>; 7],
    /// Apply China's statutory holidays and make-up workdays.
    #[serde(default)]
    pub cn_statutory: bool,
    /// Closed all day: `2026-06-01`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Open with Monday's hours although a weekend or holiday.
    #[serde(default)]
    pub workdays: Vec<String>,
    /// Dates with hours of their own: `{"date": "2026-12-31", "hours": ["08:00-15:00"]}`.
    #[serde(default)]
    pub special: Vec<SpecialDay>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialDay {
    pub date: String,
    pub hours: Vec<String>,
}

fn shanghai() -> String {
    "Asia/Shanghai".into()
}

/// What is wrong with a spec; `field` is the path to it (`weekly[2][0]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is invalid: {reason}")]
pub struct SpecError {
    pub field: String,
    pub reason: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> SpecError {
    SpecError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A checked calendar, ready to answer.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    weekly: [Vec<(Time, Time)>; 7],
    holidays: Vec<Date>,
    workdays: Vec<Date>,
    special: Vec<(Date, Vec<(Time, Time)>)>,
}

/// (month, day).
type MonthDay = (i8, i8);

/// One year's statutory holidays (first and last day of each) and make-up workdays.
type StatutoryYear = (i16, &'static [(MonthDay, MonthDay)], &'static [MonthDay]);

/// China's statutory holidays and make-up workdays (国务院办公厅 announcements).
const CN: &[StatutoryYear] = &[
    (
        2025,
        &[
            ((1, 1), (1, 1)),
            ((1, 28), (2, 4)),
            ((4, 4), (4, 6)),
            ((5, 1), (5, 5)),
            ((5, 31), (6, 2)),
            ((10, 1), (10, 8)),
        ],
        &[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)],
    ),
    (
        2026,
        &[
            ((1, 1), (1, 3)),
            ((2, 15), (2, 23)),
            ((4, 4), (4, 6)),
            ((5, 1), (5, 5)),
            ((6, 19), (6, 21)),
            ((9, 25), (9, 27)),
            ((10, 1), (10, 7)),
        ],
        &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)],
    ),
];

/// The years the built-in table covers.
pub fn cn_statutory_years() -> Vec<i16> {
    CN.iter().map(|(y, _, _)| *y).collect()
}

/// One year's statutory holidays and make-up workdays, day by day; `None` for a year the
/// table does not cover.
pub fn cn_statutory(year: i16) -> Option<(Vec<Date>, Vec<Date>)> {
    let (year, ranges, makeup) = CN.iter().find(|(y, _, _)| *y == year)?;
    let mut holidays = Vec::new();
    for &((m1, d1), (m2, d2)) in *ranges {
        let (mut day, last) = (Date::constant(*year, m1, d1), Date::constant(*year, m2, d2));
        holidays.push(day);
        while day < last {
            day = day.tomorrow().unwrap_or(last);
            holidays.push(day);
        }
    }
    let workdays = makeup
        .iter()
        .map(|&(m, d)| Date::constant(*year, m, d))
        .collect();
    Some((holidays, workdays))
}

fn parse_spans(field: &str, list: &[String]) -> Result<Vec<(Time, Time)>, SpecError> {
    let mut spans = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| err(&f, "hours as HH:MM-HH:MM"))?;
        let parse = |t: &str| -> Result<Time, SpecError> {
            let t = t.trim();
            if t == "24:00" {
                return Ok(Time::MAX);
            }
            Time::strptime("%H:%M", t).map_err(|_| err(&f, format!("`{t}` is not a time HH:MM")))
        };
        let (start, end) = (parse(a)?, parse(b)?);
        if start >= end {
            return Err(err(&f, "the end must be after the start"));
        }
        spans.push((start, end));
    }
    spans.sort();
    if spans.windows(2).any(|w| w[0].1 > w[1].0) {
        return Err(err(field, "hours overlap"));
    }
    Ok(spans)
}

fn parse_date(field: &str, s: &str) -> Result<Date, SpecError> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| err(field, format!("`{s}` is not a date YYYY-MM-DD")))
}

impl Calendar {
    /// Checks a spec; every error names its field.
    pub fn new(spec: &CalendarSpec) -> Result<Calendar, SpecError> {
        let tz = TimeZone::get(&spec.time_zone).map_err(|_| {
            err(
                "time_zone",
                format!("`{}` is not an IANA time zone", spec.time_zone),
            )
        })?;
        let mut weekly: [Vec<(Time, Time)>; 7] = Default::default();
        for (d, hours) in spec.weekly.iter().enumerate() {
            weekly[d] = parse_spans(&format!("weekly[{d}]"), hours)?;
        }
        let dates = |field: &str, list: &[String]| -> Result<Vec<Date>, SpecError> {
            list.iter()
                .enumerate()
                .map(|(i, s)| parse_date(&format!("{field}[{i}]"), s))
                .collect()
        };
        let mut holidays = dates("holidays", &spec.holidays)?;
        let mut workdays = dates("workdays", &spec.workdays)?;
        if spec.cn_statutory {
            for year in cn_statutory_years() {
                if let Some((h, w)) = cn_statutory(year) {
                    holidays.extend(h);
                    workdays.extend(w);
                }
            }
        }
        let mut special = Vec::new();
        for (i, s) in spec.special.iter().enumerate() {
            special.push((
                parse_date(&format!("special[{i}].date"), &s.date)?,
                parse_spans(&format!("special[{i}].hours"), &s.hours)?,
            ));
        }
        Ok(Calendar {
            tz,
            weekly,
            holidays,
            workdays,
            special,
        })
    }

    /// Opening hours on a local date.
    fn hours(&self, date: Date) -> &[(Time, Time)] {
        if let Some((_, h)) = self.special.iter().find(|(d, _)| *d == date) {
            return h;
        }
        if self.workdays.contains(&date) {
            return &self.weekly[0];
        }
        if self.holidays.contains(&date) {
            return &[];
        }
        let index = match date.weekday() {
            Weekday::Monday => 0,
            Weekday::Tuesday => 1,
            Weekday::Wednesday => 2,
            Weekday::Thursday => 3,
            Weekday::Friday => 4,
            Weekday::Saturday => 5,
            Weekday::Sunday => 6,
        };
        &self.weekly[index]
    }

    fn local(&self, at_ms: i64) -> Zoned {
        Timestamp::from_millisecond(at_ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
    }

    /// The instant a local date and time happens (the earlier one in a DST fold).
    fn instant(&self, date: Date, time: Time) -> i64 {
        let end_of_day = time == Time::MAX;
        let dt = if end_of_day {
            date.tomorrow().unwrap_or(date).at(0, 0, 0, 0)
        } else {
            date.to_datetime(time)
        };
        self.tz
            .to_ambiguous_zoned(dt)
            .compatible()
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(i64::MAX)
    }

    /// Whether the center is open at this instant.
    pub fn is_open(&self, at_ms: i64) -> bool {
        let z = self.local(at_ms);
        let t = z.time();
        self.hours(z.date())
            .iter()
            .any(|&(a, b)| a <= t && (t < b || b == Time::MAX))
    }

    /// The open spans (as instants) of the local day holding `at_ms`, and of the days after
    /// it, in order, up to a year ahead.
    fn spans_from(&self, at_ms: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let start = self.local(at_ms).date();
        (0..400).flat_map(move |n| {
            let date = start
                .checked_add(jiff::Span::new().days(n))
                .unwrap_or(start);
            self.hours(date)
                .iter()
                .map(move |&(a, b)| (self.instant(date, a), self.instant(date, b)))
        })
    }

    /// The next instant after `at_ms` when the center opens or closes; `None` if it never
    /// changes within a year.
    pub fn next_change(&self, at_ms: i64) -> Option<i64> {
        // A span ending at midnight and the next day's starting then are no change.
        let open = self.is_open(at_ms);
        self.spans_from(at_ms)
            .flat_map(|(a, b)| [a, b])
            .find(|&t| t > at_ms && self.is_open(t) != open)
    }

    /// Service time between two instants: only open hours count.
    pub fn business_ms(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        self.spans_from(from_ms)
            .take_while(|&(a, _)| a < to_ms)
            .map(|(a, b)| (b.min(to_ms) - a.max(from_ms)).max(0))
            .sum()
    }

    /// A limit in working days (限时 N 个工作日): counted from the working day after the
    /// local date of `from_ms` (受理次日起算), it ends when the `n`th working day closes.
    /// `n` = 0 is the close of the day of `from_ms` (or of the next working day, if that one
    /// is closed). `None` if the calendar has too few open days within a year.
    pub fn working_days_after(&self, from_ms: i64, n: u32) -> Option<i64> {
        let start = self.local(from_ms).date();
        let mut counted = 0;
        for k in 0..400i64 {
            let date = start.checked_add(jiff::Span::new().days(k)).ok()?;
            let Some(&(_, close)) = self.hours(date).last() else {
                continue;
            };
            if k > 0 {
                counted += 1;
            }
            if (k == 0 && n == 0) || (k > 0 && counted >= n.max(1)) {
                return Some(self.instant(date, close));
            }
        }
        None
    }

    /// When `ms` of service time after `from_ms` ends: an SLA deadline that pauses when the
    /// center is closed. `None` if the calendar has no open hours within a year.
    pub fn add_business_ms(&self, from_ms: i64, ms: i64) -> Option<i64> {
        let mut left = ms.max(0);
        for (a, b) in self.spans_from(from_ms) {
            let a = a.max(from_ms);
            if b <= a {
                continue;
            }
            if b - a >= left {
                return Some(a + left);
            }
            left -= b - a;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Hangzhou utility: weekdays 08:30–12:00 and 13:00–17:30, Saturday morning.
    fn utility() -> Calendar {
        let day = vec!["08:30-12:00".to_string(), "13:00-17:30".to_string()];
        Calendar::new(&CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            weekly: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec!["09:00-12:00".into()],
                vec![],
            ],
            cn_statutory: true,
            holidays: vec![],
            workdays: vec![],
            special: vec![SpecialDay {
                date: "2026-12-31".into(),
                hours: vec!["08:30-15:00".into()],
            }],
        })
        .unwrap()
    }

    /// Milliseconds of a Shanghai wall-clock time.
    fn sh(s: &str) -> i64 {
        let dt: jiff::civil::DateTime = s.parse().unwrap();
        dt.to_zoned(TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    /// 限时 N 个工作日, hand-counted on the 2026 calendar.
    #[test]
    fn working_days_count_from_the_next_working_day_across_holidays() {
        let c = utility();
        // Created Wednesday 2026-09-30 at 17:55, before National Day (Oct 1–7 off, Saturday
        // Oct 10 worked): day 1 is Thursday Oct 8, day 2 Friday Oct 9, day 3 the make-up
        // Saturday Oct 10 (weekday hours, so closing at 17:30).
        let created = sh("2026-09-30T17:55");
        assert_eq!(
            c.working_days_after(created, 1),
            Some(sh("2026-10-08T17:30"))
        );
        assert_eq!(
            c.working_days_after(created, 3),
            Some(sh("2026-10-10T17:30"))
        );
        // Thirteen working days (a complaint): Oct 8, 9, 10, 12–16, 17 (a Saturday morning),
        // 19, 20, 21, 22.
        assert_eq!(
            c.working_days_after(created, 13),
            Some(sh("2026-10-22T17:30"))
        );
        // Across the Spring Festival: created Friday Feb 13, Saturday Feb 14 is worked,
        // Feb 15–23 off, Feb 24 is the next.
        let before = sh("2026-02-13T10:00");
        assert_eq!(
            c.working_days_after(before, 1),
            Some(sh("2026-02-14T17:30"))
        );
        assert_eq!(
            c.working_days_after(before, 2),
            Some(sh("2026-02-24T17:30"))
        );
        // Zero days: the close of the same day.
        assert_eq!(
            c.working_days_after(before, 0),
            Some(sh("2026-02-13T17:30"))
        );
    }

    #[test]
    fn weekday_hours_lunch_and_weekends() {
        let c = utility();
        assert!(c.is_open(sh("2026-11-23T08:30"))); // Monday
        assert!(!c.is_open(sh("2026-11-23T08:29")));
        assert!(!c.is_open(sh("2026-11-23T12:30"))); // lunch
        assert!(!c.is_open(sh("2026-11-23T17:30")));
        assert!(c.is_open(sh("2026-11-28T11:59"))); // Saturday morning
        assert!(!c.is_open(sh("2026-11-29T10:00"))); // Sunday
    }

    #[test]
    fn spring_festival_and_make_up_workdays() {
        let c = utility();
        assert!(!c.is_open(sh("2026-02-16T10:00"))); // Monday, 春节
        assert!(!c.is_open(sh("2026-02-23T10:00"))); // the last day off
        assert!(c.is_open(sh("2026-02-24T10:00")));
        // Saturday 2026-02-28 is worked, with weekday hours (afternoon included).
        assert!(c.is_open(sh("2026-02-28T14:00")));
        // Sunday 2026-01-04 is worked too.
        assert!(c.is_open(sh("2026-01-04T09:00")));
        assert!(!c.is_open(sh("2026-10-07T10:00"))); // 国庆
        assert!(!c.is_open(sh("2025-10-08T10:00"))); // 国庆 2025 ran to the 8th
        // New Year's Eve closes early.
        assert!(!c.is_open(sh("2026-12-31T15:30")));
        assert!(c.is_open(sh("2026-12-31T14:59")));
    }

    #[test]
    fn next_change_finds_the_next_opening_across_a_holiday() {
        let c = utility();
        assert_eq!(
            c.next_change(sh("2026-11-23T10:00")),
            Some(sh("2026-11-23T12:00"))
        );
        assert_eq!(
            c.next_change(sh("2026-11-23T12:00")),
            Some(sh("2026-11-23T13:00"))
        );
        // Friday evening before the Spring Festival: Saturday 2026-02-14 is a make-up
        // workday, so the center opens then; after it, not until the 24th.
        assert_eq!(
            c.next_change(sh("2026-02-13T18:00")),
            Some(sh("2026-02-14T08:30"))
        );
        assert_eq!(
            c.next_change(sh("2026-02-14T18:00")),
            Some(sh("2026-02-24T08:30"))
        );
    }

    #[test]
    fn the_sla_clock_pauses_when_closed() {
        let c = utility();
        // Friday 16:30 + 2 service hours: 1 h on Friday, 1 h Saturday morning.
        let start = sh("2026-11-27T16:30");
        assert_eq!(
            c.add_business_ms(start, 2 * 3_600_000),
            Some(sh("2026-11-28T10:00"))
        );
        assert_eq!(c.business_ms(start, sh("2026-11-28T10:00")), 2 * 3_600_000);
        assert_eq!(
            c.business_ms(sh("2026-11-23T11:00"), sh("2026-11-23T14:00")),
            2 * 3_600_000
        );
        assert_eq!(
            c.business_ms(sh("2026-11-23T14:00"), sh("2026-11-23T11:00")),
            0
        );
        // Before the Spring Festival the make-up Saturday counts; after it, the clock waits
        // nine days.
        let eve = sh("2026-02-13T17:00");
        assert_eq!(
            c.add_business_ms(eve, 8 * 3_600_000),
            Some(sh("2026-02-14T17:00"))
        );
        let sat = sh("2026-02-14T17:00");
        assert_eq!(
            c.add_business_ms(sat, 8 * 3_600_000),
            Some(sh("2026-02-24T17:00"))
        );
    }

    #[test]
    fn other_time_zones_and_round_the_clock() {
        let all = vec!["00:00-24:00".to_string()];
        let c = Calendar::new(&CalendarSpec {
            time_zone: "Europe/Berlin".into(),
            weekly: std::array::from_fn(|_| all.clone()),
            cn_statutory: false,
            holidays: vec!["2026-12-25".into()],
            workdays: vec![],
            special: vec![],
        })
        .unwrap();
        let berlin = |s: &str| {
            let dt: jiff::civil::DateTime = s.parse().unwrap();
            dt.to_zoned(TimeZone::get("Europe/Berlin").unwrap())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        assert!(c.is_open(berlin("2026-12-24T23:59")));
        assert!(!c.is_open(berlin("2026-12-25T00:00")));
        assert_eq!(
            c.next_change(berlin("2026-12-25T12:00")),
            Some(berlin("2026-12-26T00:00"))
        );
        assert_eq!(
            c.business_ms(berlin("2026-12-24T23:00"), berlin("2026-12-26T01:00")),
            2 * 3_600_000
        );
    }

    #[test]
    fn bad_specs_name_the_field() {
        let spec = |weekly: [Vec<String>; 7], tz: &str| CalendarSpec {
            time_zone: tz.into(),
            weekly,
            cn_statutory: false,
            holidays: vec!["2026-02-30".into()],
            workdays: vec![],
            special: vec![],
        };
        let mut w: [Vec<String>; 7] = Default::default();
        assert_eq!(
            Calendar::new(&spec(w.clone(), "Mars/Olympus"))
                .unwrap_err()
                .field,
            "time_zone"
        );
        w[2] = vec!["9:00-8:00".into()];
        assert_eq!(
            Calendar::new(&spec(w.clone(), "UTC")).unwrap_err().field,
            "weekly[2][0]"
        );
        w[2] = vec!["08:00-12:00".into(), "11:00-13:00".into()];
        assert_eq!(
            Calendar::new(&spec(w.clone(), "UTC")).unwrap_err().field,
            "weekly[2]"
        );
        w[2] = vec!["08:00".into()];
        assert_eq!(
            Calendar::new(&spec(w.clone(), "UTC")).unwrap_err().field,
            "weekly[2][0]"
        );
        w[2] = vec![];
        assert_eq!(
            Calendar::new(&spec(w, "UTC")).unwrap_err().field,
            "holidays[0]"
        );
    }

    #[test]
    fn a_spec_reads_from_json_with_defaults() {
        let spec: CalendarSpec = serde_json::from_str(
            r#"{"weekly": [["08:00-17:00"],["08:00-17:00"],["08:00-17:00"],["08:00-17:00"],["08:00-17:00"],[],[]], "cn_statutory": true}"#,
        )
        .unwrap();
        assert_eq!(spec.time_zone, "Asia/Shanghai");
        assert!(Calendar::new(&spec).is_ok());
        assert_eq!(cn_statutory_years(), [2025, 2026]);
    }
}
