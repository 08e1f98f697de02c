//! The client's side of an incremental fetch session (KIP-227), sans IO.
//!
//! The first Fetch to a broker lists every partition and asks for a session (id 0, epoch 0).
//! When the broker makes one, later Fetches carry its id and the next epoch and list only the
//! partitions that were added or changed (a new offset or epoch), plus the partitions to
//! forget; the broker answers with only the partitions that have something new. A failed
//! request, or a session the broker no longer knows, starts over with a full Fetch, as the
//! Java client's `FetchSessionHandler` does.

use std::collections::HashMap;

use ottla_protocol::error_code::ErrorCode;

use super::FetchPosition;

/// What the broker's session holds for one partition: the fields of its last listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listed {
    offset: i64,
    current_leader_epoch: i32,
    last_fetched_epoch: i32,
}

impl Listed {
    fn of(p: &FetchPosition) -> Self {
        Self {
            offset: p.offset,
            current_leader_epoch: p.current_leader_epoch,
            last_fetched_epoch: p.last_fetched_epoch,
        }
    }
}

/// One broker's fetch session, as this client sees it.
#[derive(Debug, Clone, Default)]
pub struct FetchSession {
    /// The broker's session id, 0 for none.
    id: i32,
    /// The epoch of the next request: 0 asks for a new session (closing `id`'s, if any).
    epoch: i32,
    /// The partitions the broker's session holds.
    listed: HashMap<(String, i32), Listed>,
    /// Whether the broker cannot have sessions (Fetch below v7): every request is full and
    /// sessionless.
    unsupported: bool,
    /// Incremental requests made, and sessions lost, since [`take_counts`](Self::take_counts).
    incremental: u64,
    resets: u64,
}

/// The session fields and partitions of one Fetch request.
#[derive(Debug, PartialEq, Eq)]
pub struct SessionRequest {
    /// `session_id`.
    pub session_id: i32,
    /// `session_epoch` (-1: no session wanted).
    pub session_epoch: i32,
    /// Indexes into the `wanted` slice of the partitions to list.
    pub listed: Vec<usize>,
    /// Partitions the broker's session should drop.
    pub forgotten: Vec<(String, i32)>,
}

impl SessionRequest {
    /// Whether the request lists only changes (the answer leaves out partitions with nothing
    /// new).
    pub fn is_incremental(&self) -> bool {
        self.session_id != 0 && self.session_epoch > 0
    }
}

impl FetchSession {
    /// A session that has not started: the first request asks the broker for one.
    pub fn new() -> Self {
        Self::default()
    }

    /// The broker's session id (0 for none).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The next request for `wanted` (every partition this client fetches from the broker
    /// now), and the session as the broker will hold it once the request is answered.
    pub fn next_request(&mut self, wanted: &[FetchPosition], fetch_version: i16) -> SessionRequest {
        if fetch_version < 7 {
            self.unsupported = true;
        }
        if self.unsupported {
            return SessionRequest {
                session_id: 0,
                session_epoch: -1,
                listed: (0..wanted.len()).collect(),
                forgotten: Vec::new(),
            };
        }
        let now: HashMap<(String, i32), Listed> = wanted
            .iter()
            .map(|p| ((p.topic.clone(), p.partition), Listed::of(p)))
            .collect();
        if self.id == 0 || self.epoch == 0 {
            let request = SessionRequest {
                session_id: self.id,
                session_epoch: 0,
                listed: (0..wanted.len()).collect(),
                forgotten: Vec::new(),
            };
            self.listed = now;
            return request;
        }
        let listed = wanted
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                self.listed.get(&(p.topic.clone(), p.partition)) != Some(&Listed::of(p))
            })
            .map(|(i, _)| i)
            .collect();
        let mut forgotten: Vec<(String, i32)> = self
            .listed
            .keys()
            .filter(|k| !now.contains_key(*k))
            .cloned()
            .collect();
        forgotten.sort();
        self.listed = now;
        self.incremental += 1;
        SessionRequest {
            session_id: self.id,
            session_epoch: self.epoch,
            listed,
            forgotten,
        }
    }

    /// Takes the answer to `request`: the response's top-level error and session id. Returns
    /// whether the answer's partitions can be used (false after a session error: the next
    /// request is a full one).
    pub fn on_response(
        &mut self,
        request: &SessionRequest,
        error: ErrorCode,
        session_id: i32,
    ) -> bool {
        if self.unsupported {
            return true;
        }
        if error == ErrorCode::FETCH_SESSION_ID_NOT_FOUND {
            self.resets += 1;
            self.id = 0;
            self.epoch = 0;
            return false;
        }
        if error == ErrorCode::INVALID_FETCH_SESSION_EPOCH
            || error == ErrorCode::FETCH_SESSION_TOPIC_ID_ERROR
        {
            self.resets += 1;
            self.epoch = 0;
            return false;
        }
        if !error.is_ok() {
            // Another request-level error: the session may or may not have moved on.
            self.epoch = 0;
            return true;
        }
        if session_id == 0 {
            // The broker made no session (or closed it): full requests until it does.
            self.id = 0;
            self.epoch = 0;
        } else if request.session_epoch == 0 || session_id != self.id {
            self.id = session_id;
            self.epoch = 1;
        } else {
            // Epochs wrap to 1: 0 means "new session" and -1 "no session".
            self.epoch = self.epoch.checked_add(1).unwrap_or(1);
        }
        true
    }

    /// The request failed (no answer): close the session and make a new one next time.
    pub fn on_failure(&mut self) {
        self.epoch = 0;
    }

    /// Incremental requests made and sessions lost (the broker no longer knew the session or
    /// its epoch) since the last call.
    pub fn take_counts(&mut self) -> (u64, u64) {
        (
            std::mem::take(&mut self.incremental),
            std::mem::take(&mut self.resets),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(topic: &str, partition: i32, offset: i64) -> FetchPosition {
        FetchPosition {
            topic: topic.to_owned(),
            partition,
            offset,
            current_leader_epoch: 3,
            last_fetched_epoch: 3,
        }
    }

    #[test]
    fn full_then_only_changes_then_forgets() {
        let mut s = FetchSession::new();
        let wanted = [at("a", 0, 10), at("a", 1, 20), at("b", 0, 5)];
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch), (0, 0));
        assert_eq!(r.listed, vec![0, 1, 2]);
        assert!(!r.is_incremental());
        assert!(s.on_response(&r, ErrorCode::NONE, 77));

        // Nothing changed: nothing listed.
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch), (77, 1));
        assert!(r.listed.is_empty() && r.forgotten.is_empty());
        assert!(r.is_incremental());
        assert!(s.on_response(&r, ErrorCode::NONE, 77));

        // a-1 moved on, a-0 got a new leader epoch, b-0 is dropped.
        let mut changed = [at("a", 0, 10), at("a", 1, 25)];
        changed[0].current_leader_epoch = 4;
        let r = s.next_request(&changed, 12);
        assert_eq!(r.session_epoch, 2);
        assert_eq!(r.listed, vec![0, 1]);
        assert_eq!(r.forgotten, vec![("b".to_owned(), 0)]);
        assert!(s.on_response(&r, ErrorCode::NONE, 77));

        // b-0 back: listed again.
        let r = s.next_request(&[changed[0].clone(), at("b", 0, 5)], 12);
        assert_eq!(r.session_epoch, 3);
        assert_eq!(r.listed, vec![1]);
        assert_eq!(r.forgotten, vec![("a".to_owned(), 1)]);
    }

    #[test]
    fn session_errors_start_over() {
        let mut s = FetchSession::new();
        let wanted = [at("a", 0, 10)];
        let r = s.next_request(&wanted, 12);
        s.on_response(&r, ErrorCode::NONE, 9);
        let r = s.next_request(&wanted, 12);
        assert!(!s.on_response(&r, ErrorCode::FETCH_SESSION_ID_NOT_FOUND, 0));
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch, r.listed.len()), (0, 0, 1));
        s.on_response(&r, ErrorCode::NONE, 11);
        let r = s.next_request(&wanted, 12);
        assert!(!s.on_response(&r, ErrorCode::INVALID_FETCH_SESSION_EPOCH, 0));
        assert_eq!(s.take_counts(), (2, 2));
        // The old session is closed and a new one made in the same request.
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch, r.listed.len()), (11, 0, 1));
        s.on_response(&r, ErrorCode::NONE, 12);
        let r = s.next_request(&wanted, 12);
        s.on_failure();
        let _ = r;
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch, r.listed.len()), (12, 0, 1));
    }

    #[test]
    fn no_session_offered_or_possible() {
        let mut s = FetchSession::new();
        let wanted = [at("a", 0, 10)];
        let r = s.next_request(&wanted, 12);
        s.on_response(&r, ErrorCode::NONE, 0);
        let r = s.next_request(&wanted, 12);
        assert_eq!((r.session_id, r.session_epoch, r.listed.len()), (0, 0, 1));

        let mut old = FetchSession::new();
        let r = old.next_request(&wanted, 6);
        assert_eq!((r.session_id, r.session_epoch, r.listed.len()), (0, -1, 1));
        assert!(old.on_response(&r, ErrorCode::NONE, 0));
    }

    #[test]
    fn epochs_wrap_past_the_largest() {
        let mut s = FetchSession::new();
        let wanted = [at("a", 0, 1)];
        let r = s.next_request(&wanted, 12);
        s.on_response(&r, ErrorCode::NONE, 5);
        s.epoch = i32::MAX;
        let r = s.next_request(&wanted, 12);
        assert_eq!(r.session_epoch, i32::MAX);
        s.on_response(&r, ErrorCode::NONE, 5);
        assert_eq!(s.next_request(&wanted, 12).session_epoch, 1);
    }
}
