//! One broker's listener: accepts connections and owns their tasks, so stopping the broker
//! closes every connection it has.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::connection;
use crate::error::MockError;
use crate::state::Shared;

/// Pending connections the listener queues.
const BACKLOG: u32 = 1024;
/// How long a restart keeps retrying a port the old listener has not released yet.
const REBIND_ATTEMPTS: u32 = 100;
const REBIND_PAUSE: Duration = Duration::from_millis(20);
/// Pause after a failed accept (say, out of file descriptors) before trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// Listens on `addr` (port 0 picks a free one), with `SO_REUSEADDR` so a restarted broker gets
/// its old port back. `AddrInUse` is retried for up to two seconds when `retry` is set.
pub(crate) async fn bind(
    node: i32,
    addr: SocketAddr,
    retry: bool,
) -> Result<TcpListener, MockError> {
    let mut attempt = 0;
    loop {
        match try_bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(e)
                if retry && e.kind() == io::ErrorKind::AddrInUse && attempt < REBIND_ATTEMPTS =>
            {
                attempt += 1;
                tokio::time::sleep(REBIND_PAUSE).await;
            }
            Err(source) => return Err(MockError::Bind { node, addr, source }),
        }
    }
}

fn try_bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// A running broker's accept task.
#[derive(Debug)]
pub(crate) struct BrokerTask {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

impl BrokerTask {
    /// Starts accepting on `listener` on the current tokio runtime.
    pub fn spawn(shared: Arc<Shared>, node: i32, listener: TcpListener) -> Self {
        let (stop, stopped) = oneshot::channel();
        let handle = tokio::spawn(accept_loop(shared, node, listener, stopped));
        Self { stop, handle }
    }

    /// Closes the listener and every connection, and waits until they are gone.
    pub async fn stop(self) {
        // The loop also stops if the sender is dropped, so a failed send changes nothing.
        let _ = self.stop.send(());
        if let Err(e) = self.handle.await {
            if e.is_panic() {
                tracing::error!("broker accept task panicked: {e}");
            }
        }
    }

    /// Stops the broker without waiting (for `Drop`).
    pub fn abort(&self) {
        self.handle.abort();
    }
}

async fn accept_loop(
    shared: Arc<Shared>,
    node: i32,
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(node, %peer, "cannot set TCP_NODELAY: {e}");
                    }
                    shared.lock().stats.record_connection(node);
                    tracing::debug!(node, %peer, "connection accepted");
                    connections.spawn(connection::serve(shared.clone(), node, stream, peer));
                }
                Err(e) => {
                    tracing::warn!(node, "accept failed: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = done {
                    if e.is_panic() {
                        tracing::error!(node, "connection task panicked: {e}");
                    }
                }
            }
        }
    }
    drop(listener);
    connections.shutdown().await;
    tracing::debug!(node, "broker stopped");
}
