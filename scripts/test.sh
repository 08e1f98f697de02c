#!/usr/bin/env bash
# THE test command: formatting, lints, the no-C check, all tests (unit + integration against a
# real Apache Kafka), the static musl build and a short fuzzing pass.
# Usage: scripts/test.sh
#   OTTLA_BOOTSTRAP=host:port scripts/test.sh   use that broker (and the other OTTLA_*_BOOTSTRAP
#                                               you set) instead of starting Kafka
#   OTTLA_FUZZ_SECONDS=N                        seconds per fuzz target (default 13)
# Installs what it needs (Kafka's jars from Maven Central, kcat over librdkafka 2.16, the Java
# and franz-go peers, `file`, the MSK IAM reference signers, moto), starts a local single-node
# Kafka with every listener the tests use (scripts/kafka.sh; stopped again on exit) and a 3-broker
# cluster, and exports for the tests:
#   OTTLA_BOOTSTRAP              PLAINTEXT
#   OTTLA_TLS_BOOTSTRAP          SSL (server.pem: localhost, 127.0.0.1)
#   OTTLA_TLS_BADNAME_BOOTSTRAP  SSL, certificate for broker.example only
#   OTTLA_MTLS_BOOTSTRAP         SSL with a client certificate required (ca.pem)
#   OTTLA_SCRAM_BOOTSTRAP        SASL_PLAINTEXT: SCRAM users alice (SHA-512), bob (SHA-256);
#                                PLAIN users alice, bob
#   OTTLA_SASL_SSL_BOOTSTRAP     SASL_SSL, the same users
#   OTTLA_OAUTH_BOOTSTRAP        SASL_PLAINTEXT OAUTHBEARER (unsecured JWS), sessions of
#                                OTTLA_OAUTH_REAUTH_MS
#   OTTLA_CLUSTER_BOOTSTRAP      the 3-broker cluster (OTTLA_CLUSTER_BROKERS: ID:PORT:PID …)
#   OTTLA_KAFKA_PID              the single node's JVM (for `ottla perf --broker-pid`)
#   OTTLA_KCAT, OTTLA_JAVA_PEER, OTTLA_JAVA_MSK_PEER, OTTLA_GO_PEER   the reference clients
#   OTTLA_TLS_FIXTURES           absolute path of crates/ottla-tls/tests/fixtures
#   OTTLA_MOTO_ENDPOINT          a moto server (STS, Secrets Manager) on loopback
#   OTTLA_AWS_PYTHON             Python with the official MSK IAM signer (token reference)
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
    "$SCRIPTS/install-kafka.sh" >/dev/null || return 1
    OTTLA_AWS_PYTHON="$("$SCRIPTS/install-aws-tools.sh")" || return 1
}

# The reference clients' harnesses (tests/peers/), each cached by a hash of its sources.
install_peers() {
    OTTLA_JAVA_PEER="$("$SCRIPTS/install-java-peer.sh")" || return 1
    OTTLA_JAVA_MSK_PEER="$("$SCRIPTS/install-java-peer.sh" --msk-iam)" || return 1
    OTTLA_GO_PEER="$("$SCRIPTS/install-go-peer.sh")" || return 1
}

kafka_names=""
moto_port=""
stop_brokers() {
    local n
    if [ -n "$moto_port" ]; then
        "$SCRIPTS/moto.sh" stop --port "$moto_port" || true
        moto_port=""
    fi
    for n in $kafka_names; do
        "$SCRIPTS/kafka.sh" stop --name "$n" || true
    done
    kafka_names=""
}
trap stop_brokers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# kafka_start NAME [kafka.sh flags...]: starts Kafka and exports every NAME=VALUE it prints.
kafka_start() {
    local name="$1" out line
    shift
    kafka_names+=" $name"
    out="$("$SCRIPTS/kafka.sh" start --name "$name" "$@")" || return 1
    while IFS= read -r line; do
        case "$line" in
            OTTLA_*=*) export "${line%%=*}=${line#*=}" && echo "$line" ;;
        esac
    done <<<"$out"
}

start_kafka() { kafka_start single; }
start_cluster() { kafka_start cluster --cluster; }


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
step peers install_peers
export OTTLA_TLS_FIXTURES="$OTTLA_ROOT/crates/ottla-tls/tests/fixtures"
if [ -z "${OTTLA_BOOTSTRAP:-}" ]; then
    step kafka start_kafka
else
    echo "==> kafka: using OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP and the other OTTLA_*_BOOTSTRAP set"
fi
if [ -z "${OTTLA_CLUSTER_BOOTSTRAP:-}" ]; then
    step cluster start_cluster
fi
if [ -z "${OTTLA_MOTO_ENDPOINT:-}" ]; then
    step moto start_moto
fi
export OTTLA_BOOTSTRAP OTTLA_KCAT OTTLA_MOTO_ENDPOINT OTTLA_AWS_PYTHON OTTLA_JAVA_PEER \
    OTTLA_JAVA_MSK_PEER OTTLA_GO_PEER
export OTTLA_REQUIRE_BROKER=1
echo "OTTLA_BOOTSTRAP=$OTTLA_BOOTSTRAP OTTLA_KCAT=$OTTLA_KCAT OTTLA_REQUIRE_BROKER=1"

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step no-c "$SCRIPTS/check-no-c.sh"
step no-panics "$SCRIPTS/check-no-panics.sh"
step sans-io "$SCRIPTS/check-sans-io.sh"
step versions "$SCRIPTS/check-versions.sh"
# API docs build without a warning (broken links, missing docs) for the features users turn on.
step docs env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps \
    --features ottla/lambda,ottla/aws-sdk-credentials
# Every crate for crates.io packages, and builds from its package alone, in dependency order.
step package "$SCRIPTS/check-package.sh"
test_log="$TOOLS_RUN/cargo-test.log"
mkdir -p "$TOOLS_RUN"
run_tests() {
    cargo test --workspace --no-fail-fast 2>&1 | tee "$test_log"
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
    # The optional adapter for the AWS SDK's credential providers (feature-gated).
    cargo test -p ottla-aws --features sdk-credentials --lib sdk_credentials 2>&1 |
        tee -a "$test_log"
    return "${PIPESTATUS[0]}"
}
step test run_tests
step examples "$SCRIPTS/run-examples.sh"

# Compatibility pass: the real-broker tests again against the Kafka 3.9 line (many MSK clusters
# run 3.x; it negotiates older protocol versions), on a node of its own.
COMPAT_VERSION="3.9.1"
COMPAT_TESTS="broker kcat_interop producer_broker scram_broker tls_broker oauth_broker peer_interop group_broker group_kip848_broker consumer_broker consumer_fetch_broker"
run_compat() {
    local out line args=() t
    [ -n "${OTTLA_COMPAT_SKIP:-}" ] && { echo "OTTLA_COMPAT_SKIP is set: no 3.9 pass"; return 0; }
    kafka_names+=" compat"
    out="$("$SCRIPTS/kafka.sh" start --name compat --version "$COMPAT_VERSION")" || return 1
    for t in $COMPAT_TESTS; do args+=(--test "$t"); done
    (
        while IFS= read -r line; do
            case "$line" in OTTLA_*=*) export "${line%%=*}=${line#*=}" ;; esac
        done <<<"$out"
        echo "compat: Kafka $COMPAT_VERSION at $OTTLA_BOOTSTRAP"
        cargo test -p ottla-tests --no-fail-fast "${args[@]}" 2>&1 | tee -a "$test_log"
        exit "${PIPESTATUS[0]}"
    ) || return 1
    "$SCRIPTS/kafka.sh" stop --name compat
}
step compat run_compat
step static "$SCRIPTS/check-static.sh"
step fuzz "$SCRIPTS/fuzz-smoke.sh"

stop_brokers
printf '\ntimings:\n%s' "$timings"
echo "test.sh: all steps passed in $(elapsed "$all_started")s"
# One closing line with the totals of every cargo test binary and doc-test run above.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$test_log"
