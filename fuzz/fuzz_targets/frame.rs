//! libFuzzer target; the check is [`ottla_fuzz::frame::check`] (see fuzz/src/frame.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::frame::check(data);
});
