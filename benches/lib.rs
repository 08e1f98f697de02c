//! Benchmarks live in benches/*.rs; this library holds the test data they share.

/// `count` values of `size` bytes that look like JSON events or log lines: words from a small
/// vocabulary with varying numbers, so compression ratios are realistic rather than trivial.
/// Deterministic (xorshift from a fixed seed).
pub fn json_like_values(count: usize, size: usize) -> Vec<Vec<u8>> {
    const WORDS: [&str; 12] = [
        "{\"user\":",
        "\"id\":",
        "\"event\":",
        "click",
        "view",
        "purchase",
        "\"ts\":",
        "ok",
        "error",
        "\"region\":",
        "eu-west",
        "us-east",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let mut value = String::with_capacity(size + 16);
            while value.len() < size {
                let n = next();
                value.push_str(WORDS[(n % WORDS.len() as u64) as usize]);
                value.push_str(&(n >> 40).to_string());
                value.push(',');
            }
            value.truncate(size);
            value.into_bytes()
        })
        .collect()
}
