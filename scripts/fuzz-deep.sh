#!/usr/bin/env bash
# Deep fuzzing (issue 16, point 5): every cargo-fuzz target in fuzz/ (or the ones named) for
# OTTLA_FUZZ_RUNS executions each (default 10,000,000), one target at a time. Not for CI: CI
# runs scripts/fuzz-smoke.sh. On a shared machine run it as `nice -n 19 scripts/fuzz-deep.sh`.
#
# Usage: scripts/fuzz-deep.sh [TARGET...]
#   OTTLA_FUZZ_RUNS=10000000     executions per target (libFuzzer -runs)
#   OTTLA_FUZZ_MAX_SECONDS=0     also stop a target after this many seconds (0: no limit); the
#                                table then shows the executions actually reached
#   OTTLA_FUZZ_TIMEOUT=25        seconds one input may take before libFuzzer calls it a hang
#   OTTLA_FUZZ_MERGE=1           0: leave fuzz/corpus/ untouched
#   OTTLA_FUZZ_CORPUS_KB=1024    corpus budget per target (see below; fuzz/tests/corpus.rs
#                                fails a target over 2 MiB)
#   OTTLA_FUZZ_TARGET_DIR=fuzz/target/deep   where the binaries are built
#
# Built once, with `cargo +nightly fuzz build --sanitizer none` (release, debug assertions and
# overflow checks on) into fuzz/target/deep/, and the binaries are run directly, so editing
# fuzz/ while this runs cannot change what it runs. No sanitizer, for speed: every crate
# fuzzed is #![forbid(unsafe_code)] (and the codec crates' unsafe is not what is under test),
# so what there is to find is panics, overflows, hangs and broken properties, which libFuzzer
# sees without ASan.
#
# Each target starts from the committed corpus fuzz/corpus/<target> and writes new inputs to a
# scratch dir. Afterwards the scratch inputs that add coverage are merged INTO
# fuzz/corpus/<target> (libFuzzer -merge=1, what `cargo fuzz cmin` runs), which adds the fewest
# files that reach the new coverage and never deletes a committed seed: the named seeds
# (ok-*, crash reproducers) are what fuzz/tests/corpus.rs replays. If the merge takes a
# target's corpus over OTTLA_FUZZ_CORPUS_KB (bytes in the files, not disk blocks), the largest
# of the files it added are dropped until it fits (small inputs are cheap to replay and carry
# most of the new coverage): the committed corpus grows but stays small. Crashes go to
# fuzz/artifacts/<target>/ (git-ignored).
#
# Prints a table (markdown): target, executions, seconds, exec/s, crashes. Exits 1 if any
# target crashed, hung or ran out of memory (the other targets still run).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

runs="${OTTLA_FUZZ_RUNS:-10000000}"
max_seconds="${OTTLA_FUZZ_MAX_SECONDS:-0}"
timeout_s="${OTTLA_FUZZ_TIMEOUT:-25}"
merge="${OTTLA_FUZZ_MERGE:-1}"
budget_kb="${OTTLA_FUZZ_CORPUS_KB:-1024}"
for v in runs max_seconds timeout_s merge budget_kb; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[ -f fuzz/Cargo.toml ] || die "no fuzz/Cargo.toml"
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal </dev/null
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked </dev/null
fi

all="$(cargo +nightly fuzz list </dev/null)" || die "cargo +nightly fuzz list failed"
if [ "$#" -gt 0 ]; then
    for t in "$@"; do
        grep -qx "$t" <<<"$all" || die "no fuzz target '$t' (cargo +nightly fuzz list: $(echo $all))"
    done
    targets="$*"
else
    targets="$all"
fi

target_dir="${OTTLA_FUZZ_TARGET_DIR:-$OTTLA_ROOT/fuzz/target/deep}"
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
started="$(now_s)"
# `cargo fuzz build` takes one target or none (all).
one=""
[ "$(echo "$targets" | wc -w)" = 1 ] && one="$targets"
# shellcheck disable=SC2086
cargo +nightly fuzz build --sanitizer none --target-dir "$target_dir" $one </dev/null \
    || die "cargo +nightly fuzz build --sanitizer none failed"
note "built in $(elapsed "$started")s"
bin_dir="$target_dir/$host/release"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/ottla-fuzz-deep.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

table="| target | executions | seconds | exec/s | crashes | corpus files (KB) |"$'\n'
table+="|---|---:|---:|---:|---:|---:|"$'\n'
failed=0
for target in $targets; do
    bin="$bin_dir/$target"
    [ -x "$bin" ] || die "no binary $bin after the build"
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target" "$scratch/$target"
    log="$scratch/$target.log"
    note "$target: $runs executions$([ "$max_seconds" = 0 ] || echo " (at most ${max_seconds}s)")"
    t0="$(now_s)"
    crashes=0
    if ! "$bin" "$scratch/$target" "$corpus" -runs="$runs" -max_total_time="$max_seconds" \
        -timeout="$timeout_s" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$target/" </dev/null >"$log" 2>&1; then
        crashes=1
        failed=1
        tail -n 40 "$log" >&2
        note "$target: CRASHED (log tail above; input under fuzz/artifacts/$target/)"
    fi
    secs="$(elapsed "$t0")"
    execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)"
    if [ -z "$execs" ]; then
        # A crash ends the run before the final stats; the last status line has the count.
        execs="$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)"
    fi
    execs="${execs:-0}"
    rate="$(awk -v n="$execs" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')"
    if [ "$merge" = 1 ] && [ "$crashes" = 0 ]; then
        find "$corpus" -type f | sort >"$scratch/$target.before"
        "$bin" -merge=1 -rss_limit_mb=2048 -timeout="$timeout_s" "$corpus" "$scratch/$target" \
            </dev/null >"$scratch/$target.merge.log" 2>&1 \
            || { tail -n 20 "$scratch/$target.merge.log" >&2; die "$target: merge failed"; }
        # Over budget: drop the largest added files first.
        find "$corpus" -type f | sort | comm -13 "$scratch/$target.before" - \
            | xargs -r stat -c '%s %n' | sort -n -r | awk '{print $2}' >"$scratch/$target.added"
        dropped=0
        while [ "$(du -sk --apparent-size "$corpus" | awk '{print $1}')" -gt "$budget_kb" ] \
            && read -r big; do
            rm -f "$big"
            dropped=$((dropped + 1))
        done <"$scratch/$target.added"
        note "$target: corpus $(wc -l <"$scratch/$target.before") -> $(find "$corpus" -type f | wc -l) files ($dropped of the $(wc -l <"$scratch/$target.added") added dropped for size)"
    fi
    kb="$(du -sk --apparent-size "$corpus" | awk '{print $1}')"
    [ "$kb" -le "$budget_kb" ] || note "$target: corpus is ${kb} KB, over ${budget_kb} KB"
    line="| $target | $execs | $secs | $rate | $crashes | $(find "$corpus" -type f | wc -l) ($kb) |"
    echo "fuzz-deep: $line"
    table+="$line"$'\n'
done
printf '\nfuzz-deep: %s executions per target, %s\n%s' "$runs" "$(date -u +%Y-%m-%dT%H:%MZ)" "$table"
exit "$failed"
