//! DeleteRecords: the partition's leader moves its log start to the given offset (-1: the high
//! watermark) and answers the new low watermark; an offset past the high watermark is
//! OFFSET_OUT_OF_RANGE.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use kafka_protocol::ResponseError;

use super::{led_partition, Ctx};

pub(crate) fn handle(ctx: &Ctx<'_>, request: &DeleteRecordsRequest) -> DeleteRecordsResponse {
    let mut topics = Vec::with_capacity(request.topics.len());
    {
        let mut state = ctx.shared.lock();
        for t in &request.topics {
            let topic = t.name.0.as_str();
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let index = p.partition_index;
                    let result = DeleteRecordsPartitionResult::default()
                        .with_partition_index(index)
                        .with_low_watermark(-1);
                    if let Some(code) = ctx.injected.partition(topic, index) {
                        return result.with_error_code(code);
                    }
                    if let Err(code) = led_partition(&state, ctx.node, topic, index, -1) {
                        return result.with_error_code(code);
                    }
                    let Ok(partition) = state.partition_mut(topic, index) else {
                        return result
                            .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let log = &mut partition.log;
                    let offset = if p.offset == -1 {
                        log.high_watermark()
                    } else {
                        p.offset
                    };
                    if offset <= log.log_start_offset() {
                        // Already deleted: nothing to do.
                        return result.with_low_watermark(log.log_start_offset());
                    }
                    match log.advance_log_start(offset) {
                        Ok(()) => result.with_low_watermark(log.log_start_offset()),
                        Err(_) => result.with_error_code(ResponseError::OffsetOutOfRange.code()),
                    }
                })
                .collect();
            topics.push(
                DeleteRecordsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions),
            );
        }
    }
    ctx.shared.notify_changed();
    DeleteRecordsResponse::default().with_topics(topics)
}
