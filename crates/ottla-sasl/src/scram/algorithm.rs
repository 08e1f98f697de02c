//! The two SCRAM hash functions Kafka supports and the primitives RFC 5802 builds on them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use crate::SaslError;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScramAlgorithm {
    /// SCRAM-SHA-256 (RFC 7677).
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramAlgorithm {
    /// The mechanism's name, as SaslHandshake offers it.
    pub fn mechanism(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The algorithm for a mechanism name (exact, upper case as Kafka spells it).
    pub fn from_mechanism(name: &str) -> Option<Self> {
        match name {
            "SCRAM-SHA-256" => Some(Self::Sha256),
            "SCRAM-SHA-512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Output size of the hash in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with HMAC over this hash, one output block.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            Self::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
            Self::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out),
        }
        out
    }

    /// The salted password a broker stores for a SCRAM user (`Hi(password, salt, i)`), what
    /// AlterUserScramCredentials carries.
    pub fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        self.hi(password, salt, iterations)
    }

    /// `HMAC(key, data)`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, SaslError> {
        Ok(match self {
            Self::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| self.key_error())?;
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha512 => {
                let mut mac = Hmac::<Sha512>::new_from_slice(key).map_err(|_| self.key_error())?;
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        })
    }

    /// Whether `tag == HMAC(key, data)`, compared in constant time.
    pub(crate) fn verify_hmac(
        self,
        key: &[u8],
        data: &[u8],
        tag: &[u8],
    ) -> Result<bool, SaslError> {
        Ok(match self {
            Self::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| self.key_error())?;
                mac.update(data);
                mac.verify_slice(tag).is_ok()
            }
            Self::Sha512 => {
                let mut mac = Hmac::<Sha512>::new_from_slice(key).map_err(|_| self.key_error())?;
                mac.update(data);
                mac.verify_slice(tag).is_ok()
            }
        })
    }

    /// `H(data)`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn key_error(self) -> SaslError {
        SaslError::Crypto {
            mechanism: self.mechanism(),
            why: "HMAC rejected its key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [ScramAlgorithm::Sha256, ScramAlgorithm::Sha512] {
            assert_eq!(ScramAlgorithm::from_mechanism(a.mechanism()), Some(a));
            assert_eq!(a.hash(b"").len(), a.output_len());
            assert_eq!(a.hi(b"p", b"s", 1).len(), a.output_len());
        }
        assert_eq!(ScramAlgorithm::from_mechanism("scram-sha-256"), None);
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let tag = ScramAlgorithm::Sha256
            .hmac(b"Jefe", b"what do ya want for nothing?")
            .unwrap();
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(ScramAlgorithm::Sha256
            .verify_hmac(b"Jefe", b"what do ya want for nothing?", &tag)
            .unwrap());
        assert!(!ScramAlgorithm::Sha256
            .verify_hmac(b"Jefe", b"what do ya want for nothing!", &tag)
            .unwrap());
    }
}
