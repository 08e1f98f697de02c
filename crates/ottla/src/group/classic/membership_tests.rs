//! The member's state machine driven by hand: every answer the coordinator can give, with the
//! clock moved explicitly.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as Assigned;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, HeartbeatResponse, JoinGroupResponse,
    LeaveGroupResponse, SyncGroupResponse, TopicName,
};
use ottla_protocol::consumer_protocol::{
    decode_assignment, decode_subscription, encode_assignment, encode_subscription,
};
use ottla_protocol::error_code::ErrorCode;
use ottla_protocol::StrBytes;
use tokio::time::Instant;

use super::*;
use crate::cluster::Backoff;
use crate::error::Error;
use crate::group::assignor::{CooperativeSticky, PartitionCounts, Range};
use crate::group::TopicPartition;

/// Partitions per topic, as an assignment lists them.
type TopicPartitions = Vec<(String, Vec<i32>)>;

const HEARTBEAT: Duration = Duration::from_secs(3);
const SESSION: Duration = Duration::from_secs(45);
const MAX_POLL: Duration = Duration::from_secs(300);
const VERSIONS: GroupVersions = GroupVersions {
    join: 9,
    sync: 5,
    heartbeat: 4,
    leave: 5,
};

fn config(cooperative: bool, instance: Option<&str>) -> MembershipConfig {
    MembershipConfig {
        group_id: "g".into(),
        group_instance_id: instance.map(str::to_owned),
        session_timeout: SESSION,
        rebalance_timeout: MAX_POLL,
        heartbeat_interval: HEARTBEAT,
        retry_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        assignors: if cooperative {
            vec![Arc::new(CooperativeSticky)]
        } else {
            vec![Arc::new(Range)]
        },
        rack: None,
    }
}

fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_owned())
}

fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn assignment(partitions: &[i32]) -> Bytes {
    let a =
        ConsumerProtocolAssignment::default().with_assigned_partitions(vec![Assigned::default()
            .with_topic(TopicName(s("t")))
            .with_partitions(partitions.to_vec())]);
    encode_assignment(&a, 3).unwrap()
}

fn subscription_of(topics: &[&str]) -> Bytes {
    let sub =
        ConsumerProtocolSubscription::default().with_topics(topics.iter().map(|t| s(t)).collect());
    encode_subscription(&sub, 3).unwrap()
}

/// Expects a request and returns its token and the request.
fn expect_send(m: &mut Membership, now: Instant) -> (u64, Request) {
    match m.poll(now) {
        Action::Send { token, request } => (token, request),
        other => panic!("expected a request, got {other:?}"),
    }
}

fn join_ok(
    member: &str,
    leader: &str,
    generation: i32,
    members: Vec<JoinGroupResponseMember>,
) -> Response {
    Response::Join(
        JoinGroupResponse::default()
            .with_member_id(s(member))
            .with_leader(s(leader))
            .with_generation_id(generation)
            .with_protocol_name(Some(s("range")))
            .with_members(members),
    )
}

fn error_join(code: ErrorCode, member: &str) -> Response {
    Response::Join(
        JoinGroupResponse::default()
            .with_error_code(code.0)
            .with_member_id(s(member)),
    )
}

fn sync_ok(partitions: &[i32]) -> Response {
    Response::Sync(SyncGroupResponse::default().with_assignment(assignment(partitions)))
}

fn heartbeat(code: ErrorCode) -> Response {
    Response::Heartbeat(HeartbeatResponse::default().with_error_code(code.0))
}

/// A follower that joined generation 1 and owns `partitions` of `t`.
fn stable_follower(cooperative: bool, partitions: &[i32], now: Instant) -> Membership {
    let mut m = Membership::new(config(cooperative, None), now);
    m.subscribe([Arc::from("t")]);
    assert!(matches!(m.poll(now), Action::FindCoordinator));
    m.coordinator_found(VERSIONS);
    let (token, _) = expect_send(&mut m, now);
    m.on_response(token, now, Ok(join_ok("m-1", "leader", 1, Vec::new())));
    let (token, request) = expect_send(&mut m, now);
    assert!(matches!(&request, Request::Sync(r) if r.assignments.is_empty()));
    m.on_response(token, now, Ok(sync_ok(partitions)));
    match m.poll(now) {
        Action::Assigned(a) => assert_eq!(a.len(), partitions.len()),
        other => panic!("expected Assigned, got {other:?}"),
    }
    assert_eq!(m.phase(), Phase::Stable);
    m
}

#[test]
fn joins_with_the_member_id_round_then_leads_and_assigns() {
    let now = Instant::now();
    let mut m = Membership::new(config(false, None), now);
    assert!(
        matches!(m.poll(now), Action::Wait(None)),
        "nothing subscribed yet"
    );
    m.subscribe([Arc::from("t")]);
    assert!(matches!(m.poll(now), Action::FindCoordinator));
    assert!(
        matches!(m.poll(now), Action::Wait(None)),
        "one lookup at a time"
    );
    m.coordinator_found(VERSIONS);

    let (token, request) = expect_send(&mut m, now);
    let Request::Join(join) = request else {
        panic!("{request:?}")
    };
    assert_eq!(join.member_id.as_str(), "");
    assert_eq!(join.protocol_type.as_str(), "consumer");
    assert_eq!(join.protocols[0].name.as_str(), "range");
    assert_eq!(join.rebalance_timeout_ms, 300_000);
    let (_, sub) = decode_subscription(join.protocols[0].metadata.clone()).unwrap();
    assert_eq!(sub.topics, vec![s("t")]);
    m.on_response(
        token,
        now,
        Ok(error_join(ErrorCode::MEMBER_ID_REQUIRED, "m-1")),
    );

    let (token, request) = expect_send(&mut m, now);
    let Request::Join(join) = request else {
        panic!("{request:?}")
    };
    assert_eq!(join.member_id.as_str(), "m-1", "KIP-394: the given id");
    let members = vec![
        JoinGroupResponseMember::default()
            .with_member_id(s("m-1"))
            .with_metadata(subscription_of(&["t"])),
        JoinGroupResponseMember::default()
            .with_member_id(s("m-2"))
            .with_metadata(subscription_of(&["t", "u"])),
    ];
    m.on_response(token, now, Ok(join_ok("m-1", "m-1", 4, members)));
    assert_eq!(m.generation(), 4);
    match m.poll(now) {
        Action::NeedMetadata(topics) => {
            assert_eq!(
                topics.into_iter().collect::<Vec<_>>(),
                vec![Arc::from("t"), Arc::from("u")]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(m.poll(now), Action::Wait(None)),
        "waits for the counts"
    );
    let counts: PartitionCounts = [(Arc::from("t"), 4), (Arc::from("u"), 2)]
        .into_iter()
        .collect();
    m.assign(&counts);

    let (token, request) = expect_send(&mut m, now);
    let Request::Sync(sync) = request else {
        panic!("{request:?}")
    };
    assert_eq!((sync.generation_id, sync.member_id.as_str()), (4, "m-1"));
    assert_eq!(
        sync.protocol_name.as_ref().map(|p| p.as_str()),
        Some("range")
    );
    let mut given: Vec<(String, TopicPartitions)> = sync
        .assignments
        .iter()
        .map(|a| {
            let (_, d) = decode_assignment(a.assignment.clone()).unwrap();
            let parts = d
                .assigned_partitions
                .iter()
                .map(|t| (t.topic.0.to_string(), t.partitions.clone()))
                .collect();
            (a.member_id.to_string(), parts)
        })
        .collect();
    given.sort();
    assert_eq!(
        given,
        vec![
            ("m-1".into(), vec![("t".into(), vec![0, 1])]),
            (
                "m-2".into(),
                vec![("t".into(), vec![2, 3]), ("u".into(), vec![0, 1])]
            ),
        ]
    );
    m.on_response(token, now, Ok(sync_ok(&[0, 1])));
    assert!(matches!(m.poll(now), Action::Assigned(a) if a == vec![tp(0), tp(1)]));
    assert!(matches!(m.poll(now), Action::Wait(Some(at)) if at == now + HEARTBEAT));
}

#[test]
fn heartbeats_on_time_and_an_eager_member_revokes_everything_before_rejoining() {
    let t0 = Instant::now();
    let mut m = stable_follower(false, &[0, 1, 2], t0);
    assert!(matches!(
        m.poll(t0 + Duration::from_secs(1)),
        Action::Wait(Some(_))
    ));
    let at = t0 + HEARTBEAT;
    let (token, request) = expect_send(&mut m, at);
    let Request::Heartbeat(h) = request else {
        panic!("{request:?}")
    };
    assert_eq!((h.generation_id, h.member_id.as_str()), (1, "m-1"));
    m.on_response(token, at, Ok(heartbeat(ErrorCode::NONE)));
    assert!(matches!(m.poll(at), Action::Wait(Some(next)) if next == at + HEARTBEAT));

    let at = at + HEARTBEAT;
    let (token, _) = expect_send(&mut m, at);
    m.on_response(token, at, Ok(heartbeat(ErrorCode::REBALANCE_IN_PROGRESS)));
    assert!(matches!(m.poll(at), Action::Revoked(r) if r == vec![tp(0), tp(1), tp(2)]));
    assert!(
        matches!(m.poll(at), Action::Wait(_)),
        "no join before the revocation is done"
    );
    m.revocation_done();
    let (_, request) = expect_send(&mut m, at);
    let Request::Join(join) = request else {
        panic!("{request:?}")
    };
    assert_eq!(join.member_id.as_str(), "m-1");
    assert_eq!(
        join.reason.as_ref().map(|r| r.as_str()),
        Some("REBALANCE_IN_PROGRESS")
    );
    let (_, sub) = decode_subscription(join.protocols[0].metadata.clone()).unwrap();
    assert!(
        sub.owned_partitions.is_empty(),
        "eager: owns nothing when it joins"
    );
}

#[test]
fn a_cooperative_member_keeps_what_stays_and_revokes_only_what_moves() {
    let t0 = Instant::now();
    let mut m = stable_follower(true, &[0, 1, 2], t0);
    let at = t0 + HEARTBEAT;
    let (token, _) = expect_send(&mut m, at);
    m.on_response(token, at, Ok(heartbeat(ErrorCode::REBALANCE_IN_PROGRESS)));
    let (token, request) = expect_send(&mut m, at);
    let Request::Join(join) = request else {
        panic!("no revocation first: {request:?}")
    };
    let (_, sub) = decode_subscription(join.protocols[0].metadata.clone()).unwrap();
    assert_eq!(sub.owned_partitions[0].partitions, vec![0, 1, 2]);
    assert_eq!(sub.generation_id, 1);
    m.on_response(token, at, Ok(join_ok("m-1", "leader", 2, Vec::new())));
    let (token, _) = expect_send(&mut m, at);
    m.on_response(token, at, Ok(sync_ok(&[0])));
    assert!(matches!(m.poll(at), Action::Revoked(r) if r == vec![tp(1), tp(2)]));
    assert!(matches!(m.poll(at), Action::Assigned(a) if a.is_empty()));
    assert_eq!(m.owned(), &[tp(0)]);
    // Heartbeats go on while the application finishes with the revoked partitions...
    let later = at + HEARTBEAT;
    let (token, request) = expect_send(&mut m, later);
    assert!(matches!(request, Request::Heartbeat(_)));
    m.on_response(token, later, Ok(heartbeat(ErrorCode::NONE)));
    // ...then it joins again so they can be handed out.
    m.revocation_done();
    let (_, request) = expect_send(&mut m, later);
    assert!(matches!(request, Request::Join(_)));
}

#[test]
fn a_fenced_generation_loses_its_partitions_and_joins_afresh() {
    let t0 = Instant::now();
    for code in [ErrorCode::UNKNOWN_MEMBER_ID, ErrorCode::ILLEGAL_GENERATION] {
        let mut m = stable_follower(true, &[0, 1], t0);
        let at = t0 + HEARTBEAT;
        let (token, _) = expect_send(&mut m, at);
        m.on_response(token, at, Ok(heartbeat(code)));
        assert!(
            matches!(m.poll(at), Action::Lost(l) if l == vec![tp(0), tp(1)]),
            "{code:?}"
        );
        let (_, request) = expect_send(&mut m, at);
        let Request::Join(join) = request else {
            panic!("{request:?}")
        };
        let expected_id = if code == ErrorCode::UNKNOWN_MEMBER_ID {
            ""
        } else {
            "m-1"
        };
        assert_eq!(join.member_id.as_str(), expected_id, "{code:?}");
        let (_, sub) = decode_subscription(join.protocols[0].metadata.clone()).unwrap();
        assert!(sub.owned_partitions.is_empty());
        assert_eq!(sub.generation_id, -1);
    }
}

#[test]
fn coordinator_moves_and_silences_lead_to_a_new_lookup() {
    let t0 = Instant::now();
    let mut m = stable_follower(false, &[0], t0);
    let at = t0 + HEARTBEAT;
    let (token, _) = expect_send(&mut m, at);
    m.on_response(token, at, Ok(heartbeat(ErrorCode::NOT_COORDINATOR)));
    assert!(matches!(m.poll(at), Action::FindCoordinator));
    m.coordinator_found(VERSIONS);
    let (token, request) = expect_send(&mut m, at);
    assert!(
        matches!(request, Request::Heartbeat(_)),
        "heartbeats resume at once"
    );
    // No answer for a whole session: the coordinator is looked up again, and the late
    // answer is ignored.
    let late = at + SESSION;
    assert!(matches!(m.poll(late), Action::FindCoordinator));
    m.on_response(token, late, Ok(heartbeat(ErrorCode::UNKNOWN_MEMBER_ID)));
    assert_eq!(m.owned(), &[tp(0)], "a stale answer changes nothing");
    // A lost connection during a join: look up, back off, join again.
    let mut m = Membership::new(config(false, None), t0);
    m.subscribe([Arc::from("t")]);
    let _ = m.poll(t0);
    m.coordinator_found(VERSIONS);
    let (token, _) = expect_send(&mut m, t0);
    let lost = Error::Connection {
        broker: "b1".into(),
        source: Arc::new(crate::error::ConnectionError::ClosedByPeer { in_flight: 1 }),
    };
    m.on_response(token, t0, Err(lost));
    assert!(matches!(m.poll(t0), Action::Wait(Some(at)) if at == t0 + Duration::from_millis(100)));
    let later = t0 + Duration::from_millis(100);
    assert!(matches!(m.poll(later), Action::FindCoordinator));
    m.coordinator_found(VERSIONS);
    assert!(matches!(expect_send(&mut m, later).1, Request::Join(_)));
}

#[test]
fn a_slow_application_gives_up_its_partitions_and_rejoins_when_it_polls_again() {
    let t0 = Instant::now();
    let mut m = stable_follower(false, &[0, 1], t0);
    let mut at = t0;
    // Heartbeats keep going while the application does not poll...
    while at + HEARTBEAT < t0 + MAX_POLL {
        at += HEARTBEAT;
        let (token, _) = expect_send(&mut m, at);
        m.on_response(token, at, Ok(heartbeat(ErrorCode::NONE)));
    }
    // ...until max.poll.interval.ms: lost, and LeaveGroup.
    let expired = t0 + MAX_POLL;
    assert!(matches!(m.poll(expired), Action::Lost(l) if l.len() == 2));
    let (token, request) = expect_send(&mut m, expired);
    let Request::Leave(leave) = request else {
        panic!("{request:?}")
    };
    assert_eq!(leave.members[0].member_id.as_str(), "m-1");
    m.on_response(
        token,
        expired,
        Ok(Response::Leave(LeaveGroupResponse::default())),
    );
    assert!(
        matches!(m.poll(expired), Action::Wait(None)),
        "no rejoin before a poll"
    );
    m.app_polled(expired + Duration::from_secs(1));
    let (_, request) = expect_send(&mut m, expired + Duration::from_secs(1));
    assert!(matches!(request, Request::Join(j) if j.member_id.is_empty()));
}

#[test]
fn leaving_revokes_and_only_a_dynamic_member_sends_leave_group() {
    let t0 = Instant::now();
    let mut m = stable_follower(false, &[0], t0);
    m.leave();
    assert!(matches!(m.poll(t0), Action::Revoked(r) if r == vec![tp(0)]));
    assert!(
        matches!(m.poll(t0), Action::Wait(None)),
        "commits come first"
    );
    m.revocation_done();
    let (token, request) = expect_send(&mut m, t0);
    assert!(matches!(request, Request::Leave(_)));
    assert_eq!(m.phase(), Phase::Leaving);
    m.on_response(
        token,
        t0,
        Ok(Response::Leave(LeaveGroupResponse::default())),
    );
    assert_eq!(m.phase(), Phase::Left);
    assert!(matches!(m.poll(t0), Action::Wait(None)));

    let mut m = Membership::new(config(false, Some("pod-1")), t0);
    m.subscribe([Arc::from("t")]);
    let _ = m.poll(t0);
    m.coordinator_found(VERSIONS);
    let (token, request) = expect_send(&mut m, t0);
    let Request::Join(join) = request else {
        panic!("{request:?}")
    };
    assert_eq!(
        join.group_instance_id.as_ref().map(|i| i.as_str()),
        Some("pod-1")
    );
    m.on_response(token, t0, Ok(join_ok("m-9", "leader", 1, Vec::new())));
    let (token, _) = expect_send(&mut m, t0);
    m.on_response(token, t0, Ok(sync_ok(&[3])));
    let _ = m.poll(t0);
    m.leave();
    assert!(matches!(m.poll(t0), Action::Revoked(_)));
    m.revocation_done();
    assert!(
        matches!(m.poll(t0), Action::Wait(None)),
        "a static member sends no LeaveGroup"
    );
    assert_eq!(m.phase(), Phase::Left);
}

#[test]
fn fatal_answers_stop_the_member_with_the_error() {
    let t0 = Instant::now();
    let mut m = stable_follower(false, &[0], t0);
    let at = t0 + HEARTBEAT;
    let (token, _) = expect_send(&mut m, at);
    m.on_response(token, at, Ok(heartbeat(ErrorCode::FENCED_INSTANCE_ID)));
    for _ in 0..2 {
        match m.poll(at) {
            Action::Failed(Error::Kafka { code, .. }) => {
                assert_eq!(code, ErrorCode::FENCED_INSTANCE_ID)
            }
            other => panic!("{other:?}"),
        }
    }
    // Static membership on a coordinator older than JoinGroup v5.
    let mut m = Membership::new(config(false, Some("pod-1")), t0);
    m.subscribe([Arc::from("t")]);
    let _ = m.poll(t0);
    m.coordinator_found(GroupVersions {
        join: 4,
        ..VERSIONS
    });
    match m.poll(t0) {
        Action::Failed(e) => assert!(
            e.to_string().contains("JoinGroup") && format!("{e:?}").contains("group.instance.id"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unreadable_assignment_is_fatal_and_says_so() {
    let t0 = Instant::now();
    let mut m = Membership::new(config(false, None), t0);
    m.subscribe([Arc::from("t")]);
    let _ = m.poll(t0);
    m.coordinator_found(VERSIONS);
    let (token, _) = expect_send(&mut m, t0);
    m.on_response(token, t0, Ok(join_ok("m-1", "leader", 1, Vec::new())));
    let (token, _) = expect_send(&mut m, t0);
    let garbage = SyncGroupResponse::default().with_assignment(Bytes::from_static(&[0, 1, 0]));
    m.on_response(token, t0, Ok(Response::Sync(garbage)));
    assert!(matches!(m.poll(t0), Action::Failed(Error::Decode { .. })));
}
