#!/usr/bin/env bash
# Checks that the Kafka version is one constant: scripts/kafka-version, which install-kafka.sh
# and kafka.sh use, must equal the default of OTTLA_KAFKA_VERSION in every docker-compose.yml
# image line for apache/kafka.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
want="$(kafka_version)"
lines="$(grep -n 'image: *apache/kafka' "$OTTLA_ROOT/docker-compose.yml" || true)"
[ -n "$lines" ] || die "docker-compose.yml has no apache/kafka image"
bad="$(printf '%s\n' "$lines" | grep -v "apache/kafka:\${OTTLA_KAFKA_VERSION:-$want}\$" || true)"
[ -z "$bad" ] || die "docker-compose.yml's Kafka image differs from scripts/kafka-version ($want): $bad"
echo "Kafka version $want in scripts/kafka-version and docker-compose.yml"
