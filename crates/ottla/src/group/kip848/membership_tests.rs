//! The KIP-848 member driven by hand: the coordinator's answers written out, the clock moved
//! explicitly.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment, TopicPartitions as Assigned,
};
use kafka_protocol::messages::ConsumerGroupHeartbeatRequest;
use ottla_protocol::error_code::ErrorCode;
use tokio::time::Instant;
use uuid::Uuid;

use super::*;
use crate::cluster::Backoff;
use crate::error::Error;
use crate::group::TopicPartition;

const MAX_POLL: Duration = Duration::from_secs(300);
const INTERVAL_MS: i32 = 3_000;
const VERSION: i16 = 1;
const T: [u8; 16] = [7; 16];
const U: [u8; 16] = [9; 16];

fn config(instance: Option<&str>) -> MembershipConfig {
    MembershipConfig {
        group_id: "g".into(),
        group_instance_id: instance.map(str::to_owned),
        rebalance_timeout: MAX_POLL,
        retry_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        remote_assignor: Some("uniform".into()),
        rack: Some("use1-az1".into()),
    }
}

fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn answer(epoch: i32, assignment: Option<Vec<([u8; 16], Vec<i32>)>>) -> Response {
    Response::default()
        .with_member_epoch(epoch)
        .with_heartbeat_interval_ms(INTERVAL_MS)
        .with_assignment(assignment.map(|topics| {
            Assignment::default().with_topic_partitions(
                topics
                    .into_iter()
                    .map(|(id, partitions)| {
                        Assigned::default()
                            .with_topic_id(Uuid::from_bytes(id))
                            .with_partitions(partitions)
                    })
                    .collect(),
            )
        }))
}

fn error(code: ErrorCode) -> Response {
    Response::default().with_error_code(code.0)
}

fn send(m: &mut Membership, now: Instant) -> (u64, ConsumerGroupHeartbeatRequest) {
    match m.poll(now) {
        Action::Send { token, request } => {
            assert_eq!(request.version, VERSION);
            (token, request.heartbeat)
        }
        other => panic!("expected a heartbeat, got {other:?}"),
    }
}

fn owned_of(r: &ConsumerGroupHeartbeatRequest) -> Option<Vec<([u8; 16], Vec<i32>)>> {
    r.topic_partitions.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (*t.topic_id.as_bytes(), t.partitions.clone()))
            .collect()
    })
}

/// A member subscribed to "t" whose coordinator is known, not yet joined.
fn member(instance: Option<&str>, now: Instant) -> Membership {
    let mut m = Membership::new(config(instance), "member-1".into(), now);
    m.subscribe([Arc::from("t")]);
    assert!(matches!(m.poll(now), Action::FindCoordinator));
    m.coordinator_found(VERSION);
    m
}

/// A member that joined at epoch 5 and reads t-0 and t-1.
fn joined(instance: Option<&str>, now: Instant) -> Membership {
    let mut m = member(instance, now);
    let (token, _) = send(&mut m, now);
    m.on_response(token, now, Ok(answer(5, Some(vec![(T, vec![0, 1])]))));
    assert!(matches!(m.poll(now), Action::NeedMetadata(t) if t.len() == 1));
    m.topic_ids([("t", T), ("u", U)]);
    assert!(matches!(m.poll(now), Action::Assigned(p) if p == [tp(0), tp(1)]));
    let (token, ack) = send(&mut m, now);
    assert_eq!(owned_of(&ack), Some(vec![(T, vec![0, 1])]));
    m.on_response(token, now, Ok(answer(5, None)));
    m
}

/// The join carries every field; the coordinator's assignment is named from metadata,
/// assigned, and acknowledged at once; later heartbeats carry only the epoch.
#[test]
fn join_sends_every_field_then_only_what_changed() {
    let now = Instant::now();
    let mut m = member(None, now);
    let (token, join) = send(&mut m, now);
    assert_eq!(join.member_epoch, 0);
    assert_eq!(join.member_id.as_str(), "member-1");
    assert_eq!(join.rebalance_timeout_ms, 300_000);
    assert_eq!(join.server_assignor.as_deref(), Some("uniform"));
    assert_eq!(join.rack_id.as_deref(), Some("use1-az1"));
    let names: Vec<&str> = join
        .subscribed_topic_names
        .iter()
        .flatten()
        .map(|t| t.0.as_str())
        .collect();
    assert_eq!(names, ["t"]);
    assert_eq!(owned_of(&join), Some(vec![]), "a join owns nothing");
    assert_eq!(m.phase(), Phase::Joining);
    assert!(
        matches!(m.poll(now), Action::Wait(None)),
        "one request at a time"
    );

    m.on_response(token, now, Ok(answer(5, Some(vec![(T, vec![1, 0])]))));
    assert_eq!(m.epoch(), 5);
    assert_eq!(m.identity().generation, 5, "commits go under the epoch");
    assert!(matches!(m.poll(now), Action::NeedMetadata(_)));
    m.topic_ids([("t", T)]);
    assert!(matches!(m.poll(now), Action::Assigned(p) if p == [tp(0), tp(1)]));
    let (token, ack) = send(&mut m, now);
    assert_eq!(ack.member_epoch, 5);
    assert_eq!(ack.rebalance_timeout_ms, -1);
    assert_eq!(ack.subscribed_topic_names, None);
    assert_eq!(owned_of(&ack), Some(vec![(T, vec![0, 1])]));
    m.on_response(token, now, Ok(answer(5, None)));

    let due = now + Duration::from_millis(INTERVAL_MS as u64);
    assert!(matches!(m.poll(now), Action::Wait(Some(at)) if at == due));
    let (_, beat) = send(&mut m, due);
    assert_eq!(beat.member_epoch, 5);
    assert_eq!(beat.topic_partitions, None);
    assert_eq!(beat.subscribed_topic_names, None);
    assert_eq!(beat.instance_id, None);
}

/// A partition that moves is revoked first and stays ours for the coordinator until the
/// application is done with it; only then is the new one taken and both acknowledged.
#[test]
fn revokes_before_it_takes() {
    let now = Instant::now();
    let mut m = joined(None, now);
    let later = now + Duration::from_secs(3);
    let (token, _) = send(&mut m, later);
    m.on_response(token, later, Ok(answer(6, Some(vec![(T, vec![1, 2])]))));
    assert!(matches!(m.poll(later), Action::Revoked(p) if p == [tp(0)]));
    assert_eq!(m.owned(), [tp(1)]);
    // Still committing: no acknowledgement, and a heartbeat on time still owns t-0.
    let due = later + Duration::from_secs(3);
    assert!(matches!(m.poll(later), Action::Wait(Some(at)) if at == due));
    let (token, beat) = send(&mut m, due);
    assert_eq!(beat.topic_partitions, None, "t-0 and t-1, as last told");
    m.on_response(token, due, Ok(answer(6, None)));

    m.revocation_done();
    assert!(matches!(m.poll(due), Action::Assigned(p) if p == [tp(2)]));
    let (_, ack) = send(&mut m, due);
    assert_eq!(owned_of(&ack), Some(vec![(T, vec![1, 2])]));
    assert_eq!(ack.member_epoch, 6);
}

/// A topic id metadata cannot name yet is left for later; the rest is assigned.
#[test]
fn unnamed_topics_wait_for_metadata() {
    let now = Instant::now();
    let mut m = joined(None, now);
    let mystery = [3; 16];
    let (token, _) = send(&mut m, now + Duration::from_secs(3));
    m.on_response(
        token,
        now,
        Ok(answer(7, Some(vec![(T, vec![0, 1]), (mystery, vec![0])]))),
    );
    assert!(matches!(m.poll(now), Action::NeedMetadata(_)));
    m.topic_ids([("t", T)]);
    assert!(
        matches!(m.poll(now), Action::Wait(Some(_))),
        "nothing new to assign, metadata already asked"
    );
    // The next answer asks for metadata again; now it names the topic.
    let (token, _) = send(&mut m, now + Duration::from_secs(3));
    m.on_response(token, now, Ok(answer(7, None)));
    assert!(matches!(m.poll(now), Action::NeedMetadata(_)));
    m.topic_ids([("v", mystery)]);
    assert!(matches!(m.poll(now), Action::Assigned(p) if p == [TopicPartition::new("v", 0)]));
}

/// Fenced: everything is lost and the member joins again at epoch 0 under the same id, with
/// every field.
#[test]
fn fenced_members_lose_their_partitions_and_join_again() {
    for code in [ErrorCode::FENCED_MEMBER_EPOCH, ErrorCode::UNKNOWN_MEMBER_ID] {
        let now = Instant::now();
        let mut m = joined(None, now);
        let (token, _) = send(&mut m, now + Duration::from_secs(3));
        m.on_response(token, now, Ok(error(code)));
        assert!(matches!(m.poll(now), Action::Lost(p) if p == [tp(0), tp(1)]));
        assert_eq!(m.owned(), []);
        let (_, join) = send(&mut m, now);
        assert_eq!(join.member_epoch, 0, "{code:?}");
        assert_eq!(join.member_id.as_str(), "member-1");
        assert_eq!(join.rebalance_timeout_ms, 300_000);
        assert_eq!(owned_of(&join), Some(vec![]));
    }
}

/// Leaving revokes what is owned, waits for the application, then sends epoch -1 (dynamic)
/// or -2 (static, KIP-345: the coordinator keeps its partitions for its return).
#[test]
fn leaving_revokes_then_says_so() {
    for (instance, epoch) in [(None, -1), (Some("pod-1"), -2)] {
        let now = Instant::now();
        let mut m = joined(instance, now);
        m.leave();
        assert!(matches!(m.poll(now), Action::Revoked(p) if p == [tp(0), tp(1)]));
        assert!(
            matches!(m.poll(now), Action::Wait(None)),
            "waits for the commit"
        );
        m.revocation_done();
        let (token, leave) = send(&mut m, now);
        assert_eq!(leave.member_epoch, epoch);
        assert_eq!(leave.instance_id.as_deref(), instance);
        m.on_response(token, now, Ok(answer(epoch, None)));
        assert_eq!(m.phase(), Phase::Left);
        assert!(matches!(m.poll(now), Action::Wait(None)));
    }
}

/// A member that never joined leaves without a word.
#[test]
fn leaving_before_joining_sends_nothing() {
    let now = Instant::now();
    let mut m = member(None, now);
    m.leave();
    assert!(matches!(m.poll(now), Action::Wait(None)));
    assert_eq!(m.phase(), Phase::Left);
}

/// The coordinator moved: look it up again, then send every field.
#[test]
fn a_moved_coordinator_is_looked_up_again() {
    let now = Instant::now();
    let mut m = joined(None, now);
    let (token, _) = send(&mut m, now + Duration::from_secs(3));
    m.on_response(token, now, Ok(error(ErrorCode::NOT_COORDINATOR)));
    assert!(matches!(m.poll(now), Action::FindCoordinator));
    m.coordinator_found(VERSION);
    let (_, beat) = send(&mut m, now);
    assert_eq!(beat.member_epoch, 5, "still a member");
    assert_eq!(beat.rebalance_timeout_ms, 300_000);
    assert_eq!(owned_of(&beat), Some(vec![(T, vec![0, 1])]));

    // A request that got no answer: the same, after the backoff.
    let mut m = joined(None, now);
    let (token, _) = send(&mut m, now + Duration::from_secs(3));
    let lost = Error::Connection {
        broker: "b1".into(),
        source: Arc::new(crate::error::ConnectionError::ClosedByPeer { in_flight: 1 }),
    };
    m.on_response(token, now, Err(lost));
    assert!(matches!(m.poll(now), Action::Wait(Some(_))), "backs off");
    assert!(matches!(
        m.poll(now + Duration::from_secs(1)),
        Action::FindCoordinator
    ));
}

/// Errors the member cannot get past are fatal and say what was wrong.
#[test]
fn fatal_errors_end_the_member() {
    for code in [
        ErrorCode::UNSUPPORTED_VERSION,
        ErrorCode::GROUP_AUTHORIZATION_FAILED,
        ErrorCode::UNSUPPORTED_ASSIGNOR,
        ErrorCode::FENCED_INSTANCE_ID,
        ErrorCode::INVALID_REQUEST,
    ] {
        let now = Instant::now();
        let mut m = member(None, now);
        let (token, _) = send(&mut m, now);
        m.on_response(token, now, Ok(error(code)));
        let Action::Failed(e) = m.poll(now) else {
            panic!("{code:?} is fatal");
        };
        assert!(
            matches!(&e, Error::Kafka { code: c, .. } if *c == code),
            "{e}"
        );
        if code == ErrorCode::UNSUPPORTED_VERSION {
            assert!(e.to_string().contains("group.protocol=classic"), "{e}");
        }
        assert!(matches!(m.poll(now), Action::Failed(_)), "and stays so");
    }
    // A retriable one backs off and tries again.
    let now = Instant::now();
    let mut m = member(None, now);
    let (token, _) = send(&mut m, now);
    m.on_response(
        token,
        now,
        Ok(error(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS)),
    );
    assert!(matches!(m.poll(now), Action::Wait(Some(_))));
    let (_, join) = send(&mut m, now + Duration::from_secs(1));
    assert_eq!(join.member_epoch, 0);
}

/// `max.poll.interval.ms` without a poll: the member leaves (its partitions are lost) and
/// joins again only when the application polls.
#[test]
fn a_member_that_stops_polling_leaves_until_it_polls_again() {
    let now = Instant::now();
    let mut m = joined(None, now);
    let expired = now + MAX_POLL;
    let mut lost = false;
    let mut leave = None;
    for _ in 0..4 {
        match m.poll(expired) {
            Action::Lost(p) => lost = p == [tp(0), tp(1)],
            Action::Send { request, .. } => leave = Some(request.heartbeat.member_epoch),
            _ => break,
        }
    }
    assert!(lost);
    assert_eq!(leave, Some(-1));
    assert!(matches!(m.poll(expired), Action::Wait(None)));
    m.app_polled(expired);
    let (_, join) = send(&mut m, expired);
    assert_eq!(join.member_epoch, 0);
}
