//! Identifiers that look like Clerk's.
//!
//! Clerk ids are a prefix plus 27 base62 characters. Tests must be reproducible, so the store's ids
//! come from per-instance counters passed through a bijective mixer: unique, stable across runs,
//! and not obviously sequential (a client must not rely on their order). Webhook message ids are
//! the exception: they start from a random point unless a caller asks for a seed, because
//! receivers remember them across restarts of the fake.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_BODY_LEN: usize = 27;

/// Hands out ids and trace ids for one fake instance.
#[derive(Debug, Default)]
pub(crate) struct IdGenerator {
    next: u64,
}

impl IdGenerator {
    /// The `n`-th id space: a generator whose ids differ from the default one's (series 0) at
    /// every step, so ids of one kind (memberships, roles) neither echo nor shift another's.
    pub(crate) fn series(n: u64) -> Self {
        Self { next: n << 40 }
    }

    /// A generator that starts at `seed`: the same seed gives the same ids.
    pub(crate) fn starting_at(seed: u64) -> Self {
        Self { next: seed }
    }

    /// A new id such as `orginv_2bQx...` (prefix without the underscore).
    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        let high = u128::from(splitmix64(self.next));
        let low = u128::from(splitmix64(self.next ^ 0x5eed_c1e4_u64));
        let mut body = base62(high << 64 | low);
        // u128 needs at most 22 base62 digits; pad to Clerk's length with more mixed digits.
        let mut filler = splitmix64(self.next.rotate_left(17));
        while body.len() < ID_BODY_LEN {
            body.insert(0, BASE62[(filler % 62) as usize] as char);
            filler /= 62;
        }
        format!("{prefix}_{body}")
    }
}

/// A number that differs between processes and between calls: std's randomly keyed SipHash
/// (fresh keys per process) over the time and a counter. Not from a CSPRNG; it only keeps ids
/// and generated secrets of a local fake from repeating across runs, without a `rand` dependency.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Splitmix64's finalizer: a bijection on u64, so distinct counters give distinct ids.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn base62(mut value: u128) -> String {
    let mut digits = Vec::with_capacity(22);
    loop {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
        if value == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_prefixed_and_clerk_shaped() {
        let mut ids = IdGenerator::default();
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = ids.next_id("orginv");
            let body = id.strip_prefix("orginv_").expect("prefix");
            assert_eq!(body.len(), 27, "{id}");
            assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn ids_are_reproducible() {
        let (mut a, mut b) = (IdGenerator::default(), IdGenerator::default());
        assert_eq!(a.next_id("user"), b.next_id("user"));
        let (mut a, mut b) = (IdGenerator::starting_at(7), IdGenerator::starting_at(7));
        assert_eq!(a.next_id("msg"), b.next_id("msg"));
    }

    #[test]
    fn series_do_not_overlap_in_practice() {
        let mut seen = HashSet::new();
        for series in 0..4 {
            let mut ids = IdGenerator::series(series);
            for _ in 0..1_000 {
                assert!(seen.insert(ids.next_id("x")));
            }
        }
        assert_ne!(random_u64(), random_u64());
    }
}
