#!/usr/bin/env bash
# Builds the franz-go reference-client peer (tests/peers/go/, see tests/peers/README.md) and
# prints the path of its executable.
# Usage: scripts/install-go-peer.sh
# The binary is cached outside the repository, keyed by a hash of the Go sources, go.mod and
# go.sum: ~/.cache/ottla/go-peer-<hash>/ottla-go-peer. A cached build is used as it is (no `go`
# needed then); a changed source builds a new one. go.sum is authoritative (-mod=readonly): the
# build fails rather than resolve a module that go.sum does not pin.
# Needs Go >= the `go` line of tests/peers/go/go.mod (franz-go 1.22 requires Go 1.26). When no
# `go` is found, Debian's golang-go is installed; an older Go (>= 1.21) fetches the required
# toolchain from the Go module proxy by itself (GOTOOLCHAIN=auto), an older one fails to build.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$SCRIPTS/tools-common.sh"

[ $# -eq 0 ] || die "unknown argument $1 (usage: install-go-peer.sh)"

src="$OTTLA_ROOT/tests/peers/go"
[ -f "$src/go.mod" ] && [ -f "$src/go.sum" ] || die "no go.mod/go.sum in $src"

# The key: every .go file (by path relative to $src), go.mod and go.sum.
hash="$(cd "$src" && { find . -name '*.go' -type f; echo ./go.mod; echo ./go.sum; } |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
dir="$HOME/.cache/ottla/go-peer-$hash"
bin="$dir/ottla-go-peer"
if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    else
        apt_install golang-go
    fi
fi

mkdir -p "$(dirname "$dir")"
tmp="$(mktemp -d "$dir.tmp.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
note "building the franz-go peer with $(go version) into $dir"
if ! (cd "$src" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$tmp/ottla-go-peer" .) >&2; then
    die "go build in $src failed"
fi
# Another build may have finished first; either copy is the same program.
mv -T "$tmp" "$dir" 2>/dev/null || [ -x "$bin" ] || die "cannot move the build into $dir"
echo "$bin"
