#!/usr/bin/env bash
# Participation benchmark (issue 12, BENCHMARKS.md): seeds an open wave "bench-open" of 100,000
# invited people in 8,000 units, about 75% answered, emails in several states (once per
# database, through roster import and waves::open), then measures the floor SQL count per
# unit, waves::status with its protection, and warm GET /reports/waves/bench-open/participation.
#   bash bench/participation.sh [SQLITE_FILE] [POSTGRES_URL] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
sqlite="${1:-/tmp/worklife-participation-bench.db}"
pg="${2:-postgres://postgres@127.0.0.1:5432/wl_participation_bench}"
runs="${3:-7}"
cargo build --release -q -p worklife-server --example participation_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/participation_bench"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "$sqlite" "$runs"
psql "${pg%/*}/postgres" -qc "CREATE DATABASE ${pg##*/}" 2>/dev/null || true
"$bin" "$pg" "$runs"
