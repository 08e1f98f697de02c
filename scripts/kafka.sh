#!/usr/bin/env bash
# Starts and stops Apache Kafka (KRaft, from scripts/install-kafka.sh's Maven Central jars) on
# 127.0.0.1 for the tests. No Docker.
# Usage:
#   scripts/kafka.sh start [--name N] [--version V]
#       one JVM, broker + controller, with these listeners (free ports picked at start):
#         PLAINTEXT       OTTLA_BOOTSTRAP
#         SSL             OTTLA_TLS_BOOTSTRAP          server.pem (localhost, 127.0.0.1)
#         SSL             OTTLA_TLS_BADNAME_BOOTSTRAP  server-other-name.pem (broker.example)
#         SSL             OTTLA_MTLS_BOOTSTRAP         client certificate required (ca.pem)
#         SASL_PLAINTEXT  OTTLA_SCRAM_BOOTSTRAP        SCRAM-SHA-512, SCRAM-SHA-256, PLAIN
#         SASL_SSL        OTTLA_SASL_SSL_BOOTSTRAP     the same mechanisms over TLS
#         SASL_PLAINTEXT  OTTLA_OAUTH_BOOTSTRAP        OAUTHBEARER, Kafka's unsecured JWS
#                         validator, sessions end after OTTLA_OAUTH_REAUTH_MS (KIP-368)
#       SCRAM users (created at format time): alice/alice-secret (SCRAM-SHA-512) and
#       bob/bob-secret (SCRAM-SHA-256); PLAIN users: alice/alice-secret, bob/bob-secret.
#       Prints those variables as NAME=VALUE lines, OTTLA_KAFKA_PID and OTTLA_KAFKA_VERSION.
#   scripts/kafka.sh start --cluster [--name N] [--version V]
#       a 3-broker cluster: one controller process and three broker processes (node ids 1-3,
#       broker.rack rack-1..rack-3, PLAINTEXT only, default replication factor 3,
#       min.insync.replicas=2, rack-aware follower fetching). Prints
#       OTTLA_CLUSTER_BOOTSTRAP=h:p,h:p,h:p, OTTLA_CLUSTER_BROKERS="ID:PORT:PID …",
#       OTTLA_CLUSTER_CONTROLLER_PID and OTTLA_CLUSTER_DIR (its PID files: DIR/brokerID.pid).
#       Each broker has a second listener, PROXIED, for tests that put a TCP proxy between
#       client and brokers: it listens on LISTEN and advertises 127.0.0.1:PROXY, a port nothing
#       listens on until the test's proxy does (forwarding PROXY to LISTEN); printed as
#       OTTLA_CLUSTER_PROXIED="ID:PROXY:LISTEN …". A client bootstrapped from the PROXY ports
#       is steered by Metadata to the proxy for every broker.
#   scripts/kafka.sh kill-broker --node ID [--name N]
#       kill -9 broker ID of the cluster N (default `cluster`): no shutdown, as a crash.
#   scripts/kafka.sh start-broker --node ID [--name N]
#       starts broker ID of the cluster N again on its data (after kill-broker, or a crash);
#       waits until its port accepts and prints its new PID.
#   scripts/kafka.sh stop [--name N]     stop the processes of N (default: every one started here)
#   scripts/kafka.sh status              list what runs
# N defaults to `single` (or `cluster` with --cluster). Data, configs, logs and PID files live in
# $OTTLA_TOOLS_DIR/run/kafka-N/ (default <repo>/.tools/run), made fresh at each start; a second
# start of a running N stops it first. Each process runs with the JVM options of Kafka's own
# kafka-server-start.sh (-Xmx1G -Xms1G, G1 with its pause target), as a user's broker does;
# the controller of --cluster gets 256 MB. OTTLA_KAFKA_HEAP overrides the broker heap (e.g. 768m).
# Environment: OTTLA_KAFKA_WAIT (seconds to wait for readiness, default 90),
# OTTLA_OAUTH_REAUTH_MS (default 5000), OTTLA_TLS_FIXTURES (default
# crates/ottla-tls/tests/fixtures).
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

WAIT_SECONDS="${OTTLA_KAFKA_WAIT:-90}"
REAUTH_MS="${OTTLA_OAUTH_REAUTH_MS:-5000}"
BROKER_HEAP="${OTTLA_KAFKA_HEAP:-1g}"
FIXTURES="${OTTLA_TLS_FIXTURES:-$OTTLA_ROOT/crates/ottla-tls/tests/fixtures}"

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}


# A random cluster id as Kafka's Uuid.randomUuid makes one: never starting with "-", which
# kafka-storage's argument parser would take for an option (1 start in 64 failed with
# "argument --cluster-id/-t: expected one argument").
cluster_id() {
    "$(pick_plain_python)" -c '
import base64, os
while True:
    cid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not cid.startswith("-"):
        print(cid)
        break'
}

# tcp_accepts PORT
tcp_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# log4j configuration: INFO to the process's own log file (stdout is redirected there); log4j2
# for Kafka 4, log4j 1 (reload4j) for 3.x.
write_log4j() {
    cat >"$1/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c{1})%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
    cat >"$1/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c{1})%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka-request.name = kafka.request.logger
logger.kafka-request.level = warn
logger.state-change.name = state.change.logger
logger.state-change.level = warn
EOF
}

# Settings every node shares: single-node internal topics become replicated ones in a cluster.
common_props() {
    local rf="$1" isr="$2"
    cat <<EOF
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
default.replication.factor=$rf
min.insync.replicas=$isr
group.initial.rebalance.delay.ms=0
# KIP-848 groups: members hear of a new assignment within 500 ms (default 5 s), so the group
# tests move at the pace of the classic ones (300 ms heartbeats).
group.consumer.heartbeat.interval.ms=500
group.consumer.min.heartbeat.interval.ms=500
auto.create.topics.enable=true
num.partitions=1
log.flush.interval.messages=9223372036854775807
# Test records carry old timestamps (2023): keep them, whatever their age; segments of 256 MB.
log.retention.ms=-1
log.segment.bytes=268435456
EOF
}

# launch DIR NAME HEAP: formats nothing; starts kafka.Kafka DIR/NAME.properties in the
# background, records the PID in DIR/NAME.pid and prints it.
launch() {
    local dir="$1" name="$2" heap="$3" pid
    (
        cd "$dir"
        exec nohup java "-Xmx$heap" "-Xms$heap" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
            -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
            "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
            "-Dlog4j.configuration=file:$dir/log4j.properties" \
            "-Dkafka.logs.dir=$dir/logs-$name" \
            -cp "$CLASSPATH_GLOB" kafka.Kafka "$dir/$name.properties" \
            </dev/null >>"$dir/$name.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$dir/$name.pid"
    echo "$pid"
}

# format DIR NAME CLUSTER_ID [ARGS...]
format() {
    local dir="$1" name="$2" id="$3"
    shift 3
    java -cp "$CLASSPATH_GLOB" "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
        "-Dlog4j.configuration=file:$dir/log4j.properties" \
        kafka.tools.StorageTool format -t "$id" -c "$dir/$name.properties" "$@" \
        >>"$dir/$name.log" 2>&1 || {
        tail -n 20 "$dir/$name.log" >&2
        die "formatting $name failed (log: $dir/$name.log)"
    }
}

# wait_metadata DIR PORT BROKERS [PIDS...]: waits until a Metadata request on PORT lists
# BROKERS brokers (kcat); dies with the logs' tails when a process exits or time runs out.
wait_metadata() {
    local dir="$1" port="$2" want="$3" kcat deadline got pid
    shift 3
    kcat="${OTTLA_KCAT:-$("$SCRIPTS/install-kcat.sh")}"
    deadline=$((SECONDS + WAIT_SECONDS))
    while :; do
        if tcp_accepts "$port"; then
            got="$("$kcat" -b "127.0.0.1:$port" -L -m 3 2>/dev/null | sed -n 's/^ *\([0-9][0-9]*\) brokers:.*/\1/p' | head -n 1)"
            [ "${got:-0}" -ge "$want" ] && return 0
        fi
        for pid in "$@"; do
            if ! kill -0 "$pid" 2>/dev/null; then
                for f in "$dir"/*.log; do
                    echo "---- tail of $f" >&2
                    tail -n 25 "$f" >&2 || true
                done
                stop_dir "$dir"
                die "a Kafka process (pid $pid) exited before the cluster answered"
            fi
        done
        if [ "$SECONDS" -ge "$deadline" ]; then
            for f in "$dir"/*.log; do
                echo "---- tail of $f" >&2
                tail -n 25 "$f" >&2 || true
            done
            stop_dir "$dir"
            die "Kafka on port $port did not list $want broker(s) within ${WAIT_SECONDS}s"
        fi
        sleep 0.25
    done
}

# rss_mb PID: resident memory in MB.
rss_mb() {
    awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# pem_bundle KEY CERT OUT: Kafka's PEM keystore wants the key and the chain in one file.
pem_bundle() {
    cat "$FIXTURES/$1" "$FIXTURES/$2" >"$3"
}

start_single() {
    local dir="$1" started p_plain p_ssl p_bad p_mtls p_sasl p_sasl_ssl p_oauth p_ctl pid
    read -r p_plain p_ssl p_bad p_mtls p_sasl p_sasl_ssl p_oauth p_ctl <<<"$(free_ports 8)"
    pem_bundle server.key server.pem "$dir/server-keystore.pem"
    pem_bundle server-other-name.key server-other-name.pem "$dir/badname-keystore.pem"
    local scram_jaas='org.apache.kafka.common.security.scram.ScramLoginModule required;'
    local plain_jaas='org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";'
    local oauth_jaas='org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";'
    {
        cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$p_ctl
log.dirs=$dir/data
listeners=PLAINTEXT://127.0.0.1:$p_plain,SSL://127.0.0.1:$p_ssl,BADNAME://127.0.0.1:$p_bad,MTLS://127.0.0.1:$p_mtls,SASL_PLAINTEXT://127.0.0.1:$p_sasl,SASL_SSL://127.0.0.1:$p_sasl_ssl,OAUTH://127.0.0.1:$p_oauth,CONTROLLER://127.0.0.1:$p_ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$p_plain,SSL://127.0.0.1:$p_ssl,BADNAME://127.0.0.1:$p_bad,MTLS://127.0.0.1:$p_mtls,SASL_PLAINTEXT://127.0.0.1:$p_sasl,SASL_SSL://127.0.0.1:$p_sasl_ssl,OAUTH://127.0.0.1:$p_oauth
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,BADNAME:SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,OAUTH:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
ssl.keystore.type=PEM
ssl.keystore.location=$dir/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$FIXTURES/ca.pem
ssl.client.auth=none
listener.name.badname.ssl.keystore.type=PEM
listener.name.badname.ssl.keystore.location=$dir/badname-keystore.pem
listener.name.mtls.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram_jaas
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$scram_jaas
listener.name.sasl_plaintext.plain.sasl.jaas.config=$plain_jaas
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram_jaas
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$scram_jaas
listener.name.sasl_ssl.plain.sasl.jaas.config=$plain_jaas
listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oauth.oauthbearer.sasl.jaas.config=$oauth_jaas
listener.name.oauth.oauthbearer.connections.max.reauth.ms=$REAUTH_MS
# ACLs (the admin tests create, list and delete them on topics of their own): the standard
# KRaft authorizer; what no ACL names stays allowed, and plaintext clients (ANONYMOUS, the
# tests and the controller) may do anything.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=true
super.users=User:ANONYMOUS
EOF
        common_props 1 1
    } >"$dir/node1.properties"
    format "$dir" node1 "$(cluster_id)" \
        --add-scram 'SCRAM-SHA-512=[name=alice,password=alice-secret]' \
        --add-scram 'SCRAM-SHA-256=[name=bob,password=bob-secret]'
    started="$(now_s)"
    pid="$(launch "$dir" node1 "$BROKER_HEAP")"
    wait_metadata "$dir" "$p_plain" 1 "$pid"
    note "Kafka $VERSION (pid $pid) answers on 127.0.0.1:$p_plain after $(elapsed "$started")s, RSS $(rss_mb "$pid") MB (logs: $dir)"
    cat <<EOF
OTTLA_BOOTSTRAP=127.0.0.1:$p_plain
OTTLA_TLS_BOOTSTRAP=127.0.0.1:$p_ssl
OTTLA_TLS_BADNAME_BOOTSTRAP=127.0.0.1:$p_bad
OTTLA_MTLS_BOOTSTRAP=127.0.0.1:$p_mtls
OTTLA_SCRAM_BOOTSTRAP=127.0.0.1:$p_sasl
OTTLA_SASL_SSL_BOOTSTRAP=127.0.0.1:$p_sasl_ssl
OTTLA_OAUTH_BOOTSTRAP=127.0.0.1:$p_oauth
OTTLA_OAUTH_REAUTH_MS=$REAUTH_MS
OTTLA_KAFKA_PID=$pid
OTTLA_KAFKA_VERSION=$VERSION
EOF
}

start_cluster() {
    local dir="$1" started id ports p_ctl ctl_pid pid bootstrap="" brokers="" pids=()
    local proxied=""
    # 0-2 PLAINTEXT, 3 controller, 4-6 PROXIED listeners, 7-9 the ports PROXIED advertises.
    read -r -a ports <<<"$(free_ports 10)"
    p_ctl="${ports[3]}"
    local cid
    cid="$(cluster_id)"
    {
        cat <<EOF
process.roles=controller
node.id=100
controller.quorum.voters=100@127.0.0.1:$p_ctl
listeners=CONTROLLER://127.0.0.1:$p_ctl
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data-controller
EOF
        common_props 3 2
    } >"$dir/controller.properties"
    format "$dir" controller "$cid"
    for id in 1 2 3; do
        {
            cat <<EOF
process.roles=broker
node.id=$id
broker.rack=rack-$id
controller.quorum.voters=100@127.0.0.1:$p_ctl
listeners=PLAINTEXT://127.0.0.1:${ports[$((id - 1))]},PROXIED://127.0.0.1:${ports[$((id + 3))]}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports[$((id - 1))]},PROXIED://127.0.0.1:${ports[$((id + 6))]}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data-$id
replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector
EOF
            common_props 3 2
        } >"$dir/broker$id.properties"
        format "$dir" "broker$id" "$cid"
    done
    started="$(now_s)"
    ctl_pid="$(launch "$dir" controller 256m)"
    for id in 1 2 3; do
        pid="$(launch "$dir" "broker$id" "$BROKER_HEAP")"
        pids+=("$pid")
        bootstrap+="${bootstrap:+,}127.0.0.1:${ports[$((id - 1))]}"
        brokers+="${brokers:+ }$id:${ports[$((id - 1))]}:$pid"
        proxied+="${proxied:+ }$id:${ports[$((id + 6))]}:${ports[$((id + 3))]}"
        echo "${ports[$((id - 1))]}" >"$dir/broker$id.port"
    done
    wait_metadata "$dir" "${ports[0]}" 3 "$ctl_pid" "${pids[@]}"
    note "Kafka $VERSION cluster answers with 3 brokers after $(elapsed "$started")s; RSS MB: controller $(rss_mb "$ctl_pid"), brokers $(for p in "${pids[@]}"; do printf '%s ' "$(rss_mb "$p")"; done)(logs: $dir)"
    cat <<EOF
OTTLA_CLUSTER_BOOTSTRAP=$bootstrap
OTTLA_CLUSTER_BROKERS=$brokers
OTTLA_CLUSTER_CONTROLLER_PID=$ctl_pid
OTTLA_CLUSTER_PROXIED=$proxied
OTTLA_CLUSTER_DIR=$dir
EOF
}

# node_dir NAME ID: the run directory of cluster NAME, checked to hold broker ID.
node_dir() {
    local dir="$TOOLS_RUN/kafka-$1"
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--node needs a broker id, got '$2'"
    [ -f "$dir/broker$2.properties" ] || die "no broker $2 in $dir (start it with --cluster)"
    echo "$dir"
}

cmd_kill_broker() {
    local dir pid
    dir="$(node_dir "$1" "$2")"
    pid="$(live_pid "$dir/broker$2.pid" kafka.Kafka)" || die "broker $2 of $1 is not running"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    note "killed (-9) $1 broker$2 (pid $pid)"
}

cmd_start_broker() {
    local dir pid port deadline
    dir="$(node_dir "$1" "$2")"
    if pid="$(live_pid "$dir/broker$2.pid" kafka.Kafka)"; then
        die "broker $2 of $1 runs already (pid $pid)"
    fi
    VERSION="$(cat "$dir/version")"
    CLASSPATH_GLOB="$("$SCRIPTS/install-kafka.sh" --version "$VERSION")"
    port="$(cat "$dir/broker$2.port")"
    pid="$(launch "$dir" "broker$2" "$BROKER_HEAP")"
    deadline=$((SECONDS + WAIT_SECONDS))
    until tcp_accepts "$port"; do
        kill -0 "$pid" 2>/dev/null || {
            tail -n 25 "$dir/broker$2.log" >&2
            die "broker $2 of $1 exited while starting (log: $dir/broker$2.log)"
        }
        [ "$SECONDS" -lt "$deadline" ] || die "broker $2 of $1: port $port closed after ${WAIT_SECONDS}s"
        sleep 0.1
    done
    note "started $1 broker$2 again (pid $pid)"
    echo "$pid"
}

# stop_dir DIR: stops every process with a PID file in DIR (brokers first, controller last).
stop_dir() {
    local dir="$1" f pid
    for f in "$dir"/broker*.pid "$dir"/node*.pid "$dir"/controller.pid; do
        [ -e "$f" ] || continue
        if pid="$(live_pid "$f" kafka.Kafka)"; then
            stop_pid "$pid" "kafka $(basename "$f" .pid)"
            note "stopped $(basename "$dir") $(basename "$f" .pid) (pid $pid)"
        fi
        rm -f "$f"
    done
}

cmd_start() {
    local name="$1" cluster="$2" dir
    CLASSPATH_GLOB="$("$SCRIPTS/install-kafka.sh" --version "$VERSION")"
    dir="$TOOLS_RUN/kafka-$name"
    [ -d "$dir" ] && stop_dir "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    write_log4j "$dir"
    echo "$VERSION" >"$dir/version"
    if [ "$cluster" = 1 ]; then
        start_cluster "$dir"
    else
        start_single "$dir"
    fi
}

cmd_stop() {
    local name="$1" d
    if [ -n "$name" ]; then
        stop_dir "$TOOLS_RUN/kafka-$name"
        return 0
    fi
    for d in "$TOOLS_RUN"/kafka-*/; do
        [ -d "$d" ] && stop_dir "${d%/}"
    done
    return 0
}

cmd_status() {
    local d f pid any=0
    for d in "$TOOLS_RUN"/kafka-*/; do
        [ -d "$d" ] || continue
        for f in "$d"*.pid; do
            [ -e "$f" ] || continue
            if pid="$(live_pid "$f" kafka.Kafka)"; then
                any=1
                echo "running: $(basename "$d") $(basename "$f" .pid) pid $pid, RSS $(rss_mb "$pid") MB"
            fi
        done
    done
    [ "$any" = 1 ] || {
        echo "no Kafka started by scripts/kafka.sh is running"
        return 3
    }
}

[ $# -ge 1 ] || usage
action="$1"
shift
name=""
cluster=0
node=""
VERSION="$(kafka_version)"
while [ $# -gt 0 ]; do
    case "$1" in
        --name) name="${2:?--name needs a value}"; shift 2 ;;
        --version) VERSION="${2:?--version needs a value}"; shift 2 ;;
        --cluster) cluster=1; shift ;;
        --node) node="${2:?--node needs a value}"; shift 2 ;;
        -h | --help) usage ;;
        *) usage ;;
    esac
done
[[ -z "$name" || "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad name '$name'"
mkdir -p "$TOOLS_RUN"
case "$action" in
    start)
        if [ -z "$name" ]; then
            if [ "$cluster" = 1 ]; then name=cluster; else name=single; fi
        fi
        cmd_start "$name" "$cluster"
        ;;
    stop) cmd_stop "$name" ;;
    kill-broker) cmd_kill_broker "${name:-cluster}" "$node" ;;
    start-broker) cmd_start_broker "${name:-cluster}" "$node" ;;
    status) cmd_status ;;
    *) usage ;;
esac
