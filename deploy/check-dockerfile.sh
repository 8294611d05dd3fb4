#!/usr/bin/env bash
# Runs the builder stage of deploy/Dockerfile without a container engine (none in CI):
# COPY lines copy from the repository into a scratch folder, RUN lines run there with bash,
# ENV lines are exported; apt-get lines are not run but their packages must be installed
# here. Then the built binary must run, apply its embedded migrations to a fresh SQLite file,
# and be the path the runtime stage copies. Catches a Dockerfile whose build steps no longer
# build (a new workspace member, a new include_str! outside the copied folders, ...).
#
#   deploy/check-dockerfile.sh    # release; intermediate files in $CARGO_TARGET_DIR
#                                 # (default ./target), the binary in a scratch folder
#   DOCKERFILE_CHECK_PROFILE=dev deploy/check-dockerfile.sh
#                                 # the same steps with `--release` left out: CI checks that
#                                 # the steps build and run while reusing its debug build
#                                 # instead of compiling everything a second time
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dockerfile="$root/deploy/Dockerfile"
work=$(mktemp -d "${TMPDIR:-/tmp}/worklife-dockerfile.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The builder writes to ./target. Its intermediate files (cargo's build-dir: dependencies,
# fingerprints) go to a lasting cache, the repository's target/ by default, so that reruns are
# incremental and CI's check reuses the test build's dependencies. Its final binary stays in
# the scratch folder's target/, so the check never replaces target/debug/worklife, which CI's
# tests run at the same time.
cache=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$cache"
export CARGO_BUILD_BUILD_DIR="$cache"
unset CARGO_TARGET_DIR
# The image's build runs no lints: without CI's clippy driver the two builds below compile the
# workspace's crates as docker would (dependencies are not affected by the wrapper).
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
profile=${DOCKERFILE_CHECK_PROFILE:-release}
case "$profile" in
release) out_dir=release ;;
dev) out_dir=debug ;;
*) echo "DOCKERFILE_CHECK_PROFILE is release or dev, not $profile" >&2; exit 1 ;;
esac

# Builder-stage instructions with continuation lines joined, one per line.
steps=$(awk '
    /^FROM / { stage++ }
    stage != 1 { next }
    /^[[:space:]]*#/ || /^[[:space:]]*$/ { if (!cont) next }
    { line = cont ? line " " $0 : $0 }
    /\\$/ { sub(/\\$/, "", line); cont = 1; next }
    { cont = 0; print line; line = "" }
' "$dockerfile")

# The image's toolchain should be the one this check builds with.
image_rust=$(sed -n 's/^FROM rust:\([0-9.]*\)-.* AS builder$/\1/p' "$dockerfile")
local_rust=$(rustc --version | awk '{print $2}')
case "$local_rust" in
"$image_rust" | "$image_rust".*) ;;
*) echo "warning: the Dockerfile builds with rust:$image_rust, this check with rustc $local_rust" >&2 ;;
esac

builder_dir=$(grep -m1 '^WORKDIR ' <<<"$steps" | awk '{print $2}')
while IFS= read -r step; do
    instruction=${step%% *}
    args=${step#* }
    case "$instruction" in
    FROM | WORKDIR) ;;
    ENV) eval "export $args" ;;
    COPY)
        read -r -a parts <<<"$args"
        dest=${parts[-1]}
        for src in "${parts[@]:0:${#parts[@]}-1}"; do
            # Docker's rules: a folder's contents go into dest; a file into dest/ or to dest.
            if [ -d "$root/$src" ]; then
                mkdir -p "$work/$dest" && cp -r "$root/$src/." "$work/$dest/"
            elif [[ $dest == */ ]]; then
                mkdir -p "$work/$dest" && cp "$root/$src" "$work/$dest"
            else
                mkdir -p "$(dirname "$work/$dest")" && cp "$root/$src" "$work/$dest"
            fi
        done
        ;;
    RUN)
        if [[ $args == apt-get* ]]; then
            packages=$(grep -o 'apt-get install [^&]*' <<<"$args" | sed 's/^apt-get install//')
            for pkg in $packages; do
                [[ $pkg == -* ]] && continue
                dpkg -s "$pkg" >/dev/null 2>&1 || { echo "Dockerfile needs $pkg: not installed here" >&2; exit 1; }
            done
            echo "== (checked packages) $args"
        else
            if [ "$profile" = dev ]; then
                args=${args//cargo build --release/cargo build}
                args=${args//target\/release\//target\/debug\/}
            fi
            echo "== RUN $args"
            (cd "$work" && bash -euo pipefail -c "$args")
        fi
        ;;
    *) echo "check-dockerfile.sh: unhandled builder instruction $instruction" >&2; exit 1 ;;
    esac
done <<<"$steps"

# The runtime stage copies the builder's binary from this path.
from=$(sed -n 's/^COPY --from=builder \([^ ]*\) .*/\1/p' "$dockerfile")
relative=${from#"$builder_dir"/}
[ "$relative" = target/release/worklife ] || { echo "runtime copies $from, expected $builder_dir/target/release/worklife" >&2; exit 1; }
binary="$work/target/$out_dir/worklife"
[ -x "$binary" ] || { echo "the builder stage did not produce $binary" >&2; exit 1; }
# The real binary, not the dependency layer's empty main: it migrates a fresh database.
migrated=$(WORKLIFE_DATABASE_URL="$work/check.db" WORKLIFE_CONFIG=/nonexistent "$binary" migrate)
echo "$migrated"
[[ $migrated == *"the database is current"* ]] || { echo "$binary is not the worklife service" >&2; exit 1; }
echo "deploy/Dockerfile: builder stage OK ($binary)"
