"""M/M/c+M call-center queue simulated with Ciw (Python peer for the Rust simulator).

Model: one queue, Poisson arrivals at --calls-per-hour, exponential service with
mean --aht seconds, --agents identical servers, FIFO, infinite queue. With
--patience, each caller abandons after an exponential patience (mean --patience
seconds) if not yet answered (Ciw 3.x: `reneging_time_distributions`; renegers
go to the exit node). Without it, nobody abandons (plain M/M/c, Erlang C).
Time unit: seconds. Runs --hours of simulated time from an empty system.

Prints one JSON object. Counting: offered = all arrivals in the run; answered =
calls whose service started (finished or still in service at the end);
abandoned = reneged calls; calls still queued at the end count as offered and
as having waited, but neither answered nor abandoned. wall_seconds covers only
Ciw's simulate_until_max_time call.
"""
import argparse
import json
import time

import ciw


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls-per-hour", type=float, default=200)
    p.add_argument("--aht", type=float, default=180, help="mean handling time, s")
    p.add_argument("--agents", type=int, default=12)
    p.add_argument("--patience", type=float, default=None, help="mean patience, s (omit: no abandonment)")
    p.add_argument("--hours", type=float, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--target-seconds", type=float, default=20)
    a = p.parse_args()

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=a.calls_per_hour / 3600)],
        service_distributions=[ciw.dists.Exponential(rate=1 / a.aht)],
        number_of_servers=[a.agents],
        reneging_time_distributions=(
            [ciw.dists.Exponential(rate=1 / a.patience)] if a.patience else None),
    )
    ciw.seed(a.seed)
    sim = ciw.Simulation(network)
    t0 = time.perf_counter()
    sim.simulate_until_max_time(a.hours * 3600)
    wall = time.perf_counter() - t0

    records = sim.get_all_records(only=["service", "renege"], include_incomplete=True)
    waits = [r.waiting_time for r in records
             if r.record_type == "service" or (r.record_type == "incomplete" and r.service_start_date is not None)]
    offered = len(records)
    answered = len(waits)
    abandoned = sum(r.record_type == "renege" for r in records)
    waited = offered - sum(w == 0 for w in waits)  # abandoned and still-queued calls waited too
    print(json.dumps({
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "service_level": sum(w <= a.target_seconds for w in waits) / offered,
        "asa_seconds": sum(waits) / answered if answered else 0.0,
        "p_wait": waited / offered,
        "p_abandon": abandoned / offered,
        "wall_seconds": wall,
        "calls_per_second": offered / wall,
    }))


if __name__ == "__main__":
    main()
