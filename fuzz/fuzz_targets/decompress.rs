//! libFuzzer target; the check is [`ottla_fuzz::decompress::check`] (see fuzz/src/decompress.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::decompress::check(data);
});
