//! The cloneable handle to a connection task.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use ottla_protocol::frame::FrameDecoder;
use ottla_protocol::kafka_protocol::protocol::Request;
use ottla_protocol::messages::ApiKey;
use ottla_protocol::request::{api_key_of, encode_request};
use ottla_protocol::response::decode_response;
use ottla_protocol::versions::BrokerVersions;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::handshake;
use super::task::{self, Outgoing};
use crate::error::{ConnectionError, Error};

/// What it takes to open a connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub node_id: Option<i32>,
    pub client_id: String,
    pub request_timeout: Duration,
    pub setup_timeout: Duration,
    pub max_in_flight: usize,
    pub max_frame_size: usize,
}

impl ConnectParams {
    /// How the broker is named in errors and logs.
    pub fn label(&self) -> String {
        match self.node_id {
            Some(id) => format!("{}:{} (node {id})", self.host, self.port),
            None => format!("{}:{} (bootstrap)", self.host, self.port),
        }
    }
}

/// A live connection to one broker. Cloning shares the connection.
#[derive(Debug, Clone)]
pub struct BrokerConnection {
    shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub broker: String,
    pub client_id: String,
    pub request_timeout: Duration,
    pub versions: BrokerVersions,
    pub next_correlation_id: AtomicI32,
    pub tx: mpsc::Sender<Outgoing>,
    /// Set once by the task when it ends; every later caller gets this error.
    pub fatal: OnceLock<Arc<ConnectionError>>,
}

impl BrokerConnection {
    /// Connects, negotiates API versions, and starts the connection task.
    pub(crate) async fn open(params: &ConnectParams) -> Result<Self, Error> {
        let broker = params.label();
        let options = ottla_tls::ConnectOptions {
            setup_timeout: params.setup_timeout,
        };
        let mut transport = ottla_tls::connect(&params.host, params.port, &options)
            .await
            .map_err(|source| Error::Connect {
                broker: broker.clone(),
                source,
            })?;
        let decoder = FrameDecoder::new(params.max_frame_size);
        let mut read_buf = BytesMut::with_capacity(64 * 1024);
        let versions = handshake::negotiate_versions(
            &mut transport,
            &mut read_buf,
            decoder,
            &params.client_id,
            params.request_timeout,
            &broker,
        )
        .await?;
        // Room for the requests in flight plus as many waiting: callers beyond that wait for a
        // slot (and their deadline keeps running).
        let (tx, rx) = mpsc::channel(params.max_in_flight.max(1) * 2);
        let shared = Arc::new(Shared {
            broker,
            client_id: params.client_id.clone(),
            request_timeout: params.request_timeout,
            versions,
            next_correlation_id: AtomicI32::new(1),
            tx,
            fatal: OnceLock::new(),
        });
        tokio::spawn(task::run(
            transport,
            read_buf,
            rx,
            Arc::clone(&shared),
            task::Limits {
                max_in_flight: params.max_in_flight.max(1),
                decoder,
            },
        ));
        Ok(Self { shared })
    }

    /// The broker's label (`host:port (node N)`).
    pub fn broker(&self) -> &str {
        &self.shared.broker
    }

    /// What the broker offered in ApiVersions.
    pub fn versions(&self) -> &BrokerVersions {
        &self.shared.versions
    }

    /// The highest version of `api` both sides speak.
    pub fn version_of(&self, api: ApiKey) -> Result<i16, Error> {
        self.shared
            .versions
            .negotiate(api)
            .map_err(|source| Error::Version {
                broker: self.shared.broker.clone(),
                source,
            })
    }

    /// Whether the connection has failed or been closed.
    pub fn is_closed(&self) -> bool {
        self.shared.fatal.get().is_some() || self.shared.tx.is_closed()
    }

    /// Sends `request` at the highest version both sides speak and waits for its response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response, Error> {
        let version = self.version_of(api_key_of::<R>())?;
        self.send_versioned(request, version).await
    }

    /// Sends `request` at `version` and waits for its response, within `request.timeout.ms`.
    pub async fn send_versioned<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, Error> {
        self.send_with_timeout(request, version, self.shared.request_timeout)
            .await
    }

    /// As [`send_versioned`](Self::send_versioned) with an explicit deadline, for requests the
    /// broker may hold (a Fetch long-poll needs `request.timeout.ms` plus its wait).
    pub async fn send_with_timeout<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, Error> {
        let frame = self
            .exchange::<R>(request, version, timeout, true)
            .await?
            .unwrap_or_default();
        let api = api_key_of::<R>();
        // The task matched the correlation id; decode checks it again with the header.
        let correlation_id = ottla_protocol::frame::peek_correlation_id(&frame)
            .map_err(|e| self.protocol_error(api, e.into()))?;
        decode_response::<R>(frame, version, correlation_id)
            .map_err(|e| self.protocol_error(api, e))
    }

    /// Sends a request that gets no response (Produce with `acks=0`); returns once it is
    /// written.
    pub async fn send_no_response<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<(), Error> {
        self.exchange::<R>(request, version, self.shared.request_timeout, false)
            .await
            .map(|_| ())
    }

    fn protocol_error(&self, api: ApiKey, e: ottla_protocol::ProtocolError) -> Error {
        tracing::warn!(broker = %self.shared.broker, ?api, error = %e, "undecodable response");
        Error::Connection {
            broker: self.shared.broker.clone(),
            source: Arc::new(ConnectionError::Protocol(e)),
        }
    }

    async fn exchange<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
        expect_response: bool,
    ) -> Result<Option<bytes::Bytes>, Error> {
        let api = api_key_of::<R>();
        let deadline = Instant::now() + timeout;
        let correlation_id = self
            .shared
            .next_correlation_id
            .fetch_add(1, Ordering::Relaxed);
        let mut buf = BytesMut::new();
        encode_request(
            request,
            version,
            correlation_id,
            Some(&self.shared.client_id),
            &mut buf,
        )
        .map_err(|e| Error::Connection {
            broker: self.shared.broker.clone(),
            source: Arc::new(ConnectionError::Protocol(e)),
        })?;
        let (reply, response) = oneshot::channel();
        let outgoing = Outgoing {
            frame: buf.freeze(),
            correlation_id,
            api,
            deadline,
            timeout,
            expect_response,
            reply,
        };
        let timed_out = || Error::Timeout {
            broker: self.shared.broker.clone(),
            api,
            timeout,
        };
        match tokio::time::timeout_at(deadline, self.shared.tx.send(outgoing)).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(_)) => return Err(self.closed_error()),
            Ok(Ok(())) => {}
        }
        match tokio::time::timeout_at(deadline, response).await {
            Err(_) => Err(timed_out()),
            Ok(Err(_)) => Err(self.closed_error()),
            Ok(Ok(Err(source))) => Err(self.shared_error(api, correlation_id, timeout, source)),
            Ok(Ok(Ok(frame))) => Ok(frame),
        }
    }

    fn shared_error(
        &self,
        api: ApiKey,
        correlation_id: i32,
        timeout: Duration,
        source: Arc<ConnectionError>,
    ) -> Error {
        match &*source {
            ConnectionError::RequestTimedOut {
                correlation_id: c, ..
            } if *c == correlation_id => Error::Timeout {
                broker: self.shared.broker.clone(),
                api,
                timeout,
            },
            _ => Error::Connection {
                broker: self.shared.broker.clone(),
                source,
            },
        }
    }

    fn closed_error(&self) -> Error {
        let source = self
            .shared
            .fatal
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(ConnectionError::Shutdown));
        Error::Connection {
            broker: self.shared.broker.clone(),
            source,
        }
    }
}
