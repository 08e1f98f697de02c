//! The byte stream a broker connection runs on.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::ConnectError;
use crate::tls_problem::{rustls_error, OfferedCertificate, TlsProblem};

/// A connected byte stream to a broker: plain TCP or TLS over TCP.
///
/// On a TLS transport, a read or write that fails because of the TLS session (for example
/// the broker rejecting our client certificate, which TLS 1.3 reports only after the
/// handshake) returns an `std::io::Error` whose inner error is a [`ConnectError::Tls`]
/// naming the broker; get it with `err.get_ref()` and `downcast_ref::<ConnectError>()`.
#[derive(Debug)]
pub struct Transport {
    inner: Inner,
    peer: SocketAddr,
}

#[derive(Debug)]
enum Inner {
    Tcp(TcpStream),
    Tls {
        stream: Box<TlsStream<TcpStream>>,
        broker: TlsBroker,
    },
}

/// The broker at the other end of a TLS session, and what we offered it: what a failure
/// after the handshake is reported with.
#[derive(Debug)]
struct TlsBroker {
    host: Arc<str>,
    port: u16,
    offered: OfferedCertificate,
}

impl TlsBroker {
    /// Puts the broker's name on a TLS failure met after the handshake.
    fn error(&self, e: io::Error) -> io::Error {
        if rustls_error(&e).is_none() {
            return e;
        }
        let kind = e.kind();
        io::Error::new(
            kind,
            ConnectError::Tls {
                host: self.host.to_string(),
                port: self.port,
                problem: TlsProblem::from_io(e, &self.host, false, self.offered),
            },
        )
    }
}

/// The TLS protocol version of a session.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl Transport {
    pub(crate) fn tcp(stream: TcpStream, peer: SocketAddr) -> Self {
        Self {
            inner: Inner::Tcp(stream),
            peer,
        }
    }

    pub(crate) fn tls(
        stream: TlsStream<TcpStream>,
        peer: SocketAddr,
        host: &str,
        port: u16,
        offered: OfferedCertificate,
    ) -> Self {
        Self {
            inner: Inner::Tls {
                stream: Box::new(stream),
                broker: TlsBroker {
                    host: Arc::from(host),
                    port,
                    offered,
                },
            },
            peer,
        }
    }

    /// The negotiated TLS version, or `None` for plain TCP.
    pub fn tls_version(&self) -> Option<TlsVersion> {
        match &self.inner {
            Inner::Tcp(_) => None,
            Inner::Tls { stream, .. } => match stream.get_ref().1.protocol_version()? {
                rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
                rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
                _ => None,
            },
        }
    }

    /// The certificate chain the broker presented, leaf first, as DER; empty for plain TCP.
    pub fn peer_certificates(&self) -> Vec<rustls::pki_types::CertificateDer<'static>> {
        match &self.inner {
            Inner::Tcp(_) => Vec::new(),
            Inner::Tls { stream, .. } => stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default(),
        }
    }

    /// The address connected to.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether `TCP_NODELAY` is set on the socket.
    pub fn nodelay(&self) -> io::Result<bool> {
        match &self.inner {
            Inner::Tcp(s) => s.nodelay(),
            Inner::Tls { stream, .. } => stream.get_ref().0.nodelay(),
        }
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        match &self.inner {
            Inner::Tcp(_) => false,
            Inner::Tls { .. } => true,
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls { stream, broker } => Pin::new(stream.as_mut())
                .poll_read(cx, buf)
                .map_err(|e| broker.error(e)),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls { stream, broker } => Pin::new(stream.as_mut())
                .poll_write(cx, buf)
                .map_err(|e| broker.error(e)),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Inner::Tls { stream, broker } => Pin::new(stream.as_mut())
                .poll_write_vectored(cx, bufs)
                .map_err(|e| broker.error(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.inner {
            Inner::Tcp(s) => s.is_write_vectored(),
            Inner::Tls { stream, .. } => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls { stream, broker } => Pin::new(stream.as_mut())
                .poll_flush(cx)
                .map_err(|e| broker.error(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls { stream, broker } => Pin::new(stream.as_mut())
                .poll_shutdown(cx)
                .map_err(|e| broker.error(e)),
        }
    }
}
