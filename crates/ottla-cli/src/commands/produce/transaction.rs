//! `ottla produce -X transactional.id=…`: the whole input is one transaction. It begins
//! before the first record and commits once every record is delivered; any failure (a line
//! that cannot be read or sent, a record not delivered, the commit itself) aborts it instead,
//! so a `read_committed` consumer sees all of the input or none of it, and the command exits 1.
//! The transaction must end within `transaction.timeout.ms`, or the broker aborts it.
//!
//! Errors are said in the command's terms: a CLI user cannot call the library's transaction
//! methods, so no message tells them to.

use ottla::producer::Producer;
use ottla::Error;

/// The run's transaction, begun.
#[derive(Debug)]
pub struct RunTransaction {
    transactional_id: String,
}

impl RunTransaction {
    /// Gets a producer id and epoch for `transactional_id` (which fences an older producer
    /// with the same id and aborts its open transaction) and begins the transaction.
    pub async fn begin(producer: &Producer, transactional_id: &str) -> Result<Self, String> {
        let cannot = |e: Error| {
            format!("cannot start a transaction with transactional.id {transactional_id}: {e}")
        };
        producer.init_transactions().await.map_err(cannot)?;
        producer.begin_transaction().map_err(cannot)?;
        Ok(Self {
            transactional_id: transactional_id.to_owned(),
        })
    }

    /// Commits (every record must have been delivered); a failed commit is aborted. `Err`
    /// is the command's error message.
    pub async fn commit(self, producer: &Producer) -> Result<(), String> {
        match producer.commit_transaction().await {
            Ok(()) => Ok(()),
            Err(e) => {
                let cause = match &e {
                    Error::TransactionAbortable { cause } => cause.as_ref(),
                    other => other,
                };
                Err(format!(
                    "the transaction (transactional.id {}) could not be committed: {cause}; {}",
                    self.transactional_id,
                    self.abort(producer).await
                ))
            }
        }
    }

    /// Aborts after a failure; returns what became of the transaction, to add to the
    /// failure's message.
    pub async fn abort(&self, producer: &Producer) -> String {
        let id = &self.transactional_id;
        match producer.abort_transaction().await {
            Ok(()) => format!(
                "the transaction (transactional.id {id}) was aborted: nothing of this input \
                 is committed"
            ),
            Err(e) => format!(
                "aborting the transaction (transactional.id {id}) failed too ({e}): nothing of \
                 this input is committed, and the broker aborts the transaction after \
                 transaction.timeout.ms"
            ),
        }
    }
}
