#!/usr/bin/env bash
# schemathesis against the served OpenAPI document: a demo center on a throwaway SQLite
# database, fuzzed as its tenant administrator (who may call every tenant endpoint) and as
# an agent. Fails on any 5xx and on any documented response that does not match its schema.
#   HOTLINE_FUZZ_EXAMPLES  examples per operation (default 40)
# The fuzzer is installed into target/fuzz-venv on first use (pinned in
# scripts/schemathesis-requirements.txt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV=target/fuzz-venv
REQS=scripts/schemathesis-requirements.txt
WANT="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ ! -f "$VENV/.requirements.sha256" || "$(cat "$VENV/.requirements.sha256")" != "$WANT" ]]; then
    echo "installing schemathesis into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    echo "$WANT" > "$VENV/.requirements.sha256"
fi

cargo build --locked --quiet -p hotline
WORK="$(mktemp -d)"
OUT="$WORK/serve.out"
target/debug/hotline serve --demo --no-sip --listen 127.0.0.1:0 --database "sqlite://$WORK/fuzz.db" \
    > "$OUT" 2> "$WORK/serve.err" &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 100); do
    grep -q "running at" "$OUT" 2>/dev/null && break
    sleep 0.1
done
ADDR="$(sed -n 's|.*running at http://\([^/]*\)/.*|\1|p' "$OUT")"
[[ -n "$ADDR" ]] || { echo "the server did not start:"; cat "$WORK/serve.err"; exit 1; }

token() { # user
    curl -sf "http://$ADDR/api/auth/login" -H 'content-type: application/json' \
        -d "{\"tenant\":\"demo\",\"username\":\"$1\",\"password\":\"hotline-demo\",\"mode\":\"bearer\"}" \
        | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

fuzz() { # user
    echo "== schemathesis as $1 against http://$ADDR/api/openapi.json"
    # Logout would end the fuzzer's own session; the WebSocket is not HTTP.
    "$VENV/bin/schemathesis" run "http://$ADDR/api/openapi.json" \
        --header "Authorization: Bearer $(token "$1")" \
        --checks not_a_server_error,response_schema_conformance \
        --exclude-path /api/auth/logout --exclude-path /api/events \
        --max-examples "${HOTLINE_FUZZ_EXAMPLES:-40}" --seed 1 --no-color
}
fuzz admin
fuzz agent01
if grep -q "internal error" "$WORK/serve.err"; then
    echo "the server logged internal errors:"; grep "internal error" "$WORK/serve.err"; exit 1
fi
