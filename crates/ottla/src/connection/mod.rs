//! One broker connection: a task that owns the socket, and a cloneable handle that sends
//! typed requests to it.
//!
//! The handle encodes a request, gives it a correlation id and a deadline
//! (`request.timeout.ms`, covering the wait for a slot, the write, the flush and the read), and
//! hands the frame to the task over a bounded channel. The task writes whole frames only, keeps
//! at most `max.in.flight.requests.per.connection` requests in flight, matches every response to
//! the oldest request in flight by correlation id, and on any fatal error fails every waiter
//! once with the same shared error. A caller that gives up (drops its future) leaves its frame
//! to be written whole and its response read and discarded, so the stream never desynchronises.

mod handle;
mod handshake;
mod sasl;
mod task;
mod throttle;
mod wire;

pub use handle::BrokerConnection;
pub(crate) use handle::ConnectParams;
pub use sasl::{BoxFuture, SaslFactory};
