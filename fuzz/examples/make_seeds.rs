//! Writes the seed corpus under fuzz/corpus/<target>/ (run from anywhere):
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```
//!
//! Seeds are deterministic: running this again rewrites the same files. Seeds named `ok-*` are
//! inputs the target must accept (its check returns `true`); `tests/corpus.rs` holds them to
//! that. Files with other names (rejected inputs, crash reproducers) only must not panic.
//! Nothing is deleted, so crash reproducers added by hand stay.

use std::fs;
use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    api_versions_response::ApiVersion,
    create_topics_response::{CreatableTopicConfigs, CreatableTopicResult},
    delete_topics_response::DeletableTopicResult,
    describe_cluster_response::DescribeClusterBroker,
    fetch_response::{AbortedTransaction, FetchableTopicResponse, PartitionData},
    find_coordinator_response::Coordinator,
    join_group_response::JoinGroupResponseMember,
    leave_group_response::MemberResponse,
    list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse},
    metadata_response::{MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic},
    offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic},
    offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    },
    produce_response::{PartitionProduceResponse, TopicProduceResponse},
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, AlterClientQuotasRequest, AlterClientQuotasResponse,
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse,
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, ApiKey,
    ApiVersionsRequest, ApiVersionsResponse, BrokerId, ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
    CreateAclsRequest, CreateAclsResponse, CreatePartitionsRequest, CreatePartitionsResponse,
    CreateTopicsRequest, CreateTopicsResponse, DeleteAclsRequest, DeleteAclsResponse,
    DeleteGroupsRequest, DeleteGroupsResponse, DeleteRecordsRequest, DeleteRecordsResponse,
    DeleteTopicsRequest, DeleteTopicsResponse, DescribeAclsRequest, DescribeAclsResponse,
    DescribeClientQuotasRequest, DescribeClientQuotasResponse, DescribeClusterRequest,
    DescribeClusterResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    DescribeGroupsRequest, DescribeGroupsResponse, DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsResponse, ElectLeadersRequest, ElectLeadersResponse, EndTxnRequest,
    EndTxnResponse, FetchRequest, FetchResponse, FindCoordinatorRequest, FindCoordinatorResponse,
    GroupId, HeartbeatRequest, HeartbeatResponse, IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse, InitProducerIdRequest, InitProducerIdResponse,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest, MetadataResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    ProduceRequest, ProduceResponse, ProducerId, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse, SyncGroupRequest,
    SyncGroupResponse, TopicName, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use kafka_protocol::protocol::{Encodable, HeaderVersion, Request, StrBytes};
use ottla_fuzz::record_batches::{AS_IS, FIX_CRCS};
use ottla_fuzz::record_batches_compressed::{self as rbc, Codec, Input};
use ottla_fuzz::responses::input_for;
use ottla_fuzz::{decompress, frame, group_metadata, record_batches, responses};
use ottla_protocol::compression::{compress, Compression};
use ottla_protocol::frame::encode_frame;
use ottla_protocol::records::{
    encode_batch, encode_control_batch, set_base_offset, BatchOptions, ControlKind, Header, Record,
};
use ottla_protocol::request::encode_request;
use ottla_protocol::versions::client_range;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut seeds = Seeds { root, written: 0 };
    record_batch_seeds(&mut seeds)?;
    decompress_seeds(&mut seeds)?;
    frame_seeds(&mut seeds)?;
    response_seeds(&mut seeds)?;
    compressed_seeds(&mut seeds)?;
    group_metadata_seeds(&mut seeds)?;
    println!(
        "wrote {} seeds under {}",
        seeds.written,
        seeds.root.display()
    );
    Ok(())
}

struct Seeds {
    root: PathBuf,
    written: usize,
}

impl Seeds {
    /// Writes one seed, first checking that the target treats it as its name says.
    fn write(&mut self, target: &str, name: &str, data: &[u8]) -> Result<()> {
        let accepted = match target {
            "frame" => frame::check(data),
            "responses" => responses::check(data),
            "record_batches" => record_batches::check(data),
            "decompress" => decompress::check(data),
            "record_batches_compressed" => rbc::check_bytes(data),
            "group_metadata" => group_metadata::check(data),
            other => return Err(format!("unknown target {other}").into()),
        };
        if accepted != name.starts_with("ok-") {
            return Err(format!("{target}/{name}: accepted = {accepted}").into());
        }
        if data.len() >= 64 * 1024 {
            return Err(format!("{target}/{name}: {} bytes", data.len()).into());
        }
        let dir = self.root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), data)?;
        self.written += 1;
        Ok(())
    }
}

fn sample_records() -> Vec<Record> {
    let mut records = vec![
        Record {
            key: Some(Bytes::from_static(b"user-17")),
            value: Some(Bytes::from_static(b"{\"clicks\":3,\"page\":\"/home\"}")),
            headers: vec![
                Header::new("trace-id", Some(Bytes::from_static(b"0af7651916cd43dd"))),
                Header::new("trace-id", Some(Bytes::from_static(b"duplicate key"))),
                Header::new("null-value", None),
            ],
            timestamp: 1_700_000_000_000,
        },
        Record {
            key: None,
            value: Some(Bytes::from_static(b"no key")),
            headers: Vec::new(),
            timestamp: 1_700_000_000_250,
        },
        Record {
            key: Some(Bytes::from_static(b"tombstone")),
            value: None,
            headers: Vec::new(),
            // Earlier than the first: a negative delta.
            timestamp: 1_699_999_999_000,
        },
    ];
    records.push(Record {
        key: Some(Bytes::from_static(b"repeated")),
        value: Some(Bytes::from(b"abcabcabc-".repeat(40))),
        headers: vec![Header::new("h", Some(Bytes::new()))],
        timestamp: 1_700_000_001_000,
    });
    records
}

fn batch(records: &[Record], options: &BatchOptions) -> Result<BytesMut> {
    let mut out = BytesMut::new();
    encode_batch(records, options, &mut out)?;
    Ok(out)
}

fn with_mode(mode: u8, records: &[u8]) -> Vec<u8> {
    let mut input = vec![mode];
    input.extend_from_slice(records);
    input
}

fn record_batch_seeds(seeds: &mut Seeds) -> Result<()> {
    let records = sample_records();
    for codec in Compression::ALL {
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        let encoded = batch(&records, &options)?;
        seeds.write(
            "record_batches",
            &format!("ok-{codec}"),
            &with_mode(AS_IS, &encoded),
        )?;
        seeds.write(
            "record_batches",
            &format!("ok-{codec}-fix-crcs"),
            &with_mode(FIX_CRCS, &encoded),
        )?;
    }

    // A transaction: an idempotent transactional batch, then its commit marker, as a broker
    // would return them (consecutive offsets), then a truncated copy of the first.
    let options = BatchOptions {
        compression: Compression::Zstd,
        producer_id: 4000,
        producer_epoch: 2,
        base_sequence: 0,
        transactional: true,
        ..BatchOptions::default()
    };
    let mut first = batch(&records, &options)?;
    set_base_offset(&mut first, 100);
    let mut marker = BytesMut::new();
    encode_control_batch(
        ControlKind::Commit,
        7,
        1_700_000_002_000,
        &BatchOptions {
            producer_id: 4000,
            producer_epoch: 2,
            ..BatchOptions::default()
        },
        &mut marker,
    )?;
    set_base_offset(&mut marker, 104);
    let mut wire = Vec::new();
    wire.extend_from_slice(&first);
    wire.extend_from_slice(&marker);
    wire.extend_from_slice(&first[..first.len() / 2]);
    seeds.write(
        "record_batches",
        "ok-transaction-commit-truncated-tail",
        &with_mode(AS_IS, &wire),
    )?;

    // LogAppendTime (attributes bit 3): only the fix-CRC mode keeps it valid.
    let mut log_append = batch(&records[..2], &BatchOptions::default())?;
    log_append[22] |= 1 << 3;
    seeds.write(
        "record_batches",
        "ok-log-append-time-fix-crcs",
        &with_mode(FIX_CRCS, &log_append),
    )?;
    seeds.write(
        "record_batches",
        "crc-mismatch",
        &with_mode(AS_IS, &log_append),
    )?;
    let mut magic1 = batch(&records[..1], &BatchOptions::default())?;
    magic1[16] = 1;
    seeds.write("record_batches", "magic-v1", &with_mode(FIX_CRCS, &magic1))?;
    Ok(())
}

fn decompress_seeds(seeds: &mut Seeds) -> Result<()> {
    let text: Vec<u8> = b"Kafka record batches compress well when values repeat. "
        .repeat(30)
        .into_iter()
        .chain(0..=255u8)
        .collect();
    for codec in Compression::ALL {
        let mut input = vec![decompress::codec_byte(codec)];
        compress(codec, None, &text, &mut input)?;
        seeds.write("decompress", &format!("ok-{codec}"), &input)?;
        // Two frames / members back to back. ottla reads one xerial stream per snappy batch
        // (as Kafka writes them), so for snappy this is a rejected input.
        let mut input = vec![decompress::codec_byte(codec)];
        compress(codec, None, b"first part, ", &mut input)?;
        compress(codec, None, b"second part", &mut input)?;
        let ok = if codec == Compression::Snappy {
            ""
        } else {
            "ok-"
        };
        seeds.write("decompress", &format!("{ok}{codec}-two-parts"), &input)?;
    }
    let mut empty = vec![decompress::codec_byte(Compression::Zstd)];
    compress(Compression::Zstd, None, b"", &mut empty)?;
    seeds.write("decompress", "ok-zstd-empty", &empty)?;
    seeds.write(
        "decompress",
        "gzip-garbage",
        &[
            decompress::codec_byte(Compression::Gzip),
            0x1f,
            0x8b,
            8,
            0,
            1,
            2,
        ],
    )?;
    Ok(())
}

fn frame_seeds(seeds: &mut Seeds) -> Result<()> {
    let mut wire = BytesMut::new();
    encode_request(
        &kafka_protocol::messages::ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("ottla"))
            .with_client_software_version(StrBytes::from_static_str("0.1.0")),
        3,
        1,
        Some("ottla"),
        &mut wire,
    )?;
    encode_request(
        &kafka_protocol::messages::MetadataRequest::default(),
        12,
        2,
        Some("ottla"),
        &mut wire,
    )?;
    encode_frame(b"", &mut wire)?;
    let mut response = BytesMut::new();
    response.put_i32(2);
    ApiVersionsResponse::default().encode(&mut response, 3)?;
    encode_frame(&response, &mut wire)?;

    for (chunk, name) in [
        (0u8, "ok-4-frames-1-byte-chunks"),
        (6, "ok-4-frames-7-byte-chunks"),
        (255, "ok-4-frames-256-byte-chunks"),
    ] {
        let mut input = vec![chunk];
        input.extend_from_slice(&wire);
        seeds.write("frame", name, &input)?;
    }
    let mut partial = vec![2u8];
    partial.extend_from_slice(&wire);
    partial.extend_from_slice(&[0, 0, 1, 0, b'p', b'a', b'r', b't']);
    seeds.write("frame", "ok-frames-then-partial", &partial)?;
    seeds.write("frame", "negative-length", &[0, 0xff, 0xff, 0xff, 0xfe])?;
    let too_large = (u32::try_from(frame::MAX_FRAME)? + 1).to_be_bytes();
    seeds.write(
        "frame",
        "too-large",
        &[3, too_large[0], too_large[1], too_large[2], too_large[3], 0],
    )?;
    Ok(())
}

/// Whether responses of this API at this version are flexible (tagged fields).
fn flexible<R: Request>(version: i16) -> bool {
    if R::KEY == ApiKey::ApiVersions as i16 {
        version >= 3
    } else {
        R::Response::header_version(version) >= 1
    }
}

fn str(s: &'static str) -> StrBytes {
    StrBytes::from_static_str(s)
}

fn topic(s: &'static str) -> TopicName {
    TopicName(str(s))
}

/// Writes response seeds for `R` at its lowest, highest and first flexible client version.
fn seeds_for<R>(seeds: &mut Seeds, make: impl Fn(i16) -> R::Response) -> Result<()>
where
    R: Request,
    R::Response: UnknownTag,
{
    let api = ApiKey::try_from(R::KEY).map_err(|_| "unknown api key")?;
    let range = client_range(api).ok_or("no client range")?;
    let mut versions = vec![range.min, range.max];
    if let Some(v) = (range.min..=range.max).find(|&v| flexible::<R>(v)) {
        versions.push(v);
    }
    versions.sort_unstable();
    versions.dedup();
    // kafka-protocol may have dropped the oldest versions the client range still names.
    versions.retain(|v| (R::VERSIONS.min..=R::VERSIONS.max).contains(v));
    for version in versions {
        let mut response = make(version);
        if flexible::<R>(version) {
            response = response.tagged();
        }
        let correlation_id = 0x0102_0304 + i32::from(version);
        let mut frame = BytesMut::new();
        let header = ResponseHeader::default().with_correlation_id(correlation_id);
        let header = if R::Response::header_version(version) >= 1 {
            header.with_unknown_tagged_field(7, Bytes::from_static(b"hdr"))
        } else {
            header
        };
        header.encode(&mut frame, R::Response::header_version(version))?;
        response
            .encode(&mut frame, version)
            .map_err(|e| format!("{api:?} v{version}: {e}"))?;
        let input = input_for(api, version, &frame).ok_or("version out of range")?;
        seeds.write(
            "responses",
            &format!("ok-{api:?}-v{version}").to_lowercase(),
            &input,
        )?;
    }
    Ok(())
}

/// Response types whose top level can carry unknown tagged fields.
trait UnknownTag {
    fn tagged(self) -> Self;
}

macro_rules! unknown_tag {
    ($($t:ty),* $(,)?) => {$(
        impl UnknownTag for $t {
            fn tagged(self) -> Self {
                self.with_unknown_tagged_field(1000, Bytes::from_static(b"future field"))
            }
        }
    )*};
}

unknown_tag!(
    ApiVersionsResponse,
    MetadataResponse,
    ProduceResponse,
    FetchResponse,
    ListOffsetsResponse,
    CreateTopicsResponse,
    DeleteTopicsResponse,
    FindCoordinatorResponse,
    JoinGroupResponse,
    SyncGroupResponse,
    HeartbeatResponse,
    LeaveGroupResponse,
    OffsetCommitResponse,
    OffsetFetchResponse,
    InitProducerIdResponse,
    SaslAuthenticateResponse,
    DescribeClusterResponse,
    DescribeGroupsResponse,
    ListGroupsResponse,
    AddPartitionsToTxnResponse,
    AddOffsetsToTxnResponse,
    EndTxnResponse,
    TxnOffsetCommitResponse,
    DescribeConfigsResponse,
    ConsumerGroupHeartbeatResponse,
    ConsumerGroupDescribeResponse,
    ElectLeadersResponse,
    AlterPartitionReassignmentsResponse,
    CreatePartitionsResponse,
    IncrementalAlterConfigsResponse,
    DeleteGroupsResponse,
    DeleteRecordsResponse,
    DescribeAclsResponse,
    CreateAclsResponse,
    DeleteAclsResponse,
    DescribeUserScramCredentialsResponse,
    AlterUserScramCredentialsResponse,
    DescribeClientQuotasResponse,
    AlterClientQuotasResponse,
);

impl UnknownTag for SaslHandshakeResponse {
    fn tagged(self) -> Self {
        self
    }
}

fn response_seeds(seeds: &mut Seeds) -> Result<()> {
    seeds_for::<ApiVersionsRequest>(seeds, |v| {
        let keys = [(0, 3, 11), (1, 4, 17), (3, 0, 12), (18, 0, 4)]
            .map(|(k, min, max)| {
                ApiVersion::default()
                    .with_api_key(k)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .to_vec();
        let r = ApiVersionsResponse::default().with_api_keys(keys);
        if v >= 1 {
            r.with_throttle_time_ms(3)
        } else {
            r
        }
    })?;

    let records = {
        let mut b = batch(
            &sample_records(),
            &BatchOptions {
                compression: Compression::Lz4,
                ..BatchOptions::default()
            },
        )?;
        set_base_offset(&mut b, 42);
        b.freeze()
    };

    seeds_for::<MetadataRequest>(seeds, |v| {
        let partition = |i: i32| {
            let p = MetadataResponsePartition::default()
                .with_partition_index(i)
                .with_leader_id(BrokerId(1))
                .with_replica_nodes(vec![BrokerId(1), BrokerId(2)])
                .with_isr_nodes(vec![BrokerId(1)]);
            let p = if v >= 7 { p.with_leader_epoch(5) } else { p };
            if v >= 5 {
                p.with_offline_replicas(vec![BrokerId(2)])
            } else {
                p
            }
        };
        let r = MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(1))
                    .with_host(str("broker-1.example"))
                    .with_port(9092)
                    .with_rack(Some(str("rack-a"))),
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(2))
                    .with_host(str("broker-2.example"))
                    .with_port(9093),
            ])
            .with_controller_id(BrokerId(1))
            .with_topics(vec![
                MetadataResponseTopic::default()
                    .with_name(Some(topic("orders")))
                    .with_partitions(vec![partition(0), partition(1)]),
                MetadataResponseTopic::default()
                    .with_error_code(3)
                    .with_name(Some(topic("missing"))),
            ]);
        if v >= 2 {
            r.with_cluster_id(Some(str("cluster-xyz")))
        } else {
            r
        }
    })?;

    seeds_for::<ProduceRequest>(seeds, |v| {
        let p = PartitionProduceResponse::default()
            .with_index(0)
            .with_base_offset(1234);
        let p = if v >= 5 {
            p.with_log_start_offset(1000)
        } else {
            p
        };
        ProduceResponse::default().with_responses(vec![TopicProduceResponse::default()
            .with_name(topic("orders"))
            .with_partition_responses(vec![
                p,
                PartitionProduceResponse::default()
                    .with_index(1)
                    .with_error_code(6)
                    .with_base_offset(-1),
            ])])
    })?;

    seeds_for::<FetchRequest>(seeds, |v| {
        let p = PartitionData::default()
            .with_partition_index(0)
            .with_high_watermark(46)
            .with_last_stable_offset(46)
            .with_aborted_transactions(Some(vec![AbortedTransaction::default()
                .with_producer_id(ProducerId(4000))
                .with_first_offset(40)]))
            .with_records(Some(records.clone()));
        let p = if v >= 5 {
            p.with_log_start_offset(0)
        } else {
            p
        };
        let r = FetchResponse::default().with_responses(vec![FetchableTopicResponse::default()
            .with_topic(topic("orders"))
            .with_partitions(vec![
                p,
                PartitionData::default()
                    .with_partition_index(1)
                    .with_error_code(1)
                    .with_records(None),
            ])]);
        if v >= 7 {
            r.with_session_id(77)
        } else {
            r
        }
    })?;

    seeds_for::<ListOffsetsRequest>(seeds, |v| {
        let p = ListOffsetsPartitionResponse::default()
            .with_partition_index(0)
            .with_timestamp(1_700_000_000_000)
            .with_offset(42);
        let p = if v >= 4 { p.with_leader_epoch(5) } else { p };
        ListOffsetsResponse::default().with_topics(vec![ListOffsetsTopicResponse::default()
            .with_name(topic("orders"))
            .with_partitions(vec![p])])
    })?;

    seeds_for::<CreateTopicsRequest>(seeds, |v| {
        let t = CreatableTopicResult::default()
            .with_name(topic("orders"))
            .with_error_code(36)
            .with_error_message(Some(str("Topic 'orders' already exists.")));
        let t = if v >= 5 {
            t.with_num_partitions(3)
                .with_replication_factor(1)
                .with_configs(Some(vec![CreatableTopicConfigs::default()
                    .with_name(str("cleanup.policy"))
                    .with_value(Some(str("delete")))]))
        } else {
            t
        };
        CreateTopicsResponse::default().with_topics(vec![t])
    })?;

    seeds_for::<DeleteTopicsRequest>(seeds, |v| {
        let t = DeletableTopicResult::default()
            .with_name(Some(topic("orders")))
            .with_error_code(0);
        let t = if v >= 5 {
            t.with_error_message(Some(str("ok")))
        } else {
            t
        };
        DeleteTopicsResponse::default().with_responses(vec![t])
    })?;

    seeds_for::<FindCoordinatorRequest>(seeds, |v| {
        if v >= 4 {
            FindCoordinatorResponse::default().with_coordinators(vec![Coordinator::default()
                .with_key(str("my-group"))
                .with_node_id(BrokerId(2))
                .with_host(str("broker-2.example"))
                .with_port(9093)])
        } else {
            let r = FindCoordinatorResponse::default()
                .with_node_id(BrokerId(2))
                .with_host(str("broker-2.example"))
                .with_port(9093);
            if v >= 1 {
                r.with_error_message(Some(str("none")))
            } else {
                r
            }
        }
    })?;

    seeds_for::<JoinGroupRequest>(seeds, |v| {
        let member = |id: &'static str| {
            JoinGroupResponseMember::default()
                .with_member_id(str(id))
                .with_metadata(Bytes::from_static(
                    b"\x00\x01\x00\x00\x00\x01\x00\x06orders\xff\xff\xff\xff",
                ))
        };
        let r = JoinGroupResponse::default()
            .with_generation_id(3)
            .with_protocol_name(Some(str("range")))
            .with_leader(str("m-1"))
            .with_member_id(str("m-1"))
            .with_members(vec![member("m-1"), member("m-2")]);
        if v >= 7 {
            r.with_protocol_type(Some(str("consumer")))
        } else {
            r
        }
    })?;

    seeds_for::<SyncGroupRequest>(seeds, |v| {
        let r = SyncGroupResponse::default().with_assignment(Bytes::from_static(
            b"\x00\x01\x00\x00\x00\x01\x00\x06orders\x00\x00\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff",
        ));
        if v >= 5 {
            r.with_protocol_type(Some(str("consumer")))
                .with_protocol_name(Some(str("range")))
        } else {
            r
        }
    })?;

    seeds_for::<HeartbeatRequest>(seeds, |_| HeartbeatResponse::default().with_error_code(27))?;

    seeds_for::<LeaveGroupRequest>(seeds, |v| {
        let r = LeaveGroupResponse::default();
        if v >= 3 {
            r.with_members(vec![MemberResponse::default()
                .with_member_id(str("m-1"))
                .with_group_instance_id(Some(str("instance-1")))])
        } else {
            r
        }
    })?;

    seeds_for::<OffsetCommitRequest>(seeds, |_| {
        OffsetCommitResponse::default().with_topics(vec![OffsetCommitResponseTopic::default()
            .with_name(topic("orders"))
            .with_partitions(vec![
                OffsetCommitResponsePartition::default().with_partition_index(0),
                OffsetCommitResponsePartition::default()
                    .with_partition_index(1)
                    .with_error_code(25),
            ])])
    })?;

    seeds_for::<OffsetFetchRequest>(seeds, |v| {
        if v >= 8 {
            OffsetFetchResponse::default().with_groups(vec![OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(str("my-group")))
                .with_topics(vec![OffsetFetchResponseTopics::default()
                    .with_name(topic("orders"))
                    .with_partitions(vec![OffsetFetchResponsePartitions::default()
                        .with_partition_index(0)
                        .with_committed_offset(42)
                        .with_committed_leader_epoch(5)
                        .with_metadata(Some(str("")))])])])
        } else {
            let p = OffsetFetchResponsePartition::default()
                .with_partition_index(0)
                .with_committed_offset(42)
                .with_metadata(Some(str("")));
            let p = if v >= 5 {
                p.with_committed_leader_epoch(5)
            } else {
                p
            };
            OffsetFetchResponse::default().with_topics(vec![OffsetFetchResponseTopic::default()
                .with_name(topic("orders"))
                .with_partitions(vec![p])])
        }
    })?;

    seeds_for::<InitProducerIdRequest>(seeds, |_| {
        InitProducerIdResponse::default()
            .with_producer_id(ProducerId(4000))
            .with_producer_epoch(2)
    })?;

    seeds_for::<SaslHandshakeRequest>(seeds, |_| {
        SaslHandshakeResponse::default().with_mechanisms(vec![
            str("PLAIN"),
            str("SCRAM-SHA-256"),
            str("SCRAM-SHA-512"),
        ])
    })?;

    seeds_for::<SaslAuthenticateRequest>(seeds, |v| {
        let r = SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from_static(
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        ));
        if v >= 1 {
            r.with_session_lifetime_ms(3_600_000)
        } else {
            r
        }
    })?;

    seeds_for::<DescribeClusterRequest>(seeds, |v| {
        let r = DescribeClusterResponse::default()
            .with_cluster_id(str("cluster-xyz"))
            .with_controller_id(BrokerId(1))
            .with_brokers(vec![DescribeClusterBroker::default()
                .with_broker_id(BrokerId(1))
                .with_host(str("broker-1.example"))
                .with_port(9092)
                .with_rack(Some(str("rack-a")))]);
        if v >= 1 {
            r.with_endpoint_type(1)
        } else {
            r
        }
    })?;
    // The rest of the APIs the client speaks (admin, transactions, KIP-848): default
    // responses; the fuzzer fills them in.
    seeds_for::<DescribeGroupsRequest>(seeds, |_| DescribeGroupsResponse::default())?;
    seeds_for::<ListGroupsRequest>(seeds, |_| ListGroupsResponse::default())?;
    seeds_for::<AddPartitionsToTxnRequest>(seeds, |_| AddPartitionsToTxnResponse::default())?;
    seeds_for::<AddOffsetsToTxnRequest>(seeds, |_| AddOffsetsToTxnResponse::default())?;
    seeds_for::<EndTxnRequest>(seeds, |_| EndTxnResponse::default())?;
    seeds_for::<TxnOffsetCommitRequest>(seeds, |_| TxnOffsetCommitResponse::default())?;
    seeds_for::<DescribeConfigsRequest>(seeds, |_| DescribeConfigsResponse::default())?;
    seeds_for::<ConsumerGroupHeartbeatRequest>(seeds, |_| {
        ConsumerGroupHeartbeatResponse::default()
    })?;
    seeds_for::<ConsumerGroupDescribeRequest>(seeds, |_| ConsumerGroupDescribeResponse::default())?;
    seeds_for::<ElectLeadersRequest>(seeds, |_| ElectLeadersResponse::default())?;
    seeds_for::<AlterPartitionReassignmentsRequest>(seeds, |_| {
        AlterPartitionReassignmentsResponse::default()
    })?;
    seeds_for::<CreatePartitionsRequest>(seeds, |_| CreatePartitionsResponse::default())?;
    seeds_for::<IncrementalAlterConfigsRequest>(seeds, |_| {
        IncrementalAlterConfigsResponse::default()
    })?;
    seeds_for::<DeleteGroupsRequest>(seeds, |_| DeleteGroupsResponse::default())?;
    seeds_for::<DeleteRecordsRequest>(seeds, |_| DeleteRecordsResponse::default())?;
    seeds_for::<DescribeAclsRequest>(seeds, |_| DescribeAclsResponse::default())?;
    seeds_for::<CreateAclsRequest>(seeds, |_| CreateAclsResponse::default())?;
    seeds_for::<DeleteAclsRequest>(seeds, |_| DeleteAclsResponse::default())?;
    seeds_for::<DescribeUserScramCredentialsRequest>(seeds, |_| {
        DescribeUserScramCredentialsResponse::default()
    })?;
    seeds_for::<AlterUserScramCredentialsRequest>(seeds, |_| {
        AlterUserScramCredentialsResponse::default()
    })?;
    seeds_for::<DescribeClientQuotasRequest>(seeds, |_| DescribeClientQuotasResponse::default())?;
    seeds_for::<AlterClientQuotasRequest>(seeds, |_| AlterClientQuotasResponse::default())?;
    Ok(())
}

/// A deterministic xorshift generator for the structure-aware target's seeds.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `arbitrary` has no serializer, so seeds for `record_batches_compressed` are found by
/// searching deterministic byte strings for ones that parse into an input with the wanted codec,
/// at least two records and no effective flip.
fn compressed_seeds(seeds: &mut Seeds) -> Result<()> {
    // Bytes from a small alphabet, so values repeat and compress (0xb0 lets `arbitrary` pick
    // the fourth of five enum variants).
    const ALPHABET: &[u8] = b"\x00\x01\x02\x03\xb0\xffkafka-";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for codec in [
        Codec::None,
        Codec::Gzip,
        Codec::Snappy,
        Codec::Lz4,
        Codec::Zstd,
    ] {
        let mut found = false;
        for _ in 0..200_000 {
            let len = 64 + (rng.next() % 400) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
                .collect();
            let Ok(input) = <Input as arbitrary::Arbitrary>::arbitrary_take_rest(
                arbitrary::Unstructured::new(&data),
            ) else {
                continue;
            };
            if input.codec != codec
                || input.records.len() < 2
                || input.flips.iter().any(Option::is_some)
                || !rbc::check(&input)
            {
                continue;
            }
            let name = format!(
                "ok-{}-{}-records",
                Compression::from(codec),
                input.records.len()
            );
            seeds.write("record_batches_compressed", &name, &data)?;
            found = true;
            break;
        }
        if !found {
            return Err(format!("no seed found for {codec:?}").into());
        }
    }
    Ok(())
}

/// Subscriptions at every version (topics, user data, owned partitions, generation, rack) and
/// assignments, plus a truncated and a negative-version one.
fn group_metadata_seeds(seeds: &mut Seeds) -> Result<()> {
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as Assigned;
    use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as Owned;
    use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
    use ottla_protocol::consumer_protocol::{encode_assignment, encode_subscription};

    let name = |s: &str| StrBytes::from_string(s.to_owned());
    let subscription = ConsumerProtocolSubscription::default()
        .with_topics(vec![name("orders"), name("payments")])
        .with_user_data(Some(Bytes::from_static(&[0, 0, 0, 4])))
        .with_owned_partitions(vec![Owned::default()
            .with_topic(TopicName(name("orders")))
            .with_partitions(vec![0, 3, 5])])
        .with_generation_id(12)
        .with_rack_id(Some(name("use1-az1")));
    for version in 0..=3 {
        let bytes = encode_subscription(&subscription, version)?;
        seeds.write(
            "group_metadata",
            &format!("ok-subscription-v{version}"),
            &group_metadata::input_for(false, &bytes),
        )?;
        if version == 3 {
            let cut = bytes.get(..bytes.len() - 3).unwrap_or_default();
            seeds.write(
                "group_metadata",
                "subscription-truncated",
                &group_metadata::input_for(false, cut),
            )?;
        }
    }
    let assignment = ConsumerProtocolAssignment::default()
        .with_assigned_partitions(vec![
            Assigned::default()
                .with_topic(TopicName(name("orders")))
                .with_partitions(vec![1, 2]),
            Assigned::default()
                .with_topic(TopicName(name("payments")))
                .with_partitions(vec![0]),
        ])
        .with_user_data(None);
    for version in [0, 3] {
        let bytes = encode_assignment(&assignment, version)?;
        seeds.write(
            "group_metadata",
            &format!("ok-assignment-v{version}"),
            &group_metadata::input_for(true, &bytes),
        )?;
    }
    seeds.write(
        "group_metadata",
        "ok-assignment-empty",
        &group_metadata::input_for(true, &[]),
    )?;
    seeds.write(
        "group_metadata",
        "assignment-negative-version",
        &group_metadata::input_for(true, &[0xff, 0xfe, 0, 0, 0, 0]),
    )?;
    Ok(())
}
