//! Topic ids: distinct, non-nil UUIDs without a random number generator.

use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;

/// Hands out topic ids from a seed taken from the clock and a counter, mixed with SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct TopicIdGenerator {
    seed: u64,
    counter: u64,
}

impl Default for TopicIdGenerator {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self::with_seed(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }
}

impl TopicIdGenerator {
    /// A generator whose ids depend only on `seed`.
    pub fn with_seed(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// The next id; never nil and never repeated by this generator.
    pub fn next_id(&mut self) -> Uuid {
        self.counter += 1;
        let hi = splitmix64(self.seed ^ self.counter.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // The low half carries the counter itself, so ids of one generator never collide.
        let lo = splitmix64(hi) & 0xffff_ffff_0000_0000 | (self.counter & 0xffff_ffff);
        Uuid::from_u64_pair(hi, lo)
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_and_not_nil() {
        let mut g = TopicIdGenerator::with_seed(0);
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| g.next_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(!ids.contains(&Uuid::nil()));
    }
}
