#!/usr/bin/env bash
# Starts, stops and reports local tansu brokers (memory storage, loopback only) for tests.
# Usage:
#   scripts/broker.sh start [--port P] [--advertise A] [--scram]
#                                        start a broker; prints OTTLA_BOOTSTRAP=127.0.0.1:P
#                                        (without --port: 19092 if free, else a free port; with
#                                        --port: reuses our broker already running on P)
#       --advertise A  advertise 127.0.0.1:A instead of P (a TLS front end such as
#                      scripts/stunnel.sh listens on A); readiness is then a TCP connect to P
#       --scram        the sqlite build (scripts/install-tansu-src.sh) with SASL/SCRAM required:
#                      users alice/alice-secret (SCRAM-SHA-512) and bob/bob-secret
#                      (SCRAM-SHA-256); storage sqlite://scram.db in $OTTLA_TOOLS_DIR/run/scram-P/
#                      (fresh each start). sqlite tansu does not auto-create topics.
#   scripts/broker.sh stop [--port P]    stop the broker on P (default: every broker started here)
#   scripts/broker.sh status [--port P]  list brokers started here; exit 0 if one is running
# Installs tansu and kcat first (scripts/install-tansu.sh, scripts/install-kcat.sh). Logs go to
# $OTTLA_TOOLS_DIR/run/tansu-P.log and PID files to $OTTLA_TOOLS_DIR/run/tansu-P.pid
# (default <repo>/.tools/run). Environment: OTTLA_BROKER_WAIT (seconds to wait for the broker to
# answer, default 20).
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

DEFAULT_PORT=19092
WAIT_SECONDS="${OTTLA_BROKER_WAIT:-20}"

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}

pid_file() { echo "$TOOLS_RUN/tansu-$1.pid"; }
log_file() { echo "$TOOLS_RUN/tansu-$1.log"; }

# broker_pid PORT: prints the PID of our live tansu on PORT; fails when there is none (a stale
# PID file, whose process is gone or is no longer tansu, is removed).
broker_pid() {
    live_pid "$(pid_file "$1")" 'tansu'
}

# port_free PORT: succeeds when 127.0.0.1:PORT can be bound.
port_free() {
    "$(pick_plain_python)" - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# any_free_port: prints a port that was free a moment ago.
any_free_port() {
    "$(pick_plain_python)" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

opts_file() { echo "$TOOLS_RUN/tansu-$1.opts"; }

# SCRAM users created by --scram: NAME PASSWORD MECHANISM (tansu's name).
SCRAM_USERS="alice alice-secret scram512
bob bob-secret scram256"

# tcp_accepts PORT: succeeds when a TCP connection to 127.0.0.1:PORT is accepted.
tcp_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answers KCAT PORT [SCRAM ADVERTISE]: succeeds when the broker answers a Metadata request (with
# alice's SCRAM-SHA-512 credentials when SCRAM is 1). When ADVERTISE differs from PORT the
# advertised address belongs to a TLS front end, so a TCP connect to PORT is the check.
answers() {
    local scram="${3:-0}" adv="${4:-$2}"
    if [ "$adv" != "$2" ]; then
        tcp_accepts "$2"
    elif [ "$scram" = 1 ]; then
        "$1" -b "127.0.0.1:$2" -L -m 2 -X security.protocol=SASL_PLAINTEXT \
            -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=alice \
            -X sasl.password=alice-secret >/dev/null 2>&1
    else
        "$1" -b "127.0.0.1:$2" -L -m 2 >/dev/null 2>&1
    fi
}

# port_opts PORT: prints "SCRAM ADVERTISE" as recorded when the broker on PORT was started.
port_opts() {
    local f scram=0 adv="$1"
    f="$(opts_file "$1")"
    if [ -f "$f" ]; then
        scram="$(sed -n 's/^scram=//p' "$f")"
        adv="$(sed -n 's/^advertise=//p' "$f")"
    fi
    echo "${scram:-0} ${adv:-$1}"
}

# known_ports: prints the ports that have PID files.
known_ports() {
    local f
    for f in "$TOOLS_RUN"/tansu-*.pid; do
        [ -e "$f" ] || continue
        f="${f##*/tansu-}"
        echo "${f%.pid}"
    done
}

# launch TANSU PORT ADVERTISE LOG [DIR [ARGS...]]: starts tansu in the background in DIR
# (default the run folder) and records its PID.
launch() {
    local tansu="$1" port="$2" adv="$3" log="$4" dir="${5:-$TOOLS_RUN}" storage=memory://tansu/
    shift 4
    [ $# -eq 0 ] || shift
    [ "$dir" = "$TOOLS_RUN" ] || storage="sqlite://scram.db"
    # Explicit flags win over tansu's environment variables (CLUSTER_ID, LISTENER_URL, ...); the
    # optional integrations are switched off so a stray variable cannot reach out.
    (
        cd "$dir"
        exec env -u OTEL_EXPORTER_OTLP_ENDPOINT -u SCHEMA_REGISTRY \
            nohup "$tansu" broker \
            --cluster-id ottla-test \
            --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$adv" \
            --storage-engine "$storage" \
            "$@" \
            </dev/null >>"$log" 2>&1
    ) &
    echo "$!" >"$(pid_file "$port")"
    echo "$!"
}

# wait_ready KCAT PORT PID LOG SCRAM ADVERTISE: waits until the broker answers (see answers);
# dies with the log's tail when it exits or the wait runs out.
wait_ready() {
    local kcat="$1" port="$2" pid="$3" log="$4" scram="$5" adv="$6"
    local deadline=$((SECONDS + WAIT_SECONDS))
    until answers "$kcat" "$port" "$scram" "$adv"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$(pid_file "$port")"
            echo "---- tail of $log" >&2
            tail -n 30 "$log" >&2 || true
            die "tansu exited before answering on port $port"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "---- tail of $log" >&2
            tail -n 30 "$log" >&2 || true
            stop_port "$port" || true
            die "tansu did not answer a Metadata request on port $port within ${WAIT_SECONDS}s"
        fi
        sleep 0.1
    done
}

cmd_start() {
    local port="$1" explicit="$2" adv="$3" scram="$4" tansu kcat pid
    if [ "$scram" = 1 ]; then
        tansu="$("$SCRIPTS/install-tansu-src.sh")"
    else
        tansu="$("$SCRIPTS/install-tansu.sh")"
    fi
    kcat="$("$SCRIPTS/install-kcat.sh")"
    mkdir -p "$TOOLS_RUN"

    if [ "$explicit" = 1 ]; then
        if pid="$(broker_pid "$port")" && [ "$(port_opts "$port")" = "$scram ${adv:-$port}" ] &&
            answers "$kcat" "$port" "$scram" "${adv:-$port}"; then
            note "tansu already running on port $port (pid $pid)"
            echo "OTTLA_BOOTSTRAP=127.0.0.1:$port"
            return 0
        fi
        port_free "$port" || die "port $port is in use by another process"
    elif ! port_free "$port"; then
        port="$(any_free_port)"
    fi
    adv="${adv:-$port}"

    local log started dir="$TOOLS_RUN"
    log="$(log_file "$port")"
    : >"$log"
    started="$(now_s)"
    printf 'scram=%s\nadvertise=%s\n' "$scram" "$adv" >"$(opts_file "$port")"
    if [ "$scram" = 1 ]; then
        # Users can only be created on a broker without authentication: create them, stop it,
        # and start again on the same database with --authentication.
        dir="$TOOLS_RUN/scram-$port"
        rm -rf "$dir"
        mkdir -p "$dir"
        pid="$(launch "$tansu" "$port" "$port" "$log" "$dir")"
        wait_ready "$kcat" "$port" "$pid" "$log" 0 "$port"
        local user pass mech
        while read -r user pass mech; do
            "$tansu" user create "$user" "$pass" --mechanism "$mech" \
                --broker "tcp://127.0.0.1:$port" >>"$log" 2>&1 || {
                stop_port "$port" || true
                echo "---- tail of $log" >&2
                tail -n 30 "$log" >&2 || true
                die "tansu user create $user failed"
            }
        done <<<"$SCRAM_USERS"
        stop_port "$port" >/dev/null 2>&1
        printf 'scram=%s\nadvertise=%s\n' "$scram" "$adv" >"$(opts_file "$port")"
        pid="$(launch "$tansu" "$port" "$adv" "$log" "$dir" --authentication)"
    else
        pid="$(launch "$tansu" "$port" "$adv" "$log")"
    fi
    wait_ready "$kcat" "$port" "$pid" "$log" "$scram" "$adv"
    local what=""
    [ "$adv" = "$port" ] || what+=" advertising 127.0.0.1:$adv"
    [ "$scram" = 0 ] || what+=" with SASL/SCRAM (sqlite storage in $dir)"
    note "tansu pid $pid answers on 127.0.0.1:$port$what after $(elapsed "$started")s (log: $log)"
    echo "OTTLA_BOOTSTRAP=127.0.0.1:$port"
}

# stop_port PORT: TERM, then KILL after 5 s; removes the PID file.
stop_port() {
    local port="$1" pid
    if ! pid="$(broker_pid "$port")"; then
        rm -f "$(pid_file "$port")"
        return 0
    fi
    stop_pid "$pid" tansu
    rm -f "$(pid_file "$port")" "$(opts_file "$port")"
    note "stopped tansu on port $port (pid $pid)"
}

cmd_stop() {
    local port="$1" p
    if [ -n "$port" ]; then
        stop_port "$port"
        return 0
    fi
    for p in $(known_ports); do
        stop_port "$p"
    done
}

cmd_status() {
    local port="$1" ports p pid running=0 kcat=""
    [ -x "$TOOLS_BIN/kcat" ] && kcat="$TOOLS_BIN/kcat"
    if [ -n "$port" ]; then ports="$port"; else ports="$(known_ports)"; fi
    for p in $ports; do
        if pid="$(broker_pid "$p")"; then
            running=1
            # shellcheck disable=SC2046
            if [ -n "$kcat" ] && answers "$kcat" "$p" $(port_opts "$p"); then
                echo "running: 127.0.0.1:$p pid $pid (answers)"
            else
                echo "running: 127.0.0.1:$p pid $pid (not answering)"
            fi
        else
            echo "stopped: 127.0.0.1:$p"
        fi
    done
    [ "$running" = 1 ] || {
        [ -n "$ports" ] || echo "no broker started by scripts/broker.sh"
        return 3
    }
}

[ $# -ge 1 ] || usage
action="$1"
shift
port=""
explicit=0
advertise=""
scram=0
while [ $# -gt 0 ]; do
    case "$1" in
        --port)
            [ $# -ge 2 ] || usage
            port="$2"
            shift 2
            ;;
        --port=*)
            port="${1#--port=}"
            shift
            ;;
        --advertise)
            [ $# -ge 2 ] || usage
            advertise="$2"
            shift 2
            ;;
        --advertise=*)
            advertise="${1#--advertise=}"
            shift
            ;;
        --scram)
            scram=1
            shift
            ;;
        -h | --help) usage ;;
        *) usage ;;
    esac
done
if [ -n "$port" ]; then
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port '$port'"
    explicit=1
fi
if [ -n "$advertise" ]; then
    [[ "$advertise" =~ ^[0-9]+$ ]] && [ "$advertise" -ge 1 ] && [ "$advertise" -le 65535 ] ||
        die "bad advertised port '$advertise'"
fi

case "$action" in
    start) cmd_start "${port:-$DEFAULT_PORT}" "$explicit" "$advertise" "$scram" ;;
    stop) cmd_stop "$port" ;;
    status) cmd_status "$port" ;;
    *) usage ;;
esac
