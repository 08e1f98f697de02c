//! Routing one request: decode its body for its API and version, run the handler, encode the
//! response body.

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiKey, ApiVersionsRequest,
    CreateTopicsRequest, DeleteTopicsRequest, EndTxnRequest, FetchRequest, FindCoordinatorRequest,
    HeartbeatRequest, InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest,
    ListOffsetsRequest, MetadataRequest, OffsetCommitRequest, OffsetFetchRequest, ProduceRequest,
    SyncGroupRequest, TxnOffsetCommitRequest,
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
        | ApiKey::LeaveGroup => true,
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
    match api {
        ApiKey::ApiVersions => {
            let sasl = shared.sasl.is_some();
            if !api_versions::accepts(api, version, sasl) {
                // Kafka answers in v0, which every client can read, without parsing the body.
                let response = api_versions::unsupported(sasl);
                return encode(&response, api, 0);
            }
            let _request: ApiVersionsRequest = decode(&mut body, api, version)?;
            encode(&api_versions::handle(&ctx), api, version)
        }
        ApiKey::Metadata => {
            let request: MetadataRequest = decode(&mut body, api, version)?;
            encode(&handlers::metadata::handle(&ctx, request), api, version)
        }
        ApiKey::Produce => {
            let request: ProduceRequest = decode(&mut body, api, version)?;
            match handlers::produce::handle(&ctx, request) {
                Some(response) => encode(&response, api, version),
                None => Ok(Reply::Nothing),
            }
        }
        ApiKey::Fetch => {
            let request: FetchRequest = decode(&mut body, api, version)?;
            let response = handlers::fetch::handle(&ctx, request).await;
            encode(&response, api, version)
        }
        ApiKey::ListOffsets => {
            let request: ListOffsetsRequest = decode(&mut body, api, version)?;
            encode(&handlers::list_offsets::handle(&ctx, request), api, version)
        }
        ApiKey::CreateTopics => {
            let request: CreateTopicsRequest = decode(&mut body, api, version)?;
            encode(
                &handlers::create_topics::handle(&ctx, request),
                api,
                version,
            )
        }
        ApiKey::DeleteTopics => {
            let request: DeleteTopicsRequest = decode(&mut body, api, version)?;
            encode(
                &handlers::delete_topics::handle(&ctx, request),
                api,
                version,
            )
        }
        ApiKey::InitProducerId => {
            let request: InitProducerIdRequest = decode(&mut body, api, version)?;
            let response = handlers::init_producer_id::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::FindCoordinator => {
            let request: FindCoordinatorRequest = decode(&mut body, api, version)?;
            let response = handlers::find_coordinator::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::AddPartitionsToTxn => {
            let request: AddPartitionsToTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::add_partitions_to_txn::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::AddOffsetsToTxn => {
            let request: AddOffsetsToTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::add_offsets_to_txn::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::EndTxn => {
            let request: EndTxnRequest = decode(&mut body, api, version)?;
            let response = handlers::end_txn::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::TxnOffsetCommit => {
            let request: TxnOffsetCommitRequest = decode(&mut body, api, version)?;
            let response = handlers::txn_offset_commit::handle(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::JoinGroup => {
            let request: JoinGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::join(&ctx, request).await;
            encode(&response, api, version)
        }
        ApiKey::SyncGroup => {
            let request: SyncGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::sync(&ctx, request).await;
            encode(&response, api, version)
        }
        ApiKey::Heartbeat => {
            let request: HeartbeatRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::heartbeat(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::LeaveGroup => {
            let request: LeaveGroupRequest = decode(&mut body, api, version)?;
            let response = handlers::group_membership::leave(&ctx, &request);
            encode(&response, api, version)
        }
        ApiKey::OffsetCommit => {
            let request: OffsetCommitRequest = decode(&mut body, api, version)?;
            encode(&handlers::offsets::commit(&ctx, &request), api, version)
        }
        ApiKey::OffsetFetch => {
            let request: OffsetFetchRequest = decode(&mut body, api, version)?;
            encode(&handlers::offsets::fetch(&ctx, &request), api, version)
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
