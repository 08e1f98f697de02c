#!/usr/bin/env bash
# THE test command: formatting, lints, the no-C check, all tests (unit + integration against a
# real broker), the static musl build and a short fuzzing pass.
# Usage: scripts/test.sh
#   OTTLA_BOOTSTRAP=host:port scripts/test.sh   use that broker instead of starting tansu
#   OTTLA_FUZZ_SECONDS=N                        seconds per fuzz target (default 20)
# Installs what it needs (tansu, kcat over librdkafka 2.16, `file`), starts a local tansu broker
# unless OTTLA_BOOTSTRAP is set (stopped again on exit), and exports OTTLA_BOOTSTRAP, OTTLA_KCAT
# (the kcat wrapper) and OTTLA_REQUIRE_BROKER=1 for the tests.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"
cd "$OTTLA_ROOT"

all_started="$(now_s)"
timings=""

# step NAME CMD...: runs CMD, prints a timing line; stops the run on failure.
step() {
    local name="$1" t0 rc=0
    shift
    echo "==> $name: $*"
    t0="$(now_s)"
    "$@" || rc=$?
    local line
    if [ "$rc" = 0 ]; then
        line="$(printf '%-10s ok      %6ss' "$name" "$(elapsed "$t0")")"
    else
        line="$(printf '%-10s FAILED  %6ss (exit %s)' "$name" "$(elapsed "$t0")" "$rc")"
    fi
    echo "<== $line"
    timings+="$line"$'\n'
    if [ "$rc" != 0 ]; then
        printf '\ntimings:\n%s' "$timings"
        die "step '$name' failed: $*"
    fi
}

# (Functions run by `step` run with errexit off: each failure returns explicitly.)
install_tools() {
    if ! command -v file >/dev/null 2>&1; then
        (apt_install file) || return 1
    fi
    OTTLA_KCAT="$("$SCRIPTS/install-kcat.sh")" || return 1
    if [ -z "${OTTLA_BOOTSTRAP:-}" ]; then
        "$SCRIPTS/install-tansu.sh" >/dev/null || return 1
    fi
}

broker_port=""
stop_broker() {
    if [ -n "$broker_port" ]; then
        "$SCRIPTS/broker.sh" stop --port "$broker_port" || true
        broker_port=""
    fi
}
trap stop_broker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_broker() {
    local out
    out="$("$SCRIPTS/broker.sh" start)" || return 1
    OTTLA_BOOTSTRAP="$(printf '%s\n' "$out" | sed -n 's/^OTTLA_BOOTSTRAP=//p' | tail -n 1)"
    [ -n "$OTTLA_BOOTSTRAP" ] || {
        echo "broker.sh start printed no OTTLA_BOOTSTRAP line" >&2
        return 1
    }
    broker_port="${OTTLA_BOOTSTRAP##*:}"
}

step install install_tools
if [ -z "${OTTLA_BOOTSTRAP:-}" ]; then
    step broker start_broker
else
    echo "==> broker: using OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP"
fi
export OTTLA_BOOTSTRAP OTTLA_KCAT
export OTTLA_REQUIRE_BROKER=1
echo "OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP OTTLA_KCAT=$OTTLA_KCAT OTTLA_REQUIRE_BROKER=1"

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step no-c "$SCRIPTS/check-no-c.sh"
test_log="$TOOLS_RUN/cargo-test.log"
mkdir -p "$TOOLS_RUN"
run_tests() {
    cargo test --workspace --no-fail-fast 2>&1 | tee "$test_log"
    return "${PIPESTATUS[0]}"
}
step test run_tests
step static "$SCRIPTS/check-static.sh"
step fuzz "$SCRIPTS/fuzz-smoke.sh"

stop_broker
printf '\ntimings:\n%s' "$timings"
echo "test.sh: all steps passed in $(elapsed "$all_started")s"
# One closing line with the totals of every cargo test binary and doc-test run above.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$test_log"
