//! libFuzzer target; the check is [`ottla_fuzz::aws_secrets_manager::check`] (see fuzz/src/aws_secrets_manager.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::aws_secrets_manager::check(data);
});
