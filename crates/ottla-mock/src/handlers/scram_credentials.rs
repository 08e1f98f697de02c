//! DescribeUserScramCredentials and AlterUserScramCredentials over the [`SecurityStore`]: which
//! users have which SCRAM credentials, with their iterations (the salted passwords are not
//! kept, and a credential set here does not log in: SASL users come from
//! [`MockSasl`](crate::MockSasl)).
//!
//! [`SecurityStore`]: crate::security_store::SecurityStore

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse,
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::Ctx;

pub(crate) fn describe(
    ctx: &Ctx<'_>,
    r: &DescribeUserScramCredentialsRequest,
) -> DescribeUserScramCredentialsResponse {
    if let Some(code) = ctx.injected.top_level() {
        return DescribeUserScramCredentialsResponse::default().with_error_code(code);
    }
    let state = ctx.shared.lock();
    let users: Vec<String> = match &r.users {
        Some(users) if !users.is_empty() => users.iter().map(|u| u.name.to_string()).collect(),
        _ => state.security.scram_users(),
    };
    let results = users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let result = DescribeUserScramCredentialsResult::default()
                .with_user(StrBytes::from_string(user.clone()));
            if users[..i].contains(user) {
                return result
                    .with_error_code(ResponseError::DuplicateResource.code())
                    .with_error_message(Some(StrBytes::from_string(format!(
                        "user {user} is named twice"
                    ))));
            }
            match state.security.scram_user(user) {
                Ok(infos) => result.with_credential_infos(
                    infos
                        .into_iter()
                        .map(|(mechanism, iterations)| {
                            CredentialInfo::default()
                                .with_mechanism(mechanism)
                                .with_iterations(iterations)
                        })
                        .collect(),
                ),
                Err((code, message)) => result
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    DescribeUserScramCredentialsResponse::default().with_results(results)
}

pub(crate) fn alter(
    ctx: &Ctx<'_>,
    r: &AlterUserScramCredentialsRequest,
) -> AlterUserScramCredentialsResponse {
    let mut state = ctx.shared.lock();
    let mut results = Vec::new();
    let mut report = |user: &str, outcome: Result<(), (i16, String)>| {
        let result = AlterUserScramCredentialsResult::default()
            .with_user(StrBytes::from_string(user.to_owned()));
        results.push(match outcome {
            Ok(()) => result,
            Err((code, message)) => result
                .with_error_code(code)
                .with_error_message(Some(StrBytes::from_string(message))),
        });
    };
    for d in &r.deletions {
        let user = d.name.as_str();
        let outcome = match ctx.injected.topic(user) {
            Some(code) => Err((code, "injected fault".to_owned())),
            None => state.security.delete_scram(user, d.mechanism),
        };
        report(user, outcome);
    }
    for u in &r.upsertions {
        let user = u.name.as_str();
        let outcome = match ctx.injected.topic(user) {
            Some(code) => Err((code, "injected fault".to_owned())),
            None if u.salted_password.is_empty() => Err((
                ResponseError::UnacceptableCredential.code(),
                "no salted password".to_owned(),
            )),
            None => state.security.upsert_scram(user, u.mechanism, u.iterations),
        };
        report(user, outcome);
    }
    AlterUserScramCredentialsResponse::default().with_results(results)
}
