//! libFuzzer target; the check is [`ottla_fuzz::aws_profile_files::check`] (see fuzz/src/aws_profile_files.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::aws_profile_files::check(data);
});
