#!/usr/bin/env bash
# Checks deploy/ without a container engine or a running systemd (both absent in CI):
#   1. yamllint (repository .yamllint) on compose.yaml and k8s/*.yaml;
#   2. check_manifests.py: the files agree with each other, with the settings in
#      worklife.example.toml and with the service's endpoints;
#   3. systemd-analyze verify on the units (any warning fails) and the unit's
#      `systemd-analyze security --offline` exposure at most 2.0;
#   4. check-dockerfile.sh: the Dockerfile's builder stage run here (release build, or a dev
#      build with DOCKERFILE_CHECK_PROFILE=dev, as CI runs it after the tests).
# Missing tools are installed from Debian when apt-get is there.
#
#   deploy/check.sh               # all
#   SKIP_IMAGE_BUILD=1 deploy/check.sh   # 1-3 only (the release build takes minutes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need() { # command package
    command -v "$1" >/dev/null 2>&1 && return
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing $2 for $1"
        apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    fi
    command -v "$1" >/dev/null 2>&1 || { echo "deploy/check.sh needs $1 (Debian: $2)" >&2; exit 1; }
}
need yamllint yamllint
need systemd-analyze systemd

echo "== yamllint"
yamllint --strict deploy/compose.yaml deploy/k8s/*.yaml

echo "== manifests agree with the settings and each other"
python3 deploy/check_manifests.py

echo "== systemd-analyze verify"
# verify needs the ExecStart binaries to exist: point the units at a stand-in executable.
units=$(mktemp -d)
trap 'rm -rf "$units"' EXIT
printf '#!/bin/sh\n' >"$units/worklife" && chmod +x "$units/worklife"
for unit in deploy/systemd/*; do
    sed "s#/usr/local/bin/worklife#$units/worklife#g" "$unit" >"$units/$(basename "$unit")"
done
# Unknown or misspelt keys are only warnings for systemd: fail on any output.
out=$(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) || { echo "$out" >&2; exit 1; }
[ -z "$out" ] || { echo "$out" >&2; exit 1; }
(cd "$units" && systemd-analyze security --offline=yes --threshold=20 --no-pager worklife.service | tail -1)

if [ -n "${SKIP_IMAGE_BUILD:-}" ]; then
    echo "== Dockerfile build steps: skipped (SKIP_IMAGE_BUILD)"
else
    echo "== Dockerfile build steps"
    deploy/check-dockerfile.sh
fi
