//! ApiVersions: the APIs this mock implements, at exactly the versions ottla's client speaks.

use kafka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use ottla_protocol::versions::{client_range, VersionRange};

use super::Ctx;

/// The APIs the mock answers. A request for any other key closes the connection.
pub(crate) const IMPLEMENTED: [ApiKey; 36] = [
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::FindCoordinator,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::InitProducerId,
    ApiKey::AddPartitionsToTxn,
    ApiKey::AddOffsetsToTxn,
    ApiKey::EndTxn,
    ApiKey::TxnOffsetCommit,
    ApiKey::JoinGroup,
    ApiKey::SyncGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::ListGroups,
    ApiKey::DescribeGroups,
    ApiKey::DeleteGroups,
    ApiKey::DescribeCluster,
    ApiKey::CreatePartitions,
    ApiKey::DeleteRecords,
    ApiKey::DescribeConfigs,
    ApiKey::IncrementalAlterConfigs,
    ApiKey::DescribeAcls,
    ApiKey::CreateAcls,
    ApiKey::DeleteAcls,
    ApiKey::DescribeUserScramCredentials,
    ApiKey::AlterUserScramCredentials,
    ApiKey::DescribeClientQuotas,
    ApiKey::AlterClientQuotas,
    ApiKey::ConsumerGroupHeartbeat,
    ApiKey::ConsumerGroupDescribe,
];

/// The SASL APIs, advertised only by a cluster with SASL enabled.
pub(crate) const SASL: [ApiKey; 2] = [ApiKey::SaslHandshake, ApiKey::SaslAuthenticate];

/// The feature KRaft brokers always report.
const METADATA_VERSION: &str = "metadata.version";
/// Kafka 3.9's `metadata.version` level.
const METADATA_VERSION_LEVEL: i16 = 21;

/// The versions of `api` the mock advertises and accepts, if it implements it (the SASL APIs
/// only when `sasl` is enabled).
pub(crate) fn advertised(api: ApiKey, sasl: bool) -> Option<VersionRange> {
    if IMPLEMENTED.contains(&api) || (sasl && SASL.contains(&api)) {
        // Fetch by topic name only (v12 and below): the client's topic-id fetches (v13+)
        // are tested against Kafka.
        client_range(api).map(|r| match api {
            ApiKey::Fetch => VersionRange::new(r.min, r.max.min(12)),
            _ => r,
        })
    } else {
        None
    }
}

/// Whether `version` of `api` is served.
pub(crate) fn accepts(api: ApiKey, version: i16, sasl: bool) -> bool {
    advertised(api, sasl).is_some_and(|r| r.min <= version && version <= r.max)
}

fn api_keys(sasl: bool) -> Vec<ApiVersion> {
    IMPLEMENTED
        .iter()
        .chain(SASL.iter().filter(|_| sasl))
        .filter_map(|&api| {
            advertised(api, sasl).map(|r| {
                ApiVersion::default()
                    .with_api_key(api as i16)
                    .with_min_version(r.min)
                    .with_max_version(r.max)
            })
        })
        .collect()
}

/// The answer to a supported ApiVersions request.
///
/// From v3 on the response also carries the feature tagged fields a KRaft broker sends
/// (`metadata.version`), so clients must skip tagged fields with payloads, as against Kafka.
pub(crate) fn handle(ctx: &Ctx<'_>) -> ApiVersionsResponse {
    let response = ApiVersionsResponse::default()
        .with_error_code(ctx.injected.top_level().unwrap_or(0))
        .with_api_keys(api_keys(ctx.shared.sasl.is_some()));
    if ctx.version < 3 {
        return response;
    }
    let name = StrBytes::from_static_str(METADATA_VERSION);
    response
        .with_supported_features(vec![SupportedFeatureKey::default()
            .with_name(name.clone())
            .with_min_version(1)
            .with_max_version(METADATA_VERSION_LEVEL)])
        .with_finalized_features_epoch(1)
        .with_finalized_features(vec![FinalizedFeatureKey::default()
            .with_name(name)
            .with_min_version_level(METADATA_VERSION_LEVEL)
            .with_max_version_level(METADATA_VERSION_LEVEL)])
}

/// The answer to an ApiVersions request of a version the mock does not speak: as Kafka does,
/// UNSUPPORTED_VERSION with the supported list, to be encoded at v0 so any client can read it.
pub(crate) fn unsupported(sasl: bool) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(api_keys(sasl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertises_client_ranges_only_for_implemented_apis() {
        let keys = api_keys(false);
        assert_eq!(keys.len(), IMPLEMENTED.len());
        let with_sasl = api_keys(true);
        assert_eq!(with_sasl.len(), IMPLEMENTED.len() + 2);
        let auth = with_sasl
            .iter()
            .find(|k| k.api_key == ApiKey::SaslAuthenticate as i16)
            .unwrap();
        assert_eq!((auth.min_version, auth.max_version), (0, 2));
        assert!(advertised(ApiKey::SaslHandshake, false).is_none());
        assert!(accepts(ApiKey::SaslHandshake, 1, true));
        assert!(!accepts(ApiKey::SaslHandshake, 0, true));
        let fetch = keys
            .iter()
            .find(|k| k.api_key == ApiKey::Fetch as i16)
            .unwrap();
        assert_eq!((fetch.min_version, fetch.max_version), (4, 12));
        assert_eq!(
            advertised(ApiKey::DescribeGroups, true),
            client_range(ApiKey::DescribeGroups)
        );
        assert!(advertised(ApiKey::ConsumerGroupHeartbeat, true).is_some());
        assert!(advertised(ApiKey::ElectLeaders, true).is_none());
        assert_eq!(
            advertised(ApiKey::JoinGroup, false),
            client_range(ApiKey::JoinGroup)
        );
        assert!(accepts(ApiKey::Produce, 3, false));
        for (api, max) in [
            (ApiKey::InitProducerId, 5),
            (ApiKey::FindCoordinator, 6),
            (ApiKey::AddPartitionsToTxn, 3),
            (ApiKey::AddOffsetsToTxn, 3),
            (ApiKey::EndTxn, 3),
            (ApiKey::TxnOffsetCommit, 3),
        ] {
            assert_eq!(advertised(api, false), client_range(api), "{api:?}");
            assert!(
                accepts(api, 0, false) && accepts(api, max, false),
                "{api:?}"
            );
            assert!(!accepts(api, max + 1, false), "{api:?}");
        }
        assert!(!accepts(ApiKey::Produce, 2, false));
        assert!(!accepts(ApiKey::Produce, 12, false));
    }
}
