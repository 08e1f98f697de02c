#!/usr/bin/env bash
# Every crate meant for crates.io packages and builds from its package alone: `cargo package`
# for each publishable workspace crate (publish not false), in dependency order, each verified
# by building the packaged sources with the others taken from their packages (cargo's local
# overlay of the workspace's unpublished crates). Prints each .crate's size.
# Usage: scripts/check-package.sh [--no-verify]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
cd "$OTTLA_ROOT"

verify=()
[ "${1:-}" = "--no-verify" ] && verify=(--no-verify)

# Publishable members, as "name version" (`publish` is null; false shows as []). One
# `cargo metadata` for the whole script.
metadata="$(cargo metadata --no-deps --format-version 1)"
mapfile -t published < <(printf '%s' "$metadata" | python3 -c 'import json,sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] is None:
        print(p["name"], p["version"])')
crates=()
declare -A version
for line in "${published[@]}"; do
    crates+=("${line%% *}")
    version["${line%% *}"]="${line##* }"
done
[ "${#crates[@]}" -gt 0 ] || die "no publishable crates found"
args=()
for c in "${crates[@]}"; do args+=(-p "$c"); done
# Tests and benches (publish = false) must not be among them.
for c in ottla-tests ottla-benches; do
    printf '%s\n' "${crates[@]}" | grep -qx "$c" && die "$c is publishable; it must say publish = false"
done
# Metadata crates.io shows: refuse a package without it.
printf '%s' "$metadata" | python3 -c '
import json, sys
want = set(sys.argv[1:])
bad = []
for p in json.load(sys.stdin)["packages"]:
    if p["name"] not in want:
        continue
    for field in ("description", "license", "repository", "readme", "keywords", "categories"):
        if not p.get(field):
            bad.append(p["name"] + ": no " + field)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
' "${crates[@]}" || die "crate metadata incomplete"

# Verification builds each crate against the others' packages through a local registry that
# cargo extracts under $CARGO_HOME/registry/src and never re-extracts for the same version:
# a package from an earlier run would stand in for today's. Remove those extractions (never
# the crates.io ones).
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
for c in "${crates[@]}"; do
    for d in "$cargo_home"/registry/src/*/"$c-${version[$c]}"; do
        case "$d" in
            */registry/src/index.crates.io-*) ;;
            *) [ -d "$d" ] && rm -rf "$d" ;;
        esac
    done
done

cargo package --allow-dirty "${verify[@]}" "${args[@]}"
echo "packages (bytes, compressed):"
for c in "${crates[@]}"; do
    f="target/package/$c-${version[$c]}.crate"
    [ -f "$f" ] || die "no $f"
    printf '  %-24s %10s\n' "$c" "$(stat -c %s "$f")"
done
