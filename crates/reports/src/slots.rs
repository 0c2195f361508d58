//! How rollups are kept: a row per day (in the tenant's time zone), dimension and key, its
//! half hours side by side in the row (slot `i` is the half hour starting `i` × 30 minutes
//! after the day's midnight; a day of a change of clocks has 46 or 50), and a second row
//! per day with their sum. A month of every queue's half hours is then one row per queue and
//! day, not one per half hour.
//!
//! A slot is [`SLOT_WIDTH`] values wide, the components by position ([`Components::to_vec`])
//! with room to grow: rows kept read back the same when measures are added at the end.

use std::collections::BTreeMap;

use crate::components::Components;
use crate::fold::{Dim, HALF_HOUR_MS, Rollup};
use crate::periods::{Granularity, period_start};

/// Values a half hour takes in a day's row.
pub const SLOT_WIDTH: usize = 96;

/// Half hours a day's row holds at most (a day that gains an hour has 50).
pub const SLOTS: usize = 50;

/// A day's row: its midnight, dimension, key, and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    pub day_ms: i64,
    pub dim: Dim,
    pub key: String,
    pub values: Vec<i64>,
}

/// A fold's rows as kept: the days' half hours, and the days' sums, in `zone`.
pub fn day_rows(out: Rollup, zone: &jiff::tz::TimeZone) -> (Vec<DayRow>, Vec<DayRow>) {
    let mut halves: BTreeMap<(i64, Dim, String), Vec<i64>> = BTreeMap::new();
    let mut sums: BTreeMap<(i64, Dim, String), Components> = BTreeMap::new();
    for (k, c) in out.0 {
        let day = period_start(k.bucket_ms, Granularity::Day, zone, 0);
        let slot = usize::try_from((k.bucket_ms - day) / HALF_HOUR_MS)
            .unwrap_or(0)
            .min(SLOTS - 1);
        let row = halves.entry((day, k.dim, k.key.clone())).or_default();
        put(row, slot, &c);
        sums.entry((day, k.dim, k.key)).or_default().merge(&c);
    }
    let rows = |m: BTreeMap<(i64, Dim, String), Vec<i64>>| {
        m.into_iter()
            .map(|((day_ms, dim, key), values)| DayRow {
                day_ms,
                dim,
                key,
                values,
            })
            .collect()
    };
    let sums = sums.into_iter().map(|(k, c)| (k, c.to_vec())).collect();
    (rows(halves), rows(sums))
}

/// Merges `c` into slot `slot` of a day's row.
fn put(row: &mut Vec<i64>, slot: usize, c: &Components) {
    let at = slot * SLOT_WIDTH;
    if row.len() < at + SLOT_WIDTH {
        row.resize(at + SLOT_WIDTH, 0);
    }
    let mut kept = Components::from_slice(&row[at..at + SLOT_WIDTH]);
    kept.merge(c);
    let v = kept.to_vec();
    row[at..at + v.len()].copy_from_slice(&v);
}

/// How a day's half hours kept take new ones in: slot by slot.
pub fn merge_halves(into: &mut Vec<i64>, new: &[i64]) {
    for (slot, chunk) in new.chunks(SLOT_WIDTH).enumerate() {
        if chunk.iter().any(|v| *v != 0) {
            put(into, slot, &Components::from_slice(chunk));
        }
    }
}

/// How a day's sum kept takes a new one in.
pub fn merge_sum(into: &mut Vec<i64>, new: &[i64]) {
    let mut c = Components::from_slice(into);
    c.merge(&Components::from_slice(new));
    *into = c.to_vec();
}

/// A day's half hours: each one with something in it, as (its first instant, components).
pub fn half_hours(day_ms: i64, values: &[i64]) -> impl Iterator<Item = (i64, Components)> + '_ {
    values
        .chunks(SLOT_WIDTH)
        .enumerate()
        .filter(|(_, chunk)| chunk.iter().any(|v| *v != 0))
        .map(move |(slot, chunk)| {
            (
                day_ms + slot as i64 * HALF_HOUR_MS,
                Components::from_slice(chunk),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_holds_every_component_with_room_to_grow() {
        assert!(Components::default().to_vec().len() <= SLOT_WIDTH);
    }

    #[test]
    fn half_hours_come_back_from_their_days() {
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        // 2026-12-01 00:00 in Shanghai, and two half hours of it.
        let day = 1_796_054_400_000;
        let mut out = Rollup::default();
        let c = |n| Components {
            offered: n,
            max_wait_ms: n * 1000,
            ..Components::default()
        };
        for (b, n) in [(day + HALF_HOUR_MS, 2), (day + 47 * HALF_HOUR_MS, 3)] {
            out.0.insert(
                crate::RowKey {
                    bucket_ms: b,
                    dim: Dim::Queue,
                    key: "repair".into(),
                },
                c(n),
            );
        }
        let (halves, sums) = day_rows(out, &zone);
        assert_eq!((halves.len(), sums.len()), (1, 1));
        assert_eq!(halves[0].day_ms, day);
        let back: Vec<(i64, i64)> = half_hours(day, &halves[0].values)
            .map(|(b, c)| (b, c.offered))
            .collect();
        assert_eq!(
            back,
            [(day + HALF_HOUR_MS, 2), (day + 47 * HALF_HOUR_MS, 3)]
        );
        assert_eq!(Components::from_slice(&sums[0].values).offered, 5);
        // Kept rows take new ones in slot by slot; the longest wait by maximum.
        let mut kept = halves[0].values.clone();
        merge_halves(&mut kept, &halves[0].values);
        let back: Vec<(i64, i64, i64)> = half_hours(day, &kept)
            .map(|(b, c)| (b, c.offered, c.max_wait_ms))
            .collect();
        assert_eq!(
            back,
            [
                (day + HALF_HOUR_MS, 4, 2000),
                (day + 47 * HALF_HOUR_MS, 6, 3000)
            ]
        );
    }
}
