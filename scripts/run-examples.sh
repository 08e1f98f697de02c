#!/usr/bin/env bash
# Runs the examples/ that need only a plain broker against OTTLA_BOOTSTRAP and checks what they
# print: admin creates and lists, producer delivers 100 records, consumer_group reads them once
# (a second member of the same group reads nothing: the commits held), processor processes
# them in batches. msk_iam and scram_secrets_manager need Amazon MSK; CI compiles them only.
# Usage: OTTLA_BOOTSTRAP=host:port scripts/run-examples.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"
[ -n "${OTTLA_BOOTSTRAP:-}" ] || die "OTTLA_BOOTSTRAP is not set"
b="$OTTLA_BOOTSTRAP"
cargo build -q -p ottla-examples --examples
ex=target/debug/examples
topic="examples-$$-$(date +%s)"
group="examples-group-$$"

out="$(timeout 60 "$ex/admin" "$b")" || die "admin failed: $out"
grep -q '^cluster ' <<<"$out" || die "admin printed no cluster: $out"
grep -qE '^(created|orders exists)' <<<"$out" || die "admin did not create orders: $out"

out="$(timeout 60 "$ex/producer" "$b" "$topic")" || die "producer failed: $out"
n="$(grep -c "^$topic-" <<<"$out" || true)"
[ "$n" = 100 ] || die "producer: $n of 100 delivery reports"

out="$(timeout 60 "$ex/consumer_group" "$b" "$topic" "$group")" || die "consumer_group failed: $out"
n="$(grep -c "^$topic-" <<<"$out" || true)"
[ "$n" = 100 ] || die "consumer_group: read $n of 100"
out="$(timeout 60 "$ex/consumer_group" "$b" "$topic" "$group")" || die "consumer_group (again) failed: $out"
n="$(grep -c "^$topic-" <<<"$out" || true)"
[ "$n" = 0 ] || die "consumer_group: a second run read $n records; the commits did not hold"

out="$(timeout 60 "$ex/processor" "$b" "$topic")" || die "processor failed: $out"
grep -q ' 100 records processed, 0 failed' <<<"$out" || die "processor: $(tail -n 1 <<<"$out")"
echo "examples: admin, producer (100 delivered), consumer_group (100 read, then 0), processor ($(tail -n 1 <<<"$out"))"
