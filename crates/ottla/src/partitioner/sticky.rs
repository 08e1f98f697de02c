//! Uniform sticky partitioning (KIP-794): keyless records stay on one partition until
//! `batch.size` bytes went to it or its batch is full, then move to another chosen at random, so batches fill up
//! and every partition gets the same share over time.

use rand::Rng;

/// The sticky choice for one topic.
#[derive(Debug, Default, Clone)]
pub struct StickyPartitioner {
    current: Option<i32>,
    /// The partition left last, avoided by the next choice.
    previous: Option<i32>,
    produced: usize,
}

impl StickyPartitioner {
    /// A partitioner with no partition chosen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The partition for the next keyless record. `available` lists the partitions with a
    /// leader (when empty, any of `0..partitions` is used).
    pub fn partition(&mut self, partitions: i32, available: &[i32], rng: &mut impl Rng) -> i32 {
        let partitions = partitions.max(1);
        if let Some(p) = self.current.filter(|p| (0..partitions).contains(p)) {
            return p;
        }
        let previous = self.previous.or(self.current);
        let pick = |rng: &mut dyn rand::RngCore| -> i32 {
            if available.is_empty() {
                rng.random_range(0..partitions)
            } else {
                let i = rng.random_range(0..available.len());
                available.get(i).copied().unwrap_or(0)
            }
        };
        let choices = if available.is_empty() {
            partitions as usize
        } else {
            available.len()
        };
        let mut p = pick(rng);
        // Move to a different partition when there is one.
        if choices > 1 {
            while Some(p) == previous {
                p = pick(rng);
            }
        }
        self.current = Some(p);
        self.produced = 0;
        p
    }

    /// The current partition's batch is full: the next record goes elsewhere.
    pub fn batch_full(&mut self) {
        self.produced = 0;
        if self.current.is_some() {
            self.previous = self.current.take();
        }
    }

    /// Counts `bytes` produced to the current partition; once `batch_size` bytes went there,
    /// the next record picks a new partition.
    pub fn produced(&mut self, bytes: usize, batch_size: usize) {
        self.produced = self.produced.saturating_add(bytes);
        if self.produced >= batch_size {
            self.produced = 0;
            self.previous = self.current.take();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn sticks_until_batch_size_then_moves() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut s = StickyPartitioner::new();
        let first = s.partition(8, &[], &mut rng);
        for _ in 0..9 {
            assert_eq!(s.partition(8, &[], &mut rng), first);
            s.produced(100, 1000);
        }
        assert_eq!(s.partition(8, &[], &mut rng), first);
        s.produced(100, 1000);
        let second = s.partition(8, &[], &mut rng);
        assert_ne!(second, first);
    }

    #[test]
    fn a_full_batch_moves_it_on_at_once() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut s = StickyPartitioner::new();
        let first = s.partition(4, &[], &mut rng);
        s.produced(10, 1000);
        s.batch_full();
        let second = s.partition(4, &[], &mut rng);
        assert_ne!(second, first);
        assert_eq!(s.partition(4, &[], &mut rng), second, "sticks again");
    }

    #[test]
    fn spreads_uniformly_over_available_partitions() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut s = StickyPartitioner::new();
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            let p = s.partition(6, &[0, 2, 4], &mut rng);
            counts[p as usize] += 1;
            s.produced(10, 100);
        }
        assert_eq!(counts[1] + counts[3] + counts[5], 0);
        for c in [counts[0], counts[2], counts[4]] {
            assert!((18_000..22_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn single_partition_stays() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut s = StickyPartitioner::new();
        for _ in 0..10 {
            assert_eq!(s.partition(1, &[], &mut rng), 0);
            s.produced(10, 10);
        }
    }
}
