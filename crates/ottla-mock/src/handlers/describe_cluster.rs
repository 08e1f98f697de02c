//! DescribeCluster: the cluster id, the controller (the lowest running node id) and the running
//! brokers, none fenced.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::Ctx;

pub(crate) fn handle(ctx: &Ctx<'_>, _request: &DescribeClusterRequest) -> DescribeClusterResponse {
    if let Some(code) = ctx.injected.top_level() {
        return DescribeClusterResponse::default().with_error_code(code);
    }
    let state = ctx.shared.lock();
    let brokers = state
        .brokers
        .iter()
        .filter(|(_, b)| b.running)
        .map(|(&id, b)| {
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(id))
                .with_host(StrBytes::from_string(b.host.clone()))
                .with_port(i32::from(b.port))
        })
        .collect();
    DescribeClusterResponse::default()
        .with_cluster_id(StrBytes::from_string(state.settings.cluster_id.clone()))
        .with_controller_id(BrokerId(state.controller()))
        .with_brokers(brokers)
        .with_cluster_authorized_operations(i32::MIN)
}
