//! ListOffsets: earliest (-2, and -4 "earliest local"), latest (-1), max timestamp (-3), or the
//! first record at or after a timestamp.
//!
//! As in Kafka, `isolation_level` READ_COMMITTED (1) answers "latest" with the last stable
//! offset, and the other lookups but "earliest" only with offsets below it.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::{led_partition, Ctx};
use crate::log::{OffsetAnswer, PartitionLog};

/// The special timestamps of ListOffsets.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;
/// `isolation_level` value for READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

pub(crate) fn handle(ctx: &Ctx<'_>, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let read_committed = request.isolation_level == READ_COMMITTED;
    let state = ctx.shared.lock();
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let name = topic.name.0.as_str();
            let partitions = topic
                .partitions
                .iter()
                .map(|req| {
                    let entry = ListOffsetsPartitionResponse::default()
                        .with_partition_index(req.partition_index);
                    let epoch = if ctx.version >= 4 {
                        req.current_leader_epoch
                    } else {
                        -1
                    };
                    let led = match ctx.injected.partition(name, req.partition_index) {
                        Some(code) => Err(code),
                        None => led_partition(&state, ctx.node, name, req.partition_index, epoch),
                    };
                    match led {
                        Err(code) => entry.with_error_code(code),
                        Ok(p) => {
                            let answer = lookup(&p.log, req.timestamp, read_committed);
                            let entry = entry
                                .with_offset(answer.offset)
                                .with_timestamp(answer.timestamp);
                            if ctx.version >= 4 {
                                entry.with_leader_epoch(p.leader_epoch)
                            } else {
                                entry
                            }
                        }
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

/// The answer for one partition. Every append is replicated at once, so the high watermark is
/// the log end; `read_committed` stops at the last stable offset.
fn lookup(log: &PartitionLog, timestamp: i64, read_committed: bool) -> OffsetAnswer {
    let last_fetchable = if read_committed {
        log.last_stable_offset()
    } else {
        log.high_watermark()
    };
    let below_fetchable = |answer: OffsetAnswer| {
        if answer.offset < last_fetchable {
            answer
        } else {
            OffsetAnswer::NONE
        }
    };
    match timestamp {
        LATEST => OffsetAnswer {
            offset: last_fetchable,
            timestamp: -1,
        },
        EARLIEST | EARLIEST_LOCAL => OffsetAnswer {
            offset: log.log_start_offset(),
            timestamp: -1,
        },
        MAX_TIMESTAMP => below_fetchable(log.offset_of_max_timestamp()),
        // No tiered storage: nothing has been tiered.
        LATEST_TIERED => OffsetAnswer {
            offset: -1,
            timestamp: -1,
        },
        ts => below_fetchable(log.offset_for_timestamp(ts)),
    }
}
