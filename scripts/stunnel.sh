#!/usr/bin/env bash
# Starts and stops stunnel TLS front ends (loopback only, TLS 1.2+) for the TLS tests: a client
# speaks TLS to 127.0.0.1:ACCEPT, stunnel forwards plain TCP to 127.0.0.1:CONNECT (a tansu).
# Usage:
#   scripts/stunnel.sh start --name N --accept PORT --connect PORT --cert PEM --key PEM
#                            [--verify-ca CA_PEM]
#       start the tunnel N (a name made of letters, digits, '-', '_'); --verify-ca demands a
#       client certificate signed by CA_PEM (mutual TLS). Waits until ACCEPT takes connections,
#       then prints the accept address 127.0.0.1:ACCEPT.
#   scripts/stunnel.sh stop --name N     stop the tunnel N (by its PID file)
# Installs Debian's stunnel4 when missing. Config, PID file and log live under
# $OTTLA_TOOLS_DIR/run (default <repo>/.tools/run): stunnel-N.conf, stunnel-N.pid, stunnel-N.log.
# Environment: OTTLA_STUNNEL_WAIT (seconds to wait for the accept port, default 10).
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

WAIT_SECONDS="${OTTLA_STUNNEL_WAIT:-10}"

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}

conf_file() { echo "$TOOLS_RUN/stunnel-$1.conf"; }
pid_file() { echo "$TOOLS_RUN/stunnel-$1.pid"; }
log_file() { echo "$TOOLS_RUN/stunnel-$1.log"; }

# stunnel_bin: prints the stunnel executable, installing stunnel4 when there is none.
stunnel_bin() {
    local b
    for b in stunnel4 stunnel; do
        if command -v "$b" >/dev/null 2>&1; then
            command -v "$b"
            return 0
        fi
    done
    (apt_install stunnel4) >&2 || die "cannot install stunnel4"
    for b in stunnel4 stunnel; do
        if command -v "$b" >/dev/null 2>&1; then
            command -v "$b"
            return 0
        fi
    done
    die "stunnel4 installed but no stunnel executable found"
}

# tunnel_pid NAME: prints the PID of our live stunnel NAME; fails (removing a stale PID file)
# when there is none.
tunnel_pid() {
    live_pid "$(pid_file "$1")" 'stunnel'
}

# accepts PORT: succeeds when a TCP connection to 127.0.0.1:PORT is accepted.
accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

abs_file() {
    [ -f "$1" ] || die "no such file: $1"
    echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}

cmd_start() {
    local bin cert_path key_path ca="" pid conf log
    [ -n "$name" ] && [ -n "$accept" ] && [ -n "$connect" ] && [ -n "$cert" ] && [ -n "$key" ] || usage
    cert_path="$(abs_file "$cert")"
    key_path="$(abs_file "$key")"
    [ -z "$verify_ca" ] || ca="$(abs_file "$verify_ca")"
    bin="$(stunnel_bin)"
    mkdir -p "$TOOLS_RUN"
    if pid="$(tunnel_pid "$name")"; then
        die "stunnel '$name' is already running (pid $pid); stop it first"
    fi
    accepts "$accept" && die "port $accept is in use by another process"
    conf="$(conf_file "$name")"
    log="$(log_file "$name")"
    {
        echo "; written by scripts/stunnel.sh — tunnel '$name'"
        echo "foreground = yes"
        echo "debug = notice"
        echo "syslog = no"
        echo "[$name]"
        echo "accept = 127.0.0.1:$accept"
        echo "connect = 127.0.0.1:$connect"
        echo "cert = $cert_path"
        echo "key = $key_path"
        echo "sslVersionMin = TLSv1.2"
        if [ -n "$ca" ]; then
            echo "verify = 2"
            echo "CAfile = $ca"
        fi
    } >"$conf"
    local started
    started="$(now_s)"
    nohup "$bin" "$conf" </dev/null >"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$(pid_file "$name")"
    local deadline=$((SECONDS + WAIT_SECONDS))
    until accepts "$accept"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$(pid_file "$name")"
            echo "---- tail of $log" >&2
            tail -n 30 "$log" >&2 || true
            die "stunnel '$name' exited before accepting on port $accept"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "---- tail of $log" >&2
            tail -n 30 "$log" >&2 || true
            stop_tunnel "$name" || true
            die "stunnel '$name' did not accept on port $accept within ${WAIT_SECONDS}s"
        fi
        sleep 0.1
    done
    note "stunnel '$name' pid $pid: TLS 127.0.0.1:$accept -> 127.0.0.1:$connect${ca:+ (client certificate required)} after $(elapsed "$started")s (log: $log)"
    echo "127.0.0.1:$accept"
}

# stop_tunnel NAME: TERM, then KILL after 5 s; removes the PID file.
stop_tunnel() {
    local pid
    if ! pid="$(tunnel_pid "$1")"; then
        rm -f "$(pid_file "$1")"
        return 0
    fi
    stop_pid "$pid" stunnel
    rm -f "$(pid_file "$1")"
    note "stopped stunnel '$1' (pid $pid)"
}

[ $# -ge 1 ] || usage
action="$1"
shift
name="" accept="" connect="" cert="" key="" verify_ca=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --name) name="$2" ;;
        --accept) accept="$2" ;;
        --connect) connect="$2" ;;
        --cert) cert="$2" ;;
        --key) key="$2" ;;
        --verify-ca) verify_ca="$2" ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$name" ] || usage
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad tunnel name '$name'"
for p in "$accept" "$connect"; do
    [ -z "$p" ] || { [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ]; } ||
        die "bad port '$p'"
done

case "$action" in
    start) cmd_start ;;
    stop) stop_tunnel "$name" ;;
    *) usage ;;
esac
