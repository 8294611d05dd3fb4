#!/usr/bin/env bash
# Mail delivery benchmark: 10,000 invitations of one wave delivered by the RELEASE `worklife`
# binary (`wave open`: queue, then the worker drains the outbox) to the loopback SMTP sink
# (tests/smtp_sink.py, python3-aiosmtpd), on a fresh SQLite database per run; prints each
# run's emails/s and the median. Target: at least 200 emails/s.
#
#   bench/mail.sh                          # 3 runs, 10,000 people
#   RUNS=5 PEOPLE=2000 bench/mail.sh
#   SINK_ONLY=1 bench/mail.sh              # also measure the Python sink alone (smtplib blast)
#
# Environment:
#   RUNS               runs (default 3)
#   PEOPLE             invitations per run (default 10000)
#   CONNECTIONS        SMTP connections / sending threads (default 16, mail.connections)
#   BATCH              emails claimed per database round trip (default 200, mail.batch_size)
#   DATABASE           "sqlite" (default) or a postgres:// admin URL allowed to CREATE DATABASE
#   CARGO_TARGET_DIR   where the release binary is built (default ./target)
#   WORKLIFE_BIN       use this binary instead of building one
#   SINK_ONLY          when set, also time 2,000 messages sent straight to the sink with
#                      Python's smtplib over 8 connections, to see whether the sink is the limit

set -euo pipefail

RUNS=${RUNS:-3}
PEOPLE=${PEOPLE:-10000}
CONNECTIONS=${CONNECTIONS:-16}
BATCH=${BATCH:-200}
DATABASE=${DATABASE:-sqlite}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/worklife-mail-bench.XXXXXX")
sink_pid=
cleanup() {
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

py=/usr/bin/python3
"$py" -c "import aiosmtpd" 2>/dev/null || py=python3
"$py" -c "import aiosmtpd" || { echo "python3-aiosmtpd is missing (apt-get install -y python3-aiosmtpd)" >&2; exit 1; }

if [ -z "${WORKLIFE_BIN:-}" ]; then
    (cd "$here" && cargo build --release -q -p worklife-server --bin worklife)
    WORKLIFE_BIN="${CARGO_TARGET_DIR:-$here/target}/release/worklife"
fi

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/mail" "$work/control"
"$py" "$here/tests/smtp_sink.py" "$port" "$work/mail" "$work/control" > "$work/sink.out" &
sink_pid=$!
for _ in $(seq 50); do grep -q ready "$work/sink.out" 2>/dev/null && break; sleep 0.1; done

awk -v n="$PEOPLE" 'BEGIN { print "email,unit"; for (i = 0; i < n; i++) printf "p%05d@example.org,Acme/T%d\n", i, i % 50 }' > "$work/roster.csv"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $PEOPLE invitations, $CONNECTIONS connections, batch $BATCH, database $DATABASE"
rates=()
for run in $(seq "$RUNS"); do
    rm -f "$work"/mail/*.eml
    if [ "$DATABASE" = sqlite ]; then
        db="$work/run$run.db"
    else
        name="wl_mail_bench_$$_$run"
        psql -q "$DATABASE" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        db="${DATABASE%/*}/$name"
    fi
    export WORKLIFE_DATABASE_URL="$db" WORKLIFE_MAIL__TRANSPORT=smtp WORKLIFE_MAIL__HOST=127.0.0.1 \
        WORKLIFE_MAIL__PORT="$port" WORKLIFE_MAIL__TLS=none WORKLIFE_MAIL__CONNECTIONS="$CONNECTIONS" \
        WORKLIFE_MAIL__BATCH_SIZE="$BATCH" WORKLIFE_OUTBOX_DIR="$work/outbox" RUST_LOG=warn
    "$WORKLIFE_BIN" roster import "$work/roster.csv" > /dev/null
    "$WORKLIFE_BIN" wave create B --instrument worklife-pulse --opens 2026-01-01 --closes 2099-01-01 > /dev/null
    "$WORKLIFE_BIN" wave open B --no-send > /dev/null
    start=$(date +%s.%N)
    "$WORKLIFE_BIN" mail send
    end=$(date +%s.%N)
    got=$(find "$work/mail" -name '*.eml' | wc -l)
    [ "$got" -eq "$PEOPLE" ] || { echo "run $run: the sink holds $got of $PEOPLE messages" >&2; exit 1; }
    rate=$(awk -v n="$PEOPLE" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
    echo "run $run: $PEOPLE emails in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s = $rate emails/s"
    rates+=("$rate")
    [ "$DATABASE" = sqlite ] || psql -q "$DATABASE" -c "DROP DATABASE $name WITH (FORCE)"
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "median: $median emails/s (target >= 200)"

if [ -n "${SINK_ONLY:-}" ]; then
    rm -f "$work"/mail/*.eml
    "$py" - "$port" <<'PY'
import smtplib, sys, threading, time
port = int(sys.argv[1]); n = 2000; threads = 8
msg = ("Subject: x\r\nFrom: a@example.org\r\nTo: b@example.org\r\n\r\n" + ("x" * 70 + "\r\n") * 45)
def blast(k):
    s = smtplib.SMTP("127.0.0.1", port)
    for _ in range(k):
        s.sendmail("a@example.org", ["b@example.org"], msg)
    s.quit()
start = time.time()
ts = [threading.Thread(target=blast, args=(n // threads,)) for _ in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
print(f"sink alone: {n} messages in {time.time() - start:.2f} s = {n / (time.time() - start):.0f} messages/s")
PY
fi
