#!/usr/bin/env bash
# The sans-IO crates stay sans-IO: ottla-protocol and ottla-sasl (all features) must not depend
# on sockets, an HTTP client, TLS or an async runtime. The I/O lives in ottla-tls, ottla-aws and
# ottla.
#
# One exception, named here: the AWS SDK's SigV4 signer (ottla-sasl's `msk-iam`) reaches tokio
# through aws-smithy-async with tokio's `sync` feature only (channels and locks: no runtime, no
# timers, no sockets). tokio is allowed with no other feature, and never as a direct dependency.
# Usage: scripts/check-sans-io.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

io='^(tokio-util|tokio-rustls|mio|socket2|hyper|hyper-util|h2|rustls|ottla-tls|ottla-aws|futures-io|async-std|smol|reqwest)$'
for crate in ${OTTLA_SANS_IO_CRATES:-ottla-protocol ottla-sasl}; do
    tree="$(cargo tree -e normal -p "$crate" --all-features -f '{p} [{f}]' --prefix none)" ||
        die "cargo tree -p $crate failed"
    names="$(printf '%s\n' "$tree" | awk 'NF {print $1}' | sort -u)"
    found="$(printf '%s\n' "$names" | grep -E "$io" || true)"
    if [ -n "$found" ]; then
        for dep in $found; do
            echo "--- $crate pulls $dep:" >&2
            cargo tree -e normal -p "$crate" --all-features -i "$dep" 2>/dev/null | head -n 15 >&2 || true
        done
        die "$crate is not sans-IO: $(printf '%s' "$found" | tr '\n' ' ')"
    fi
    if cargo tree -e normal -p "$crate" --all-features --depth 1 --prefix none |
        awk 'NR > 1 {print $1}' | grep -qx tokio; then
        die "$crate depends on tokio directly"
    fi
    tokio_features="$(printf '%s\n' "$tree" | awk '$1 == "tokio" {print $3}' | sort -u |
        tr -d '[]' | tr ',' '\n' | grep -v -E '^(default|sync|)$' || true)"
    if [ -n "$tokio_features" ]; then
        cargo tree -e normal,features -p "$crate" --all-features -i tokio 2>/dev/null | head -n 30 >&2 || true
        die "$crate reaches tokio with features beyond sync: $(printf '%s' "$tokio_features" | tr '\n' ' ')"
    fi
    echo "$crate: $(printf '%s\n' "$names" | wc -l) crates; no socket, HTTP, TLS or runtime crate"
done
