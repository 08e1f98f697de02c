//! Amazon MSK IAM authentication, both ways MSK accepts it:
//!
//! - **OAUTHBEARER** ([`MskIamTokenProvider`], a [`TokenProvider`](crate::TokenProvider)
//!   for [`OauthBearer`](crate::OauthBearer)): the token is the base64url (no padding) of a
//!   SigV4-presigned `GET https://kafka.<region>.<suffix>/?Action=kafka-cluster%3AConnect&…`,
//!   parameter for parameter what the official `aws-msk-iam-sasl-signer-python` produces,
//!   with `User-Agent=ottla/<version>` appended after signing.
//! - **AWS_MSK_IAM** ([`AwsMskIam`], an [`Authenticator`](crate::Authenticator)): the JSON
//!   mechanism of Amazon's `aws-msk-iam-auth`, presigned for the broker's host name.
//!
//! [`MskIamSigner`] holds the region, host suffix, user agent and lifetime; credentials and the
//! signing time come with each call, so everything here has known-answer tests.

mod aws_msk_iam;
mod json_payload;
mod presign;
mod server_reply;
mod signer;
mod token;
mod token_provider;

#[cfg(test)]
mod known_answers;
#[cfg(test)]
mod mechanism_tests;

pub use aws_msk_iam::AwsMskIam;
pub use json_payload::MskIamPayload;
pub use server_reply::MskIamServerReply;
pub use signer::MskIamSigner;
pub use token::MskIamToken;
pub use token_provider::MskIamTokenProvider;
