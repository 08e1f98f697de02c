//! SCRAM-SHA-256/512 server side (RFC 5802, RFC 7677), as Kafka's `ScramSaslServer` runs it:
//! client-first → server-first → client-final → server-final. Sans-IO; the nonce is injected.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::exchange::{Failure, Step};

/// The hash a SCRAM mechanism is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramHash {
    Sha256,
    Sha512,
}

impl ScramHash {
    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so `new_from_slice` cannot fail; an empty MAC would
        // only make the proof check fail.
        match self {
            Self::Sha256 => Hmac::<Sha256>::new_from_slice(key)
                .map(|m| m.chain_update(data).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
            Self::Sha512 => Hmac::<Sha512>::new_from_slice(key)
                .map(|m| m.chain_update(data).finalize().into_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, iterations)` of RFC 5802: PBKDF2 with HMAC of this hash.
    pub fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha256 => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out.to_vec()
            }
            Self::Sha512 => {
                let mut out = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

/// What a broker stores for a SCRAM user (Kafka's `ScramCredential`): never the password.
#[derive(Debug, Clone)]
pub(crate) struct ScramCredential {
    pub hash: ScramHash,
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl ScramCredential {
    pub fn derive(hash: ScramHash, password: &str, salt: Vec<u8>, iterations: u32) -> Self {
        let salted = hash.salted_password(password.as_bytes(), &salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        Self {
            hash,
            stored_key: hash.hash(&client_key),
            server_key: hash.hmac(&salted, b"Server Key"),
            salt,
            iterations,
        }
    }
}

/// The parts of a client-first message the server keeps.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientFirst {
    /// `n,,` or `n,a=<authzid>,`.
    pub gs2_header: String,
    pub authzid: Option<String>,
    pub user: String,
    pub nonce: String,
    /// Everything after the GS2 header.
    pub bare: String,
}

/// Parses `gs2-header client-first-bare`. Only `n` (no channel binding) is accepted, as Kafka
/// does; extensions after the nonce are ignored.
pub(crate) fn parse_client_first(message: &str) -> Result<ClientFirst, String> {
    let rest = message
        .strip_prefix("n,")
        .ok_or("client-first message without GS2 header `n,`")?;
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or("client-first message without authzid field")?;
    let authzid = match authzid {
        "" => None,
        a => Some(decode_saslname(
            a.strip_prefix("a=").ok_or("malformed authzid")?,
        )?),
    };
    let gs2_header = message
        .get(..message.len() - bare.len())
        .ok_or("malformed GS2 header")?
        .to_owned();
    let mut fields = bare.split(',');
    let user = fields
        .next()
        .and_then(|f| f.strip_prefix("n="))
        .ok_or("client-first message without username")?;
    let nonce = fields
        .next()
        .and_then(|f| f.strip_prefix("r="))
        .ok_or("client-first message without nonce")?;
    if nonce.is_empty() || !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("invalid client nonce".to_owned());
    }
    Ok(ClientFirst {
        gs2_header,
        authzid,
        user: decode_saslname(user)?,
        nonce: nonce.to_owned(),
        bare: bare.to_owned(),
    })
}

/// `saslname`: `=2C` is `,` and `=3D` is `=`; any other `=` is an error.
fn decode_saslname(name: &str) -> Result<String, String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('=') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let escape = rest.get(i..i + 3);
        match escape {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(format!("invalid escape in SCRAM name {name:?}")),
        }
        rest = rest.get(i + 3..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Where a SCRAM exchange is.
#[derive(Debug)]
pub(crate) enum ScramServer {
    /// Waiting for client-first.
    Start,
    /// Server-first sent; waiting for client-final.
    SentServerFirst {
        user: String,
        credential: Box<ScramCredential>,
        gs2_header: String,
        nonce: String,
        /// `client-first-bare,server-first`, the start of the AuthMessage.
        auth_prefix: String,
    },
    /// Finished (either way); any further token fails.
    Finished,
}

impl ScramServer {
    /// Takes one client token. `credential` looks up a user's stored credential;
    /// `server_nonce` is appended to the client's nonce.
    pub fn step(
        &mut self,
        token: &[u8],
        credential: impl Fn(&str) -> Option<ScramCredential>,
        server_nonce: &str,
    ) -> Step {
        let state = std::mem::replace(self, Self::Finished);
        let Ok(message) = std::str::from_utf8(token) else {
            return Step::Fail(Failure::Credentials("SCRAM message is not UTF-8".into()));
        };
        match state {
            Self::Start => {
                let first = match parse_client_first(message) {
                    Ok(f) => f,
                    Err(e) => return Step::Fail(Failure::Credentials(e)),
                };
                if first.authzid.as_ref().is_some_and(|a| *a != first.user) {
                    return Step::Fail(Failure::Message(
                        "Authentication failed: Client requested an authorization id that is \
                         different from username"
                            .to_owned(),
                    ));
                }
                let Some(credential) = credential(&first.user) else {
                    return Step::Fail(Failure::Credentials(format!(
                        "unknown SCRAM user {:?}",
                        first.user
                    )));
                };
                let nonce = format!("{}{server_nonce}", first.nonce);
                let server_first = format!(
                    "r={nonce},s={},i={}",
                    BASE64.encode(&credential.salt),
                    credential.iterations
                );
                *self = Self::SentServerFirst {
                    user: first.user,
                    credential: Box::new(credential),
                    gs2_header: first.gs2_header,
                    nonce,
                    auth_prefix: format!("{},{server_first}", first.bare),
                };
                Step::Challenge(server_first.into_bytes())
            }
            Self::SentServerFirst {
                user,
                credential,
                gs2_header,
                nonce,
                auth_prefix,
            } => match verify_client_final(message, &credential, &gs2_header, &nonce, &auth_prefix)
            {
                Ok(server_final) => Step::Done {
                    principal: user,
                    response: server_final.into_bytes(),
                },
                Err(e) => Step::Fail(Failure::Credentials(e)),
            },
            Self::Finished => Step::Fail(Failure::Credentials(
                "SCRAM token after the exchange finished".into(),
            )),
        }
    }
}

/// Checks `c=<gs2 header b64>,r=<nonce>[,extensions],p=<proof>` and returns `v=<signature>`.
fn verify_client_final(
    message: &str,
    credential: &ScramCredential,
    gs2_header: &str,
    nonce: &str,
    auth_prefix: &str,
) -> Result<String, String> {
    let (without_proof, proof) = message
        .rsplit_once(",p=")
        .ok_or("client-final message without proof")?;
    let mut fields = without_proof.split(',');
    let binding = fields
        .next()
        .and_then(|f| f.strip_prefix("c="))
        .ok_or("client-final message without channel binding")?;
    if BASE64.decode(binding).ok().as_deref() != Some(gs2_header.as_bytes()) {
        return Err("channel binding does not match the GS2 header".into());
    }
    let client_nonce = fields
        .next()
        .and_then(|f| f.strip_prefix("r="))
        .ok_or("client-final message without nonce")?;
    if client_nonce != nonce {
        return Err("nonce mismatch".into());
    }
    let proof = BASE64.decode(proof).map_err(|e| format!("proof: {e}"))?;
    let hash = credential.hash;
    let auth_message = format!("{auth_prefix},{without_proof}");
    let client_signature = hash.hmac(&credential.stored_key, auth_message.as_bytes());
    if proof.len() != client_signature.len() {
        return Err("proof of the wrong length".into());
    }
    let client_key: Vec<u8> = proof
        .iter()
        .zip(&client_signature)
        .map(|(p, s)| p ^ s)
        .collect();
    if !constant_time_eq(&hash.hash(&client_key), &credential.stored_key) {
        return Err("invalid proof".into());
    }
    let server_signature = hash.hmac(&credential.server_key, auth_message.as_bytes());
    Ok(format!("v={}", BASE64.encode(server_signature)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: user "user", password "pencil", 4096 iterations.
    #[test]
    fn rfc7677_exchange() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credential = ScramCredential::derive(ScramHash::Sha256, "pencil", salt, 4096);
        let mut server = ScramServer::Start;
        let step = server.step(
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            |u| (u == "user").then(|| credential.clone()),
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        );
        assert_eq!(
            step,
            Step::Challenge(
                b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                  s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
                    .to_vec()
            )
        );
        let step = server.step(
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
              p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            |_| None,
            "",
        );
        assert_eq!(
            step,
            Step::Done {
                principal: "user".into(),
                response: b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec()
            }
        );
        assert!(matches!(server.step(b"x", |_| None, ""), Step::Fail(_)));
    }

    #[test]
    fn wrong_proof_and_unknown_user_fail() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credential = ScramCredential::derive(ScramHash::Sha256, "pencil", salt, 4096);
        let mut server = ScramServer::Start;
        let lookup = |u: &str| (u == "user").then(|| credential.clone());
        server.step(b"n,,n=user,r=abc", lookup, "def");
        let step = server.step(
            b"c=biws,r=abcdef,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            lookup,
            "",
        );
        assert!(matches!(step, Step::Fail(Failure::Credentials(_))));
        let mut server = ScramServer::Start;
        let step = server.step(b"n,,n=mallory,r=abc", lookup, "def");
        assert!(matches!(step, Step::Fail(Failure::Credentials(_))));
    }

    #[test]
    fn parses_client_first() {
        let f = parse_client_first("n,a=u=2Cx,n=u=2Cx,r=n0nce,ext=1").unwrap();
        assert_eq!(f.gs2_header, "n,a=u=2Cx,");
        assert_eq!(f.authzid.as_deref(), Some("u,x"));
        assert_eq!(f.user, "u,x");
        assert_eq!(f.nonce, "n0nce");
        assert_eq!(f.bare, "n=u=2Cx,r=n0nce,ext=1");
        assert!(parse_client_first("y,,n=u,r=x").is_err());
        assert!(parse_client_first("n,,n=u=XX,r=x").is_err());
        assert!(parse_client_first("n,,n=u").is_err());
        assert!(parse_client_first("n,,n=u,r=").is_err());
        assert!(parse_client_first("").is_err());
    }
}
