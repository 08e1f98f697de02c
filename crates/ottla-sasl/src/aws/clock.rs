//! An injectable wall clock: credential expiry and SigV4 signing times come from here.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// Where the current time comes from. [`Clock::system`] in production; tests fix or move it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    /// A clock that always says `at`.
    pub fn fixed(at: SystemTime) -> Self {
        Self(Arc::new(move || at))
    }

    /// A clock that asks `f`.
    pub fn from_fn(f: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fixed_and_from_fn() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_322_096);
        assert_eq!(Clock::fixed(at).now(), at);
        assert_eq!(
            Clock::from_fn(move || at + Duration::from_secs(1)).now(),
            at + Duration::from_secs(1)
        );
        assert!(Clock::system().now() > at);
    }
}
