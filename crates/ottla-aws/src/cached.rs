//! A cache in front of any credential provider: the same credentials until they come within a
//! refresh window of their expiry, one refresh at a time, and the old credentials kept while
//! they still work if a refresh fails.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::error::AwsError;
use crate::Clock;
use crate::{AwsCredentials, BoxFuture, ProvideAwsCredentials};

/// The default refresh window: 16 minutes. An MSK IAM token lives 15 minutes and is never
/// signed with credentials that expire sooner, so credentials are replaced while they still
/// have more than a token's lifetime left.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(16 * 60);

/// The default pause between refresh attempts while the cached credentials still work.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Default)]
struct State {
    cached: Option<AwsCredentials>,
    last_attempt: Option<SystemTime>,
}

/// What the cache holds at a moment.
enum Freshness {
    /// Nothing, or expired credentials: a refresh must succeed.
    Missing,
    /// Credentials inside the refresh window that still work.
    Stale(AwsCredentials),
    /// Credentials outside the refresh window (or that never expire).
    Fresh(AwsCredentials),
}

/// Caches the credentials of another provider.
///
/// - Fresh credentials (expiring later than the refresh window from now, or never) are
///   returned as they are.
/// - Inside the window the inner provider is asked again, by one caller at a time; callers
///   that arrive meanwhile get the cached credentials if they still work, else wait for the
///   refresh.
/// - If a refresh fails while the cached credentials still work, they are served (with a
///   warning logged) and the refresh is tried again after the retry interval; once they have
///   expired the error is returned.
/// - Credentials that come back already inside the window are used, and asked for again at
///   most once per retry interval.
pub struct CachedCredentials {
    inner: Arc<dyn ProvideAwsCredentials>,
    clock: Clock,
    refresh_window: Duration,
    retry_interval: Duration,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for CachedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("CachedCredentials")
            .field("inner", &self.inner)
            .field("refresh_window", &self.refresh_window)
            .field("retry_interval", &self.retry_interval)
            .field("cached", &state.cached)
            .finish()
    }
}

impl CachedCredentials {
    /// A cache in front of `inner`, with a 16-minute refresh window and the system clock.
    pub fn new(inner: Arc<dyn ProvideAwsCredentials>) -> Self {
        Self {
            inner,
            clock: Clock::system(),
            refresh_window: DEFAULT_REFRESH_WINDOW,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// This cache refreshing credentials that expire within `window`.
    pub fn with_refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// This cache waiting `interval` between refresh attempts while the cached credentials
    /// still work (default 30 s).
    pub fn with_retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// This cache reading the time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Forgets the cached credentials: the next call asks the inner provider (after a broker
    /// refused them, say).
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.cached = None;
        state.last_attempt = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn freshness(&self, now: SystemTime) -> Freshness {
        let state = self.lock();
        match &state.cached {
            None => Freshness::Missing,
            Some(c) => match c.remaining(now) {
                None => Freshness::Fresh(c.clone()),
                Some(left) if left > self.refresh_window => Freshness::Fresh(c.clone()),
                Some(left) if left > Duration::ZERO => Freshness::Stale(c.clone()),
                Some(_) => Freshness::Missing,
            },
        }
    }

    fn attempted_recently(&self, now: SystemTime) -> bool {
        self.lock()
            .last_attempt
            .and_then(|at| now.duration_since(at).ok())
            .is_some_and(|since| since < self.retry_interval)
    }

    async fn get(&self) -> Result<AwsCredentials, AwsError> {
        let now = self.clock.now();
        match self.freshness(now) {
            Freshness::Fresh(c) => return Ok(c),
            Freshness::Stale(c) if self.attempted_recently(now) => return Ok(c),
            _ => {}
        }
        let _refreshing = match self.refresh.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                // Another caller is refreshing: working credentials are good enough now.
                if let Freshness::Stale(c) = self.freshness(now) {
                    return Ok(c);
                }
                self.refresh.lock().await
            }
        };
        // A refresh may have finished while this caller waited.
        let now = self.clock.now();
        match self.freshness(now) {
            Freshness::Fresh(c) => return Ok(c),
            Freshness::Stale(c) if self.attempted_recently(now) => return Ok(c),
            _ => {}
        }
        self.lock().last_attempt = Some(now);
        match self.inner.credentials().await {
            Ok(fresh) => {
                self.lock().cached = Some(fresh.clone());
                Ok(fresh)
            }
            Err(e) => match self.freshness(self.clock.now()) {
                Freshness::Stale(c) | Freshness::Fresh(c) => {
                    tracing::warn!(
                        source = c.source(),
                        remaining = ?c.remaining(self.clock.now()),
                        error = %e,
                        "refreshing AWS credentials failed; using the cached ones while they last"
                    );
                    Ok(c)
                }
                Freshness::Missing => Err(e),
            },
        }
    }
}

impl ProvideAwsCredentials for CachedCredentials {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(self.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ottla_sasl::Secret;
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    const T0: u64 = 1_700_000_000;

    /// A provider that counts calls and hands out scripted answers (then repeats the last),
    /// optionally after a pause.
    #[derive(Debug)]
    struct Scripted {
        calls: AtomicUsize,
        answers: Mutex<VecDeque<Result<AwsCredentials, AwsError>>>,
        delay: Duration,
    }

    impl Scripted {
        fn new(answers: Vec<Result<AwsCredentials, AwsError>>) -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
                answers: Mutex::new(answers.into()),
                delay: Duration::ZERO,
            })
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl ProvideAwsCredentials for Scripted {
        fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                if !self.delay.is_zero() {
                    tokio::time::sleep(self.delay).await;
                }
                let mut answers = self.answers.lock().unwrap();
                if answers.len() > 1 {
                    answers.pop_front().unwrap()
                } else {
                    answers.front().cloned().unwrap()
                }
            })
        }
    }

    fn creds(akid: &str, expires_secs: u64) -> AwsCredentials {
        AwsCredentials::new(
            akid,
            Secret::new("secret"),
            Some(Secret::new("token")),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(expires_secs)),
            "test",
        )
    }

    fn failure() -> AwsError {
        AwsError::Timeout {
            service: "STS",
            url: "https://sts.us-east-1.amazonaws.com/".into(),
            timeout: Duration::from_secs(10),
        }
    }

    /// A clock that reads `secs` (seconds since the epoch), movable by the test.
    fn movable(secs: &Arc<AtomicU64>) -> Clock {
        let secs = Arc::clone(secs);
        Clock::from_fn(move || {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst))
        })
    }

    #[tokio::test]
    async fn no_refresh_while_fresh_then_refresh_inside_window() {
        let now = Arc::new(AtomicU64::new(T0));
        let inner = Scripted::new(vec![Ok(creds("A", T0 + 3600)), Ok(creds("B", T0 + 7200))]);
        let cache = CachedCredentials::new(inner.clone()).with_clock(movable(&now));
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        // 44 minutes later A has 16 min left: still outside the window (strictly more needed).
        now.store(T0 + 44 * 60 - 1, Ordering::SeqCst);
        for _ in 0..5 {
            assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        }
        assert_eq!(inner.calls(), 1);
        // Inside the window: refreshed.
        now.store(T0 + 44 * 60, Ordering::SeqCst);
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "B");
        assert_eq!(inner.calls(), 2);
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "B");
        assert_eq!(inner.calls(), 2);
    }

    #[tokio::test]
    async fn serves_stale_on_failure_until_expiry() {
        let now = Arc::new(AtomicU64::new(T0));
        let inner = Scripted::new(vec![
            Ok(creds("A", T0 + 1000)),
            Err(failure()),
            Err(failure()),
            Ok(creds("B", T0 + 9000)),
        ]);
        let cache = CachedCredentials::new(inner.clone()).with_clock(movable(&now));
        // A has 1000 s left: already inside the 16-minute (960 s)? No: 1000 > 960.
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        now.store(T0 + 100, Ordering::SeqCst); // 900 s left: refresh, fails, A served.
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        assert_eq!(inner.calls(), 2);
        // Within the retry interval: no new attempt.
        now.store(T0 + 110, Ordering::SeqCst);
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        assert_eq!(inner.calls(), 2);
        now.store(T0 + 130, Ordering::SeqCst); // retried, fails again, A still served
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        assert_eq!(inner.calls(), 3);
        now.store(T0 + 1000, Ordering::SeqCst); // A expired: the refresh (B) must succeed
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "B");
        assert_eq!(inner.calls(), 4);
    }

    #[tokio::test]
    async fn failure_without_working_credentials_is_an_error() {
        let now = Arc::new(AtomicU64::new(T0));
        let inner = Scripted::new(vec![Ok(creds("A", T0 + 3600)), Err(failure())]);
        let cache = CachedCredentials::new(inner.clone()).with_clock(movable(&now));
        cache.credentials().await.unwrap();
        now.store(T0 + 3600, Ordering::SeqCst);
        assert_eq!(cache.credentials().await.unwrap_err(), failure());
        // Expired credentials are retried on every call (nothing to serve meanwhile).
        assert_eq!(cache.credentials().await.unwrap_err(), failure());
        assert_eq!(inner.calls(), 3);
        let empty = CachedCredentials::new(Scripted::new(vec![Err(failure())]));
        assert_eq!(empty.credentials().await.unwrap_err(), failure());
    }

    #[tokio::test]
    async fn short_lived_answers_are_not_refetched_on_every_call() {
        let now = Arc::new(AtomicU64::new(T0));
        // Credentials with 10 minutes left, as IMDS may hand out near rotation.
        let inner = Scripted::new(vec![Ok(creds("A", T0 + 600)), Ok(creds("B", T0 + 4000))]);
        let cache = CachedCredentials::new(inner.clone()).with_clock(movable(&now));
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        now.store(T0 + 29, Ordering::SeqCst);
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        assert_eq!(inner.calls(), 1);
        now.store(T0 + 30, Ordering::SeqCst);
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "B");
        assert_eq!(inner.calls(), 2);
    }

    #[tokio::test]
    async fn never_expiring_credentials_are_kept_and_invalidate_forgets() {
        let forever = AwsCredentials::new("AKIA", Secret::new("s"), None, None, "static");
        let inner = Scripted::new(vec![Ok(forever)]);
        let cache = CachedCredentials::new(inner.clone());
        for _ in 0..3 {
            assert_eq!(cache.credentials().await.unwrap().access_key_id(), "AKIA");
        }
        assert_eq!(inner.calls(), 1);
        cache.invalidate();
        cache.credentials().await.unwrap();
        assert_eq!(inner.calls(), 2);
        let d = format!("{cache:?}");
        assert!(d.contains("AKIA") && !d.contains("\"s\""), "{d}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_refresh() {
        let inner = Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            answers: Mutex::new(vec![Ok(creds("A", T0 + 3600))].into()),
            delay: Duration::from_millis(200),
        });
        let clock = Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(T0));
        let cache = Arc::new(CachedCredentials::new(inner.clone()).with_clock(clock));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move { cache.credentials().await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().access_key_id(), "A");
        }
        assert_eq!(inner.calls(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_during_a_refresh_get_the_working_credentials() {
        let now = Arc::new(AtomicU64::new(T0));
        let inner = Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            answers: Mutex::new(vec![Ok(creds("A", T0 + 1000)), Ok(creds("B", T0 + 9000))].into()),
            delay: Duration::from_millis(300),
        });
        let cache = Arc::new(CachedCredentials::new(inner.clone()).with_clock(movable(&now)));
        cache.credentials().await.unwrap();
        now.store(T0 + 100, Ordering::SeqCst);
        let refresher = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.credentials().await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        assert_eq!(cache.credentials().await.unwrap().access_key_id(), "A");
        assert!(started.elapsed() < Duration::from_millis(200));
        assert_eq!(refresher.await.unwrap().unwrap().access_key_id(), "B");
        assert_eq!(inner.calls(), 2);
    }
}
