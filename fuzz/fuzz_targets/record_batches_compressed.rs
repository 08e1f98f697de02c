//! libFuzzer target; the check is [`ottla_fuzz::record_batches_compressed::check`] (see fuzz/src/record_batches_compressed.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ottla_fuzz::record_batches_compressed::Input| {
    ottla_fuzz::record_batches_compressed::check(&input);
});
