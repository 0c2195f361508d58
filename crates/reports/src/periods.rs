//! Periods in a tenant's time zone: which day, week, month or year a half hour belongs to,
//! and the period before a range (for "the previous period beside it").

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

use crate::fold::bucket;

/// How a report's rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    HalfHour,
    Hour,
    Day,
    /// Monday to Sunday.
    Week,
    Month,
    Year,
    /// The whole range as one row.
    Total,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        Some(match s {
            "half_hour" => Granularity::HalfHour,
            "hour" => Granularity::Hour,
            "day" => Granularity::Day,
            "week" => Granularity::Week,
            "month" => Granularity::Month,
            "year" => Granularity::Year,
            "total" => Granularity::Total,
            _ => return None,
        })
    }
}

fn zoned(ms: i64, zone: &TimeZone) -> Option<Zoned> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_zoned(zone.clone()))
}

/// The first instant (ms) of the period of `granularity` that `at_ms` falls in, in `zone`;
/// `range_start_ms` for [`Granularity::Total`].
pub fn period_start(at_ms: i64, g: Granularity, zone: &TimeZone, range_start_ms: i64) -> i64 {
    let start_of_day = |z: &Zoned| z.start_of_day().ok();
    let z = match g {
        Granularity::HalfHour => return bucket(at_ms),
        Granularity::Total => return range_start_ms,
        Granularity::Hour => {
            return zoned(at_ms, zone)
                .and_then(|z| {
                    z.with()
                        .minute(0)
                        .second(0)
                        .subsec_nanosecond(0)
                        .build()
                        .ok()
                })
                .map_or(bucket(at_ms), |z| z.timestamp().as_millisecond());
        }
        Granularity::Day => zoned(at_ms, zone).and_then(|z| start_of_day(&z)),
        Granularity::Week => zoned(at_ms, zone).and_then(|z| {
            let back = i64::from(z.weekday().to_monday_zero_offset());
            z.checked_sub(back.days())
                .ok()
                .and_then(|z| start_of_day(&z))
        }),
        Granularity::Month => zoned(at_ms, zone)
            .and_then(|z| z.first_of_month().ok())
            .and_then(|z| start_of_day(&z)),
        Granularity::Year => zoned(at_ms, zone)
            .and_then(|z| z.first_of_year().ok())
            .and_then(|z| start_of_day(&z)),
    };
    z.map_or(bucket(at_ms), |z| z.timestamp().as_millisecond())
}

/// The period before `[from_ms, to_ms)`: the previous calendar month(s) or year(s) when the
/// range is whole months, else the same length just before.
pub fn previous(from_ms: i64, to_ms: i64, zone: &TimeZone) -> (i64, i64) {
    let (Some(from), Some(to)) = (zoned(from_ms, zone), zoned(to_ms, zone)) else {
        return (from_ms - (to_ms - from_ms), from_ms);
    };
    let whole_months = from.day() == 1
        && to.day() == 1
        && from.start_of_day().ok().as_ref() == Some(&from)
        && to.start_of_day().ok().as_ref() == Some(&to);
    if whole_months {
        let months = i64::from(to.year() - from.year()) * 12 + i64::from(to.month() - from.month());
        if let Ok(prev) = from.checked_sub(months.months()) {
            return (prev.timestamp().as_millisecond(), from_ms);
        }
    }
    (from_ms - (to_ms - from_ms), from_ms)
}
