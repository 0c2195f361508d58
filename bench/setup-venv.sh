#!/usr/bin/env bash
# Create the Python virtualenv for the benchmark peers (Ciw, pyworkforce).
#   VENV    where to put it (default: <repo>/target/bench-venv)
#   PYTHON  interpreter to use (default: first Python >= 3.12 found, pyenv's included)
# Idempotent: a marker file in the venv holds the sha256 of requirements.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQS="$ROOT/bench/requirements.txt"
VENV="${VENV:-$ROOT/target/bench-venv}"
MARKER="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQS" | cut -d' ' -f1)"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" && -x "$VENV/bin/python" ]]; then
    echo "bench venv up to date: $VENV"
    exit 0
fi

is_py312() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    local c
    # pyenv shims exist for every installed version but fail unless selected, hence is_py312.
    for c in python3.12 python3.13 python3.14 python3 \
             "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.1[234]*/bin/python3; do
        if is_py312 "$c"; then echo "$c"; return; fi
    done
    echo "error: no Python >= 3.12 found (pyworkforce 0.5.4 needs it); set PYTHON=" >&2
    exit 1
}

if [[ ! -x "$VENV/bin/python" ]]; then
    PY="$(find_python)"
    echo "creating bench venv with $PY ($("$PY" -V 2>&1))"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
"$VENV/bin/python" -m pip check
echo "$WANT" > "$MARKER"
echo "bench venv ready: $VENV"
