#!/usr/bin/env bash
# THE test command: formatting, lints, the no-C check, all tests (unit + integration against a
# real broker), the static musl build and a short fuzzing pass.
# Usage: scripts/test.sh
#   OTTLA_BOOTSTRAP=host:port scripts/test.sh   use that broker instead of starting tansu
#   OTTLA_FUZZ_SECONDS=N                        seconds per fuzz target (default 20)
# Installs what it needs (tansu, kcat over librdkafka 2.16, `file`, stunnel4, and the sqlite
# tansu build with SCRAM users — built once, ~22 min, cached under ~/.cache/ottla), starts a
# local tansu broker unless OTTLA_BOOTSTRAP is set (stopped again on exit), and exports
# OTTLA_BOOTSTRAP, OTTLA_KCAT (the kcat wrapper) and OTTLA_REQUIRE_BROKER=1 for the tests.
# It also starts the security peers (all stopped by PID on exit) and exports:
#   OTTLA_TLS_BOOTSTRAP          SSL: stunnel `tls` (server.pem) -> memory tansu
#   OTTLA_TLS_BADNAME_BOOTSTRAP  SSL, certificate for broker.example only (same tansu)
#   OTTLA_MTLS_BOOTSTRAP         SSL with a client certificate required (stunnel verify = 2)
#   OTTLA_SCRAM_BOOTSTRAP        SASL_PLAINTEXT SCRAM: sqlite tansu, users alice (SHA-512)
#                                and bob (SHA-256)
#   OTTLA_SASL_SSL_BOOTSTRAP     SASL_SSL: stunnel `sasl-ssl` -> a second SCRAM tansu
#   OTTLA_TLS_FIXTURES           absolute path of crates/ottla-tls/tests/fixtures
#   OTTLA_MOTO_ENDPOINT          a moto server (STS, Secrets Manager) on loopback
#   OTTLA_AWS_PYTHON             Python with the official MSK IAM signer (token reference)
#   (set OTTLA_TLS_BOOTSTRAP yourself to use your own peers for all of these instead)
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
    if [ -z "${OTTLA_BOOTSTRAP:-}" ] || [ -z "${OTTLA_TLS_BOOTSTRAP:-}" ]; then
        "$SCRIPTS/install-tansu.sh" >/dev/null || return 1
    fi
    OTTLA_AWS_PYTHON="$("$SCRIPTS/install-aws-tools.sh")" || return 1
    if [ -z "${OTTLA_TLS_BOOTSTRAP:-}" ]; then
        command -v stunnel4 >/dev/null 2>&1 || command -v stunnel >/dev/null 2>&1 ||
            (apt_install stunnel4) || return 1
    fi
}

# The sqlite tansu (SCRAM users); cached under ~/.cache/ottla, so only a cold machine builds it.
install_sqlite_tansu() {
    "$SCRIPTS/install-tansu-src.sh" >/dev/null
}

broker_port=""
peer_ports=""   # tansu ports of the security peers
peer_tunnels="" # stunnel names
moto_port=""
stop_broker() {
    local t p
    if [ -n "$moto_port" ]; then
        "$SCRIPTS/moto.sh" stop --port "$moto_port" || true
        moto_port=""
    fi
    for t in $peer_tunnels; do
        "$SCRIPTS/stunnel.sh" stop --name "$t" || true
    done
    peer_tunnels=""
    for p in $peer_ports; do
        "$SCRIPTS/broker.sh" stop --port "$p" || true
    done
    peer_ports=""
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

# free_ports N: prints N distinct ports that were free a moment ago.
free_ports() {
    "$(pick_plain_python)" - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()
PY
}

# peer_broker PORT [broker.sh flags...]: starts a tansu on PORT and records it for stop_broker.
peer_broker() {
    local port="$1"
    shift
    "$SCRIPTS/broker.sh" start --port "$port" "$@" >/dev/null || return 1
    peer_ports+=" $port"
}

# peer_tunnel NAME ACCEPT CONNECT CERT KEY [CA]: starts stunnel NAME and records it.
peer_tunnel() {
    local fx="$OTTLA_TLS_FIXTURES"
    "$SCRIPTS/stunnel.sh" start --name "$1" --accept "$2" --connect "$3" \
        --cert "$fx/$4" --key "$fx/$5" ${6:+--verify-ca "$fx/$6"} >/dev/null || return 1
    peer_tunnels+=" $1"
}

start_security_peers() {
    local p1 t h p2 m s p3 ss
    read -r p1 t h p2 m s p3 ss <<<"$(free_ports 8)" || return 1
    # (a) SSL and (b) a certificate for another name, both in front of one memory tansu.
    peer_broker "$p1" --advertise "$t" || return 1
    peer_tunnel tls "$t" "$p1" server.pem server.key || return 1
    peer_tunnel badname "$h" "$p1" server-other-name.pem server-other-name.key || return 1
    OTTLA_TLS_BOOTSTRAP="127.0.0.1:$t"
    OTTLA_TLS_BADNAME_BOOTSTRAP="127.0.0.1:$h"
    # (c) mutual TLS.
    peer_broker "$p2" --advertise "$m" || return 1
    peer_tunnel mtls "$m" "$p2" server.pem server.key ca.pem || return 1
    OTTLA_MTLS_BOOTSTRAP="127.0.0.1:$m"
    # (d) SCRAM on the sqlite build: SASL_PLAINTEXT, and SASL_SSL behind stunnel.
    peer_broker "$s" --scram || return 1
    OTTLA_SCRAM_BOOTSTRAP="127.0.0.1:$s"
    peer_broker "$p3" --scram --advertise "$ss" || return 1
    peer_tunnel sasl-ssl "$ss" "$p3" server.pem server.key || return 1
    OTTLA_SASL_SSL_BOOTSTRAP="127.0.0.1:$ss"
    echo "peer tls:      OTTLA_TLS_BOOTSTRAP=$OTTLA_TLS_BOOTSTRAP (stunnel -> tansu :$p1)"
    echo "peer badname:  OTTLA_TLS_BADNAME_BOOTSTRAP=$OTTLA_TLS_BADNAME_BOOTSTRAP (cert for broker.example -> tansu :$p1)"
    echo "peer mtls:     OTTLA_MTLS_BOOTSTRAP=$OTTLA_MTLS_BOOTSTRAP (client cert required -> tansu :$p2)"
    echo "peer scram:    OTTLA_SCRAM_BOOTSTRAP=$OTTLA_SCRAM_BOOTSTRAP (sqlite tansu, SASL_PLAINTEXT)"
    echo "peer sasl-ssl: OTTLA_SASL_SSL_BOOTSTRAP=$OTTLA_SASL_SSL_BOOTSTRAP (stunnel -> sqlite tansu :$p3)"
}

# moto (STS, Secrets Manager) for the AWS credential tests.
start_moto() {
    local out
    moto_port="$(free_ports 1)" || return 1
    out="$("$SCRIPTS/moto.sh" start --port "$moto_port")" || return 1
    OTTLA_MOTO_ENDPOINT="$(printf '%s\n' "$out" | sed -n 's/^OTTLA_MOTO_ENDPOINT=//p' | tail -n 1)"
    [ -n "$OTTLA_MOTO_ENDPOINT" ] || return 1
    echo "peer moto:     OTTLA_MOTO_ENDPOINT=$OTTLA_MOTO_ENDPOINT"
}

step install install_tools
if [ -z "${OTTLA_BOOTSTRAP:-}" ]; then
    step broker start_broker
else
    echo "==> broker: using OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP"
fi
OTTLA_TLS_FIXTURES="$OTTLA_ROOT/crates/ottla-tls/tests/fixtures"
if [ -z "${OTTLA_TLS_BOOTSTRAP:-}" ]; then
    step tansu-sql install_sqlite_tansu
    step peers start_security_peers
else
    echo "==> peers: using OTTLA_TLS_BOOTSTRAP=$OTTLA_TLS_BOOTSTRAP and the other OTTLA_*_BOOTSTRAP set"
fi
if [ -z "${OTTLA_MOTO_ENDPOINT:-}" ]; then
    step moto start_moto
fi
export OTTLA_BOOTSTRAP OTTLA_KCAT OTTLA_TLS_FIXTURES OTTLA_MOTO_ENDPOINT OTTLA_AWS_PYTHON OTTLA_TLS_BOOTSTRAP OTTLA_TLS_BADNAME_BOOTSTRAP \
    OTTLA_MTLS_BOOTSTRAP OTTLA_SCRAM_BOOTSTRAP OTTLA_SASL_SSL_BOOTSTRAP
export OTTLA_REQUIRE_BROKER=1
echo "OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP OTTLA_KCAT=$OTTLA_KCAT OTTLA_REQUIRE_BROKER=1"

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step no-c "$SCRIPTS/check-no-c.sh"
step no-panics "$SCRIPTS/check-no-panics.sh"
test_log="$TOOLS_RUN/cargo-test.log"
mkdir -p "$TOOLS_RUN"
run_tests() {
    cargo test --workspace --no-fail-fast 2>&1 | tee "$test_log"
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
    # The optional adapter for the AWS SDK's credential providers (feature-gated).
    cargo test -p ottla-sasl --features aws-sdk-credentials --lib aws::sdk_credentials 2>&1 |
        tee -a "$test_log"
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
