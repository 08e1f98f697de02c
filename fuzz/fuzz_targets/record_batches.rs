//! libFuzzer target; the check is [`ottla_fuzz::record_batches::check`] (see fuzz/src/record_batches.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::record_batches::check(data);
});
