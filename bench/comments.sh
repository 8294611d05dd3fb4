#!/usr/bin/env bash
# Comments benchmark (BENCHMARKS.md): redaction at submission per sheet (100,000 roster
# names), and the comments release of 75,000 sheets, 40% with a comment of about 300
# characters, in 8,000 units (seeded once per database), cold and warm over HTTP.
#   bash bench/comments.sh [SQLITE_FILE] [POSTGRES_URL] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
sqlite="${1:-/tmp/worklife-comments-bench.db}"
pg="${2:-postgres://postgres@127.0.0.1:5432/wl_comments_bench}"
runs="${3:-5}"
cargo build --release -q -p worklife-server --example comments_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/comments_bench"
"$bin" "$sqlite" "$runs"
psql "${pg%/*}/postgres" -qc "CREATE DATABASE ${pg##*/}" 2>/dev/null || true
"$bin" "$pg" "$runs"
