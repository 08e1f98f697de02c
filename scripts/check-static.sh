#!/usr/bin/env bash
# Builds the `ottla` CLI (crates/ottla-cli) as a static x86_64-unknown-linux-musl binary with
# Rust's own linker and musl CRT (no C toolchain), in the `dist` profile (fat LTO, one codegen
# unit, stripped, panic=abort, size-optimised dependencies off the data path) and not
# position-independent (no relocation table), symbols stripped by the linker, then checks that `file` calls it statically
# linked, `ldd` finds no dynamic section, and it is at most 10 MB (OTTLA_MAX_CLI_BYTES).
# Prints the binary's path and size in bytes.
# Usage: scripts/check-static.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

target=x86_64-unknown-linux-musl
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    rustup target add "$target" </dev/null
fi
command -v file >/dev/null 2>&1 || apt_install file

# --strip-all: with rust-lld and a non-PIE link, the profile's `strip = true` leaves the
# symbol and string tables in (about 1 MB); the linker drops them itself.
RUSTFLAGS='-C link-self-contained=yes -C linker=rust-lld -C relocation-model=static -C link-arg=--strip-all' \
    cargo build -p ottla-cli --profile dist --target "$target" ||
    die "static build of ottla-cli failed"

target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin="${target_dir:-$OTTLA_ROOT/target}/$target/dist/ottla"
[ -f "$bin" ] || die "built binary not found at $bin"

info="$(file -b "$bin")"
case "$info" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) die "$bin is not static: $info" ;;
esac
# ldd prints "not a dynamic executable" (glibc) or "statically linked" and may exit non-zero.
ldd_out="$(ldd "$bin" 2>&1 || true)"
case "$ldd_out" in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) die "ldd reports dynamic dependencies for $bin: $ldd_out" ;;
esac
size="$(stat -c %s "$bin")"
max="${OTTLA_MAX_CLI_BYTES:-10000000}"
[ "$size" -le "$max" ] || die "$bin is $size bytes, over $max"
echo "check-static: ok: $bin is static ($info)"
echo "check-static: size $size bytes (at most $max)"
