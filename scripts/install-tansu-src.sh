#!/usr/bin/env bash
# Builds tansu 0.6.0 from crates.io with sqlite storage (features libsql,dynostore): the build
# that stores SCRAM users, which the prebuilt wheel cannot. It compiles C (libsql) — fine for a
# test peer, never part of ottla. About 22 minutes on 2 cores, so it is cached outside the
# repository: $OTTLA_CACHE_DIR (default ~/.cache/ottla)/tansu-0.6.0-sqlite/bin/tansu.
# Usage: scripts/install-tansu-src.sh      prints the binary's path
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

cache="${OTTLA_CACHE_DIR:-$HOME/.cache/ottla}/tansu-0.6.0-sqlite"
bin="$cache/bin/tansu"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q '0\.6\.0'; then
    echo "$bin"
    exit 0
fi
command -v cc >/dev/null 2>&1 || apt_install gcc
note "building tansu 0.6.0 with sqlite storage into $cache (about 22 minutes on 2 cores)"
started=$(date +%s)
cargo install tansu --version 0.6.0 --locked --features libsql,dynostore --root "$cache" >&2 ||
    die "cargo install tansu failed"
note "built tansu in $(( $(date +%s) - started ))s"
[ -x "$bin" ] || die "no tansu binary at $bin after the build"
echo "$bin"
