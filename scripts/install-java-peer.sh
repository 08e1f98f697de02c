#!/usr/bin/env bash
# Builds the Java reference-client peer (tests/peers/java/, see tests/peers/README.md) with plain
# javac and prints the path of its executable: a small shell wrapper around `java -cp …`.
# Usage: scripts/install-java-peer.sh [--version V] [--msk-iam]
#   --version V   build against Kafka V's jars (default: scripts/kafka-version), passed on to
#                 scripts/install-kafka.sh; the 3.9 compatibility pass uses --version 3.9.1
#   --msk-iam     build the peer against the aws-msk-iam-auth classpath instead
#                 (scripts/install-kafka.sh --msk-iam) and print that wrapper: it is the one
#                 whose msk-iam-payload subcommand works (for OTTLA_JAVA_MSK_PEER)
# Two wrappers, so the plain peer needs nothing but Kafka's jars:
#   java-peer-<kafka version>-<hash>/ottla-java-peer          (OTTLA_JAVA_PEER)
#   java-msk-peer-<kafka version>-<hash>/ottla-java-msk-peer  (OTTLA_JAVA_MSK_PEER)
# both under ~/.cache/ottla/, keyed by a hash of the peer's sources and this script. A cached
# build is used as it is (no javac needed then); a changed source builds a new one.
# Needs a JDK 17+ (javac); installs Debian's openjdk-17-jdk-headless when javac is missing.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

version="$(kafka_version)"
flavour=java-peer
kafka_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --version)
            version="${2:?--version needs a value}"
            kafka_args+=(--version "$version")
            shift 2
            ;;
        --msk-iam) flavour=java-msk-peer; kafka_args+=(--msk-iam); shift ;;
        *) die "unknown argument $1 (usage: install-java-peer.sh [--version V] [--msk-iam])" ;;
    esac
done
[[ "$version" =~ ^[0-9A-Za-z.+-]+$ ]] || die "--version $version: not a version"

src="$OTTLA_ROOT/tests/peers/java"
[ -f "$src/Peer.java" ] || die "no Peer.java in $src"

# The classpath (prints e.g. ~/.cache/ottla/kafka/kafka-4.4.0/lib/*); fast once resolved.
classpath="$("$SCRIPTS/install-kafka.sh" "${kafka_args[@]}")" || die "scripts/install-kafka.sh ${kafka_args[*]} failed"
case "$classpath" in
    */lib/\*) [ -d "${classpath%/\*}" ] || die "install-kafka.sh printed $classpath, which does not exist" ;;
    *) die "install-kafka.sh printed '$classpath', expected a DIR/lib/* classpath" ;;
esac

# The key: every source file (by path relative to $src) and this script.
hash="$( (cd "$src" && find . -type f \( -name '*.java' -o -name '*.properties' \) | LC_ALL=C sort |
    xargs sha256sum; sha256sum <"$SCRIPTS/install-java-peer.sh") | sha256sum | cut -c1-16)"
dir="$HOME/.cache/ottla/$flavour-$version-$hash"
exe="$dir/ottla-$flavour"
# A build records the classpath it was made for; a build for a classpath that moved is rebuilt.
if [ -x "$exe" ] && [ "$(cat "$dir/classpath" 2>/dev/null)" = "$classpath" ]; then
    echo "$exe"
    exit 0
fi

if ! command -v javac >/dev/null 2>&1; then
    apt_install openjdk-17-jdk-headless
fi
java="$(command -v java)" || die "no java found"

# The plain peer leaves out the class that needs aws-msk-iam-auth (Peer finds it by name).
sources=()
while IFS= read -r f; do
    if [ "$flavour" = java-peer ] && [ "$(basename "$f")" = MskIamPayload.java ]; then
        continue
    fi
    sources+=("$src/$f")
done < <(cd "$src" && find . -type f -name '*.java' | LC_ALL=C sort)

mkdir -p "$(dirname "$dir")"
tmp="$(mktemp -d "$dir.tmp.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
note "compiling the Java peer ($flavour, Kafka $version) with $(javac -version 2>&1) into $dir"
if ! javac --release 17 -Xlint:all -encoding UTF-8 -cp "$classpath" -d "$tmp/classes" "${sources[@]}" >&2; then
    die "javac of $src failed"
fi
cp "$src/log4j2.properties" "$tmp/log4j2.properties"
echo "$classpath" >"$tmp/classpath"
{
    echo '#!/usr/bin/env bash'
    echo "# ottla's Java reference-client peer ($flavour, Kafka $version): tests/peers/java, built by"
    echo '# scripts/install-java-peer.sh. Extra JVM options: OTTLA_JAVA_OPTS; client log level:'
    echo '# OTTLA_JAVA_PEER_LOG (default WARN, to stderr).'
    echo 'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"'
    printf 'exec %q ${OTTLA_JAVA_OPTS:-} -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$here/classes:"%q dev.ottla.peer.Peer "$@"\n' \
        "$java" "$classpath"
} >"$tmp/ottla-$flavour"
chmod 755 "$tmp/ottla-$flavour"
"$tmp/ottla-$flavour" partition --partitions 3 --keys 1 >/dev/null || die "the new peer does not run: $tmp/ottla-$flavour"
# Another build may have finished first; either copy is the same program. A stale build (its
# classpath moved) is replaced.
if [ -e "$dir" ] && [ "$(cat "$dir/classpath" 2>/dev/null)" != "$classpath" ]; then
    rm -rf "$dir"
fi
mv -T "$tmp" "$dir" 2>/dev/null || [ -x "$exe" ] || die "cannot move the build into $dir"
echo "$exe"
