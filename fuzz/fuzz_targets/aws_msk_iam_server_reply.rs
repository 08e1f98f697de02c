//! libFuzzer target; the check is [`ottla_fuzz::aws_msk_iam_server_reply::check`] (see fuzz/src/aws_msk_iam_server_reply.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::aws_msk_iam_server_reply::check(data);
});
