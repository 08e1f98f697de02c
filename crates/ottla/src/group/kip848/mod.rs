//! The consumer group protocol of KIP-848 (`group.protocol=consumer`, Kafka 4.0+) as a
//! sans-IO state machine: one request, ConsumerGroupHeartbeat, carries the member's
//! subscription and what it owns; the coordinator runs the assignor and answers with the
//! member's target assignment, which the member reaches partition by partition (revoking
//! before taking), so there is no group-wide stop.
//!
//! | file | what |
//! |---|---|
//! | `membership.rs` | the member's state machine: joining, heartbeats, reconciling towards the target assignment, fencing, leaving |

mod membership;
#[cfg(test)]
mod membership_tests;

pub(crate) use membership::unsupported;
pub use membership::{Action, Membership, MembershipConfig, Phase, Request, Response};
