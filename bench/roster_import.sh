#!/usr/bin/env bash
# Roster import benchmark: a 100,000-row roster over a tree of a few thousand units, imported
# by the RELEASE `worklife` binary into fresh SQLite and PostgreSQL databases, several runs
# each; prints every run and the median. Target: under 10 s.
#
#   bench/roster_import.sh                  # both backends, 5 runs each
#   RUNS=3 BACKENDS=sqlite bench/roster_import.sh
#   ROWS=20000 bench/roster_import.sh
#   MOVED_PCT=10 bench/roster_import.sh     # also time a re-import with 10% of people moved
#
# Environment:
#   RUNS                   runs per backend (default 5)
#   ROWS                   roster rows (default 100000)
#   BACKENDS               "sqlite postgres" (default); postgres is skipped with a message
#                          when no server answers
#   POSTGRES_ADMIN_URL     an admin URL allowed to CREATE DATABASE (default
#                          $WORKLIFE_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres)
#   MOVED_PCT              if set, also time importing the same roster with this percentage
#                          of people in another unit (the update path) into each database
#   CARGO_TARGET_DIR       where the release binary is built (default ./target)
#   WORKLIFE_BIN           use this binary instead of building one
#   KEEP                   keep the work folder (generated CSV, databases) when set
#
# The CSV is generated deterministically (Park-Miller generator in awk, exact in every awk),
# so every run and every machine imports the same file; its SHA-256 is printed.

set -euo pipefail
shopt -s inherit_errexit

RUNS=${RUNS:-5}
ROWS=${ROWS:-100000}
BACKENDS=${BACKENDS:-"sqlite postgres"}
POSTGRES_ADMIN_URL=${POSTGRES_ADMIN_URL:-${WORKLIFE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
MOVED_PCT=${MOVED_PCT:-}

export PGOPTIONS="-c client_min_messages=warning"
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/worklife-bench.XXXXXX")
cleanup() {
    case " $BACKENDS " in
    *" postgres "*)
        for run in $(seq 1 "$RUNS"); do
            psql -q "$POSTGRES_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"wl_bench_$$_$run\" WITH (FORCE)" >/dev/null 2>&1 || true
        done ;;
    esac
    if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- the binary
if [ -n "${WORKLIFE_BIN:-}" ]; then
    bin=$WORKLIFE_BIN
else
    echo "building the release binary..." >&2
    (cd "$here" && cargo build --release -q -p worklife-server --bin worklife)
    bin=${CARGO_TARGET_DIR:-$here/target}/release/worklife
fi
[ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }

# ---------------------------------------------------------------- the roster
# Globex: 10 divisions, 5-9 departments each, 5-11 groups each, 3-8 teams per group (some
# groups have none): about 3,000 units. 95% of people sit in a team, 5% directly on an inner
# unit (heads, staff functions). Attributes: tenure band and location.
generate() { # rows moved_pct seed > csv
    awk -v rows="$1" -v moved="$2" -v seed="$3" '
    function rnd() { state = (16807 * state) % 2147483647; return state / 2147483647 }
    function between(lo, hi) { return lo + int(rnd() * (hi - lo + 1)) }
    BEGIN {
        state = 20260101
        split("Engineering Operations Sales Marketing Finance Research Manufacturing Logistics Support People", div, " ")
        split("Alpha Bravo Central Delta East North South West Core Edge Field Global Inner Metro Prime", dep, " ")
        split("Platform Services Quality Planning Delivery Analytics Accounts Projects Regional Tooling Programs Partners", grp, " ")
        split("Amber Birch Cedar Dune Ember Fjord Grove Harbor Iris Juniper Kestrel Lumen Maple Nova Onyx", tm, " ")
        split("Berlin Lisbon Hamburg Munich Toronto Singapore Madrid Warsaw Dublin Austin Remote Zurich", loc, " ")
        split("<1y 1-3y 3-10y 10y+", ten, " ")
        split("ada ben clara david elena farid greta hugo ines jonas kira luis maya noah olga paul rosa samir tara vera", first, " ")
        split("almeida becker costa dietrich fischer garcia hoffmann jansen keller lopes meyer nowak peters richter santos vogel weber yilmaz zimmer silva", last, " ")
        nl = 0; ni = 0
        inner[++ni] = "Globex"
        for (d = 1; d <= 10; d++) {
            dp = "Globex/" div[d]; inner[++ni] = dp
            nd = between(5, 9)
            for (e = 1; e <= nd; e++) {
                ep = dp "/" dep[e] " " div[d]; inner[++ni] = ep
                ng = between(5, 11)
                for (g = 1; g <= ng; g++) {
                    gp = ep "/" grp[g]
                    nt = between(0, 8); if (nt > 0 && nt < 3) nt = 3
                    if (nt == 0) { leaf[++nl] = gp; continue }
                    inner[++ni] = gp
                    for (t = 1; t <= nt; t++) leaf[++nl] = gp "/" tm[t]
                }
            }
        }
        print "email,unit,tenure,location"
        for (i = 1; i <= rows; i++) {
            unit = (rnd() < 0.95) ? leaf[between(1, nl)] : inner[between(1, ni)]
            r = rnd(); tb = (r < 0.15) ? 1 : (r < 0.45) ? 2 : (r < 0.85) ? 3 : 4
            l = loc[between(1, 12)]
            f = first[between(1, 20)]; s = last[between(1, 20)]
            if (moved > 0 && ((i * 7919 + seed) % 100) < moved) unit = leaf[((i * 104729) % nl) + 1]
            printf "%s.%s.%d@globex.example,%s,%s,%s\n", f, s, i, unit, ten[tb], l
        }
        printf "%d units (%d teams, %d inner)\n", nl + ni, nl, ni > "/dev/stderr"
    }'
}

csv=$work/roster.csv
generate "$ROWS" 0 0 >"$csv" 2>"$work/units.txt"
echo "roster: $(($(wc -l <"$csv") - 1)) rows, $(cat "$work/units.txt"), $(du -h "$csv" | cut -f1), sha256 $(sha256sum "$csv" | cut -c1-16)"
if [ -n "$MOVED_PCT" ]; then
    moved=$work/moved.csv
    generate "$ROWS" "$MOVED_PCT" 1 >"$moved" 2>/dev/null
fi
echo "binary: $bin"
echo "machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- timing
now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_import() { # url file -> seconds on stdout; the import's summary line in $work/said
    local url=$1 file=$2 t0 t1
    t0=$(now_ns)
    WORKLIFE_DATABASE_URL=$url WORKLIFE_CONFIG=/nonexistent "$bin" roster import "$file" >"$work/said"
    t1=$(now_ns)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

pg_url_for() { # admin-url dbname -> url of that database
    local base=${1%%\?*} query=""
    [ "$base" != "$1" ] && query="?${1#*\?}"
    echo "${base%/*}/$2$query"
}

fresh_db() { # backend run -> url (migrated)
    local url
    case $1 in
    sqlite) url=$work/bench-$2.db; rm -f "$url" "$url"-wal "$url"-shm ;;
    postgres)
        local name="wl_bench_$$_$2"
        psql -q "$POSTGRES_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$name\"" >/dev/null
        psql -q "$POSTGRES_ADMIN_URL" -c "CREATE DATABASE \"$name\"" >/dev/null
        url=$(pg_url_for "$POSTGRES_ADMIN_URL" "$name") ;;
    esac
    WORKLIFE_DATABASE_URL=$url WORKLIFE_CONFIG=/nonexistent "$bin" migrate >/dev/null
    echo "$url"
}

drop_db() { # backend run
    case $1 in
    sqlite) rm -f "$work/bench-$2.db" "$work/bench-$2.db"-wal "$work/bench-$2.db"-shm ;;
    postgres) psql -q "$POSTGRES_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"wl_bench_$$_$2\" WITH (FORCE)" >/dev/null ;;
    esac
}

status=0
for backend in $BACKENDS; do
    if [ "$backend" = postgres ] && ! psql -q "$POSTGRES_ADMIN_URL" -c "SELECT 1" >/dev/null 2>&1; then
        echo "postgres: skipped, no server at $POSTGRES_ADMIN_URL (set POSTGRES_ADMIN_URL)"
        continue
    fi
    echo "$backend: $RUNS runs of 'worklife roster import' into a fresh, migrated database"
    times=()
    moves=()
    for run in $(seq 1 "$RUNS"); do
        url=$(fresh_db "$backend" "$run")
        t=$(run_import "$url" "$csv")
        times+=("$t")
        [ "$run" = 1 ] && echo "  worklife: $(head -1 "$work/said")"
        line="  run $run: ${t} s"
        if [ -n "$MOVED_PCT" ]; then
            m=$(run_import "$url" "$moved")
            moves+=("$m")
            [ "$run" = 1 ] && echo "  worklife, re-import: $(head -1 "$work/said")"
            line="$line; re-import with ${MOVED_PCT}% moved: ${m} s"
        fi
        echo "$line"
        drop_db "$backend" "$run"
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    verdict=$(awk -v m="$med" 'BEGIN { print (m < 10) ? "under the 10 s target" : "OVER the 10 s target" }')
    echo "$backend: median ${med} s for $ROWS rows ($verdict)"
    if [ -n "$MOVED_PCT" ]; then
        echo "$backend: median $(printf '%s\n' "${moves[@]}" | median) s re-importing with ${MOVED_PCT}% moved"
    fi
    awk -v m="$med" 'BEGIN { exit !(m >= 10) }' && status=1
done
exit $status
