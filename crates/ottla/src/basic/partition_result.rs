//! Picking one partition's entry out of a response and turning its error code into an error.

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::messages::ApiKey;
use ottla_protocol::StrBytes;

use crate::{Client, Error};

/// The entry for `partition` among `entries`, or UnknownTopicOrPartition when the broker left
/// it out.
pub(crate) fn find<'a, T: 'a>(
    entries: impl IntoIterator<Item = &'a T>,
    index: impl Fn(&T) -> i32,
    topic: &str,
    partition: i32,
) -> Result<&'a T, Error> {
    entries
        .into_iter()
        .find(|e| index(e) == partition)
        .ok_or_else(|| Error::UnknownTopicOrPartition {
            topic: topic.to_owned(),
            partition: Some(partition),
        })
}

/// `Ok` for NONE; otherwise a typed Kafka error, after marking metadata stale when the code
/// says the client's view of the cluster is out of date.
pub(crate) fn check(
    client: &Client,
    api: ApiKey,
    code: i16,
    context: impl FnOnce() -> String,
    message: Option<&StrBytes>,
) -> Result<(), Error> {
    let code = ErrorCode(code);
    if code.is_ok() {
        return Ok(());
    }
    client.note_error_code(code);
    Err(Error::Kafka {
        api,
        code,
        context: context(),
        message: message.map(|m| m.to_string()),
    })
}
