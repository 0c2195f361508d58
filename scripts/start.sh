#!/usr/bin/env bash
# Starts the whole center: the demo tenant on the embedded SQLite database (data/hotline.db),
# the web app and API on http://127.0.0.1:8080 and SIP on port 5060 (UDP and TCP). The
# first run installs sipp, sox, espeak-ng and Chromium, builds the web app (npm) and speaks
# the demo's prompts into data/prompts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/prompts.sh data/prompts
bash scripts/web.sh
exec cargo run --release --locked --quiet -p hotline -- start "$@"
