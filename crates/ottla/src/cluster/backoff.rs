//! Exponential backoff with jitter (`reconnect.backoff.ms` … `reconnect.backoff.max.ms`).

use std::time::Duration;

use rand::Rng;

/// Exponential backoff: `base · 2^(failures-1)`, capped at `max`, with ±20 % jitter (as the
/// Java client does), never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Upper bound.
    pub max: Duration,
}

impl Backoff {
    /// The delay before the next attempt after `failures` consecutive failures (0 ⇒ none).
    pub fn delay(&self, failures: u32) -> Duration {
        self.delay_with(failures, rand::rng().random_range(0.8..=1.2))
    }

    /// As [`delay`](Self::delay) with the jitter factor given (for tests).
    pub fn delay_with(&self, failures: u32, jitter: f64) -> Duration {
        if failures == 0 || self.base.is_zero() {
            return Duration::ZERO;
        }
        let exp = 2f64.powi(failures.saturating_sub(1).min(30) as i32);
        let raw = self.base.as_secs_f64() * exp;
        let capped = raw.min(self.max.as_secs_f64());
        Duration::from_secs_f64((capped * jitter).min(self.max.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let b = Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(1000),
        };
        assert_eq!(b.delay_with(0, 1.0), Duration::ZERO);
        assert_eq!(b.delay_with(1, 1.0), Duration::from_millis(50));
        assert_eq!(b.delay_with(2, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay_with(5, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay_with(6, 1.0), Duration::from_millis(1000));
        assert_eq!(b.delay_with(60, 1.2), Duration::from_millis(1000));
        let d = b.delay(3);
        assert!(
            d >= Duration::from_millis(160) && d <= Duration::from_millis(240),
            "{d:?}"
        );
    }
}
