//! A cache of SCRAM salted passwords, so that reconnecting skips PBKDF2.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::ScramAlgorithm;

/// Salted passwords (`Hi(password, salt, i)`) from earlier exchanges, keyed by algorithm,
/// a hash of the password, salt and iteration count. A broker sends the same salt and count
/// for a user every time, so every exchange after the first skips the PBKDF2 iterations.
///
/// Thread safe; share one between connections with an `Arc`. It holds at most
/// [`capacity`](Self::with_capacity) entries (least recently used evicted first), so a server
/// sending a new salt on every connection cannot grow it. It lives in memory only, and its
/// `Debug` shows counts, never keys.
pub struct ScramCache {
    entries: Mutex<Vec<Entry>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Entry {
    algorithm: ScramAlgorithm,
    /// `H(password)`: the password itself is not kept.
    password_hash: Vec<u8>,
    salt: Vec<u8>,
    iterations: u32,
    salted_password: Vec<u8>,
}

/// Counters of a [`ScramCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScramCacheStats {
    /// Exchanges that found their salted password in the cache.
    pub hits: u64,
    /// Exchanges that had to run PBKDF2.
    pub misses: u64,
    /// Salted passwords held now.
    pub entries: usize,
}

impl ScramCache {
    /// How many salted passwords [`ScramCache::new`] keeps.
    pub const DEFAULT_CAPACITY: usize = 16;

    /// An empty cache of [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) entries.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty cache of at most `capacity` entries (0 disables caching but still counts).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Hits, misses and the number of entries.
    pub fn stats(&self) -> ScramCacheStats {
        ScramCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().len(),
        }
    }

    /// Forgets every salted password (e.g. after a password change).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        // Nothing that holds the lock can panic half-way through an update, so a poisoned
        // lock still guards a consistent list.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `Hi(password, salt, iterations)`, from the cache or computed (and then cached);
    /// the flag says whether it came from the cache.
    pub(crate) fn salted_password(
        &self,
        algorithm: ScramAlgorithm,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> (Vec<u8>, bool) {
        let password_hash = algorithm.hash(password);
        let matches = |e: &Entry| {
            e.algorithm == algorithm
                && e.iterations == iterations
                && e.salt == salt
                && e.password_hash == password_hash
        };
        {
            let mut entries = self.lock();
            if let Some(pos) = entries.iter().position(matches) {
                // Most recently used last.
                let entry = entries.remove(pos);
                let salted = entry.salted_password.clone();
                entries.push(entry);
                self.hits.fetch_add(1, Ordering::Relaxed);
                return (salted, true);
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // PBKDF2 runs without the lock, so other connections are not held up.
        let salted_password = algorithm.hi(password, salt, iterations);
        if self.capacity > 0 {
            let mut entries = self.lock();
            if !entries.iter().any(matches) {
                while entries.len() >= self.capacity {
                    entries.remove(0);
                }
                entries.push(Entry {
                    algorithm,
                    password_hash,
                    salt: salt.to_vec(),
                    iterations,
                    salted_password: salted_password.clone(),
                });
            }
        }
        (salted_password, false)
    }
}

impl Default for ScramCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ScramCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("ScramCache")
            .field("capacity", &self.capacity)
            .field("entries", &stats.entries)
            .field("hits", &stats.hits)
            .field("misses", &stats.misses)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ScramAlgorithm = ScramAlgorithm::Sha256;

    #[test]
    fn hit_after_miss_same_value() {
        let c = ScramCache::new();
        let (a, hit_a) = c.salted_password(A, b"pw", b"salt", 16);
        let (b, hit_b) = c.salted_password(A, b"pw", b"salt", 16);
        assert!(!hit_a);
        assert!(hit_b);
        assert_eq!(a, b);
        assert_eq!(a, A.hi(b"pw", b"salt", 16));
        assert_eq!(
            c.stats(),
            ScramCacheStats {
                hits: 1,
                misses: 1,
                entries: 1
            }
        );
    }

    #[test]
    fn every_key_part_matters() {
        let c = ScramCache::new();
        c.salted_password(A, b"pw", b"salt", 16);
        assert!(
            !c.salted_password(ScramAlgorithm::Sha512, b"pw", b"salt", 16)
                .1
        );
        assert!(!c.salted_password(A, b"pw2", b"salt", 16).1);
        assert!(!c.salted_password(A, b"pw", b"salt2", 16).1);
        assert!(!c.salted_password(A, b"pw", b"salt", 17).1);
        assert_eq!(c.stats().entries, 5);
        c.clear();
        assert_eq!(c.stats().entries, 0);
    }

    #[test]
    fn bounded_lru() {
        let c = ScramCache::with_capacity(2);
        c.salted_password(A, b"pw", b"s1", 1);
        c.salted_password(A, b"pw", b"s2", 1);
        assert!(c.salted_password(A, b"pw", b"s1", 1).1); // s1 now most recent
        c.salted_password(A, b"pw", b"s3", 1); // evicts s2
        assert_eq!(c.stats().entries, 2);
        assert!(c.salted_password(A, b"pw", b"s1", 1).1);
        assert!(!c.salted_password(A, b"pw", b"s2", 1).1);
        let off = ScramCache::with_capacity(0);
        off.salted_password(A, b"pw", b"s1", 1);
        assert!(!off.salted_password(A, b"pw", b"s1", 1).1);
    }

    #[test]
    fn debug_shows_no_secrets() {
        let c = ScramCache::new();
        c.salted_password(A, b"hunter2", b"salt", 1);
        let d = format!("{c:?}");
        assert!(d.contains("entries: 1"));
        assert!(!d.contains("hunter2"));
    }
}
