#!/usr/bin/env bash
# Runs every test of Hotline: unit, scenario, randomised (a million inputs into the routing
# engine) and statistical (the simulator against Erlang C and A) tests of all crates.
# Needs only the Rust toolchain today; when tests need more (PostgreSQL checks, sipp, a
# browser), this script installs it first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo test --workspace --locked
