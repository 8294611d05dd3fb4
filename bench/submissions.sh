#!/usr/bin/env bash
# Submission benchmark: answer sheets over HTTP on loopback (wrk, a fresh token per request),
# sustained rate on SQLite or PostgreSQL, and beside it the floor: the same rows inserted by a
# plain loop of one transaction per submission in the same database.
#
#   bench/submissions.sh sqlite|postgres [PEOPLE] [SECONDS] [CONNECTIONS]
set -euo pipefail
backend=${1:-sqlite}
people=${2:-40000}
seconds=${3:-10}
connections=${4:-16}
root=$(cd "$(dirname "$0")/.." && pwd)
pg_admin=${WORKLIFE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

(cd "$root" && cargo build --release -q -p worklife-server --bin worklife --example submission_floor)
wl="$root/target/release/worklife"
floor="$root/target/release/examples/submission_floor"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

fresh_db() { # name -> url
  if [ "$backend" = postgres ]; then
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
    echo "${pg_admin%/*}/$1"
  else
    echo "$work/$1.db"
  fi
}

export WORKLIFE_DATABASE_URL
WORKLIFE_DATABASE_URL=$(fresh_db wl_bench_submit)
export WORKLIFE_OUTBOX_DIR="$work/outbox" WORKLIFE_BASE_URL="http://bench" RUST_LOG=warn
awk -v n="$people" 'BEGIN { print "email,unit"; for (i = 0; i < n; i++) printf "p%d@example.org,Bench/d%d/t%d\n", i, i % 10, i % 400 }' > roster.csv
"$wl" roster import roster.csv > /dev/null
"$wl" wave create bench --instrument worklife-pulse --opens 2026-01-01 --closes 2099-01-01 > /dev/null
"$wl" wave open bench > /dev/null
find outbox -name '*.eml' -exec grep -h '^http://bench/s/' {} + | sed 's#.*/s/##' | tr -d '\r' > tokens.txt
echo "$(wc -l < tokens.txt) tokens"

WORKLIFE_METRICS_BIND= "$wl" serve --bind 127.0.0.1:0 > serve.out 2> serve.err &
server=$!
for _ in $(seq 50); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
address=$(grep -o 'listening on http://[0-9.:]*' serve.out | grep -o 'http://.*')
TOKENS_FILE="$work/tokens.txt" WRK_THREADS=2 wrk -t2 -c"$connections" -d"${seconds}s" \
  -s "$root/bench/submit.lua" "$address" | grep -E "stored|Requests/sec"
kill "$server"; wait "$server" 2>/dev/null || true

"$floor" "$(fresh_db wl_bench_floor)" 10000 13
