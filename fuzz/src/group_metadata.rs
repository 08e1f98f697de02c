//! Target `group_metadata`: the consumer protocol's subscription (JoinGroup member metadata)
//! and assignment (SyncGroup) decoders, fed by other members of a group.
//!
//! Input: byte 0 picks the decoder (even: subscription, odd: assignment), the rest is the
//! metadata. When it decodes, encoding the message again at the version it was read as and
//! decoding that gives the same message.

use bytes::Bytes;
use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use kafka_protocol::protocol::Message;
use ottla_protocol::consumer_protocol::{
    decode_assignment, decode_subscription, encode_assignment, encode_subscription,
};

/// The input for `metadata` read as a subscription (`assignment` false) or an assignment.
pub fn input_for(assignment: bool, metadata: &[u8]) -> Vec<u8> {
    let mut input = vec![u8::from(assignment)];
    input.extend_from_slice(metadata);
    input
}

/// Decodes `data[1..]` with the decoder `data[0]` picks; `true` if it decoded.
pub fn check(data: &[u8]) -> bool {
    let Some((&which, metadata)) = data.split_first() else {
        return false;
    };
    let metadata = Bytes::copy_from_slice(metadata);
    if which % 2 == 0 {
        let Ok((version, s)) = decode_subscription(metadata) else {
            return false;
        };
        let read_as = version.min(ConsumerProtocolSubscription::VERSIONS.max);
        let again = encode_subscription(&s, read_as).expect("a decoded subscription encodes");
        let (_, back) = decode_subscription(again).expect("re-encoded subscription decodes");
        assert_eq!(back, s, "subscription v{version} round trip");
    } else {
        let Ok((version, a)) = decode_assignment(metadata) else {
            return false;
        };
        let read_as = version.min(ConsumerProtocolAssignment::VERSIONS.max);
        let again = encode_assignment(&a, read_as).expect("a decoded assignment encodes");
        let (_, back) = decode_assignment(again).expect("re-encoded assignment decodes");
        assert_eq!(back, a, "assignment v{version} round trip");
    }
    true
}
