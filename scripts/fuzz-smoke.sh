#!/usr/bin/env bash
# Short fuzzing pass over every cargo-fuzz target in fuzz/ (a separate nightly workspace).
# Usage: scripts/fuzz-smoke.sh            (OTTLA_FUZZ_SECONDS=13 per target by default)
# Skips with a message when fuzz/Cargo.toml does not exist. Installs cargo-fuzz
# (`cargo install cargo-fuzz --locked`) and the nightly toolchain when missing. Each target runs
# for OTTLA_FUZZ_SECONDS seconds seeded from the committed corpus fuzz/corpus/<target> (read only:
# new inputs go to a scratch dir); prints the executions per target; fails on any crash.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

seconds="${OTTLA_FUZZ_SECONDS:-13}"
[[ "$seconds" =~ ^[0-9]+$ ]] || die "OTTLA_FUZZ_SECONDS must be a whole number of seconds, got '$seconds'"

if [ ! -f fuzz/Cargo.toml ]; then
    echo "fuzz-smoke: skipped: no fuzz/Cargo.toml yet"
    exit 0
fi

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal </dev/null
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked </dev/null
fi

targets="$(cargo +nightly fuzz list </dev/null)" || die "cargo +nightly fuzz list failed"
[ -n "$targets" ] || die "fuzz/Cargo.toml exists but cargo fuzz lists no targets"

started="$(now_s)"
cargo +nightly fuzz build </dev/null || die "cargo +nightly fuzz build failed"
echo "fuzz-smoke: built $(echo "$targets" | wc -l) targets in $(elapsed "$started")s"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/ottla-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

summary=""
for target in $targets; do
    work="$scratch/$target"
    mkdir -p "$work"
    seeds=()
    if [ -d "fuzz/corpus/$target" ]; then
        seeds=("$OTTLA_ROOT/fuzz/corpus/$target")
    else
        note "no committed corpus at fuzz/corpus/$target; starting from nothing"
    fi
    log="$scratch/$target.log"
    t0="$(now_s)"
    # The first corpus dir receives new inputs: the scratch dir, so the committed corpus stays
    # as it is. Crash artifacts go to fuzz/artifacts/<target>/ (git-ignored).
    if ! cargo +nightly fuzz run "$target" "$work" "${seeds[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        </dev/null >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        die "fuzz target $target failed (log tail above; artifacts under fuzz/artifacts/$target)"
    fi
    execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)"
    [ -n "$execs" ] || {
        tail -n 30 "$log" >&2
        die "fuzz target $target printed no stat::number_of_executed_units"
    }
    line="fuzz-smoke: $target: $execs executions in $(elapsed "$t0")s"
    echo "$line"
    summary+="$line"$'\n'
done
printf 'fuzz-smoke: done\n%s' "$summary"
