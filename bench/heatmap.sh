#!/usr/bin/env bash
# Heat-map benchmark (BENCHMARKS.md): seeds 100,000 invited people in 8,000 units and 75,000
# answer sheets of 40 items into one closed wave (once per database), then measures the floor
# SQL aggregation, the cold release build and warm GET /api/v1/waves/bench/heatmap.
#   bash bench/heatmap.sh [SQLITE_FILE] [POSTGRES_URL] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
sqlite="${1:-/tmp/worklife-heatmap-bench.db}"
pg="${2:-postgres://postgres@127.0.0.1:5432/wl_heatmap_bench}"
runs="${3:-7}"
cargo build --release -q -p worklife-server --example heatmap_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/heatmap_bench"
"$bin" "$sqlite" "$runs"
psql "${pg%/*}/postgres" -qc "CREATE DATABASE ${pg##*/}" 2>/dev/null || true
"$bin" "$pg" "$runs"
