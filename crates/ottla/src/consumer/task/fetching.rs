//! The consumer task's fetches: which broker each partition is read from (its leader, or
//! the replica the leader prefers for this client's rack: KIP-392), one Fetch in flight per
//! broker inside that broker's fetch session (KIP-227), and what each answer does to the
//! positions — including a log found truncated under them (KIP-320).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::records::ConsumedRecord;
use tokio::time::Instant;

use super::{Fetching, Item, State, NO_LEADER, REVOKING};
use crate::basic::{fetch_positions, EpochEnd, FetchPosition, FetchSession};
use crate::consumer::config::OffsetReset;
use crate::consumer::handle::Position;
use crate::error::Error;
use crate::group::TopicPartition;

/// What one Fetch came back with: its broker, that broker's session, the answer.
pub(super) type Fetched = (
    i32,
    FetchSession,
    Result<Vec<(FetchPosition, Result<crate::basic::FetchedPartition, Error>)>, Error>,
);

/// What records weigh against `queued.max.messages.kbytes`: keys, values, header keys and
/// values, and the record itself.
fn buffered_size(records: &[ConsumedRecord]) -> usize {
    records
        .iter()
        .map(|r| {
            let headers: usize = r
                .headers
                .iter()
                .map(|h| h.key.len() + h.value.as_ref().map_or(0, |v| v.len()))
                .sum();
            std::mem::size_of::<ConsumedRecord>()
                + r.key.as_ref().map_or(0, |k| k.len())
                + r.value.as_ref().map_or(0, |v| v.len())
                + headers
        })
        .sum()
}

impl State {
    /// A Fetch for every broker (leader, or preferred read replica) of owned, positioned,
    /// unpaused partitions that has none in flight and is not backing off.
    /// The cached metadata, starting a refresh beside the task when it is stale or older than
    /// `metadata.max.age.ms` (and none runs yet): fetches go on with the view at hand.
    fn metadata_now(&mut self) -> Option<std::sync::Arc<crate::cluster::ClusterMetadata>> {
        let running = self.refreshing.as_ref().is_some_and(|r| !r.is_finished());
        if !running && !self.client.metadata_is_fresh() {
            let client = self.client.clone();
            self.refreshing = Some(tokio::spawn(async move {
                if let Err(e) = client.refresh_metadata().await {
                    tracing::debug!(error = %e, "metadata refresh failed; the next fetch round tries again");
                }
            }));
        }
        self.client.cached()
    }

    pub(super) async fn start_fetches(&mut self) -> Vec<Fetching> {
        let now = Instant::now();
        let mut by_node: BTreeMap<i32, (Vec<FetchPosition>, bool)> = BTreeMap::new();
        let paused = self.shared.paused().clone();
        self.preferred.retain(|_, (_, until)| *until > now);
        let metadata = self.metadata_now();
        for (tp, position) in self
            .positions
            .iter()
            .filter(|(tp, _)| !paused.contains(*tp))
        {
            let found = metadata
                .as_ref()
                .map(|m| m.leader_and_epoch(&tp.topic, tp.partition));
            let (leader, leader_epoch) = match found {
                Some(Ok(l)) => l,
                other => {
                    // Look again after the backoff even if nothing else wakes the task; a
                    // refresh runs meanwhile.
                    tracing::debug!(partition = %tp, error = ?other.and_then(Result::err), "no leader yet");
                    self.client.invalidate_metadata();
                    self.retry_at
                        .entry(NO_LEADER)
                        .or_insert(now + self.config.retry_backoff.base);
                    continue;
                }
            };
            let node = self.preferred.get(tp).map_or(leader, |(node, _)| *node);
            if self.in_flight.contains(&node)
                || self.retry_at.get(&node).is_some_and(|at| *at > now)
            {
                continue;
            }
            let (wanted, from_follower) = by_node.entry(node).or_default();
            *from_follower |= node != leader;
            wanted.push(FetchPosition {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                offset: position.offset,
                current_leader_epoch: leader_epoch,
                last_fetched_epoch: position.epoch,
            });
        }
        let mut out: Vec<Fetching> = Vec::new();
        for (node, (wanted, from_follower)) in by_node {
            self.in_flight.insert(node);
            if from_follower {
                crate::stats::add(&self.shared.counters.follower_fetches, 1);
            }
            let client = self.client.clone();
            let options = self.config.fetch.clone();
            let mut session = self.sessions.remove(&node).unwrap_or_default();
            out.push(Box::pin(async move {
                let result = match client.fetch_connection(node).await {
                    Ok(conn) => {
                        fetch_positions(&client, &conn, &wanted, &options, Some(&mut session)).await
                    }
                    Err(e) => {
                        session.on_failure();
                        Err(e)
                    }
                };
                (node, session, result)
            }));
        }
        out
    }

    pub(super) async fn on_fetched(&mut self, (node, mut session, result): Fetched) {
        let (incremental, resets) = session.take_counts();
        self.sessions.insert(node, session);
        let counters = &self.shared.counters;
        crate::stats::add(&counters.incremental_fetches, incremental);
        crate::stats::add(&counters.fetch_session_resets, resets);
        let results = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(broker = node, error = %e, "fetch failed; backing off");
                self.client.invalidate_metadata();
                // Partitions read from this broker as a preferred replica go back to their
                // leader.
                self.preferred.retain(|_, (n, _)| *n != node);
                self.retry_at
                    .insert(node, Instant::now() + self.config.retry_backoff.base);
                return;
            }
        };
        crate::stats::add(&self.shared.counters.fetches, 1);
        for (asked, result) in results {
            let tp = TopicPartition::new(asked.topic.as_str(), asked.partition);
            // Moved on meanwhile (revoked, reset, sought) or paused: this answer is stale; a
            // paused partition is fetched again from the same position after the resume.
            if self.positions.get(&tp).map(|p| p.offset) != Some(asked.offset)
                || self.shared.paused().contains(&tp)
            {
                continue;
            }
            let from_follower = self.preferred.get(&tp).is_some_and(|(n, _)| *n == node);
            match result {
                Ok(fetched) => {
                    if let Some(replica) = fetched.preferred_read_replica {
                        tracing::debug!(partition = %tp, replica, "reading from the preferred replica");
                        let until = Instant::now() + self.client.config().metadata_max_age;
                        self.preferred.insert(tp.clone(), (replica, until));
                    }
                    if let Some(diverging) = fetched.diverging {
                        self.diverged(tp, &asked, diverging).await;
                        continue;
                    }
                    if !fetched.changed {
                        continue;
                    }
                    let epoch = match fetched.last_epoch {
                        -1 => asked.last_fetched_epoch,
                        e => e,
                    };
                    self.positions.insert(
                        tp.clone(),
                        Position {
                            offset: fetched.next_offset,
                            epoch,
                        },
                    );
                    let end = match fetched.last_stable_offset {
                        lso if self.config.fetch.read_committed && lso >= 0 => lso,
                        _ => fetched.high_watermark,
                    };
                    if end >= 0 {
                        self.shared.ends().insert(tp.clone(), end);
                    }
                    let assigned = self.shared.assigned().get(&tp).copied();
                    let Some(assignment) = assigned.filter(|&n| n != REVOKING) else {
                        continue;
                    };
                    if !fetched.records.is_empty() {
                        let n = fetched.records.len() as u64;
                        crate::stats::add(&self.shared.counters.records_fetched, n);
                        let bytes = buffered_size(&fetched.records);
                        self.shared.buffered.fetch_add(bytes, Ordering::Relaxed);
                        self.hand_over(Item::Records {
                            partition: tp.clone(),
                            assignment,
                            records: fetched.records,
                            bytes,
                        })
                        .await;
                    }
                    let at_end = end >= 0 && fetched.next_offset >= end;
                    if self.config.enable_partition_eof
                        && at_end
                        && self.eof_at.get(&tp) != Some(&fetched.next_offset)
                    {
                        self.eof_at.insert(tp.clone(), fetched.next_offset);
                        self.hand_over(Item::Eof {
                            partition: tp,
                            assignment,
                            offset: fetched.next_offset,
                        })
                        .await;
                    }
                }
                // A follower may not have the offset yet (or any more): ask the leader,
                // which decides whether it is really out of range (as the Java client does).
                Err(e)
                    if from_follower
                        && (e.is_retriable()
                            || e.kafka_code() == Some(ErrorCode::OFFSET_OUT_OF_RANGE)) =>
                {
                    tracing::debug!(partition = %tp, broker = node, error = %e, "preferred replica failed; back to the leader");
                    self.preferred.remove(&tp);
                }
                // The client's metadata names the new leader already: fetch there next.
                Err(Error::LeaderMoved { leader, epoch, .. }) => {
                    tracing::debug!(partition = %tp, broker = node, leader, epoch, "leader moved (named in the answer)");
                    crate::stats::add(&self.shared.counters.leader_hints, 1);
                }
                Err(e) if e.kafka_code() == Some(ErrorCode::OFFSET_OUT_OF_RANGE) => {
                    tracing::info!(partition = %tp, offset = asked.offset, "offset out of range: resetting by auto.offset.reset");
                    match self.reset(&tp).await {
                        Ok(offset) => {
                            self.positions.insert(tp, Position::at(offset));
                        }
                        Err(e) => self.fail(e).await,
                    }
                }
                // The broker has not yet learnt the epoch our metadata holds (a leader just
                // elected): its metadata is behind, not ours; ask again after the backoff
                // (the Java client does not refresh metadata for it either).
                Err(e) if e.kafka_code() == Some(ErrorCode::UNKNOWN_LEADER_EPOCH) => {
                    tracing::debug!(partition = %tp, broker = node, "broker behind our leader epoch; asking again");
                    self.retry_at
                        .insert(node, Instant::now() + self.config.retry_backoff.base);
                }
                Err(e) if e.is_retriable() => {
                    tracing::debug!(partition = %tp, error = %e, "fetch error; looking at metadata again");
                    self.client.invalidate_metadata();
                    self.retry_at
                        .insert(node, Instant::now() + self.config.retry_backoff.base);
                }
                Err(e) => self.fail(e).await,
            }
        }
    }

    /// The broker found the log diverging from the epoch of the last record read
    /// (`asked.last_fetched_epoch`): that epoch ends at `diverging` on the leader. Below the
    /// position, records the consumer read are gone (a truncation); otherwise only the epoch
    /// was stale.
    async fn diverged(&mut self, tp: TopicPartition, asked: &FetchPosition, diverging: EpochEnd) {
        if diverging.end_offset >= asked.offset {
            self.positions.insert(
                tp,
                Position {
                    offset: asked.offset,
                    epoch: diverging.epoch,
                },
            );
            return;
        }
        crate::stats::add(&self.shared.counters.truncations, 1);
        if self.config.auto_offset_reset == OffsetReset::None {
            let e = Error::LogTruncated {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                position: asked.offset,
                diverged_at: diverging.end_offset,
            };
            self.fail(e).await;
            return;
        }
        tracing::warn!(partition = %tp, position = asked.offset, diverged_at = diverging.end_offset,
            epoch = diverging.epoch,
            "log truncated under the position (records read are gone): reading on from where the logs agree");
        let at = Position {
            offset: diverging.end_offset,
            epoch: diverging.epoch,
        };
        if let Err(e) = self.seek(tp, at) {
            tracing::debug!(error = %e, "truncated partition no longer assigned");
        }
    }
}
