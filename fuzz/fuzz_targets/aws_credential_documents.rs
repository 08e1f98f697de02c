//! libFuzzer target; the check is [`ottla_fuzz::aws_credential_documents::check`] (see fuzz/src/aws_credential_documents.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::aws_credential_documents::check(data);
});
