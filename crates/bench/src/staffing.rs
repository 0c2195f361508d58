//! `hotline bench staff`: staffing a week of half hours for 50 queues, compared with
//! pyworkforce's answers and time (`bench/pyworkforce_staff.py`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Problem {
    calls: f64,
    interval_minutes: f64,
    aht: f64,
    target_sl: f64,
    target_seconds: f64,
    shrinkage: f64,
    max_occupancy: f64,
}

/// A week of half hours (336) for 50 queues: each queue has a size, an AHT and a target; its
/// volume follows a daily curve (night low, morning and afternoon peaks) scaled by weekday.
fn problems(seed: u64) -> Vec<Problem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(50 * 336);
    for _queue in 0..50 {
        let peak = rng.random_range(20.0..800.0_f64);
        let aht = rng.random_range(120.0..600.0_f64).round();
        let (target_sl, target_seconds) =
            [(0.8, 20.0), (0.9, 30.0), (0.7, 60.0), (0.85, 15.0)][rng.random_range(0..4)];
        let shrinkage = rng.random_range(20..=40) as f64 / 100.0;
        let max_occupancy = rng.random_range(80..=95) as f64 / 100.0;
        for day in 0..7 {
            let weekday = [1.0, 0.95, 0.9, 0.9, 0.85, 0.6, 0.5][day];
            for half_hour in 0..48 {
                let h = half_hour as f64 / 2.0;
                let curve = 0.05
                    + 0.95
                        * (-((h - 10.5) / 2.5).powi(2))
                            .exp()
                            .max(0.8 * (-((h - 15.5) / 2.5).powi(2)).exp());
                let noise = rng.random_range(0.9..1.1);
                let calls = (peak * curve * weekday * noise).round().max(1.0);
                out.push(Problem {
                    calls,
                    interval_minutes: 30.0,
                    aht,
                    target_sl,
                    target_seconds,
                    shrinkage,
                    max_occupancy,
                });
            }
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct PeerAnswer {
    agents: u32,
    positions: u32,
}

pub(crate) fn run(
    write: Option<PathBuf>,
    peer: Option<PathBuf>,
    repeat: u32,
    seed: u64,
    json: bool,
) -> Result<()> {
    let problems = problems(seed);
    if let Some(path) = write {
        std::fs::write(&path, serde_json::to_string(&problems)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{} problems written to {}", problems.len(), path.display());
        return Ok(());
    }
    let requests: Vec<wfm::StaffingRequest> = problems
        .iter()
        .map(|p| wfm::StaffingRequest {
            calls: p.calls,
            interval_seconds: p.interval_minutes * 60.0,
            aht: p.aht,
            target_sl: p.target_sl,
            target_seconds: p.target_seconds,
            shrinkage: p.shrinkage,
            max_occupancy: p.max_occupancy,
            patience: None,
        })
        .collect();
    let started = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..repeat {
        answers = requests
            .iter()
            .map(wfm::staff)
            .collect::<Result<Vec<_>, _>>()?;
    }
    let secs = started.elapsed().as_secs_f64() / f64::from(repeat);
    let mut out = json!({
        "problems": problems.len(),
        "wall_seconds": secs,
        "total_agents": answers.iter().map(|a| u64::from(a.agents)).sum::<u64>(),
        "total_positions": answers.iter().map(|a| u64::from(a.positions)).sum::<u64>(),
    });
    if let Some(path) = peer {
        #[derive(Deserialize)]
        struct PeerRun {
            results: Vec<PeerAnswer>,
            wall_seconds: f64,
        }
        let run: PeerRun = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?;
        if run.results.len() != answers.len() {
            bail!(
                "pyworkforce answered {} problems, not {}",
                run.results.len(),
                answers.len()
            );
        }
        let mut same = 0;
        let mut same_agents = 0;
        let mut differences = Vec::new();
        for ((p, ours), theirs) in problems.iter().zip(&answers).zip(&run.results) {
            same_agents += usize::from(ours.agents == theirs.agents);
            if (ours.agents, ours.positions) == (theirs.agents, theirs.positions) {
                same += 1;
            } else {
                differences.push(json!({
                    "problem": p, "ours": [ours.agents, ours.positions],
                    "pyworkforce": [theirs.agents, theirs.positions],
                    "why": explain(p, ours, theirs),
                }));
            }
        }
        out["identical"] = json!(same);
        out["identical_agents"] = json!(same_agents);
        out["different"] = json!(differences);
        out["pyworkforce_wall_seconds"] = json!(run.wall_seconds);
        out["ratio"] = json!(run.wall_seconds / secs);
    }
    if json {
        println!("{out}");
    } else {
        println!(
            "staffing: {} intervals (50 queues × 336 half hours) in {:.2} ms",
            problems.len(),
            secs * 1e3
        );
        if let Some(ratio) = out["ratio"].as_f64() {
            println!(
                "pyworkforce: {:.2} s; ratio {ratio:.0}×",
                out["pyworkforce_wall_seconds"].as_f64().unwrap_or(0.0),
            );
            println!(
                "identical answers: agents {} of {n}, agents and positions {} of {n}",
                out["identical_agents"],
                out["identical"],
                n = problems.len()
            );
            let different = out["different"].as_array().cloned().unwrap_or_default();
            let unexplained = different
                .iter()
                .filter(|d| d["why"] == "unexplained")
                .count();
            println!("unexplained differences: {unexplained}");
            for d in different.iter().take(3) {
                println!("  e.g. {d}");
            }
        }
    }
    Ok(())
}

/// Why pyworkforce's answer differs, checked rather than assumed.
fn explain(p: &Problem, ours: &wfm::Staffing, theirs: &PeerAnswer) -> String {
    let exact = f64::from(ours.agents) / (1.0 - p.shrinkage);
    let float_error = exact > exact.round() && exact - exact.round() < 1e-9;
    if ours.agents == theirs.agents && float_error && theirs.positions == ours.positions + 1 {
        return format!(
            "positions: {} / (1 − {}) is {exact} in floating point; pyworkforce rounds the \
             representation error up",
            ours.agents, p.shrinkage
        );
    }
    let fewer_meet_target = ours.metrics.service_level >= p.target_sl
        && ours.metrics.occupancy <= p.max_occupancy
        && (ours.traffic + 1.0).round_ties_even() > f64::from(ours.agents);
    if theirs.agents > ours.agents && fewer_meet_target {
        return format!(
            "agents: {} already meet the target (SL {:.4}, occupancy {:.4}); pyworkforce starts \
             its search at round(traffic + 1) = {}",
            ours.agents,
            ours.metrics.service_level,
            ours.metrics.occupancy,
            (ours.traffic + 1.0).round_ties_even()
        );
    }
    "unexplained".to_owned()
}
