//! RFC 5802 computed directly from RustCrypto's primitives, independently of ottla-sasl's state
//! machine, so the SCRAM targets can check what the client sends and accepts.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The client's username in the SCRAM targets.
pub const USER: &str = "user";
/// The client's password in the SCRAM targets.
pub const PASSWORD: &str = "pencil";
/// The client nonce the SCRAM targets inject.
pub const CLIENT_NONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";

fn hmac(sha512: bool, key: &[u8], data: &[u8]) -> Vec<u8> {
    if sha512 {
        let mut m = <Hmac<Sha512> as Mac>::new_from_slice(key).expect("HMAC takes any key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    } else {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }
}

/// The client-final-message and server-final-message of an exchange with [`USER`],
/// [`PASSWORD`] and [`CLIENT_NONCE`], given the server's full nonce, salt and count.
pub fn exchange(sha512: bool, nonce: &str, salt: &[u8], iterations: u32) -> (String, String) {
    let len = if sha512 { 64 } else { 32 };
    let mut salted = vec![0u8; len];
    if sha512 {
        pbkdf2::pbkdf2_hmac::<Sha512>(PASSWORD.as_bytes(), salt, iterations, &mut salted);
    } else {
        pbkdf2::pbkdf2_hmac::<Sha256>(PASSWORD.as_bytes(), salt, iterations, &mut salted);
    }
    let client_key = hmac(sha512, &salted, b"Client Key");
    let stored_key = if sha512 {
        Sha512::digest(&client_key).to_vec()
    } else {
        Sha256::digest(&client_key).to_vec()
    };
    let server_first = format!("r={nonce},s={},i={iterations}", STANDARD.encode(salt));
    let without_proof = format!("c=biws,r={nonce}");
    let auth_message = format!("n={USER},r={CLIENT_NONCE},{server_first},{without_proof}");
    let signature = hmac(sha512, &stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(a, b)| a ^ b)
        .collect();
    let server_key = hmac(sha512, &salted, b"Server Key");
    let server_signature = hmac(sha512, &server_key, auth_message.as_bytes());
    (
        format!("{without_proof},p={}", STANDARD.encode(proof)),
        format!("v={}", STANDARD.encode(server_signature)),
    )
}
