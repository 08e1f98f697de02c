#!/usr/bin/env bash
# Demo of the ottla CLI against a broker: create a topic, produce three lines, consume them.
# Usage: scripts/demo.sh                               (starts a local Apache Kafka, stops it after)
#        OTTLA_BOOTSTRAP=host:port scripts/demo.sh     (uses that broker)
# Builds the `ottla` binary (cargo build --release -p ottla-cli) first.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"
cd "$OTTLA_ROOT"

topic="ottla-demo"

echo "== building ottla (release)"
cargo build --release -p ottla-cli
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
ottla="${target_dir:-$OTTLA_ROOT/target}/release/ottla"
[ -x "$ottla" ] || die "built binary not found at $ottla"

started=""
stop_broker() {
    if [ -n "$started" ]; then
        "$SCRIPTS/kafka.sh" stop --name demo || true
    fi
}
trap stop_broker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${OTTLA_BOOTSTRAP:-}" ]; then
    echo "== starting a local Apache Kafka $(kafka_version) (OTTLA_BOOTSTRAP is not set)"
    started=1
    out="$("$SCRIPTS/kafka.sh" start --name demo)"
    OTTLA_BOOTSTRAP="$(printf '%s\n' "$out" | sed -n 's/^OTTLA_BOOTSTRAP=//p' | tail -n 1)"
    [ -n "$OTTLA_BOOTSTRAP" ] || die "kafka.sh start printed no OTTLA_BOOTSTRAP line"
fi
bootstrap="$OTTLA_BOOTSTRAP"

# show CMD...: prints the command, then runs it.
show() {
    echo "\$ $*" | sed "s|$ottla|ottla|"
    "$@"
}

echo "== creating topic $topic on $bootstrap"
if ! create_out="$(show "$ottla" -b "$bootstrap" topics create "$topic" --partitions 1 2>&1)"; then
    case "$create_out" in
        *"already exists"* | *"already_exists"* | *"AlreadyExists"*)
            printf '%s\n' "$create_out"
            echo "(topic already exists: fine)"
            ;;
        *)
            printf '%s\n' "$create_out" >&2
            die "ottla topics create failed"
            ;;
    esac
else
    printf '%s\n' "$create_out"
fi

echo "== producing 3 lines"
stamp="$(date +%H:%M:%S)"
printf 'hello from ottla %s\nsecond line %s\nthird line %s\n' "$stamp" "$stamp" "$stamp" |
    show "$ottla" -b "$bootstrap" produce -t "$topic"

echo "== consuming from the beginning until the end of the partition"
consumed="$(show "$ottla" -b "$bootstrap" consume -t "$topic" -o beginning -e)" ||
    die "ottla consume failed"
printf '%s\n' "$consumed"
for line in "hello from ottla $stamp" "second line $stamp" "third line $stamp"; do
    printf '%s\n' "$consumed" | grep -qF "$line" || die "consumed output lacks the produced line '$line'"
done

echo "== done: created $topic (or found it), produced 3 lines, read all 3 back from $bootstrap"
