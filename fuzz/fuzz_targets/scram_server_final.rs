//! libFuzzer target; the check is [`ottla_fuzz::scram_server_final::check`] (see fuzz/src/scram_server_final.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::scram_server_final::check(data);
});
