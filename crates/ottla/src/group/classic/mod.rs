//! The classic consumer group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as a
//! sans-IO state machine: the caller sends what [`Membership::poll`] asks for to the group
//! coordinator and hands each answer back; time is passed in, so every path is testable
//! without a broker or a clock.
//!
//! | file | what |
//! |---|---|
//! | `membership.rs` | the member's state machine: joining (with KIP-394's member-id round), syncing, heartbeats, rejoining, leaving; eager and cooperative (KIP-429) revocation |
//! | `leader.rs` | the leader's part: members' subscriptions in, SyncGroup assignments out |
//! | `requests.rs` | the requests, with only the fields the negotiated versions carry |

mod leader;
mod membership;
#[cfg(test)]
mod membership_tests;
mod requests;

pub use membership::{
    Action, GroupVersions, Membership, MembershipConfig, Phase, Request, Response,
};
