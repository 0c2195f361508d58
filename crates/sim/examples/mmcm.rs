//! Times the simulator on the M/M/N+M models `bench/run.sh` compares with Ciw, without
//! building the whole server: `cargo run --profile fast -p sim --example mmcm`. Handy under
//! `perf record`.

fn main() {
    let repeat: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    for (agents, per_hour, hours) in [(100, 1800.0, 111.0), (12, 200.0, 1000.0)] {
        let model = sim::Model::single_queue(per_hour, 180.0, agents, 20.0, Some(300.0), hours, 1);
        let mut times = Vec::new();
        let mut report = None;
        for _ in 0..repeat {
            let started = std::time::Instant::now();
            report = Some(sim::run(&model).expect("valid model"));
            times.push(started.elapsed().as_secs_f64());
        }
        let total = report.expect("a run").total;
        let offered = total.offered;
        times.sort_by(f64::total_cmp);
        let (best, median) = (times[0], times[times.len() / 2]);
        println!(
            "{agents:>3} agents: {offered} calls, best {best:.4} s = {:.0} calls/s, median {:.0} calls/s \
             (P(wait) {:.6}, P(abandon) {:.6}, ASA {:.4} s, occupancy {:.6})",
            offered as f64 / best,
            offered as f64 / median,
            total.p_wait,
            total.p_abandon,
            total.asa_seconds,
            total.occupancy,
        );
    }
}
