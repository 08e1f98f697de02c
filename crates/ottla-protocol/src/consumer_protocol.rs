//! The "consumer" embedded protocol of classic consumer groups: what a member puts in
//! JoinGroup's protocol metadata (its subscription) and what the leader puts in SyncGroup for
//! each member (its assignment). Each is an `i16` version followed by the message at that
//! version.
//!
//! Decoding follows the Java client's `ConsumerProtocol`: a version newer than ours is read as
//! our newest (newer versions only add fields at the end, so the bytes after what we know are
//! ignored); a negative version, or bytes that end early, is an error.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use kafka_protocol::protocol::{Decodable, Encodable, Message};

use crate::error::ProtocolError;

/// The newest subscription version we write (v3: owned partitions, generation, rack).
pub const SUBSCRIPTION_VERSION: i16 = 3;
/// The newest assignment version we write.
pub const ASSIGNMENT_VERSION: i16 = 3;

fn failure(what: &'static str, message: impl Into<String>) -> ProtocolError {
    ProtocolError::GroupMetadata {
        what,
        message: message.into(),
    }
}

fn encode<M: Encodable>(
    what: &'static str,
    message: &M,
    version: i16,
) -> Result<Bytes, ProtocolError> {
    let mut out = BytesMut::new();
    out.put_i16(version);
    message
        .encode(&mut out, version)
        .map_err(|e| failure(what, format!("cannot encode v{version}: {e}")))?;
    Ok(out.freeze())
}

fn decode<M: Decodable + Message>(
    what: &'static str,
    mut bytes: Bytes,
) -> Result<(i16, M), ProtocolError> {
    if bytes.remaining() < 2 {
        return Err(failure(
            what,
            format!("{} bytes, too short for a version", bytes.len()),
        ));
    }
    let version = bytes.get_i16();
    if version < 0 {
        return Err(failure(what, format!("negative version {version}")));
    }
    let read_as = version.min(M::VERSIONS.max);
    let message = M::decode(&mut bytes, read_as)
        .map_err(|e| failure(what, format!("v{version} (read as v{read_as}): {e}")))?;
    Ok((version, message))
}

/// A member's subscription as JoinGroup's protocol metadata, at `version` (0–3).
pub fn encode_subscription(
    subscription: &ConsumerProtocolSubscription,
    version: i16,
) -> Result<Bytes, ProtocolError> {
    encode("subscription", subscription, version)
}

/// A member's subscription from JoinGroup's protocol metadata, with the version it was
/// written at.
pub fn decode_subscription(
    bytes: Bytes,
) -> Result<(i16, ConsumerProtocolSubscription), ProtocolError> {
    decode("subscription", bytes)
}

/// A member's assignment as SyncGroup's assignment bytes, at `version` (0–3).
pub fn encode_assignment(
    assignment: &ConsumerProtocolAssignment,
    version: i16,
) -> Result<Bytes, ProtocolError> {
    encode("assignment", assignment, version)
}

/// A member's assignment from SyncGroup's response. Empty bytes are an empty assignment (the
/// coordinator sends none to a member the leader left out).
pub fn decode_assignment(bytes: Bytes) -> Result<(i16, ConsumerProtocolAssignment), ProtocolError> {
    if bytes.is_empty() {
        return Ok((0, ConsumerProtocolAssignment::default()));
    }
    decode("assignment", bytes)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as Assigned;
    use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as Owned;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;
    use proptest::prelude::*;

    use super::*;

    fn name(s: &str) -> StrBytes {
        StrBytes::from_string(s.to_owned())
    }

    /// The v3 layout of Kafka's `ConsumerProtocolSubscription.json`, written out by hand:
    /// topics [a, b], no user data, owning a-0 and a-2, generation 7, rack "r1".
    #[test]
    fn subscription_v3_has_javas_layout() {
        let s = ConsumerProtocolSubscription::default()
            .with_topics(vec![name("a"), name("b")])
            .with_owned_partitions(vec![Owned::default()
                .with_topic(TopicName(name("a")))
                .with_partitions(vec![0, 2])])
            .with_generation_id(7)
            .with_rack_id(Some(name("r1")));
        let bytes = encode_subscription(&s, 3).unwrap();
        let expected: Vec<u8> = [
            &[0, 3][..],                                                   // version
            &[0, 0, 0, 2, 0, 1, b'a', 0, 1, b'b'],                         // topics
            &[0xff, 0xff, 0xff, 0xff],                                     // user data: null
            &[0, 0, 0, 1, 0, 1, b'a', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2], // owned
            &[0, 0, 0, 7],                                                 // generation
            &[0, 2, b'r', b'1'],                                           // rack
        ]
        .concat();
        assert_eq!(&bytes[..], &expected[..]);
        assert_eq!(decode_subscription(bytes).unwrap(), (3, s));
    }

    #[test]
    fn a_newer_version_is_read_as_ours_and_its_new_fields_ignored() {
        let s = ConsumerProtocolSubscription::default().with_topics(vec![name("t")]);
        let mut bytes = BytesMut::from(&encode_subscription(&s, 3).unwrap()[..]);
        bytes[1] = 9; // version 9
        bytes.extend_from_slice(b"future fields");
        let (version, got) = decode_subscription(bytes.freeze()).unwrap();
        assert_eq!(version, 9);
        assert_eq!(got.topics, vec![name("t")]);
    }

    #[test]
    fn bad_metadata_is_an_error_that_says_which() {
        for bad in [&b""[..], &[0], &[0xff, 0xff], &[0, 0, 0, 0, 0, 5]] {
            let e = decode_subscription(Bytes::copy_from_slice(bad)).unwrap_err();
            assert!(
                matches!(
                    e,
                    ProtocolError::GroupMetadata {
                        what: "subscription",
                        ..
                    }
                ),
                "{bad:?}: {e}"
            );
        }
        let e = decode_assignment(Bytes::from_static(&[0, 1, 0])).unwrap_err();
        assert!(
            e.to_string().starts_with("consumer group assignment:"),
            "{e}"
        );
        assert_eq!(
            decode_assignment(Bytes::new()).unwrap().1,
            ConsumerProtocolAssignment::default()
        );
    }

    proptest! {
        #[test]
        fn assignments_round_trip(
            topics in prop::collection::vec(("[a-z]{1,8}", prop::collection::vec(0i32..100, 0..5)), 0..5),
            user_data in prop::option::of(prop::collection::vec(any::<u8>(), 0..16)),
            version in 0i16..=3,
        ) {
            let a = ConsumerProtocolAssignment::default()
                .with_assigned_partitions(topics.iter().map(|(t, ps)| Assigned::default()
                    .with_topic(TopicName(name(t)))
                    .with_partitions(ps.clone())).collect())
                .with_user_data(user_data.map(Bytes::from));
            let bytes = encode_assignment(&a, version).unwrap();
            prop_assert_eq!(decode_assignment(bytes).unwrap(), (version, a));
        }

        #[test]
        fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_subscription(Bytes::from(bytes.clone()));
            let _ = decode_assignment(Bytes::from(bytes));
        }
    }
}
