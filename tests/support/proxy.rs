//! A TCP proxy on loopback between the client and each broker, for fault tests: it forwards
//! every connection and, on demand, cuts the connections of a broker (both sockets closed at
//! once), stalls them (a blackhole: nothing flows either way until it heals, as in a network
//! partition that TCP rides out) or delays every chunk it forwards.
//!
//! Small and ours rather than Toxiproxy: a Go binary and an HTTP control API for three
//! behaviours that take a hundred lines here, driven in-process by the test.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// How one broker's connections behave now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Mode {
    /// Nothing is read or written; new connections are accepted but not forwarded.
    stalled: bool,
    /// Wait this long before forwarding each chunk.
    delay: Duration,
}

#[derive(Debug)]
struct Route {
    mode: watch::Sender<Mode>,
    connections: Mutex<Vec<AbortHandle>>,
    accepted: AtomicU64,
    cuts: AtomicU64,
}

/// The proxy: one listener per broker, forwarding to the broker's own listener.
pub struct Proxy {
    routes: BTreeMap<i32, Arc<Route>>,
    listeners: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on each `(node, listen, upstream)`'s `listen` and forwards to `upstream`.
    pub async fn start(routes: &[(i32, SocketAddr, SocketAddr)]) -> std::io::Result<Self> {
        let mut proxy = Proxy {
            routes: BTreeMap::new(),
            listeners: Vec::new(),
        };
        for &(node, listen, upstream) in routes {
            let listener = TcpListener::bind(listen).await?;
            let route = Arc::new(Route {
                mode: watch::Sender::new(Mode::default()),
                connections: Mutex::new(Vec::new()),
                accepted: AtomicU64::new(0),
                cuts: AtomicU64::new(0),
            });
            proxy.routes.insert(node, Arc::clone(&route));
            proxy
                .listeners
                .push(tokio::spawn(accept(listener, upstream, route)));
        }
        Ok(proxy)
    }

    fn each(&self, node: Option<i32>) -> impl Iterator<Item = &Arc<Route>> {
        self.routes
            .iter()
            .filter(move |(n, _)| node.is_none_or(|want| **n == want))
            .map(|(_, r)| r)
    }

    /// Closes every open connection of `node` (every broker's with `None`); new ones are
    /// accepted as before. Returns how many were cut.
    pub fn cut(&self, node: Option<i32>) -> usize {
        let mut cut = 0;
        for route in self.each(node) {
            let open = std::mem::take(&mut *route.connections.lock().unwrap());
            let live: Vec<_> = open.into_iter().filter(|c| !c.is_finished()).collect();
            for c in &live {
                c.abort();
            }
            route.cuts.fetch_add(live.len() as u64, Ordering::Relaxed);
            cut += live.len();
        }
        cut
    }

    /// Stalls (`true`) or heals (`false`) the connections of `node` (every broker's with
    /// `None`).
    pub fn stall(&self, node: Option<i32>, stalled: bool) {
        for route in self.each(node) {
            route.mode.send_modify(|m| m.stalled = stalled);
        }
    }

    /// Delays every chunk forwarded for `node` (every broker with `None`) by `delay`.
    pub fn delay(&self, node: Option<i32>, delay: Duration) {
        for route in self.each(node) {
            route.mode.send_modify(|m| m.delay = delay);
        }
    }

    /// Connections accepted so far, over every broker.
    pub fn accepted(&self) -> u64 {
        self.routes
            .values()
            .map(|r| r.accepted.load(Ordering::Relaxed))
            .sum()
    }

    /// Connections cut so far, over every broker.
    pub fn cuts(&self) -> u64 {
        self.routes
            .values()
            .map(|r| r.cuts.load(Ordering::Relaxed))
            .sum()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for l in &self.listeners {
            l.abort();
        }
        self.cut(None);
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, route: Arc<Route>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        route.accepted.fetch_add(1, Ordering::Relaxed);
        let mode = route.mode.subscribe();
        let task = tokio::spawn(forward(client, upstream, mode));
        let mut open = route.connections.lock().unwrap();
        open.retain(|c| !c.is_finished());
        open.push(task.abort_handle());
    }
}

/// Waits until the route is not stalled; the delay to apply now.
async fn passable(mode: &mut watch::Receiver<Mode>) -> Option<Duration> {
    let m = mode.wait_for(|m| !m.stalled).await.ok()?;
    Some(m.delay)
}

async fn forward(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    if passable(&mut mode).await.is_none() {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    // Either direction ending (a close, an error) ends both, as a real connection does.
    tokio::select! {
        _ = pipe(cr, sw, mode.clone()) => {}
        _ = pipe(sr, cw, mode) => {}
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // A stalled route neither reads (the sender's window fills) nor writes.
        if passable(&mut mode).await.is_none() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Some(delay) = passable(&mut mode).await else {
            return;
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// The proxy of the 3-broker cluster (see [`cluster_routes`]), started, and the bootstrap list
/// of its ports: a client bootstrapped from it reaches every broker through the proxy.
pub async fn start_cluster_proxy() -> (Proxy, String) {
    let routes = cluster_routes();
    assert_eq!(routes.len(), 3, "OTTLA_CLUSTER_PROXIED lists three brokers");
    let proxy = Proxy::start(&routes).await.unwrap();
    let bootstrap = routes
        .iter()
        .map(|(_, listen, _)| listen.to_string())
        .collect::<Vec<_>>()
        .join(",");
    (proxy, bootstrap)
}

/// The proxy routes of the 3-broker cluster (`OTTLA_CLUSTER_PROXIED`: `ID:PROXY:LISTEN …`,
/// `scripts/kafka.sh start --cluster`): listen on PROXY, forward to the broker's PROXIED
/// listener on LISTEN. Empty without the variable.
pub fn cluster_routes() -> Vec<(i32, SocketAddr, SocketAddr)> {
    let Some(spec) = crate::peer(
        "OTTLA_CLUSTER_PROXIED",
        "the cluster's proxied listeners (scripts/kafka.sh start --cluster)",
    ) else {
        return Vec::new();
    };
    spec.split_whitespace()
        .filter_map(|r| {
            let mut it = r.split(':');
            let id = it.next()?.parse().ok()?;
            let proxy: u16 = it.next()?.parse().ok()?;
            let listen: u16 = it.next()?.parse().ok()?;
            Some((
                id,
                SocketAddr::from(([127, 0, 0, 1], proxy)),
                SocketAddr::from(([127, 0, 0, 1], listen)),
            ))
        })
        .collect()
}
