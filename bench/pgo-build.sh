#!/usr/bin/env bash
# Builds target/pgo/hotline: the `fast` profile (fat LTO) plus profile-guided optimisation.
#
#   bash bench/pgo-build.sh        (about 12 minutes on 2 cores: two fat-LTO builds)
#
# 1. builds an instrumented hotline (rustc -Cprofile-generate);
# 2. trains it on workloads that are NOT the benchmarks' own models: a 60-day run of
#    examples/water-utility.toml (three queues, skills, relaxation, ringing, after-call work,
#    breaks, overflow), two single-queue models with other sizes and loads than bench/run.sh
#    uses, a short routing run and the staffing formulas;
# 3. rebuilds with the merged profile (-Cprofile-use).
# The same binary serves as an optimised release build of the whole server. It needs rustup's
# llvm-tools component (for llvm-profdata of rustc's own LLVM), which this script adds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HOST="$(rustc -vV | sed -n 's/^host: //p')"
PROFDATA="$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata"
if [[ ! -x "$PROFDATA" ]]; then
    rustup component add llvm-tools
fi

DATA="$ROOT/target/pgo-data"
rm -rf "$DATA"
mkdir -p "$DATA" target/pgo

# --target keeps RUSTFLAGS off build scripts and proc macros.
RUSTFLAGS="-Cprofile-generate=$DATA" \
    cargo build --profile fast --locked -p hotline --target "$HOST" --target-dir target/pgo-gen
GEN="target/pgo-gen/$HOST/fast/hotline"

echo "training the instrumented build"
sed 's/^hours = 24$/hours = 1440/' examples/water-utility.toml > "$DATA/train.toml"
"$GEN" simulate --config "$DATA/train.toml" > /dev/null
"$GEN" simulate --calls-per-hour 700 --aht 200 --agents 40 --patience 120 --hours 300 --seed 7 > /dev/null
"$GEN" simulate --calls-per-hour 450 --aht 150 --agents 22 --hours 300 --seed 8 > /dev/null
"$GEN" bench routing --agents 3000 --waiting 1500 --inputs 300000 --seed 2 > /dev/null
"$GEN" bench staff --seed 2 --repeat 2 > /dev/null

"$PROFDATA" merge -o "$DATA/merged.profdata" "$DATA"/*.profraw
RUSTFLAGS="-Cprofile-use=$DATA/merged.profdata" \
    cargo build --profile fast --locked -p hotline --target "$HOST" --target-dir target/pgo-use
cp "target/pgo-use/$HOST/fast/hotline" target/pgo/hotline
echo "built target/pgo/hotline"
