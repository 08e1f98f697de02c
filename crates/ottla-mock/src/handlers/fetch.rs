//! Fetch: whole stored batches from the fetch offset on, within the byte limits, with a
//! long-poll of up to `max_wait_ms` while fewer than `min_bytes` are available.
//!
//! Fetch sessions (KIP-227) are declined the way Kafka allows: every response carries session
//! id 0, so clients keep sending full fetches; an incremental fetch (non-zero session id) gets
//! FETCH_SESSION_ID_NOT_FOUND.
//!
//! With `isolation_level` READ_COMMITTED (1) only batches below the last stable offset (the
//! first offset of the earliest open transaction) are returned, with the aborted transactions
//! that overlap them; READ_UNCOMMITTED reads up to the high watermark. Both report the last
//! stable offset, as Kafka does.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId};
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use super::{led_partition, Ctx};

/// `isolation_level` value for READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

pub(crate) async fn handle(ctx: &Ctx<'_>, request: FetchRequest) -> FetchResponse {
    if let Some(code) = ctx.injected.top_level() {
        return FetchResponse::default().with_error_code(code);
    }
    if ctx.version >= 7 && request.session_id != 0 {
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code());
    }
    let max_wait = Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
    let deadline = Instant::now() + max_wait;
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    loop {
        // Subscribe before reading, so an append between the read and the wait still wakes us.
        let notified = ctx.shared.changed().notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let read = read_all(ctx, &request);
        if read.any_error || read.bytes >= min_bytes || Instant::now() >= deadline {
            return read.response;
        }
        // Timing out is the normal end of a long poll with no data.
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

struct Read {
    response: FetchResponse,
    bytes: usize,
    any_error: bool,
}

fn read_all(ctx: &Ctx<'_>, request: &FetchRequest) -> Read {
    let state = ctx.shared.lock();
    let mut remaining = usize::try_from(request.max_bytes).unwrap_or(0);
    // Kafka returns the first batch of the first non-empty partition even when it is larger than
    // the limits, so a consumer can always make progress.
    let mut min_one = true;
    let mut bytes = 0usize;
    let mut any_error = false;
    let read_committed = request.isolation_level == READ_COMMITTED;
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in &request.topics {
        let name = topic.topic.0.as_str();
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for fp in &topic.partitions {
            let entry = PartitionData::default().with_partition_index(fp.partition);
            let epoch = if ctx.version >= 9 {
                fp.current_leader_epoch
            } else {
                -1
            };
            let led = match ctx.injected.partition(name, fp.partition) {
                Some(code) => Err(code),
                None => led_partition(&state, ctx.node, name, fp.partition, epoch),
            };
            let read = led.and_then(|p| {
                let limit = usize::try_from(fp.partition_max_bytes)
                    .unwrap_or(0)
                    .min(remaining);
                let max_offset = if read_committed {
                    p.log.last_stable_offset()
                } else {
                    p.log.high_watermark()
                };
                p.log
                    .read(fp.fetch_offset, limit, min_one, max_offset)
                    .map(|read| (p, read))
                    .map_err(|_| ResponseError::OffsetOutOfRange.code())
            });
            partitions.push(match read {
                Ok((p, read)) => {
                    let records = read.records;
                    if !records.is_empty() {
                        min_one = false;
                        remaining = remaining.saturating_sub(records.len());
                        bytes += records.len();
                    }
                    let aborted = read_committed.then(|| {
                        if records.is_empty() {
                            return Vec::new();
                        }
                        p.log
                            .aborted_transactions(fp.fetch_offset, read.end_offset)
                            .into_iter()
                            .map(|t| {
                                AbortedTransaction::default()
                                    .with_producer_id(ProducerId(t.producer_id))
                                    .with_first_offset(t.first_offset)
                            })
                            .collect()
                    });
                    entry
                        .with_high_watermark(p.log.high_watermark())
                        .with_last_stable_offset(p.log.last_stable_offset())
                        .with_log_start_offset(p.log.log_start_offset())
                        .with_aborted_transactions(aborted)
                        .with_records(Some(records))
                }
                Err(code) => {
                    any_error = true;
                    entry
                        .with_error_code(code)
                        .with_high_watermark(-1)
                        .with_last_stable_offset(-1)
                        .with_log_start_offset(-1)
                        .with_aborted_transactions(None)
                        .with_records(Some(Bytes::new()))
                }
            });
        }
        topics.push(
            FetchableTopicResponse::default()
                .with_topic(topic.topic.clone())
                .with_partitions(partitions),
        );
    }
    Read {
        response: FetchResponse::default().with_responses(topics),
        bytes,
        any_error,
    }
}
