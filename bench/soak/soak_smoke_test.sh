#!/usr/bin/env bash
# CI-sized soak (see soak.cc): the whole stack, 100 securities, 100 streams.
set -euo pipefail
exec "$TEST_SRCDIR/$TEST_WORKSPACE/bench/soak/soak" --symbols=100 --streams=100 \
  --speed=10 --price_interval=2s --warmup=20s --duration=60s --sample_every=10s \
  --judge_timing=false
