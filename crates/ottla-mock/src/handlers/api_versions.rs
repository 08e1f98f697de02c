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
pub(crate) const IMPLEMENTED: [ApiKey; 7] = [
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
];

/// The feature KRaft brokers always report.
const METADATA_VERSION: &str = "metadata.version";
/// Kafka 3.9's `metadata.version` level.
const METADATA_VERSION_LEVEL: i16 = 21;

/// The versions of `api` the mock advertises and accepts, if it implements it.
pub(crate) fn advertised(api: ApiKey) -> Option<VersionRange> {
    if IMPLEMENTED.contains(&api) {
        client_range(api)
    } else {
        None
    }
}

/// Whether `version` of `api` is served.
pub(crate) fn accepts(api: ApiKey, version: i16) -> bool {
    advertised(api).is_some_and(|r| r.min <= version && version <= r.max)
}

fn api_keys() -> Vec<ApiVersion> {
    IMPLEMENTED
        .iter()
        .filter_map(|&api| {
            advertised(api).map(|r| {
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
        .with_api_keys(api_keys());
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
pub(crate) fn unsupported() -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(api_keys())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertises_client_ranges_only_for_implemented_apis() {
        let keys = api_keys();
        assert_eq!(keys.len(), IMPLEMENTED.len());
        let fetch = keys
            .iter()
            .find(|k| k.api_key == ApiKey::Fetch as i16)
            .unwrap();
        assert_eq!((fetch.min_version, fetch.max_version), (4, 12));
        assert!(advertised(ApiKey::JoinGroup).is_none());
        assert!(accepts(ApiKey::Produce, 3));
        assert!(!accepts(ApiKey::Produce, 2));
        assert!(!accepts(ApiKey::Produce, 12));
    }
}
