//! libFuzzer target; the check is [`ottla_fuzz::group_metadata::check`] (see
//! fuzz/src/group_metadata.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::group_metadata::check(data);
});
