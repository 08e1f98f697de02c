//! SCRAM users (KIP-554): their credentials described, set and removed. The password never
//! leaves the client: the broker gets the salted password (`Hi(password, salt, i)`).

use ottla_protocol::messages::alter_user_scram_credentials_request::{
    ScramCredentialDeletion, ScramCredentialUpsertion,
};
use ottla_protocol::messages::describe_user_scram_credentials_request::UserName;
use ottla_protocol::messages::{
    AlterUserScramCredentialsRequest, ApiKey, DescribeUserScramCredentialsRequest,
};
use ottla_protocol::StrBytes;
use ottla_sasl::ScramAlgorithm;
use rand::Rng as _;

use super::{check, Admin};
use crate::Error;

/// One credential of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScramCredential {
    /// SCRAM-SHA-256 or SCRAM-SHA-512.
    pub mechanism: ScramAlgorithm,
    /// PBKDF2 iterations.
    pub iterations: i32,
}

/// A user and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramUser {
    /// The user name.
    pub name: String,
    /// Its credentials.
    pub credentials: Vec<ScramCredential>,
}

fn wire(m: ScramAlgorithm) -> i8 {
    match m {
        ScramAlgorithm::Sha256 => 1,
        ScramAlgorithm::Sha512 => 2,
    }
}

impl Admin {
    /// The credentials of `users` (every user with one when empty). A user with none is an
    /// error (RESOURCE_NOT_FOUND).
    pub async fn describe_scram_users(&self, users: &[&str]) -> Result<Vec<ScramUser>, Error> {
        let names = (!users.is_empty()).then(|| {
            users
                .iter()
                .map(|u| UserName::default().with_name(StrBytes::from_string((*u).to_owned())))
                .collect()
        });
        let request = DescribeUserScramCredentialsRequest::default().with_users(names);
        let response = self.client.send_to_any(&request).await?;
        check(
            ApiKey::DescribeUserScramCredentials,
            response.error_code,
            || "SCRAM users".into(),
            response.error_message.as_ref(),
        )?;
        let mut out = Vec::new();
        for r in &response.results {
            check(
                ApiKey::DescribeUserScramCredentials,
                r.error_code,
                || format!("user {}", r.user),
                r.error_message.as_ref(),
            )?;
            out.push(ScramUser {
                name: r.user.to_string(),
                credentials: r
                    .credential_infos
                    .iter()
                    .filter_map(|c| {
                        let mechanism = match c.mechanism {
                            1 => ScramAlgorithm::Sha256,
                            2 => ScramAlgorithm::Sha512,
                            _ => return None,
                        };
                        Some(ScramCredential {
                            mechanism,
                            iterations: c.iterations,
                        })
                    })
                    .collect(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Sets `user`'s credential for `mechanism` to `password` (a fresh random salt;
    /// `iterations` at least 4,096, Kafka's minimum).
    pub async fn set_scram_password(
        &self,
        user: &str,
        mechanism: ScramAlgorithm,
        password: &str,
        iterations: u32,
    ) -> Result<(), Error> {
        let salt: [u8; 32] = rand::rng().random();
        let salted = mechanism.salted_password(password.as_bytes(), &salt, iterations);
        let request = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
            ScramCredentialUpsertion::default()
                .with_name(StrBytes::from_string(user.to_owned()))
                .with_mechanism(wire(mechanism))
                .with_iterations(i32::try_from(iterations).unwrap_or(i32::MAX))
                .with_salt(bytes::Bytes::copy_from_slice(&salt))
                .with_salted_password(bytes::Bytes::from(salted)),
        ]);
        self.alter_scram(request, user).await
    }

    /// Removes `user`'s credential for `mechanism`.
    pub async fn delete_scram_credential(
        &self,
        user: &str,
        mechanism: ScramAlgorithm,
    ) -> Result<(), Error> {
        let request = AlterUserScramCredentialsRequest::default().with_deletions(vec![
            ScramCredentialDeletion::default()
                .with_name(StrBytes::from_string(user.to_owned()))
                .with_mechanism(wire(mechanism)),
        ]);
        self.alter_scram(request, user).await
    }

    async fn alter_scram(
        &self,
        request: AlterUserScramCredentialsRequest,
        user: &str,
    ) -> Result<(), Error> {
        let response = self.client.send_to_controller(&request).await?;
        for r in &response.results {
            check(
                ApiKey::AlterUserScramCredentials,
                r.error_code,
                || format!("user {user}"),
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }
}
