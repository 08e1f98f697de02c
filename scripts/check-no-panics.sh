#!/usr/bin/env bash
# Fails when library code (crates/*/src, outside test modules and doc comments) calls
# .unwrap(), .expect(, panic!, todo! or unimplemented!: input from the network or a user must
# never panic. Test code is what follows a file's first #[cfg(test)] or #[cfg(all(test, …))],
# a whole file that starts with #![cfg(test)], and files named *tests.rs (declared under
# #[cfg(test)]). The binary crate's main may still exit with an error message.
# Usage: scripts/check-no-panics.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
found="$(
    find crates/*/src -name '*.rs' ! -name '*tests.rs' -print0 | sort -z |
        xargs -0 awk '
            FNR == 1 { in_test = 0 }
            /#!?\[cfg\((all\()?test[,)]/ { in_test = 1 }
            in_test { next }
            /^[[:space:]]*\/\/[\/!]/ { next }
            /\.unwrap\(\)|\.expect\(|panic!\(|todo!\(|unimplemented!\(/ { print FILENAME ":" FNR ": " $0 }
        '
)"
if [ -n "$found" ]; then
    echo "check-no-panics: library code that can panic:" >&2
    echo "$found" >&2
    exit 1
fi
echo "check-no-panics: ok (no unwrap/expect/panic!/todo! outside tests in crates/*/src)"
