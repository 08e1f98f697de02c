#!/usr/bin/env bash
# Fails when anything in the workspace's normal or build dependency tree for
# x86_64-unknown-linux-musl would compile or link C: cc, cmake, pkg-config, bindgen, ring,
# aws-lc-rs, openssl or any *-sys crate (linux-raw-sys is pure Rust and allowed; windows-sys and
# other windows* platform bindings are allowed, they do not show for this target anyway).
# Usage: scripts/check-no-c.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

target=x86_64-unknown-linux-musl
# With the optional AWS SDK credentials adapter on, so that feature stays C-free too.
tree="$(cargo tree -e normal,build --target "$target" --workspace --prefix none \
    --features ottla-aws/sdk-credentials)" ||
    die "cargo tree failed"

found="$(printf '%s\n' "$tree" | awk '{print $1}' | sort -u |
    grep -E '^(cc|cmake|pkg-config|bindgen|ring|aws-lc-rs|aws-lc-sys|openssl|openssl-sys|.*-sys)$' |
    grep -vE '^(linux-raw-sys|windows-sys|windows.*)$' || true)"

if [ -n "$found" ]; then
    echo "C-building crates in the dependency tree for $target:" >&2
    for crate in $found; do
        # Show who pulls it in.
        echo "--- $crate" >&2
        cargo tree -e normal,build --target "$target" --workspace -i "$crate" 2>/dev/null | head -n 20 >&2 || true
    done
    die "found: $(printf '%s' "$found" | tr '\n' ' ')"
fi
count="$(printf '%s\n' "$tree" | awk 'NF {print $1}' | sort -u | wc -l)"
echo "check-no-c: ok ($count crates in the $target tree, none builds C)"
