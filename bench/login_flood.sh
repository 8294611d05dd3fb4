#!/usr/bin/env bash
# Login flood benchmark (BENCHMARKS.md): 16 connections submit answers for SECONDS, first
# alone, then while CLIENTS connections flood POST /login from random addresses (behind a
# trusted proxy, so only the global limit, the password-check queue and the per-account
# limit stand in the way). Reports the submissions' p50/p99 in both runs and how the flood
# was answered.
#
#   bench/login_flood.sh [SECONDS] [CLIENTS] [PEOPLE: answer links, half for each run]
set -euo pipefail
seconds=${1:-20}
clients=${2:-300}
people=${3:-250000}
root=$(cd "$(dirname "$0")/.." && pwd)
(cd "$root" && cargo build --release -q -p worklife-server --bin worklife)
wl="${CARGO_TARGET_DIR:-$root/target}/release/worklife"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

export WORKLIFE_DATABASE_URL="$work/flood.db" WORKLIFE_OUTBOX_DIR="$work/outbox"
export WORKLIFE_BASE_URL="http://bench" RUST_LOG=error WORKLIFE_METRICS_BIND=
awk -v people="$people" 'BEGIN { print "email,unit"; for (i = 0; i < people; i++) printf "p%d@example.org,Bench/d%d/t%d\n", i, i % 10, i % 400 }' > roster.csv
"$wl" roster import roster.csv > /dev/null
"$wl" wave create bench --instrument worklife-pulse --opens 2026-01-01 --closes 2099-01-01 > /dev/null
"$wl" wave open bench > /dev/null
find outbox -name '*.eml' -exec grep -h '^http://bench/s/' {} + | sed 's#.*/s/##' | tr -d '\r' > tokens.txt
half=$(( $(wc -l < tokens.txt) / 2 ))
head -n "$half" tokens.txt > alone.txt
tail -n "+$((half + 1))" tokens.txt > flooded.txt

WORKLIFE_TRUSTED_PROXIES='["127.0.0.1"]' WORKLIFE_LOGIN__GLOBAL_PER_SECOND="${GLOBAL:-10}" "$wl" serve --bind 127.0.0.1:0 > serve.out 2> serve.err &
server=$!
for _ in $(seq 50); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
address=$(grep -o 'listening on http://[0-9.:]*' serve.out | grep -o 'http://.*')

submit() { # tokens file
  TOKENS_FILE="$work/$1" WRK_THREADS=1 wrk -t1 -c16 -d"${seconds}s" --latency \
    -s "$root/bench/submit.lua" "$address" | grep -E "^stored"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo -n "submissions alone:        "; submit alone.txt
# The flood's own load generator runs at the lowest CPU priority: on this 2-core machine it
# shares the cores with the server, where a real attacker's machine would not.
nice -n 19 wrk -t1 -c"$clients" -d"$((seconds + 2))s" -s "$root/bench/login_flood.lua" "$address" > flood.out 2>&1 &
flood=$!
sleep 1
echo -n "submissions during flood: "; submit flooded.txt
wait "$flood"
grep "login flood" flood.out
echo "server 5xx in its log: $(grep -c ' 5[0-9][0-9] ' serve.err || true)"
