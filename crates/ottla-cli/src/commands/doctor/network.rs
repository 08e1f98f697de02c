//! The DNS and TCP steps: does the name resolve, and does anything accept a connection?

use std::net::{IpAddr, SocketAddr};

use serde_json::json;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::connect_failure::{dns_hints, tcp_hints, TcpFailure};
use super::report::Step;
use super::target::Target;

/// Resolves the host; the addresses on success.
pub async fn dns(target: &Target) -> Result<(Step, Vec<SocketAddr>), Step> {
    let timeout = target.setup_timeout();
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
        Err(_) => {
            return Err(Step::fail(
                "DNS",
                format!("resolving {} took longer than {timeout:?}", target.host),
            )
            .hints(dns_hints(&target.host)))
        }
        Ok(Err(e)) => {
            return Err(
                Step::fail("DNS", format!("cannot resolve {}: {e}", target.host))
                    .hints(dns_hints(&target.host)),
            )
        }
        Ok(Ok(it)) => it.collect(),
    };
    if addrs.is_empty() {
        return Err(
            Step::fail("DNS", format!("{} resolved to no address", target.host))
                .hints(dns_hints(&target.host)),
        );
    }
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in &addrs {
        if !ips.contains(&a.ip()) {
            ips.push(a.ip());
        }
    }
    let list = ips.iter().map(IpAddr::to_string).collect::<Vec<_>>();
    let mut step = Step::ok("DNS", format!("{} → {}", target.host, list.join(", ")))
        .data(json!({ "host": target.host, "addresses": list }));
    if target.is_msk() && ips.iter().all(is_private) {
        step = step.detail([
            "private addresses: reachable from the cluster's VPC (or a peered VPC, VPN, \
             Direct Connect), not from the internet"
                .to_owned(),
        ]);
    }
    Ok((step, addrs))
}

/// RFC 1918 / unique-local addresses.
fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Connects to each address in turn, within one setup deadline, until one accepts.
pub async fn tcp(target: &Target, addrs: &[SocketAddr]) -> Result<Step, Step> {
    let timeout = target.setup_timeout();
    let deadline = Instant::now() + timeout;
    let mut tried = Vec::new();
    let mut first_failure = None;
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let local = stream
                    .local_addr()
                    .map(|a| format!(" from {a}"))
                    .unwrap_or_default();
                let step = Step::ok("TCP", format!("connected to {addr}{local}"))
                    .detail(tried.iter().map(|(a, e)| format!("{a}: {e}")))
                    .data(json!({ "connected": addr.to_string() }));
                return Ok(step);
            }
            Ok(Err(e)) => {
                first_failure.get_or_insert(TcpFailure::of(&e));
                tried.push((addr.to_string(), e.to_string()));
            }
            Err(_) => {
                first_failure.get_or_insert(TcpFailure::Timeout);
                tried.push((addr.to_string(), format!("no answer within {timeout:?}")));
                break;
            }
        }
    }
    let failure = first_failure.unwrap_or(TcpFailure::Other);
    let what = match failure {
        TcpFailure::Refused => "connection refused",
        TcpFailure::Timeout => "timed out (socket.connection.setup.timeout.ms)",
        TcpFailure::Unreachable => "no route",
        TcpFailure::Other => "failed",
    };
    let untried = addrs.len().saturating_sub(tried.len());
    let mut detail: Vec<String> = tried.iter().map(|(a, e)| format!("{a}: {e}")).collect();
    if untried > 0 {
        detail.push(format!(
            "{untried} more address(es) not tried before the deadline"
        ));
    }
    Err(Step::fail(
        "TCP",
        format!("cannot connect to {}: {what}", target.endpoint()),
    )
    .detail(detail)
    .data(json!({ "attempts": tried.iter().map(|(a, e)| json!({"address": a, "error": e})).collect::<Vec<_>>() }))
    .hints(tcp_hints(failure, &target.host, target.port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in ["10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1"] {
            assert!(is_private(&ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "127.0.0.1", "2001:db8::1"] {
            assert!(!is_private(&ip.parse().unwrap()), "{ip}");
        }
    }
}
