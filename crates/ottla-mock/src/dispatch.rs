//! Routing one request: decode its body for its API and version, run the handler, encode the
//! response body.

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AlterClientQuotasRequest,
    AlterUserScramCredentialsRequest, ApiKey, ApiVersionsRequest, ConsumerGroupDescribeRequest,
    ConsumerGroupHeartbeatRequest, CreateAclsRequest, CreatePartitionsRequest, CreateTopicsRequest,
    DeleteAclsRequest, DeleteGroupsRequest, DeleteRecordsRequest, DeleteTopicsRequest,
    DescribeAclsRequest, DescribeClientQuotasRequest, DescribeClusterRequest,
    DescribeConfigsRequest, DescribeGroupsRequest, DescribeUserScramCredentialsRequest,
    EndTxnRequest, FetchRequest, FindCoordinatorRequest, HeartbeatRequest,
    IncrementalAlterConfigsRequest, InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest,
    ListGroupsRequest, ListOffsetsRequest, MetadataRequest, OffsetCommitRequest,
    OffsetFetchRequest, ProduceRequest, SyncGroupRequest, TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::fault::{Injected, Plan};
use crate::handlers::{self, api_versions, Ctx};
use crate::state::Shared;

/// Why a request could not be answered; the connection is closed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The body did not decode.
    #[error("cannot decode {api:?} v{version} request: {message}")]
    Decode {
        api: ApiKey,
        version: i16,
        message: String,
    },
    /// The body decoded with bytes left over.
    #[error("{api:?} v{version} request has {trailing} trailing bytes")]
    TrailingBytes {
        api: ApiKey,
        version: i16,
        trailing: usize,
    },
    /// The response did not encode (a bug in a handler).
    #[error("cannot encode {api:?} v{version} response: {message}")]
    Encode {
        api: ApiKey,
        version: i16,
        message: String,
    },
    /// An API the mock does not implement; real brokers close the connection too.
    #[error("API {api:?} is not implemented by the mock")]
    NotImplemented { api: ApiKey },
    /// A version outside the advertised range.
    #[error("{api:?} v{version} is outside the advertised versions")]
    UnsupportedVersion { api: ApiKey, version: i16 },
}

/// A response body to send, or none.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Encoded body and the response header version to put before it.
    Body { header_version: i16, body: BytesMut },
    /// Nothing is sent back (Produce with `acks=0`).
    Nothing,
}

/// One decoded request header's routing data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub node: i32,
    pub api: ApiKey,
    pub version: i16,
}

/// Checks that the mock serves `api` at `version`. ApiVersions of any version is served (an
/// unknown version gets UNSUPPORTED_VERSION, as Kafka does).
pub(crate) fn check_supported(api: ApiKey, version: i16, sasl: bool) -> Result<(), RequestError> {
    if api_versions::advertised(api, sasl).is_none() {
        return Err(RequestError::NotImplemented { api });
    }
    if api != ApiKey::ApiVersions && !api_versions::accepts(api, version, sasl) {
        return Err(RequestError::UnsupportedVersion { api, version });
    }
    Ok(())
}

/// Decodes `body`, runs the handler and encodes its response.
pub(crate) async fn dispatch(
    shared: &Shared,
    route: Route,
    mut body: Bytes,
    plan: Option<&Plan>,
) -> Result<Reply, RequestError> {
    let Route { node, api, version } = route;
    let has_top_level = match api {
        ApiKey::ApiVersions
        | ApiKey::InitProducerId
        | ApiKey::AddOffsetsToTxn
        | ApiKey::EndTxn
        | ApiKey::JoinGroup
        | ApiKey::SyncGroup
        | ApiKey::Heartbeat
        | ApiKey::LeaveGroup
        | ApiKey::ListGroups
        | ApiKey::DescribeCluster
        | ApiKey::DescribeAcls
        | ApiKey::DescribeUserScramCredentials
        | ApiKey::DescribeClientQuotas
        | ApiKey::ConsumerGroupHeartbeat => true,
        ApiKey::OffsetFetch => version >= 2,
        ApiKey::Fetch => version >= 7,
        ApiKey::FindCoordinator => version < 4,
        _ => false,
    };
    let ctx = Ctx {
        shared,
        node,
        version,
        injected: Injected::from_plan(plan, has_top_level),
    };
    let throttle = plan.and_then(Plan::throttle_ms);
    match api {
        ApiKey::ApiVersions => {
            let sasl = shared.sasl.is_some();
            if !api_versions::accepts(api, version, sasl) {
                // Kafka answers in v0, which every client can read, without parsing the body.
                let response = api_versions::unsupported(sasl);
                return encode(&response, api, 0);
            }
            let _request: ApiVersionsRequest = decode(&mut body, api, version)?;
            respond(api_versions::handle(&ctx), api, version, throttle)
        }
        ApiKey::Metadata => {
            let request: MetadataRequest = decode(&mut body, api, version)?;
            respond(
                handlers::metadata::handle(&ctx, request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::Produce => {
            let request: ProduceRequest = decode(&mut body, api, version)?;
            match handlers::produce::handle(&ctx, request) {
                Some(response) => respond(response, api, version, throttle),
                None => Ok(Reply::Nothing),
            }
        }
        ApiKey::Fetch => {
            let request: FetchRequest = decode(&mut body, api, version)?;
            let response = handlers::fetch::handle(&ctx, request).await;
            respond(response, api, version, throttle)
        }
        ApiKey::ListOffsets => {
            let request: ListOffsetsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::list_offsets::handle(&ctx, request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::CreateTopics => {
            let request: CreateTopicsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::create_topics::handle(&ctx, request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DeleteTopics => {
            let request: DeleteTopicsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::delete_topics::handle(&ctx, request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::InitProducerId => {
            let request: InitProducerIdRequest = decode(&mut body, api, version)?;
            let response = handlers::init_producer_id::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::FindCoordinator => {
            let request: FindCoordinatorRequest = decode(&mut body, api, version)?;
            let response = handlers::find_coordinator::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::AddPartitionsToTxn => {
            let request: AddPartitionsToTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::add_partitions_to_txn::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::AddOffsetsToTxn => {
            let request: AddOffsetsToTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::add_offsets_to_txn::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::EndTxn => {
            let request: EndTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::end_txn::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::TxnOffsetCommit => {
            let request: TxnOffsetCommitRequest = decode(&mut body, api, version)?;
            let response = handlers::txn_offset_commit::handle(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::JoinGroup => {
            let request: JoinGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::join(&ctx, request).await;
            respond(response, api, version, throttle)
        }
        ApiKey::SyncGroup => {
            let request: SyncGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::sync(&ctx, request).await;
            respond(response, api, version, throttle)
        }
        ApiKey::Heartbeat => {
            let request: HeartbeatRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::heartbeat(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::LeaveGroup => {
            let request: LeaveGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::leave(&ctx, &request);
            respond(response, api, version, throttle)
        }
        ApiKey::OffsetCommit => {
            let request: OffsetCommitRequest = decode(&mut body, api, version)?;
            respond(
                handlers::offsets::commit(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::OffsetFetch => {
            let request: OffsetFetchRequest = decode(&mut body, api, version)?;
            respond(
                handlers::offsets::fetch(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::ListGroups => {
            let request: ListGroupsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::admin_groups::list(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeGroups => {
            let request: DescribeGroupsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::admin_groups::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DeleteGroups => {
            let request: DeleteGroupsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::admin_groups::delete(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeCluster => {
            let request: DescribeClusterRequest = decode(&mut body, api, version)?;
            respond(
                handlers::describe_cluster::handle(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::CreatePartitions => {
            let request: CreatePartitionsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::create_partitions::handle(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DeleteRecords => {
            let request: DeleteRecordsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::delete_records::handle(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeConfigs => {
            let request: DescribeConfigsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::configs::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::IncrementalAlterConfigs => {
            let request: IncrementalAlterConfigsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::configs::alter(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeAcls => {
            let request: DescribeAclsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::acls::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::CreateAcls => {
            let request: CreateAclsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::acls::create(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DeleteAcls => {
            let request: DeleteAclsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::acls::delete(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeUserScramCredentials => {
            let request: DescribeUserScramCredentialsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::scram_credentials::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::AlterUserScramCredentials => {
            let request: AlterUserScramCredentialsRequest = decode(&mut body, api, version)?;
            respond(
                handlers::scram_credentials::alter(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::DescribeClientQuotas => {
            let request: DescribeClientQuotasRequest = decode(&mut body, api, version)?;
            respond(
                handlers::client_quotas::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::AlterClientQuotas => {
            let request: AlterClientQuotasRequest = decode(&mut body, api, version)?;
            respond(
                handlers::client_quotas::alter(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::ConsumerGroupHeartbeat => {
            let request: ConsumerGroupHeartbeatRequest = decode(&mut body, api, version)?;
            respond(
                handlers::consumer_group::heartbeat(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        ApiKey::ConsumerGroupDescribe => {
            let request: ConsumerGroupDescribeRequest = decode(&mut body, api, version)?;
            respond(
                handlers::consumer_group::describe(&ctx, &request),
                api,
                version,
                throttle,
            )
        }
        other => Err(RequestError::NotImplemented { api: other }),
    }
}

pub(crate) fn decode<R: Decodable>(
    body: &mut Bytes,
    api: ApiKey,
    version: i16,
) -> Result<R, RequestError> {
    let request = R::decode(body, version).map_err(|e| RequestError::Decode {
        api,
        version,
        message: e.to_string(),
    })?;
    if body.has_remaining() {
        return Err(RequestError::TrailingBytes {
            api,
            version,
            trailing: body.remaining(),
        });
    }
    Ok(request)
}

/// A response with a `throttle_time_ms` field, which a throttle fault sets.
pub(crate) trait Throttled {
    fn set_throttle_time_ms(&mut self, ms: i32);
}

macro_rules! throttled {
    ($($t:ident),* $(,)?) => {
        $(impl Throttled for kafka_protocol::messages::$t {
            fn set_throttle_time_ms(&mut self, ms: i32) {
                self.throttle_time_ms = ms;
            }
        })*
    };
}

throttled!(
    ApiVersionsResponse,
    MetadataResponse,
    ProduceResponse,
    FetchResponse,
    ListOffsetsResponse,
    CreateTopicsResponse,
    DeleteTopicsResponse,
    InitProducerIdResponse,
    FindCoordinatorResponse,
    AddPartitionsToTxnResponse,
    AddOffsetsToTxnResponse,
    EndTxnResponse,
    TxnOffsetCommitResponse,
    JoinGroupResponse,
    SyncGroupResponse,
    HeartbeatResponse,
    LeaveGroupResponse,
    OffsetCommitResponse,
    OffsetFetchResponse,
    ListGroupsResponse,
    DescribeGroupsResponse,
    DeleteGroupsResponse,
    DescribeClusterResponse,
    CreatePartitionsResponse,
    DeleteRecordsResponse,
    DescribeConfigsResponse,
    IncrementalAlterConfigsResponse,
    DescribeAclsResponse,
    CreateAclsResponse,
    DeleteAclsResponse,
    DescribeUserScramCredentialsResponse,
    AlterUserScramCredentialsResponse,
    DescribeClientQuotasResponse,
    AlterClientQuotasResponse,
    ConsumerGroupHeartbeatResponse,
    ConsumerGroupDescribeResponse,
);

/// Sets the throttle time a fault asks for (if any) and encodes `response`.
pub(crate) fn respond<M: Encodable + Throttled>(
    mut response: M,
    api: ApiKey,
    version: i16,
    throttle: Option<i32>,
) -> Result<Reply, RequestError> {
    if let Some(ms) = throttle {
        response.set_throttle_time_ms(ms);
    }
    encode(&response, api, version)
}

pub(crate) fn encode<M: Encodable>(
    response: &M,
    api: ApiKey,
    version: i16,
) -> Result<Reply, RequestError> {
    let mut body = BytesMut::new();
    response
        .encode(&mut body, version)
        .map_err(|e| RequestError::Encode {
            api,
            version,
            message: e.to_string(),
        })?;
    Ok(Reply::Body {
        header_version: api.response_header_version(version),
        body,
    })
}
