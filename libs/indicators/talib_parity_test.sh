#!/usr/bin/env bash
# Bazel wrapper: runs talib_parity.py with the project's venv (TA-Lib from
# PyPI, installed by scripts/setup.sh; passed in as VNSTREAM_VENV).
set -euo pipefail
if [[ -z "${VNSTREAM_VENV:-}" || ! -x "$VNSTREAM_VENV/bin/python" ]]; then
  echo "VNSTREAM_VENV is not set or has no python: run scripts/setup.sh" >&2
  exit 1
fi
exec "$VNSTREAM_VENV/bin/python" "$1" --dump_tool "$2" --csv "$3"
