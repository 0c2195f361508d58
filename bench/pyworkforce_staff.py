"""Erlang C staffing with pyworkforce (Python peer for the Rust staffing code).

Model: M/M/c (Erlang C: Poisson arrivals, exponential handling, no abandonment).
For each problem, pyworkforce's ErlangC(...).required_positions() finds the
fewest agents reaching target_sl within target_seconds, raises that to
ceil(intensity / max_occupancy) if occupancy would exceed max_occupancy, then
scales by shrinkage: positions = ceil(agents / (1 - shrinkage)).

Input (--input FILE): a JSON list of
  {"calls": 100, "interval_minutes": 30, "aht": 180, "target_sl": 0.8,
   "target_seconds": 20, "shrinkage": 0.3, "max_occupancy": 0.85}
with aht and target_seconds in seconds. pyworkforce documents its times in
minutes, so they are passed as minutes (aht / 60, asa = target_seconds / 60).
Prints one JSON object; wall_seconds covers only the pyworkforce calls.
"""
import argparse
import json
import time

from pyworkforce.queuing import ErlangC


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="JSON list of staffing problems")
    with open(p.parse_args().input) as f:
        problems = json.load(f)

    raw = []
    t0 = time.perf_counter()
    for pr in problems:
        erlang = ErlangC(transactions=pr["calls"], aht=pr["aht"] / 60,
                         asa=pr["target_seconds"] / 60,
                         interval=pr["interval_minutes"], shrinkage=pr["shrinkage"])
        raw.append(erlang.required_positions(service_level=pr["target_sl"],
                                             max_occupancy=pr["max_occupancy"]))
    wall = time.perf_counter() - t0

    results = [{"agents": r["raw_positions"], "positions": r["positions"],
                "service_level": r["service_level"], "occupancy": r["occupancy"],
                "p_wait": r["waiting_probability"]} for r in raw]
    print(json.dumps({"results": results, "wall_seconds": wall}))


if __name__ == "__main__":
    main()
