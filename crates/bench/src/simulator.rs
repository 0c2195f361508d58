//! `hotline bench sim`: the simulator on the M/M/N+M model that Ciw runs in
//! `bench/ciw_mmcm.py`, simulated calls per second and the ratio to Ciw.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::json;

pub(crate) fn run(model: &sim::Model, repeat: u32, ciw: Option<PathBuf>, json: bool) -> Result<()> {
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..repeat {
        let started = Instant::now();
        report = Some(sim::run(model)?);
        times.push(started.elapsed().as_secs_f64());
    }
    let report = report.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let secs = times[times.len() / 2];
    let rate = report.total.offered as f64 / secs;
    let mut out = json!({
        "model": "M/M/N+M",
        "agents": model.agents[0].count,
        "hours": model.hours,
        "offered": report.total.offered,
        "p_abandon": report.total.p_abandon,
        "p_wait": report.total.p_wait,
        "service_level": report.total.service_level,
        "asa_seconds": report.total.asa_seconds,
        "wall_seconds": secs,
        "calls_per_second": rate,
    });
    if let Some(path) = ciw {
        let peer: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?;
        let peer_rate = peer["calls_per_second"]
            .as_f64()
            .context("ciw: calls_per_second")?;
        out["ciw"] = peer;
        out["ratio"] = json!(rate / peer_rate);
    }
    if json {
        println!("{out}");
    } else {
        println!(
            "simulator: {} calls in {:.3} s = {:.0} calls/s (P(abandon) {:.4}, P(wait) {:.4})",
            report.total.offered, secs, rate, report.total.p_abandon, report.total.p_wait
        );
        if let Some(ratio) = out["ratio"].as_f64() {
            println!(
                "ciw:       {} calls in {:.3} s = {:.0} calls/s (P(abandon) {:.4}, P(wait) {:.4})",
                out["ciw"]["offered"],
                out["ciw"]["wall_seconds"].as_f64().unwrap_or(0.0),
                out["ciw"]["calls_per_second"].as_f64().unwrap_or(0.0),
                out["ciw"]["p_abandon"].as_f64().unwrap_or(0.0),
                out["ciw"]["p_wait"].as_f64().unwrap_or(0.0),
            );
            println!("ratio:     {ratio:.1}× the calls per second");
        }
    }
    Ok(())
}
