//! SASL/AWS_MSK_IAM: the client side of aws-msk-iam-auth's mechanism (`IAMSaslClient`).
//!
//! One message each way: the client sends its signed JSON payload ([`MskIamPayload`]); the
//! server answers `{"version":"2020_10_22","request-id":"…"}` ([`MskIamServerReply`]). A
//! rejection comes as a SaslAuthenticate error code and message, which the connection
//! reports; this mechanism has nothing to add to it.

use std::fmt;
use std::time::SystemTime;

use super::json_payload::MskIamPayload;
use super::server_reply::MskIamServerReply;
use super::signer::MskIamSigner;
use crate::aws::{AwsCredentials, AwsError, Clock, ProvideAwsCredentials};
use crate::{Authenticator, SaslError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Initial,
    AwaitReply,
    Done,
    Failed,
}

/// The AWS_MSK_IAM mechanism, sans-IO: built from a signed payload, it sends it and checks
/// the server's reply. `Debug` shows the payload's length only (it carries the signature and
/// the session token).
///
/// Sign a fresh one for every authentication: the signature expires (see
/// [`MskIamSigner::lifetime`]).
#[derive(Clone)]
pub struct AwsMskIam {
    payload: Vec<u8>,
    state: State,
    reply: Option<MskIamServerReply>,
}

impl AwsMskIam {
    /// The mechanism's name, as SaslHandshake offers it.
    pub const NAME: &'static str = "AWS_MSK_IAM";

    /// An exchange that sends `payload`.
    pub fn new(payload: &MskIamPayload) -> Self {
        Self::from_json(payload.to_json())
    }

    /// An exchange that sends `json` as it is (a payload signed elsewhere).
    pub fn from_json(json: Vec<u8>) -> Self {
        Self {
            payload: json,
            state: State::Initial,
            reply: None,
        }
    }

    /// Signs a payload for `broker_host` with `credentials` at `now`
    /// ([`MskIamSigner::sign_payload`]).
    pub fn sign(
        signer: &MskIamSigner,
        credentials: &AwsCredentials,
        broker_host: &str,
        now: SystemTime,
    ) -> Result<Self, AwsError> {
        Ok(Self::new(&signer.sign_payload(
            credentials,
            broker_host,
            now,
        )?))
    }

    /// Gets current credentials from `credentials` and signs a payload for `broker_host` at
    /// `clock`'s time: what a connection does before each (re-)authentication.
    pub async fn for_broker(
        signer: &MskIamSigner,
        credentials: &dyn ProvideAwsCredentials,
        clock: &Clock,
        broker_host: &str,
    ) -> Result<Self, AwsError> {
        let creds = credentials.credentials().await?;
        Self::sign(signer, &creds, broker_host, clock.now())
    }

    /// The server's reply, once the exchange has succeeded.
    pub fn server_reply(&self) -> Option<&MskIamServerReply> {
        self.reply.as_ref()
    }

    /// The server's `request-id`, once the exchange has succeeded.
    pub fn request_id(&self) -> Option<&str> {
        self.reply.as_ref().map(|r| r.request_id.as_str())
    }

    fn out_of_order(why: &'static str) -> SaslError {
        SaslError::OutOfOrder {
            mechanism: Self::NAME,
            why,
        }
    }
}

impl fmt::Debug for AwsMskIam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsMskIam")
            .field("payload_len", &self.payload.len())
            .field("state", &self.state)
            .field("reply", &self.reply)
            .finish()
    }
}

impl Authenticator for AwsMskIam {
    fn mechanism(&self) -> &'static str {
        Self::NAME
    }

    /// The JSON payload.
    fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        if self.state != State::Initial {
            return Err(Self::out_of_order("initial called twice"));
        }
        self.state = State::AwaitReply;
        Ok(self.payload.clone())
    }

    /// The server's JSON reply → `None` (authenticated); anything else is an error
    /// ([`MskIamServerReply::parse`]).
    fn step(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, SaslError> {
        match self.state {
            State::Initial => Err(Self::out_of_order("step before initial")),
            State::AwaitReply => match MskIamServerReply::parse(server) {
                Ok(reply) => {
                    self.reply = Some(reply);
                    self.state = State::Done;
                    Ok(None)
                }
                Err(e) => {
                    self.state = State::Failed;
                    Err(e)
                }
            },
            State::Done => Err(Self::out_of_order("step after the exchange completed")),
            State::Failed => Err(Self::out_of_order("step after the exchange failed")),
        }
    }
}
