#!/usr/bin/env bash
# Issue 4's concurrency benchmark with its peer side by side: 1,000 relayed G.711 calls
# (20 ms packets both ways) through Hotline's relay and through rtpengine (Debian's
# rtpengine-daemon, installed here if missing, run in userspace), plain and transcoding
# (μ-law ↔ A-law); then Hotline's with recording on. Results land in target/bench/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=target/bench
mkdir -p "$OUT"
CALLS="${CALLS:-1000}"
SECONDS_EACH="${SECONDS_EACH:-20}"

if ! command -v rtpengine >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q rtpengine-daemon
fi
cargo build --profile fast --locked -p hotline
HOTLINE=target/fast/hotline

run() { # name, args…
    local name="$1"
    shift
    echo "-- $name"
    "$HOTLINE" bench relay --calls "$CALLS" --seconds "$SECONDS_EACH" "$@" | tee "$OUT/relay-$name.txt"
}
run hotline-plain --same-codec --no-record
run rtpengine-plain --same-codec --rtpengine
run hotline-transcoding --no-record
run rtpengine-transcoding --rtpengine
run hotline-transcoding-recording
