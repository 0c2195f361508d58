//! The simulator, driving the real engine, agrees with queueing theory.
//!
//! Tolerance: each run is cut into B = 25 batches (the report's intervals); the batch values
//! of a measure give its standard error, sd / √B, which shrinks as 1/√(run length). A measure
//! passes if the whole-run value is within 4 standard errors of the formula (plus 1e-3 for the
//! formula's own rounding and the start-up transient). Batches long against the correlation
//! time (here 80 h against minutes) are nearly independent, so 4 SE is a generous bound while
//! still far tighter than the differences a routing bug makes.

use sim::{Model, Report, Stats};

const BATCHES: f64 = 25.0;

fn simulate(agents: u32, patience: Option<f64>, hours: f64, seed: u64) -> Report {
    let mut model = Model::single_queue(200.0, 180.0, agents, 20.0, patience, hours, seed);
    model.interval_minutes = hours * 60.0 / BATCHES;
    sim::run(&model).unwrap()
}

#[track_caller]
fn agrees(report: &Report, name: &str, measure: fn(&Stats) -> f64, expected: f64) {
    let values: Vec<f64> = report.intervals.iter().map(measure).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let tolerance = 4.0 * sd / n.sqrt() + 1e-3;
    let actual = measure(&report.total);
    eprintln!("{name}: simulated {actual:.5}, formula {expected:.5}, tolerance {tolerance:.5}");
    assert!(
        (actual - expected).abs() <= tolerance,
        "{name}: simulated {actual:.5}, formula {expected:.5}, tolerance {tolerance:.5}"
    );
}

#[test]
fn mmc_agrees_with_erlang_c() {
    // A = 200 calls/h × 180 s = 10 Erlangs.
    for agents in 12..=15 {
        let report = simulate(agents, None, 8000.0, u64::from(agents));
        let c = wfm::erlang_c(10.0, agents, 180.0, 20.0).unwrap();
        assert_eq!(report.total.abandoned, 0);
        assert_eq!(report.unfinished, 0);
        agrees(&report, "P(wait)", |s| s.p_wait, c.p_wait);
        agrees(&report, "SL(20 s)", |s| s.service_level, c.service_level);
        agrees(
            &report,
            "ASA",
            |s| s.asa_seconds / 180.0,
            c.asa_seconds / 180.0,
        );
        agrees(&report, "occupancy", |s| s.occupancy, c.occupancy);
    }
}

#[test]
fn mmc_with_abandonment_agrees_with_erlang_a() {
    for agents in [9, 11, 13] {
        let report = simulate(agents, Some(300.0), 8000.0, 100 + u64::from(agents));
        let a = wfm::erlang_a(10.0, agents, 180.0, 300.0, 20.0).unwrap();
        agrees(&report, "P(abandon)", |s| s.p_abandon, a.p_abandon);
        agrees(&report, "P(wait)", |s| s.p_wait, a.p_wait);
        agrees(&report, "SL(20 s)", |s| s.service_level, a.service_level);
        agrees(
            &report,
            "ASA",
            |s| s.asa_seconds / 180.0,
            a.asa_seconds / 180.0,
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = simulate(12, Some(300.0), 50.0, 7);
    let b = simulate(12, Some(300.0), 50.0, 7);
    assert_eq!(a, b);
    let c = simulate(12, Some(300.0), 50.0, 8);
    assert_ne!(a.total, c.total);
}
