#!/usr/bin/env bash
# Runs every test of Hotline: unit, scenario, randomised (a million inputs into the routing
# engine), statistical (the simulator against Erlang C and A) and database tests (the store on
# SQLite and on PostgreSQL) of all crates, the web app's unit and browser tests, then
# schemathesis against the API. When tests need
# more (sipp, a browser, the fuzzer), this script installs it first, so it works on a fresh
# machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The store's tests need PostgreSQL, which every development and CI machine runs at
# 127.0.0.1:5432; start it if it is down. The tests fail (never skip) without it.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

# sipp, sox and espeak-ng for the telephony tests (Debian packages).
bash scripts/setup.sh

cargo test --workspace --locked

# The web app: its unit tests (Vitest), then end to end in Chromium against a real center
# with real SIP calls (web/e2e/run.mjs; screenshots and numbers in web/e2e/out/).
bash scripts/web.sh
(cd web && npm test --silent)
cargo build --locked -p hotline
(cd web && node e2e/run.mjs ../target/debug/hotline)
# Issue 25 in the browser on a travelling clock: a lead captured on a real SIP call goes to
# the district's dealer, is accepted, taken back when its deadline passes and offered to
# the next dealer; a customer's callback and 回访 are one task (web/e2e/leads.mjs).
(cd web && node e2e/leads.mjs ../target/debug/hotline)
# Every role's pages in both languages, and the manager's, the agent's, the back office's
# and the operator's work end to end (web/e2e/walk.mjs; screenshots in web/e2e/out/homes/).
(cd web && node e2e/walk.mjs ../target/debug/hotline)

# The API against its own OpenAPI document, fuzzed by schemathesis (installed on first use).
bash scripts/api-fuzz.sh
