//! Target `responses`: every response the client parses, at every version it speaks.
//!
//! Input: byte 0 picks the API (modulo the length of [`APIS`]), byte 1 the version within
//! [`client_range`] (modulo its width), the rest is the response frame without its length
//! prefix. The correlation id expected is the frame's own first 4 bytes, so the header check
//! passes and the body gets decoded. When [`decode_response`] succeeds, the response is encoded
//! again at the same version (with a header of the right version) and decoded again: both
//! decoded values must be equal, and the body must take exactly `compute_size` bytes.

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AlterClientQuotasRequest,
    AlterPartitionReassignmentsRequest, AlterUserScramCredentialsRequest, ApiKey,
    ApiVersionsRequest, ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest,
    CreateAclsRequest, CreatePartitionsRequest, CreateTopicsRequest, DeleteAclsRequest,
    DeleteGroupsRequest, DeleteRecordsRequest, DeleteTopicsRequest, DescribeAclsRequest,
    DescribeClientQuotasRequest, DescribeClusterRequest, DescribeConfigsRequest,
    DescribeGroupsRequest, DescribeUserScramCredentialsRequest, ElectLeadersRequest, EndTxnRequest,
    FetchRequest, FindCoordinatorRequest, HeartbeatRequest, IncrementalAlterConfigsRequest,
    InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest, ListGroupsRequest,
    ListOffsetsRequest, MetadataRequest, OffsetCommitRequest, OffsetFetchRequest, ProduceRequest,
    ResponseHeader, SaslAuthenticateRequest, SaslHandshakeRequest, SyncGroupRequest,
    TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::{Encodable, HeaderVersion, Request};
use ottla_protocol::response::decode_response;
use ottla_protocol::versions::{client_range, VersionRange};

/// One API the client parses responses of.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// The request type's API key (`Request::KEY`).
    pub key: i16,
    /// Decodes a frame at a version and checks the round trip; `true` if it decoded.
    pub round_trip: fn(&[u8], i16) -> bool,
}

impl Api {
    /// The API key as an enum, if kafka-protocol knows it.
    pub fn api_key(&self) -> Option<ApiKey> {
        ApiKey::try_from(self.key).ok()
    }

    /// The versions the client speaks.
    pub fn versions(&self) -> Option<VersionRange> {
        self.api_key().and_then(client_range)
    }
}

macro_rules! apis {
    ($($request:ty),* $(,)?) => {
        [$(Api {
            key: <$request as Request>::KEY,
            round_trip: round_trip::<$request>,
        }),*]
    };
}

/// Every response the client parses (every API `ottla_protocol::versions::client_range`
/// knows), in the order byte 0 selects them.
pub const APIS: [Api; 40] = apis![
    // The first 18: the order the committed seeds were written in (byte 0 selects).
    ApiVersionsRequest,
    MetadataRequest,
    ProduceRequest,
    FetchRequest,
    ListOffsetsRequest,
    CreateTopicsRequest,
    DeleteTopicsRequest,
    FindCoordinatorRequest,
    JoinGroupRequest,
    SyncGroupRequest,
    HeartbeatRequest,
    LeaveGroupRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    InitProducerIdRequest,
    SaslHandshakeRequest,
    SaslAuthenticateRequest,
    DescribeClusterRequest,
    DescribeGroupsRequest,
    ListGroupsRequest,
    AddPartitionsToTxnRequest,
    AddOffsetsToTxnRequest,
    EndTxnRequest,
    TxnOffsetCommitRequest,
    DescribeConfigsRequest,
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupDescribeRequest,
    ElectLeadersRequest,
    AlterPartitionReassignmentsRequest,
    CreatePartitionsRequest,
    IncrementalAlterConfigsRequest,
    DeleteGroupsRequest,
    DeleteRecordsRequest,
    DescribeAclsRequest,
    CreateAclsRequest,
    DeleteAclsRequest,
    DescribeUserScramCredentialsRequest,
    AlterUserScramCredentialsRequest,
    DescribeClientQuotasRequest,
    AlterClientQuotasRequest,
];

/// Decodes `data[2..]` as the response `data[0..2]` selects; `true` if it decoded.
pub fn check(data: &[u8]) -> bool {
    let [api_byte, version_byte, frame @ ..] = data else {
        return false;
    };
    let api = APIS[usize::from(*api_byte) % APIS.len()];
    let Some(range) = api.versions() else {
        return false;
    };
    let width = i32::from(range.max) - i32::from(range.min) + 1;
    let Ok(version) = i16::try_from(i32::from(range.min) + i32::from(*version_byte) % width) else {
        return false;
    };
    (api.round_trip)(frame, version)
}

/// The fuzz input that makes [`check`] decode `frame` as a response of `api` at `version`.
pub fn input_for(api: ApiKey, version: i16, frame: &[u8]) -> Option<Vec<u8>> {
    let index = APIS.iter().position(|a| a.key == api as i16)?;
    let range = APIS.get(index)?.versions()?;
    if version < range.min || version > range.max {
        return None;
    }
    let mut input = vec![
        u8::try_from(index).ok()?,
        u8::try_from(version - range.min).ok()?,
    ];
    input.extend_from_slice(frame);
    Some(input)
}

/// The correlation id the frame itself starts with (0 when shorter than 4 bytes).
fn own_correlation_id(frame: &[u8]) -> i32 {
    match frame.get(..4) {
        Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn round_trip<R>(frame: &[u8], version: i16) -> bool
where
    R: Request,
    R::Response: PartialEq + Debug,
{
    let api = ApiKey::try_from(R::KEY);
    let correlation_id = own_correlation_id(frame);
    let Ok(first) = decode_response::<R>(Bytes::copy_from_slice(frame), version, correlation_id)
    else {
        return false;
    };

    let mut encoded = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut encoded, R::Response::header_version(version))
        .unwrap_or_else(|e| panic!("{api:?} v{version}: response header does not encode: {e}"));
    let header_len = encoded.len();
    first
        .encode(&mut encoded, version)
        .unwrap_or_else(|e| panic!("{api:?} v{version}: decoded response does not re-encode: {e}"));
    let size = first
        .compute_size(version)
        .unwrap_or_else(|e| panic!("{api:?} v{version}: compute_size failed: {e}"));
    assert_eq!(
        size,
        encoded.len() - header_len,
        "{api:?} v{version}: compute_size disagrees with encode"
    );

    let second = decode_response::<R>(encoded.freeze(), version, correlation_id)
        .unwrap_or_else(|e| panic!("{api:?} v{version}: re-encoded response does not decode: {e}"));
    assert!(
        first == second,
        "{api:?} v{version}: decode→encode→decode changed the response\nfirst:  {first:?}\nsecond: {second:?}"
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_has_a_client_range_and_distinct_key() {
        for (i, api) in APIS.iter().enumerate() {
            assert!(api.versions().is_some(), "{:?}", api.api_key());
            assert!(APIS[..i].iter().all(|a| a.key != api.key));
        }
    }

    #[test]
    fn input_for_selects_the_api_and_version() {
        let input = input_for(ApiKey::Fetch, 12, b"xyz").unwrap();
        let api = APIS[usize::from(input[0])];
        assert_eq!(api.api_key(), Some(ApiKey::Fetch));
        assert_eq!(api.versions().unwrap().min + i16::from(input[1]), 12);
        assert_eq!(&input[2..], b"xyz");
        let fetch_max = client_range(ApiKey::Fetch).unwrap().max;
        assert!(input_for(ApiKey::Fetch, fetch_max, b"").is_some());
        assert!(input_for(ApiKey::Fetch, fetch_max + 1, b"").is_none());
        assert!(input_for(ApiKey::Vote, 0, b"").is_none());
    }
}
