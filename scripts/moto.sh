#!/usr/bin/env bash
# Starts or stops a moto server (STS, Secrets Manager) on a loopback port, for the AWS tests.
# Usage: scripts/moto.sh start --port PORT   -> prints OTTLA_MOTO_ENDPOINT=http://127.0.0.1:PORT
#        scripts/moto.sh stop --port PORT
# The server comes from the venv of scripts/install-aws-tools.sh (installed if missing); start
# waits until it answers HTTP, stop ends it by PID (TERM, then KILL).
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

WAIT_SECONDS="${OTTLA_MOTO_WAIT:-30}"

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
port=""
while [ $# -gt 0 ]; do
    case "$1" in
    --port) port="${2:-}"; shift 2 ;;
    *) usage ;;
    esac
done
[[ "$port" =~ ^[0-9]+$ ]] || usage

pid_file="$TOOLS_RUN/moto-$port.pid"
log_file="$TOOLS_RUN/moto-$port.log"

answers() {
    "$(pick_plain_python)" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/moto-api/" % sys.argv[1], timeout=1).read()
PY
}

case "$cmd" in
start)
    python="$("$SCRIPTS/install-aws-tools.sh")"
    mkdir -p "$TOOLS_RUN"
    if pid="$(live_pid "$pid_file" moto_server)"; then
        die "moto on port $port is already running (pid $pid); stop it first"
    fi
    nohup "$(dirname "$python")/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log_file" 2>&1 &
    pid=$!
    echo "$pid" >"$pid_file"
    deadline=$((SECONDS + WAIT_SECONDS))
    until answers "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$pid_file"
            tail -n 30 "$log_file" >&2 || true
            die "moto_server exited before answering on port $port"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            stop_pid "$pid" moto_server
            rm -f "$pid_file"
            tail -n 30 "$log_file" >&2 || true
            die "moto_server did not answer on port $port within ${WAIT_SECONDS}s"
        fi
        sleep 0.2
    done
    echo "OTTLA_MOTO_ENDPOINT=http://127.0.0.1:$port"
    ;;
stop)
    if pid="$(live_pid "$pid_file" moto_server)"; then
        stop_pid "$pid" moto_server
    fi
    rm -f "$pid_file"
    ;;
*) usage ;;
esac
