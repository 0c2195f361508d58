//! Simulation reports for people (a table with a bar per interval) and for programs (JSON).

use serde_json::{Value, json};
use sim::{Model, Report, Stats};

/// The whole-run measures, with the keys `hotline simulate --json` promises.
pub fn totals_json(s: &Stats) -> Value {
    json!({
        "offered": s.offered,
        "answered": s.answered,
        "abandoned": s.abandoned,
        "overflowed": s.overflowed,
        "service_level": s.service_level,
        "asa_seconds": s.asa_seconds,
        "aht_seconds": s.aht_seconds,
        "occupancy": s.occupancy,
        "p_wait": s.p_wait,
        "p_abandon": s.p_abandon,
    })
}

const COLUMNS: [(&str, &str, usize); 10] = [
    ("时段", "interval", 8),
    ("呼入", "offered", 8),
    ("接通", "answered", 9),
    ("放弃", "abandoned", 10),
    ("溢出", "overflow", 9),
    ("服务水平", "SL", 9),
    ("平均应答", "ASA s", 9),
    ("平均处理", "AHT s", 9),
    ("占用率", "occupancy", 10),
    ("需排队", "P(wait)", 8),
];

/// Prints per-interval rows (when there are few enough to read), per-queue and total rows.
pub fn table(report: &Report, model: &Model) {
    let first = report
        .queues
        .iter()
        .map(|(name, _)| width(name) + 1)
        .chain([COLUMNS[0].2, width("total 合计") + 1])
        .max()
        .unwrap_or(8);
    for lang in [0, 1] {
        let header: String = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = if i == 0 { first } else { c.2 };
                pad(if lang == 0 { c.0 } else { c.1 }, w)
            })
            .collect();
        println!("{header}  {}", if lang == 0 { "话务量" } else { "volume" });
    }
    if report.intervals.len() <= 96 {
        let peak = report
            .intervals
            .iter()
            .map(|s| s.offered)
            .max()
            .unwrap_or(0)
            .max(1);
        for s in &report.intervals {
            let minutes = (s.start_seconds / 60.0).round() as u64;
            let when = if model.hours <= 24.0 {
                format!("{:02}:{:02}", minutes / 60, minutes % 60)
            } else {
                format!("{:.1}h", s.start_seconds / 3600.0)
            };
            let bar = "█".repeat((s.offered * 30).div_ceil(peak) as usize);
            println!("{}  {bar}", row(&when, s, first, true));
        }
        println!();
    }
    if report.queues.len() > 1 {
        // Agent time is not split by queue: occupancy only for the whole center.
        for (name, s) in &report.queues {
            println!("{}", row(name, s, first, false));
        }
    }
    println!("{}", row("total 合计", &report.total, first, true));
    if report.unfinished > 0 {
        println!(
            "\n{} calls were left waiting with nobody to answer them (no agent logged in).",
            report.unfinished
        );
    }
}

fn row(label: &str, s: &Stats, first: usize, occupancy: bool) -> String {
    let cells = [
        label.to_owned(),
        s.offered.to_string(),
        s.answered.to_string(),
        s.abandoned.to_string(),
        s.overflowed.to_string(),
        percent(s.service_level, s.offered),
        format!("{:.1}", s.asa_seconds),
        format!("{:.0}", s.aht_seconds),
        percent(s.occupancy, u64::from(occupancy)),
        percent(s.p_wait, s.offered),
    ];
    cells
        .iter()
        .zip(COLUMNS)
        .enumerate()
        .map(|(i, (cell, (_, _, w)))| pad(cell, if i == 0 { first } else { w }))
        .collect()
}

fn percent(x: f64, n: u64) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.1}%", x * 100.0)
    }
}

/// Terminal columns `s` takes: Chinese characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if u32::from(c) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

/// Left-aligns `s` in `w` terminal columns (at least one space after it).
fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s)).max(1)))
}
