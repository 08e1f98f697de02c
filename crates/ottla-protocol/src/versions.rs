//! ApiVersions negotiation: for each API, the highest version both ottla and the broker speak.

use std::collections::HashMap;
use std::fmt;

use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};

/// An inclusive range of versions of one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// Lowest version.
    pub min: i16,
    /// Highest version.
    pub max: i16,
}

impl VersionRange {
    /// `min..=max`.
    pub const fn new(min: i16, max: i16) -> Self {
        Self { min, max }
    }

    /// The overlap of two ranges, if any.
    pub fn intersect(self, other: VersionRange) -> Option<VersionRange> {
        let min = self.min.max(other.min);
        let max = self.max.min(other.max);
        (min <= max).then_some(VersionRange { min, max })
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}..=v{}", self.min, self.max)
    }
}

/// The versions ottla's client logic is written for.
///
/// The upper bounds stop where a newer version changes semantics the client does not handle
/// yet (Produce v13+ addresses topics by id; ListOffsets v10 adds a timeout). Fetch goes to
/// v17: from v13 it names topics by id, which the client takes from metadata (falling back
/// to v12 while a topic has none); v16 adds the new leader's endpoint to NOT_LEADER answers
/// (KIP-951).
/// The lower bounds are the oldest versions Kafka 4 still serves (KIP-896) or the first with the
/// fields the client needs (Produce v3 carries record batches v2).
pub fn client_range(api: ApiKey) -> Option<VersionRange> {
    use ApiKey::*;
    let (min, max) = match api {
        Produce => (3, 11),
        Fetch => (4, 17),
        ListOffsets => (1, 9),
        Metadata => (1, 12),
        OffsetCommit => (2, 9),
        OffsetFetch => (1, 9),
        FindCoordinator => (0, 6),
        JoinGroup => (0, 9),
        Heartbeat => (0, 4),
        LeaveGroup => (0, 5),
        SyncGroup => (0, 5),
        DescribeGroups => (0, 5),
        ListGroups => (0, 4),
        SaslHandshake => (1, 1),
        ApiVersions => (0, 3),
        CreateTopics => (2, 7),
        DeleteTopics => (1, 6),
        InitProducerId => (0, 5),
        AddPartitionsToTxn => (0, 3),
        AddOffsetsToTxn => (0, 3),
        EndTxn => (0, 3),
        TxnOffsetCommit => (0, 3),
        DescribeConfigs => (0, 4),
        SaslAuthenticate => (0, 2),
        DescribeCluster => (0, 1),
        // KIP-848 (v0: the coordinator names the member; v1, Kafka 4.0: the member does).
        ConsumerGroupHeartbeat => (0, 1),
        ConsumerGroupDescribe => (0, 1),
        // Moving leaders: a preferred (or unclean) election, and reordering a partition's
        // replicas (which makes another one preferred).
        ElectLeaders => (0, 2),
        AlterPartitionReassignments => (0, 0),
        // The admin API.
        CreatePartitions => (0, 3),
        IncrementalAlterConfigs => (0, 1),
        DeleteGroups => (0, 2),
        DeleteRecords => (0, 2),
        DescribeAcls => (1, 3),
        CreateAcls => (1, 3),
        DeleteAcls => (1, 3),
        DescribeUserScramCredentials => (0, 0),
        AlterUserScramCredentials => (0, 0),
        DescribeClientQuotas => (0, 1),
        AlterClientQuotas => (0, 1),
        _ => return None,
    };
    Some(VersionRange::new(min, max))
}

/// Why no version of an API could be chosen.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The broker does not offer the API at all.
    #[error("broker does not offer {api:?} (ottla speaks {client})")]
    NotOffered {
        /// The API.
        api: ApiKey,
        /// What ottla speaks.
        client: VersionRange,
    },
    /// Both offer the API, but the ranges do not overlap.
    #[error("no common version of {api:?}: ottla speaks {client}, broker offers {broker}")]
    NoCommonVersion {
        /// The API.
        api: ApiKey,
        /// What ottla speaks.
        client: VersionRange,
        /// What the broker offers.
        broker: VersionRange,
    },
    /// ottla has no client logic for this API.
    #[error("ottla does not implement {api:?}")]
    NotImplemented {
        /// The API.
        api: ApiKey,
    },
}

/// What one broker offers, as learned from its ApiVersions response.
#[derive(Debug, Clone, Default)]
pub struct BrokerVersions {
    offered: HashMap<i16, VersionRange>,
}

impl BrokerVersions {
    /// Reads the broker's ranges from its ApiVersions response. Unknown API keys are kept (and
    /// ignored); malformed ranges (min > max) are dropped.
    pub fn from_response(response: &ApiVersionsResponse) -> Self {
        let offered = response
            .api_keys
            .iter()
            .filter(|k| k.min_version <= k.max_version)
            .map(|k| (k.api_key, VersionRange::new(k.min_version, k.max_version)))
            .collect();
        Self { offered }
    }

    /// Builds the table from explicit `(api key, min, max)` triples.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (ApiKey, VersionRange)>) -> Self {
        Self {
            offered: ranges.into_iter().map(|(k, r)| (k as i16, r)).collect(),
        }
    }

    /// The range the broker offers for `api`, if any.
    pub fn offered(&self, api: ApiKey) -> Option<VersionRange> {
        self.offered.get(&(api as i16)).copied()
    }

    /// The highest version of `api` that both sides speak.
    pub fn negotiate(&self, api: ApiKey) -> Result<i16, VersionError> {
        let client = client_range(api).ok_or(VersionError::NotImplemented { api })?;
        let broker = self
            .offered(api)
            .ok_or(VersionError::NotOffered { api, client })?;
        client
            .intersect(broker)
            .map(|r| r.max)
            .ok_or(VersionError::NoCommonVersion {
                api,
                client,
                broker,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::api_versions_response::ApiVersion;

    fn resp(keys: &[(ApiKey, i16, i16)]) -> ApiVersionsResponse {
        ApiVersionsResponse::default().with_api_keys(
            keys.iter()
                .map(|&(k, min, max)| {
                    ApiVersion::default()
                        .with_api_key(k as i16)
                        .with_min_version(min)
                        .with_max_version(max)
                })
                .collect(),
        )
    }

    #[test]
    fn picks_highest_common() {
        let b = BrokerVersions::from_response(&resp(&[
            (ApiKey::Fetch, 0, 18),
            (ApiKey::Metadata, 0, 7),
        ]));
        assert_eq!(b.negotiate(ApiKey::Fetch), Ok(17));
        assert_eq!(b.negotiate(ApiKey::Metadata), Ok(7));
    }

    #[test]
    fn missing_api_names_both_ranges() {
        let b = BrokerVersions::from_response(&resp(&[(ApiKey::Produce, 0, 2)]));
        let e = b.negotiate(ApiKey::Produce).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no common version of Produce: ottla speaks v3..=v11, broker offers v0..=v2"
        );
        let e = b.negotiate(ApiKey::Fetch).unwrap_err();
        assert_eq!(
            e.to_string(),
            "broker does not offer Fetch (ottla speaks v4..=v17)"
        );
    }

    #[test]
    fn client_ranges_are_within_what_the_codec_knows() {
        use kafka_protocol::messages::*;
        use kafka_protocol::protocol::Message;
        let checks: &[(ApiKey, kafka_protocol::protocol::VersionRange)] = &[
            (ApiKey::Produce, ProduceRequest::VERSIONS),
            (ApiKey::Fetch, FetchRequest::VERSIONS),
            (ApiKey::ListOffsets, ListOffsetsRequest::VERSIONS),
            (ApiKey::Metadata, MetadataRequest::VERSIONS),
            (ApiKey::ApiVersions, ApiVersionsRequest::VERSIONS),
            (ApiKey::CreateTopics, CreateTopicsRequest::VERSIONS),
            (ApiKey::DeleteTopics, DeleteTopicsRequest::VERSIONS),
            (ApiKey::OffsetCommit, OffsetCommitRequest::VERSIONS),
            (ApiKey::OffsetFetch, OffsetFetchRequest::VERSIONS),
            (ApiKey::JoinGroup, JoinGroupRequest::VERSIONS),
            (ApiKey::SaslAuthenticate, SaslAuthenticateRequest::VERSIONS),
            (ApiKey::ElectLeaders, ElectLeadersRequest::VERSIONS),
            (
                ApiKey::AlterPartitionReassignments,
                AlterPartitionReassignmentsRequest::VERSIONS,
            ),
        ];
        for (api, codec) in checks {
            let ours = client_range(*api).unwrap();
            assert!(ours.min >= codec.min && ours.max <= codec.max, "{api:?}");
        }
    }
}
