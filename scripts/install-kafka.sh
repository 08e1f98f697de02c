#!/usr/bin/env bash
# Resolves Apache Kafka (broker, tools, Java client, log4j2 binding) from Maven Central with the
# pom in tests/peers/kafka/ and prints the classpath (a quoted-safe `DIR/*` to pass to `java -cp`).
# Usage: scripts/install-kafka.sh [--version V] [--msk-iam]
#   --version V   a Kafka version (default: the one constant in scripts/kafka-version)
#   --msk-iam     also resolve software.amazon.msk:aws-msk-iam-auth (the AWS_MSK_IAM reference)
#                 into a separate folder; prints that folder's classpath instead
# Jars are cached outside the repository under $OTTLA_KAFKA_CACHE (default ~/.cache/ottla/kafka),
# one folder per version and pom; a folder is used only once complete (a `.complete` marker).
# Needs java (17+) and mvn; installs Debian's maven and openjdk-17-jre-headless when missing.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

version="$(kafka_version)"
flavour=kafka
while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="${2:?--version needs a value}"; shift 2 ;;
        --msk-iam) flavour=msk-iam; shift ;;
        *) die "unknown argument $1 (usage: install-kafka.sh [--version V] [--msk-iam])" ;;
    esac
done

cache="${OTTLA_KAFKA_CACHE:-$HOME/.cache/ottla/kafka}"
# Keyed by the pom's hash too, so a changed pom resolves again.
pom="$OTTLA_ROOT/tests/peers/kafka/pom.xml"
dir="$cache/$flavour-$version-$(sha256_of "$pom" | cut -c1-12)"
if [ -f "$dir/.complete" ]; then
    echo "$dir/lib/*"
    exit 0
fi

command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven

profile=()
[ "$flavour" = msk-iam ] && profile=(-Pmsk-iam)
rm -rf "$dir"
mkdir -p "$dir"
note "resolving $flavour $version from Maven Central into $dir"
if ! mvn -q -B -Dstyle.color=never -f "$pom" "-Dkafka.version=$version" "${profile[@]}" \
    dependency:copy-dependencies "-DoutputDirectory=$dir/lib" -DincludeScope=runtime </dev/null >&2; then
    rm -rf "$dir"
    die "mvn could not resolve Kafka $version ($flavour)"
fi
ls "$dir/lib"/kafka-clients-"$version".jar >/dev/null 2>&1 || die "no kafka-clients-$version.jar in $dir/lib"
touch "$dir/.complete"
note "$(find "$dir/lib" -name '*.jar' | wc -l) jars, $(du -sh "$dir/lib" | cut -f1)"
echo "$dir/lib/*"
