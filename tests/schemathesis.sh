#!/usr/bin/env bash
# Schema-driven API tests: schemathesis (from PyPI, pinned below) against the OpenAPI document
# the server generates from its code (GET /api/v1/openapi.json), over every operation in it,
# with a bearer token of each role (admin, viewer, manager of Northwind/Sales), on SQLite and
# on PostgreSQL: six runs, each backend's three against a fresh `serve --demo`.
#
# A run fails on a 5xx, a response that does not match the document (body schema, status
# code, content type, headers), a response slower than 1 s (WORKLIFE_SCHEMATHESIS_MAX_RESPONSE_
# TIME), a route that answers without its token, or a schema-invalid request that is
# accepted. Two of schemathesis' checks are off:
#   unsupported_method        the server answers 404, not 405, to a method a path lacks
#                             (actix-web's routing); nothing the document promises.
#   positive_data_acceptance  some schema-valid requests are rejected by design with the
#                             documented 400: a report attribute the wave does not have, a
#                             submission with unknown item ids or answers off the scale (the
#                             document cannot list a wave's attributes or an instrument's items).
#
# Generated values are steered towards real data, so that reports and submissions get past
# their lookups: `wave`, `attribute` and `unit` draw from the demo's waves, attributes and
# units half of the time (schemathesis dictionaries), and a hook adds examples to the
# document as loaded (the last closed wave, its first attribute, the manager's unit, and an
# answer sheet with a real answer link, which the run submits once: 201, then 410).
#
# Usage: bash tests/schemathesis.sh [WORKLIFE_BINARY]   (default: target/debug/worklife)
#        bash tests/schemathesis.sh --install   (only installs schemathesis into its venv)
# Environment:
#   WORKLIFE_TEST_POSTGRES_URL         PostgreSQL server (any database on it) where a scratch
#                                      database is made and dropped; default
#                                      postgres://postgres@127.0.0.1:5432/postgres
#   WORKLIFE_REQUIRE_ALL=1             no PostgreSQL is a failure, not a skip (CI sets it)
#   WORKLIFE_SCHEMATHESIS_EXAMPLES     test cases per operation and phase (default 100)
#   WORKLIFE_SCHEMATHESIS_SEED         the seed (default 20261204): the same cases every run
#   WORKLIFE_SCHEMATHESIS_MAX_RESPONSE_TIME
#                                      seconds a response may take (default 1; CI, which runs
#                                      a debug binary beside the tests on two cores, sets 4)
#   WORKLIFE_SCHEMATHESIS_BACKENDS     which databases (default "sqlite postgres"; CI runs
#                                      one process per database, side by side)
#   WORKLIFE_SCHEMATHESIS_VENV         where schemathesis is installed, once (default
#                                      ${XDG_CACHE_HOME:-~/.cache}/worklife-schemathesis-venv)
#   WORKLIFE_SCHEMATHESIS_ARGS         more `st run` options, split on spaces (e.g.
#                                      "--continue-on-failure --include-path /healthz")
set -euo pipefail

ST_VERSION=4.32.5
EXAMPLES=${WORKLIFE_SCHEMATHESIS_EXAMPLES:-100}
SEED=${WORKLIFE_SCHEMATHESIS_SEED:-20261204}
MAX_RESPONSE_TIME=${WORKLIFE_SCHEMATHESIS_MAX_RESPONSE_TIME:-1}
VENV=${WORKLIFE_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/worklife-schemathesis-venv}
PG_URL=${WORKLIFE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROLES=(admin viewer manager)
BACKENDS=${WORKLIFE_SCHEMATHESIS_BACKENDS:-sqlite postgres}
read -r -a EXTRA_ARGS <<<"${WORKLIFE_SCHEMATHESIS_ARGS:-}"

# schemathesis, installed once into its own venv (Debian's python3 first: it stays put).
install_schemathesis() {
    "$VENV/bin/st" --version 2>/dev/null | grep -qx "st, version $ST_VERSION" && return
    PYTHON=/usr/bin/python3
    [ -x "$PYTHON" ] || PYTHON=$(command -v python3)
    echo "installing schemathesis $ST_VERSION into $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
}
# `--install`: only that (CI installs it while it compiles).
if [ "${1:-}" = --install ]; then
    install_schemathesis
    exit 0
fi

if [ -n "${1:-}" ]; then
    BIN=$(realpath "$1")
fi
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/debug/worklife}
if [ ! -x "$BIN" ]; then
    echo "schemathesis.sh: no worklife binary at $BIN (build it: cargo build -p worklife-server --bin worklife)" >&2
    exit 2
fi
install_schemathesis
ST="$VENV/bin/st"
PY="$VENV/bin/python"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/worklife-schemathesis.XXXXXX")
SERVER_PID=
PG_DB=
PG_ADMIN_URL=
FAILED=0

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 150); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}
drop_pg_db() {
    [ -n "$PG_DB" ] || return 0
    psql "$PG_ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null || true
    PG_DB=
}
cleanup() {
    local rc=$?
    stop_server
    drop_pg_db
    if [ "$rc" = 0 ]; then
        rm -rf "$WORK"
    else
        echo "schemathesis.sh: reports and server logs kept in $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The hook: examples for the document as loaded (see the top of this file).
cat >"$WORK/hooks.py" <<'EOF'
import json
import os

import schemathesis

EXAMPLES = json.load(open(os.environ["WORKLIFE_ST_EXAMPLES"]))


@schemathesis.hook
def before_load_schema(context, raw_schema):
    for path, item in raw_schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                value = EXAMPLES["parameters"].get(f"{parameter.get('in')}.{parameter.get('name')}")
                if value is not None and "example" not in parameter:
                    parameter["example"] = value
            body = EXAMPLES["bodies"].get(f"{method.upper()} {path}")
            if body is not None:
                media = operation["requestBody"]["content"]["application/json"]
                media.setdefault("example", body)
EOF

# Reads the demo through the API as admin and writes the run's configuration: dictionaries
# of real values, and per role the examples (each role's run gets its own answer link).
cat >"$WORK/prepare.py" <<'EOF'
import json
import re
import sys
import urllib.parse
import urllib.request

base, tokens_file, server_log, out = sys.argv[1:5]
tokens = json.load(open(tokens_file))
log = open(server_log, encoding="utf-8", errors="replace").read()


def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tokens["admin"]})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


waves = get("/api/v1/waves")["waves"]
closed = [w for w in waves if w["reports"]]
if not closed:
    sys.exit("the demo has no closed wave")
last = closed[-1]
quoted = urllib.parse.quote(last["name"], safe="")
units = sorted({row["unit"] for row in get(f"/api/v1/waves/{quoted}/heatmap")["rows"]})
items = sorted({row["item"] for row in get(f"/api/v1/waves/{quoted}/items")["rows"]})
attributes = sorted({a for w in waves for a in w["attributes"]})
links = re.findall(r"/s/([A-Za-z0-9_-]+)", log)
manager_unit = re.search(r"manager login \(([^)]+)\)", log)
if len(links) < len(tokens) or not items or not manager_unit:
    sys.exit("the demo's output lacks answer links or the manager's unit, or the wave has no items")


def values(xs):
    return "[" + ", ".join(json.dumps(x) for x in xs) + "]"


with open(f"{out}/schemathesis.toml", "w") as f:
    f.write(f"""hooks = {json.dumps(out + "/hooks.py")}

[dictionaries.waves]
values = {values([w["name"] for w in waves])}
[dictionaries.attributes]
values = {values(attributes)}
[dictionaries.units]
values = {values(units)}
[dictionaries.answer_links]
values = {values(links)}

[parameters]
"path.wave" = {{ dictionary = "waves", probability = 0.5 }}
"query.attribute" = {{ dictionary = "attributes", probability = 0.5 }}
"query.unit" = {{ dictionary = "units", probability = 0.5 }}
"body.token" = {{ dictionary = "answer_links", probability = 0.3 }}
""")
for i, role in enumerate(tokens):
    examples = {
        "parameters": {
            "path.wave": last["name"],
            "query.attribute": last["attributes"][0] if last["attributes"] else None,
            "query.unit": manager_unit.group(1),
        },
        "bodies": {"POST /api/v1/responses": {"token": links[i], "answers": {item: 3 for item in items}}},
    }
    json.dump(examples, open(f"{out}/examples-{role}.json", "w"))
print(f"demo: {len(waves)} waves ({len(closed)} closed), {len(units)} units, "
      f"{len(attributes)} attributes, {len(items)} items, {len(links)} answer links")
EOF

# Tallies a run's NDJSON report: responses by status and the slowest one.
cat >"$WORK/tally.py" <<'EOF'
import collections
import json
import sys

statuses = collections.Counter()
slowest = (0.0, "")
for line in open(sys.argv[1]):
    event = json.loads(line)
    finished = event.get("ScenarioFinished")
    if not finished:
        continue
    for interaction in finished["recorder"].get("interactions", {}).values():
        response = interaction.get("response")
        if not response:
            continue
        statuses[response["status_code"]] += 1
        request = interaction["request"]
        slowest = max(slowest, (response["elapsed"], f"{request['method']} {request['uri']}"))
by_status = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
print(f"responses: {sum(statuses.values())} ({by_status}); slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})")
EOF

# Counts a JUnit report's operations: passed and failed.
junit_counts() {
    "$PY" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
failed = passed = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    else:
        passed += 1
print(passed, failed)
EOF
}

# The worklife binary with this backend's settings only (no WORKLIFE_* of the caller).
wl() {
    local unset=()
    local v
    for v in $(compgen -e); do
        case $v in WORKLIFE_*) unset+=(-u "$v") ;; esac
    done
    (cd "$DIR" && exec env "${unset[@]}" \
        WORKLIFE_CONFIG="$DIR/no-config.toml" \
        WORKLIFE_DATABASE_URL="$DB_URL" \
        WORKLIFE_OUTBOX_DIR="$DIR/outbox" \
        WORKLIFE_BASE_URL="http://127.0.0.1" \
        WORKLIFE_METRICS_BIND="" \
        "$BIN" "$@")
}

# A token for EMAIL: the last line of stdout that looks like one (`token create` may print more).
token_for() {
    local args=(token create --user "$1")
    if wl token create --help | grep -q -- '--name'; then
        args+=(--name schemathesis)
    fi
    wl "${args[@]}" 2>/dev/null | grep -E '^[A-Za-z0-9_-]{20,}$' | tail -n 1 || true
}

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

run_backend() {
    local backend=$1
    DIR="$WORK/$backend"
    mkdir -p "$DIR"
    echo
    echo "---- $backend: worklife serve --demo"
    (
        cd "$DIR"
        for v in $(compgen -e); do case $v in WORKLIFE_*) unset "$v" ;; esac; done
        export WORKLIFE_CONFIG="$DIR/no-config.toml" WORKLIFE_DATABASE_URL="$DB_URL" \
            WORKLIFE_OUTBOX_DIR="$DIR/outbox" WORKLIFE_BASE_URL="http://127.0.0.1" WORKLIFE_METRICS_BIND=""
        exec "$BIN" serve --demo --bind 127.0.0.1:0
    ) >"$DIR/server.log" 2>&1 &
    SERVER_PID=$!
    local url=
    for _ in $(seq 1200); do
        url=$(grep -oE 'worklife listening on http://[0-9.]+:[0-9]+' "$DIR/server.log" | head -n 1 | sed 's/^worklife listening on //') || true
        [ -n "$url" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [ -z "$url" ]; then
        echo "the server did not start; its log:" >&2
        tail -n 40 "$DIR/server.log" >&2
        FAILED=1
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        SUMMARY+=("$backend: the server did not start")
        stop_server
        return
    fi
    echo "listening on $url"

    wl user add --email viewer@northwind.example --role viewer >/dev/null
    local role
    {
        printf '{'
        local sep=
        for role in "${ROLES[@]}"; do
            local token
            token=$(token_for "$role@northwind.example")
            if [ -z "$token" ]; then
                echo "no token for $role@northwind.example" >&2
                exit 1
            fi
            printf '%s"%s": "%s"' "$sep" "$role" "$token"
            sep=", "
        done
        printf '}\n'
    } >"$DIR/tokens.json"
    (cd "$DIR" && "$PY" "$WORK/prepare.py" "$url" "$DIR/tokens.json" "$DIR/server.log" "$DIR")
    cp "$WORK/hooks.py" "$DIR/hooks.py"

    for role in "${ROLES[@]}"; do
        local token rc started
        token=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$DIR/tokens.json" "$role")
        echo
        echo "---- $backend, $role@northwind.example: st run (seed $SEED, $EXAMPLES examples per operation)"
        mkdir -p "$DIR/$role"
        started=$SECONDS
        rc=0
        (cd "$DIR/$role" && WORKLIFE_ST_EXAMPLES="$DIR/examples-$role.json" timeout 900 \
            "$ST" --config-file "$DIR/schemathesis.toml" run "$url/api/v1/openapi.json" \
            --include-path-regex '^/' \
            --header "Authorization: Bearer $token" \
            --checks all --exclude-checks unsupported_method,positive_data_acceptance \
            --max-response-time "$MAX_RESPONSE_TIME" \
            --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 \
            --generation-database none \
            --request-timeout 10 \
            --report junit,ndjson --report-dir "$DIR/$role" \
            --report-junit-path "$DIR/$role/junit.xml" --report-ndjson-path "$DIR/$role/events.ndjson" \
            --no-color "${EXTRA_ARGS[@]}") || rc=$?
        local counts passed=0 failed=1
        if [ -s "$DIR/$role/junit.xml" ]; then
            counts=$(junit_counts "$DIR/$role/junit.xml")
            passed=${counts% *}
            failed=${counts#* }
        fi
        if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
            failed=1
        fi
        local tally=
        if [ -s "$DIR/$role/events.ndjson" ]; then
            tally=$("$PY" "$WORK/tally.py" "$DIR/$role/events.ndjson")
        fi
        TOTAL_PASSED=$((TOTAL_PASSED + passed))
        TOTAL_FAILED=$((TOTAL_FAILED + failed))
        local verdict=ok
        if [ "$rc" != 0 ]; then
            verdict="FAILED (exit $rc)"
            FAILED=1
        fi
        SUMMARY+=("$backend/$role: $verdict; operations $passed passed, $failed failed; $tally; $((SECONDS - started)) s")
    done
    stop_server
}

started=$SECONDS
echo "== schemathesis $ST_VERSION against $BIN"

if [[ " $BACKENDS " == *" sqlite "* ]]; then
    DB_URL="$WORK/sqlite/worklife.db"
    run_backend sqlite
fi

# PostgreSQL: a scratch database beside the one in WORKLIFE_TEST_POSTGRES_URL.
PG_ADMIN_URL="${PG_URL%/*}/postgres"
if [[ " $BACKENDS " != *" postgres "* ]]; then
    :
elif psql "$PG_ADMIN_URL" -qXAt -c 'SELECT 1' >/dev/null 2>&1; then
    PG_DB="wl_schemathesis_$$"
    psql "$PG_ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    DB_URL="${PG_URL%/*}/$PG_DB"
    run_backend postgres
    drop_pg_db
elif [ "${WORKLIFE_REQUIRE_ALL:-}" = 1 ]; then
    echo "no PostgreSQL at $PG_ADMIN_URL (WORKLIFE_REQUIRE_ALL=1)" >&2
    FAILED=1
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    SUMMARY+=("postgres: no server at $PG_ADMIN_URL")
else
    echo "no PostgreSQL at $PG_ADMIN_URL: the PostgreSQL runs are skipped" >&2
    SUMMARY+=("postgres: skipped (no server at $PG_ADMIN_URL)")
fi

echo
echo "== schemathesis summary (operations x roles x backends; $((SECONDS - started)) s)"
for line in "${SUMMARY[@]}"; do
    echo "  $line"
done
echo "schemathesis: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$FAILED" = 0 ] && [ "$TOTAL_FAILED" = 0 ]
