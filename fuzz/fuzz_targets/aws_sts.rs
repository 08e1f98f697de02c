//! libFuzzer target; the check is [`ottla_fuzz::aws_sts::check`] (see fuzz/src/aws_sts.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::aws_sts::check(data);
});
