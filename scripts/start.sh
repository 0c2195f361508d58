#!/usr/bin/env bash
# Starts the center. Until the application server exists this runs the demo: a simulated day
# at a water utility's hotline on the real routing engine (examples/water-utility.toml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

exec cargo run --release --locked --quiet -p hotline -- start "$@"
