#!/usr/bin/env bash
# Set up a fresh machine: system packages the tests use (when root), a venv with the pinned stack
# (CPU torch first so pip never pulls the CUDA build), and this project in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=""
  command -v bwrap >/dev/null 2>&1 || need="$need bubblewrap"
  command -v chromium >/dev/null 2>&1 || need="$need chromium"
  if [ -n "$need" ]; then
    apt-get update -qq || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null || echo "setup: could not install$need; tests that need them will say so"
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
.venv/bin/python - <<'PY'
import torch
print(f"setup: torch {torch.__version__}, harness installed in .venv")
PY
