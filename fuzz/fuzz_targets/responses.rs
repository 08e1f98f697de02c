//! libFuzzer target; the check is [`ottla_fuzz::responses::check`] (see fuzz/src/responses.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::responses::check(data);
});
