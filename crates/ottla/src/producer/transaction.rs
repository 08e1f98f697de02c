//! Transactions (`transactional.id`): init, begin, send, send offsets, commit, abort. The
//! state lives in the accumulator so `send` and the sender task see it under the same lock.

use std::sync::Arc;

use tokio::time::Instant;

use super::config::ProducerConfig;
use super::coordinator::{self, CoordinatorKind, GroupMetadata};
use super::handle::Producer;
use super::sender::Shared;
use crate::cluster::Backoff;
use crate::error::Error;

/// Where a transactional producer is (in [`Error::TransactionState`]).
#[non_exhaustive]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum TransactionPhase {
    /// `init_transactions` not called yet.
    #[default]
    Uninitialized,
    /// Between transactions.
    Ready,
    /// `begin_transaction` called.
    InTransaction,
    /// Commit or abort in progress: no more sends.
    Ending,
}

impl std::fmt::Display for TransactionPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransactionPhase::Uninitialized => "not initialized (call init_transactions)",
            TransactionPhase::Ready => "between transactions (call begin_transaction)",
            TransactionPhase::InTransaction => "in a transaction",
            TransactionPhase::Ending => "committing or aborting a transaction",
        })
    }
}

/// A transactional producer's state.
#[derive(Debug, Default)]
pub(crate) struct TxnState {
    pub phase: TransactionPhase,
    /// The transaction coordinator's node id.
    pub coordinator: Option<i32>,
    /// A send of this transaction failed: it can only be aborted.
    pub abortable: Option<Error>,
    /// Partitions or offsets were added: the coordinator knows the transaction, so it ends
    /// with EndTxn. (A transaction with nothing in it ends locally: the coordinator would
    /// answer INVALID_TXN_STATE.)
    pub has_work: bool,
}

impl TxnState {
    pub fn check_can_send(&self) -> Result<(), Error> {
        match self.phase {
            TransactionPhase::InTransaction => Ok(()),
            actual => Err(Error::TransactionState {
                call: "send",
                expected: TransactionPhase::InTransaction,
                actual,
            }),
        }
    }

    /// Whether batches may go to brokers now.
    pub fn can_drain(&self) -> bool {
        matches!(
            self.phase,
            TransactionPhase::InTransaction | TransactionPhase::Ending
        )
    }

    /// Records the first failure of a send in this transaction.
    pub fn abortable(&mut self, error: Error) {
        if matches!(
            self.phase,
            TransactionPhase::InTransaction | TransactionPhase::Ending
        ) {
            self.abortable.get_or_insert(error);
        }
    }
}

fn not_transactional() -> Error {
    Error::NotTransactional
}

/// The error a transactional producer reports when `e` says another instance took over.
pub(crate) fn as_fenced(config: &ProducerConfig, e: &Error) -> Option<Error> {
    use ottla_protocol::error_code::ErrorCode;
    match e.kafka_code() {
        Some(c) if c == ErrorCode::PRODUCER_FENCED || c == ErrorCode::INVALID_PRODUCER_EPOCH => {
            Some(Error::ProducerFenced {
                transactional_id: config.transactional_id.clone(),
                code: c,
            })
        }
        _ => None,
    }
}

/// `e`, or the fencing it means (which then ends the producer).
fn fenced_or(shared: &Shared, e: Error) -> Error {
    match as_fenced(&shared.config, &e) {
        Some(fenced) => {
            shared.lock().fatal = Some(fenced.clone());
            fenced
        }
        None => e,
    }
}

impl Producer {
    fn txn_id(&self) -> Result<&str, Error> {
        self.shared
            .config
            .transactional_id
            .as_deref()
            .ok_or_else(not_transactional)
    }

    fn backoff(&self) -> Backoff {
        Backoff {
            base: self.shared.config.retry_backoff,
            max: self.shared.config.retry_backoff_max,
        }
    }

    fn check_phase(&self, want: TransactionPhase, call: &'static str) -> Result<(), Error> {
        let acc = self.shared.lock();
        if let Some(e) = &acc.fatal {
            return Err(e.clone());
        }
        let phase = acc
            .txn
            .as_ref()
            .map(|t| t.phase)
            .ok_or_else(not_transactional)?;
        if phase != want {
            return Err(Error::TransactionState {
                call,
                expected: want,
                actual: phase,
            });
        }
        Ok(())
    }

    /// Finds the transaction coordinator and gets this `transactional.id`'s producer id and
    /// a new epoch, which fences any older producer with the same id and aborts its open
    /// transaction. Call once, before the first transaction.
    pub async fn init_transactions(&self) -> Result<(), Error> {
        let txn_id = self.txn_id()?.to_owned();
        self.check_phase(TransactionPhase::Uninitialized, "init_transactions")?;
        let shared = Arc::clone(&self.shared);
        let deadline = Instant::now() + shared.config.max_block;
        let (identity, coordinator) = coordinator::with_retries(deadline, self.backoff(), |_| {
            let shared = Arc::clone(&shared);
            let txn_id = txn_id.clone();
            async move {
                let node = coordinator::find_coordinator(
                    &shared.client,
                    CoordinatorKind::Transaction,
                    &txn_id,
                )
                .await?;
                let id = coordinator::init_producer_id(
                    &shared.client,
                    Some(&txn_id),
                    Some(node),
                    shared.config.transaction_timeout,
                    None,
                )
                .await?;
                Ok((id, node))
            }
        })
        .await?;
        let mut acc = self.shared.lock();
        acc.apply_bump(identity);
        if let Some(t) = acc.txn.as_mut() {
            t.coordinator = Some(coordinator);
            t.phase = TransactionPhase::Ready;
        }
        tracing::info!(transactional_id = %txn_id, producer_id = identity.producer_id, epoch = identity.epoch, "transactions initialised");
        Ok(())
    }

    /// Starts a transaction: sends until the commit or abort belong to it.
    pub fn begin_transaction(&self) -> Result<(), Error> {
        self.txn_id()?;
        self.check_phase(TransactionPhase::Ready, "begin_transaction")?;
        let mut acc = self.shared.lock();
        if let Some(t) = acc.txn.as_mut() {
            t.phase = TransactionPhase::InTransaction;
            t.abortable = None;
            t.has_work = false;
        }
        Ok(())
    }

    /// Adds consumed offsets to the transaction: they are committed for `group` if and only
    /// if the transaction commits (read-process-write exactly once). `offsets` are
    /// `(topic, partition, next offset to consume)`.
    pub async fn send_offsets_to_transaction(
        &self,
        offsets: &[(String, i32, i64)],
        group: &GroupMetadata,
    ) -> Result<(), Error> {
        let txn_id = self.txn_id()?.to_owned();
        self.check_phase(
            TransactionPhase::InTransaction,
            "send_offsets_to_transaction",
        )?;
        let (identity, coordinator) = {
            let acc = self.shared.lock();
            (acc.identity, acc.txn.as_ref().and_then(|t| t.coordinator))
        };
        let (Some(identity), Some(coordinator)) = (identity, coordinator) else {
            return Err(Error::Internal(
                "transactional producer in a transaction without a producer id or coordinator",
            ));
        };
        let shared = Arc::clone(&self.shared);
        let deadline = Instant::now() + shared.config.max_block;
        let result = async {
            coordinator::with_retries(deadline, self.backoff(), |refind| {
                let shared = Arc::clone(&shared);
                let txn_id = txn_id.clone();
                let group_id = group.group_id.clone();
                async move {
                    let node = shared.txn_coordinator(refind, coordinator).await?;
                    coordinator::add_offsets(&shared.client, node, &txn_id, identity, &group_id)
                        .await
                }
            })
            .await?;
            coordinator::with_retries(deadline, self.backoff(), |_| {
                let shared = Arc::clone(&shared);
                let txn_id = txn_id.clone();
                async move {
                    let node = coordinator::find_coordinator(
                        &shared.client,
                        CoordinatorKind::Group,
                        &group.group_id,
                    )
                    .await?;
                    coordinator::txn_offset_commit(
                        &shared.client,
                        node,
                        &txn_id,
                        identity,
                        group,
                        offsets,
                    )
                    .await
                }
            })
            .await
        }
        .await;
        if result.is_ok() {
            if let Some(t) = self.shared.lock().txn.as_mut() {
                t.has_work = true;
            }
        }
        result.map_err(|e| {
            let e = fenced_or(&self.shared, e);
            if let Some(t) = self.shared.lock().txn.as_mut() {
                t.abortable(e.clone());
            }
            e
        })
    }

    /// Delivers every record of the transaction, then commits it. If a send of the
    /// transaction failed, nothing is committed and [`Error::TransactionAbortable`] says
    /// why: call [`abort_transaction`](Self::abort_transaction).
    pub async fn commit_transaction(&self) -> Result<(), Error> {
        self.end_transaction(true).await
    }

    /// Aborts the transaction: records not yet sent fail with `TransactionAborted`, records
    /// already written are marked aborted (read_committed consumers skip them).
    pub async fn abort_transaction(&self) -> Result<(), Error> {
        self.end_transaction(false).await
    }

    async fn end_transaction(&self, commit: bool) -> Result<(), Error> {
        let txn_id = self.txn_id()?.to_owned();
        let call = if commit {
            "commit_transaction"
        } else {
            "abort_transaction"
        };
        {
            let mut acc = self.shared.lock();
            if let Some(e) = &acc.fatal {
                return Err(e.clone());
            }
            let txn = acc.txn.as_mut().ok_or_else(not_transactional)?;
            match txn.phase {
                TransactionPhase::InTransaction => {}
                // A commit that failed may be retried as an abort.
                TransactionPhase::Ending if !commit => {}
                actual => {
                    return Err(Error::TransactionState {
                        call,
                        expected: TransactionPhase::InTransaction,
                        actual,
                    })
                }
            }
            if commit {
                if let Some(e) = &txn.abortable {
                    return Err(Error::TransactionAbortable {
                        cause: Box::new(e.clone()),
                    });
                }
            }
            txn.phase = TransactionPhase::Ending;
            if !commit {
                for mut b in acc.take_unsent() {
                    b.complete(Err(Error::TransactionAborted));
                    acc.release(&b);
                }
            }
        }
        self.shared.room.notify_waiters();
        // Wait until everything of the transaction is delivered (or, for an abort, until the
        // requests in flight have answered).
        self.flush().await?;
        let (identity, coordinator, failed, has_work) = {
            let acc = self.shared.lock();
            if let Some(e) = &acc.fatal {
                return Err(e.clone());
            }
            let txn = acc.txn.as_ref();
            (
                acc.identity,
                txn.and_then(|t| t.coordinator),
                txn.and_then(|t| t.abortable.clone()),
                txn.is_some_and(|t| t.has_work),
            )
        };
        if let (true, Some(e)) = (commit, failed) {
            // Stay in Ending: only an abort can finish this transaction.
            return Err(Error::TransactionAbortable { cause: Box::new(e) });
        }
        let (Some(identity), Some(coordinator)) = (identity, coordinator) else {
            return Err(Error::Internal(
                "transactional producer in a transaction without a producer id or coordinator",
            ));
        };
        if has_work {
            self.send_end_txn(&txn_id, identity, coordinator, commit)
                .await?;
        }
        if !commit {
            self.bump_after_failed_batch(&txn_id, identity, coordinator)
                .await?;
        }
        let mut acc = self.shared.lock();
        for t in acc.topics.values_mut() {
            for pq in &mut t.partitions {
                pq.in_txn = false;
            }
        }
        if let Some(t) = acc.txn.as_mut() {
            t.phase = TransactionPhase::Ready;
            t.abortable = None;
            t.has_work = false;
        }
        Ok(())
    }

    /// After an abort: a batch of the transaction that failed left a gap in its partition's
    /// sequence numbers, which the next transaction cannot send across. As the Java producer
    /// does (KIP-360), get a new epoch for the producer id: every partition starts its
    /// sequence numbers over under it.
    async fn bump_after_failed_batch(
        &self,
        txn_id: &str,
        identity: super::accumulator::Identity,
        coordinator: i32,
    ) -> Result<(), Error> {
        let gap = {
            let acc = self.shared.lock();
            acc.topics
                .values()
                .any(|t| t.partitions.iter().any(|pq| pq.reset_sequences))
        };
        if !gap {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        let deadline = Instant::now() + shared.config.max_block;
        let bumped = coordinator::with_retries(deadline, self.backoff(), |refind| {
            let shared = Arc::clone(&shared);
            let txn_id = txn_id.to_owned();
            async move {
                let node = shared.txn_coordinator(refind, coordinator).await?;
                coordinator::init_producer_id(
                    &shared.client,
                    Some(&txn_id),
                    Some(node),
                    shared.config.transaction_timeout,
                    Some(identity),
                )
                .await
            }
        })
        .await
        .map_err(|e| fenced_or(&self.shared, e))?;
        let mut acc = self.shared.lock();
        for t in acc.topics.values_mut() {
            for pq in &mut t.partitions {
                pq.reset_sequences = true;
            }
        }
        acc.apply_bump(bumped);
        tracing::debug!(
            producer_id = bumped.producer_id,
            epoch = bumped.epoch,
            "epoch bumped after an aborted transaction with a failed batch"
        );
        Ok(())
    }

    async fn send_end_txn(
        &self,
        txn_id: &str,
        identity: super::accumulator::Identity,
        coordinator: i32,
        commit: bool,
    ) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let deadline = Instant::now() + shared.config.max_block;
        coordinator::with_retries(deadline, self.backoff(), |refind| {
            let shared = Arc::clone(&shared);
            let txn_id = txn_id.to_owned();
            async move {
                let node = shared.txn_coordinator(refind, coordinator).await?;
                coordinator::end_txn(&shared.client, node, &txn_id, identity, commit).await
            }
        })
        .await
        .map_err(|e| fenced_or(&self.shared, e))
    }
}
