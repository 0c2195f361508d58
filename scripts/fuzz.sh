#!/usr/bin/env bash
# Fuzzes what Hotline parses from the network itself (SDP, RTP, RFC 4733 events, digest
# credentials, Contact and Refer-To values, the SIP screen in front of the stack) with cargo-fuzz and libFuzzer, each target for
# SECONDS (default 120), growing fuzz/corpus. Needs no nightly toolchain: RUSTC_BOOTSTRAP
# lets the stable compiler take the sanitizer flags. The ordinary tests replay the corpus.
#
#   scripts/fuzz.sh            every target, 120 s each
#   scripts/fuzz.sh 600 sdp    one target, ten minutes
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sdp rtp dtmf digest headers screen)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
mkdir -p target
failed=()
for t in "${targets[@]}"; do
  echo "== $t: ${seconds}s"
  if ! cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=4096 \
      > "target/$t.log" 2>&1; then
    tail -40 "target/$t.log"
    failed+=("$t")
    continue
  fi
  grep -E "^Done" "target/$t.log" || true
  # Keep the corpus small: only inputs that add coverage.
  cargo fuzz cmin -O "$t" "corpus/$t" >/dev/null 2>&1 || true
done
ls corpus | while read -r t; do echo "$t: $(ls "corpus/$t" | wc -l) inputs"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (the input is under fuzz/artifacts/)" >&2
  exit 1
fi
