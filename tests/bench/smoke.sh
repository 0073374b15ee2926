#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smoke run of one micro-benchmark binary on a small generated corpus, so the
# benchmarks keep building and running (ctest label: bench;slow). Figures
# from this run mean nothing; scripts/bench produces the real ones.
# Usage: smoke.sh REPO_DIR BUILD_DIR BENCH_BINARY
set -euo pipefail
repo=$1 build=$2 bin=$3
corpus=$build/smoke-corpus
if [[ ! -f $corpus/docker-compose.log ]]; then
  python3 "$repo/scripts/gen-corpus" --size 8M --out "$corpus" --quiet
fi
exec "$bin" --corpus="$corpus/docker-compose.log" --benchmark_min_time=0.01
