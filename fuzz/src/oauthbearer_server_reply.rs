//! Target `oauthbearer_server_reply`: an OAUTHBEARER client's handling of the server's reply
//! to its initial response.
//!
//! Input: the server's reply. Empty must complete the exchange; an accepted error challenge
//! must be answered with exactly `\x01`, and the next step must fail with the same parsed
//! error that `failure()` reports; anything rejected must leave no error challenge behind.

use ottla_sasl::{Authenticator, OauthBearer, OauthToken, SaslError, Secret};

/// The token the target's client sends.
pub const TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.";

/// Feeds the reply; `true` if the client accepted it (success or a well-formed error
/// challenge).
pub fn check(data: &[u8]) -> bool {
    let token = OauthToken::new(Secret::new(TOKEN), 0, "alice").with_extension("traceId", "42");
    let mut a = OauthBearer::new(&token).expect("valid token");
    let first = a.initial().expect("initial response");
    assert_eq!(
        first,
        format!("n,,\x01auth=Bearer {TOKEN}\x01traceId=42\x01\x01").as_bytes()
    );
    match a.step(data) {
        Ok(None) => {
            assert!(data.is_empty(), "completed on a non-empty reply");
            assert!(a.failure().is_none());
            true
        }
        Ok(Some(reply)) => {
            assert_eq!(reply, [1u8], "an error challenge is answered with kvsep");
            let reported = a.failure().expect("the challenge is remembered");
            assert!(matches!(reported, SaslError::OauthServer(_)));
            assert_eq!(a.step(b"").expect_err("the exchange failed"), reported);
            true
        }
        Err(e) => {
            assert!(!data.is_empty(), "rejected the empty reply: {e}");
            assert!(a.failure().is_none());
            false
        }
    }
}
