//! Completing a transaction: one COMMIT or ABORT marker on every partition it touched, and its
//! pending group offsets published or dropped — what Kafka's coordinator does with
//! WriteTxnMarkers, done here while the request that ended the transaction is handled.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::log::Marker;
use crate::state::ClusterState;
use crate::txn_coordinator::EndedTxn;

/// The coordinator epoch markers carry (the mock's coordinators never change epoch).
pub(crate) const COORDINATOR_EPOCH: i32 = 0;

/// Writes the markers of `ended` and settles its groups' offsets. Partitions of deleted topics
/// are skipped. Returns how many markers were written.
pub(crate) fn complete(state: &mut ClusterState, ended: &EndedTxn) -> usize {
    let marker = Marker {
        producer_id: ended.producer_id,
        producer_epoch: ended.producer_epoch,
        commit: ended.commit,
        coordinator_epoch: COORDINATOR_EPOCH,
        timestamp: now_ms(),
    };
    let mut written = 0;
    for (topic, partition) in &ended.partitions {
        let Ok(p) = state.partition_mut(topic, *partition) else {
            tracing::debug!(topic, partition, "no marker: the partition is gone");
            continue;
        };
        let leader_epoch = p.leader_epoch;
        match p.log.append_marker(&marker, leader_epoch) {
            Ok(_) => written += 1,
            Err(e) => tracing::warn!(topic, partition, "marker refused: {}", e.reason),
        }
    }
    for group in &ended.groups {
        state
            .groups
            .complete(group, ended.producer_id, ended.commit);
    }
    written
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::OffsetCommit;
    use crate::state::tests::cluster;

    #[test]
    fn markers_on_every_partition_and_offsets_settled() {
        let mut c = cluster(2);
        c.create_topic("t", 2).unwrap();
        let offset = OffsetCommit {
            offset: 4,
            leader_epoch: -1,
            metadata: None,
        };
        c.groups.stage("g", 1000, "t", 0, offset.clone());
        let ended = EndedTxn {
            producer_id: 1000,
            producer_epoch: 0,
            commit: true,
            partitions: vec![("t".into(), 0), ("t".into(), 1), ("gone".into(), 0)],
            groups: vec!["g".into()],
        };
        assert_eq!(complete(&mut c, &ended), 2);
        for p in 0..2 {
            let log = &c.partition("t", p).unwrap().log;
            assert_eq!(log.high_watermark(), 1);
            assert!(log.batches().all(|b| b.header.is_control()));
        }
        assert_eq!(c.groups.committed("g", "t", 0), Some(&offset));
        assert!(now_ms() > 1_600_000_000_000);
    }
}
