#!/usr/bin/env bash
# Builds the web app (web/dist, served by `hotline serve`): installs its npm packages
# exactly as package-lock.json says when they are missing or out of date, type-checks and
# bundles. Node.js and npm come with the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"

command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or later" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
