#!/usr/bin/env bash
# Installs the reference client kcat over librdkafka 2.16 (Debian's kcat links librdkafka 2.0.2,
# which cannot decode the tagged fields of current ApiVersions replies).
# Usage: scripts/install-kcat.sh        -> prints the path of the kcat wrapper
# Steps: `apt-get install -y kcat` when /usr/bin/kcat is missing; librdkafka from the PyPI wheel
# confluent-kafka 2.16.1 (sha256-pinned) into $OTTLA_TOOLS_DIR/librdkafka (default
# <repo>/.tools/librdkafka) as librdkafka.so.1; a wrapper $OTTLA_TOOLS_DIR/bin/kcat that runs
# /usr/bin/kcat with LD_LIBRARY_PATH set there. Fails unless `kcat -V` reports librdkafka 2.16.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"

system_kcat=/usr/bin/kcat
libdir="$TOOLS_DIR/librdkafka"
wrapper="$TOOLS_BIN/kcat"

# kcat_librdkafka_version KCAT: prints the librdkafka version that `KCAT -V` reports.
kcat_librdkafka_version() {
    "$1" -V 2>&1 | sed -n 's/.*librdkafka \([0-9][0-9.]*\).*/\1/p' | head -n 1
}

if [ -x "$wrapper" ] && [ -x "$system_kcat" ]; then
    case "$(kcat_librdkafka_version "$wrapper" || true)" in
        "$RDKAFKA_VERSION_PREFIX"*)
            echo "$wrapper"
            exit 0
            ;;
    esac
fi

[ -x "$system_kcat" ] || apt_install kcat
[ -x "$system_kcat" ] || die "apt-get install kcat did not provide $system_kcat"

wheel="$(fetch_wheel "$RDKAFKA_WHEEL_SPEC" "$RDKAFKA_WHEEL_NAME" "$RDKAFKA_WHEEL_SHA256" \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64)"

# Extract every shared object the wheel bundles for librdkafka (today only librdkafka itself,
# whose other needs are glibc's), then point librdkafka.so.1 at the hashed file name.
tmp="$(mktemp -d "$TOOLS_DIR/.librdkafka.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
wheel_extract "$wheel" 'confluent_kafka.libs/*.so*' "$tmp" >/dev/null ||
    die "no shared objects under confluent_kafka.libs/ in $wheel"
lib=""
for candidate in "$tmp"/librdkafka*.so*; do
    if [ -f "$candidate" ]; then
        lib="${candidate##*/}"
        break
    fi
done
[ -n "$lib" ] || die "no librdkafka*.so* under confluent_kafka.libs/ in $wheel"
ln -s "$lib" "$tmp/librdkafka.so.1"
chmod 0755 "$tmp"
rm -rf "$libdir"
mv "$tmp" "$libdir"

mkdir -p "$TOOLS_BIN"
cat >"$wrapper.tmp" <<EOF
#!/bin/sh
# Written by scripts/install-kcat.sh: Debian's kcat over librdkafka from $RDKAFKA_WHEEL_NAME.
LD_LIBRARY_PATH="$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec $system_kcat "\$@"
EOF
chmod 0755 "$wrapper.tmp"
mv -f "$wrapper.tmp" "$wrapper"

version="$(kcat_librdkafka_version "$wrapper" || true)"
case "$version" in
    "$RDKAFKA_VERSION_PREFIX"*) ;;
    *) die "$wrapper reports librdkafka '${version:-unknown}', expected ${RDKAFKA_VERSION_PREFIX}x" ;;
esac
echo "$wrapper"
