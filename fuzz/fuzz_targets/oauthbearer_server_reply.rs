//! libFuzzer target; the check is [`ottla_fuzz::oauthbearer_server_reply::check`] (see fuzz/src/oauthbearer_server_reply.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ottla_fuzz::oauthbearer_server_reply::check(data);
});
