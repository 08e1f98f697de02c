use super::*;

fn request(member_id: &str, subscription: &'static [u8]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_owned(),
        instance_id: None,
        client_id: "c".into(),
        protocol_type: "consumer".into(),
        protocols: vec![("range".into(), Bytes::from_static(subscription))],
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(30),
        member_id_required: true,
    }
}

/// Joins with the KIP-394 round: the id first, then the join.
fn join(c: &mut GroupCoordinator, now: Instant, subscription: &'static [u8]) -> (String, i32) {
    let (code, id) = c.join("g", request("", subscription), now).unwrap_err();
    assert_eq!(code, ResponseError::MemberIdRequired.code());
    c.join("g", request(&id, subscription), now).unwrap()
}

#[test]
fn members_join_sync_and_rebalance_when_another_comes() {
    let now = Instant::now();
    let mut c = GroupCoordinator::default();
    let (a, before) = join(&mut c, now, b"A");
    let j = c.joined("g", &a, before).unwrap().unwrap();
    assert_eq!((j.generation, j.leader.as_str()), (1, a.as_str()));
    assert_eq!(j.members.len(), 1);
    c.sync(
        "g",
        &a,
        1,
        [(a.clone(), Bytes::from_static(b"all"))].into(),
        now,
    )
    .unwrap();
    assert_eq!(c.synced("g", &a, 1), Some(Ok(Bytes::from_static(b"all"))));
    assert_eq!(c.heartbeat("g", &a, 1, now), 0);

    // b joins: a rebalance; a hears of it and rejoins; b waits meanwhile.
    let (b, before_b) = join(&mut c, now, b"B");
    assert!(c.joined("g", &b, before_b).is_none(), "waits for a");
    assert_eq!(
        c.heartbeat("g", &a, 1, now),
        ResponseError::RebalanceInProgress.code()
    );
    let (_, before_a) = c.join("g", request(&a, b"A"), now).unwrap();
    let ja = c.joined("g", &a, before_a).unwrap().unwrap();
    let jb = c.joined("g", &b, before_b).unwrap().unwrap();
    assert_eq!((ja.generation, jb.generation), (2, 2));
    assert_eq!(
        (ja.leader.as_str(), jb.leader.as_str()),
        (a.as_str(), a.as_str())
    );
    assert_eq!(ja.members.len(), 2, "the leader sees every subscription");
    assert!(jb.members.is_empty());
    // b's sync waits for the leader's; then each gets its own.
    c.sync("g", &b, 2, BTreeMap::new(), now).unwrap();
    assert_eq!(c.synced("g", &b, 2), None);
    let assignments = [
        (a.clone(), Bytes::from_static(b"1")),
        (b.clone(), Bytes::from_static(b"2")),
    ];
    c.sync("g", &a, 2, assignments.into(), now).unwrap();
    assert_eq!(c.synced("g", &b, 2), Some(Ok(Bytes::from_static(b"2"))));
    assert_eq!(
        c.heartbeat("g", &b, 1, now),
        ResponseError::IllegalGeneration.code()
    );
    assert_eq!(
        c.heartbeat("g", "x", 2, now),
        ResponseError::UnknownMemberId.code()
    );
    // Commits: members of this generation, or anyone when the group is empty.
    assert_eq!(c.may_commit("g", &a, 2, now), Ok(()));
    assert_eq!(
        c.may_commit("g", &a, 1, now),
        Err(ResponseError::IllegalGeneration.code())
    );
    assert_eq!(
        c.may_commit("g", "", -1, now),
        Err(ResponseError::UnknownMemberId.code())
    );
    assert_eq!(c.may_commit("h", "", -1, now), Ok(()));

    // a leaves: b alone, generation 3, b leads.
    assert_eq!(c.leave("g", &a, now), 0);
    assert_eq!(
        c.heartbeat("g", &b, 2, now),
        ResponseError::RebalanceInProgress.code()
    );
    let (_, before) = c.join("g", request(&b, b"B"), now).unwrap();
    let j = c.joined("g", &b, before).unwrap().unwrap();
    assert_eq!((j.generation, j.leader.as_str()), (3, b.as_str()));
}

#[test]
fn silent_members_expire_and_late_ones_are_dropped_at_the_deadline() {
    let t0 = Instant::now();
    let mut c = GroupCoordinator::default();
    let (a, _) = join(&mut c, t0, b"A");
    c.sync("g", &a, 1, BTreeMap::new(), t0).unwrap();
    let (b, before_b) = join(&mut c, t0, b"B");
    let (_, _) = c.join("g", request(&a, b"A"), t0).unwrap();
    c.sync("g", &a, 2, BTreeMap::new(), t0).unwrap();
    assert_eq!(c.synced("g", &b, 2), Some(Ok(Bytes::new())));
    let _ = before_b;

    // b stops heartbeating: after its session it is gone, and a must rejoin.
    let t1 = t0 + Duration::from_secs(6);
    assert_eq!(c.heartbeat("g", &a, 2, t1), 0);
    let t2 = t0 + Duration::from_secs(11);
    c.tick(t2);
    assert_eq!(
        c.heartbeat("g", &a, 2, t2),
        ResponseError::RebalanceInProgress.code()
    );
    let (_, before) = c.join("g", request(&a, b"A"), t2).unwrap();
    let j = c.joined("g", &a, before).unwrap().unwrap();
    assert_eq!((j.generation, j.members.len()), (3, 1));

    // A newcomer's rebalance: a never rejoins (it waits in no JoinGroup), so at the
    // deadline (30 s) the round completes without it.
    c.sync("g", &a, 3, BTreeMap::new(), t2).unwrap();
    let (d, before_d) = join(&mut c, t2, b"D");
    let t3 = t2 + Duration::from_secs(5);
    assert_eq!(
        c.heartbeat("g", &a, 3, t3),
        ResponseError::RebalanceInProgress.code()
    );
    c.tick(t2 + Duration::from_secs(31));
    let j = c.joined("g", &d, before_d).unwrap().unwrap();
    assert_eq!(
        (j.generation, j.leader.as_str(), j.members.len()),
        (4, d.as_str(), 1)
    );
    assert_eq!(
        c.heartbeat("g", &a, 3, t3),
        ResponseError::UnknownMemberId.code()
    );
}

#[test]
fn a_static_member_takes_its_place_and_fences_the_old_id() {
    let now = Instant::now();
    let mut c = GroupCoordinator::default();
    let mut r = request("", b"A");
    r.instance_id = Some("i-1".into());
    let (old, before) = c.join("g", r.clone(), now).unwrap();
    assert!(c.joined("g", &old, before).is_some());
    let (new, _) = c.join("g", r, now).unwrap();
    assert_ne!(old, new);
    assert_eq!(
        c.heartbeat("g", &old, 1, now),
        ResponseError::FencedInstanceId.code()
    );
    // Another protocol type or no common protocol: INCONSISTENT_GROUP_PROTOCOL.
    let mut other = request("", b"B");
    other.protocol_type = "connect".into();
    assert_eq!(
        c.join("g", other, now).unwrap_err().0,
        ResponseError::InconsistentGroupProtocol.code()
    );
}
