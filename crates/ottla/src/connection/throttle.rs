//! KIP-219: the throttle time of any response the client decodes. A Kafka 2.0+ broker answers
//! a client over its quota at once with `throttle_time_ms` and expects it to send nothing more
//! on that connection until the time has passed; the connection task holds requests back
//! until then.

use std::any::Any;

use ottla_protocol::messages;

/// Lists the response types with a `throttle_time_ms` field the client reads.
macro_rules! throttle_time_of {
    ($response:expr; $($t:ident),* $(,)?) => {{
        let response: &dyn Any = $response;
        None$(.or_else(|| response.downcast_ref::<messages::$t>().map(|r| r.throttle_time_ms)))*
    }};
}

/// The throttle time `response` carries (0 when it has none).
pub(crate) fn throttle_time_ms(response: &dyn Any) -> i32 {
    throttle_time_of!(
        response;
        ProduceResponse,
        FetchResponse,
        ListOffsetsResponse,
        MetadataResponse,
        OffsetCommitResponse,
        OffsetFetchResponse,
        FindCoordinatorResponse,
        JoinGroupResponse,
        HeartbeatResponse,
        LeaveGroupResponse,
        SyncGroupResponse,
        DescribeGroupsResponse,
        ListGroupsResponse,
        ApiVersionsResponse,
        CreateTopicsResponse,
        DeleteTopicsResponse,
        DeleteRecordsResponse,
        InitProducerIdResponse,
        AddPartitionsToTxnResponse,
        AddOffsetsToTxnResponse,
        EndTxnResponse,
        TxnOffsetCommitResponse,
        DescribeAclsResponse,
        CreateAclsResponse,
        DeleteAclsResponse,
        DescribeConfigsResponse,
        CreatePartitionsResponse,
        DeleteGroupsResponse,
        ElectLeadersResponse,
        IncrementalAlterConfigsResponse,
        AlterPartitionReassignmentsResponse,
        DescribeClientQuotasResponse,
        AlterClientQuotasResponse,
        DescribeUserScramCredentialsResponse,
        AlterUserScramCredentialsResponse,
        DescribeClusterResponse,
        ConsumerGroupHeartbeatResponse,
        ConsumerGroupDescribeResponse,
    )
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_field_of_any_listed_response() {
        let produce = messages::ProduceResponse::default().with_throttle_time_ms(250);
        assert_eq!(throttle_time_ms(&produce), 250);
        let heartbeat = messages::HeartbeatResponse::default().with_throttle_time_ms(7);
        assert_eq!(throttle_time_ms(&heartbeat), 7);
        let sasl = messages::SaslHandshakeResponse::default();
        assert_eq!(throttle_time_ms(&sasl), 0, "no such field");
    }
}
