//! A registrar's per-pool-user rate limit (docs/model.md §4.4, §4.6): for every source
//! (pool user host) and pool, the times of its last `max_entries` requests; a request is
//! refused when the rate they show exceeds the limit.
//!
//! The estimator is the reference's, quirks included (quirk 11.3): the request is recorded
//! first, refused or not; the rate is n / (t_n − t_1) over the n ≤ `max_entries`
//! timestamps held (n, not n − 1), 0 while n ≤ 1, and infinite when n > 1 requests share
//! one microsecond; timestamps are whole microseconds, truncated. The pool selects one of
//! `buckets` rings of the source (pool handles that hash alike share a ring).

use super::NodeId;
use crate::engine::SimTime;
use crate::handlespace::PoolHandle;
use std::collections::{BTreeMap, VecDeque};

/// A rate limit's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests per second beyond which a source is refused; 0 = no limit.
    pub max_rate: f64,
    pub buckets: u32,
    /// Timestamps kept per source and bucket.
    pub max_entries: u32,
}

pub struct RateLimiter {
    limit: RateLimit,
    /// (source, bucket) -> its last timestamps [µs].
    rings: BTreeMap<(NodeId, u32), VecDeque<u64>>,
}

/// FNV-1a of the pool handle: which bucket a pool's timestamps go to.
fn pool_hash(pool: &PoolHandle) -> u64 {
    pool.as_bytes().iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

impl RateLimiter {
    /// The limiter of `limit`; None when there is no limit.
    pub fn new(limit: RateLimit) -> Option<RateLimiter> {
        (limit.max_rate > 0.0).then(|| RateLimiter { limit, rings: BTreeMap::new() })
    }

    /// Records a request of `source` for `pool` at `now`; true when it is over the limit.
    pub fn refuse(&mut self, source: NodeId, pool: &PoolHandle, now: SimTime) -> bool {
        let bucket = (pool_hash(pool) % self.limit.buckets as u64) as u32;
        let ring = self.rings.entry((source, bucket)).or_default();
        if ring.len() == self.limit.max_entries as usize {
            ring.pop_front();
        }
        ring.push_back(now.0 / 1000);
        rate(ring) > self.limit.max_rate
    }
}

/// n / (t_n − t_1) [1/s] over the timestamps [µs] (quirk 11.3).
fn rate(ring: &VecDeque<u64>) -> f64 {
    let n = ring.len();
    if n <= 1 {
        return 0.0;
    }
    let span_s = (ring[n - 1] - ring[0]) as f64 / 1e6;
    n as f64 / span_s
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::model::ids::calcapp_pool;

    fn limiter(max_rate: f64, max_entries: u32) -> Option<RateLimiter> {
        RateLimiter::new(RateLimit { max_rate, buckets: 64, max_entries })
    }

    fn at_ms(ms: &[u64]) -> Vec<SimTime> {
        ms.iter().map(|&m| SimTime(m * 1_000_000)).collect()
    }

    /// Refusals of a sequence of requests from one source.
    fn refusals(limiter: &mut RateLimiter, times: &[SimTime]) -> Vec<bool> {
        let pool = calcapp_pool();
        times.iter().map(|&t| limiter.refuse(NodeId(7), &pool, t)).collect()
    }

    #[test]
    fn the_rate_is_n_over_the_span_of_the_held_timestamps() {
        // Limit 1/s, 4 entries. Requests at 0, 1, 2, 3, 4, 4.5 s:
        // n=1: 0; n=2: 2/1 = 2 > 1 refused; n=3: 3/2 = 1.5 refused; n=4: 4/3 = 1.33
        // refused; ring {1,2,3,4}: 4/3 refused; ring {2,3,4,4.5}: 4/2.5 = 1.6 refused.
        let mut l = limiter(1.0, 4).unwrap();
        assert_eq!(refusals(&mut l, &at_ms(&[0, 1000, 2000, 3000, 4000, 4500])), [false, true, true, true, true, true]);
        // Limit 2/s: 2/1 = 2 not > 2; 1.5; 1.33; 1.33; 1.6: never refused. n − 1 would
        // give 1, 1, 1, 1, 1.2: the reference's n is what makes 1/s requests exceed 1/s.
        let mut l = limiter(2.0, 4).unwrap();
        assert_eq!(refusals(&mut l, &at_ms(&[0, 1000, 2000, 3000, 4000, 4500])), [false; 6]);
    }

    #[test]
    fn refused_requests_are_recorded_too() {
        // Limit 3/s, 3 entries, a burst at 0, 0.1, 0.2 s then one request at 1.1 s:
        // 2/0.1 = 20 refused, 3/0.2 = 15 refused; the ring then holds {0.1, 0.2, 1.1}:
        // 3/1.0 = 3, not over. Had the refused ones not been kept, {0, 1.1}: 2/1.1.
        let mut l = limiter(3.0, 3).unwrap();
        assert_eq!(refusals(&mut l, &at_ms(&[0, 100, 200, 1100])), [false, true, true, false]);
        // One more at 1.2 s: {0.2, 1.1, 1.2} = 3/1.0 = 3, not over; at 1.25 s:
        // {1.1, 1.2, 1.25} = 3/0.15 = 20, refused.
        assert_eq!(refusals(&mut l, &at_ms(&[1200, 1250])), [false, true]);
    }

    #[test]
    fn timestamps_are_truncated_microseconds() {
        // 999 ns apart: the same microsecond, an infinite rate.
        let mut l = limiter(1e9, 16).unwrap();
        let pool = calcapp_pool();
        assert!(!l.refuse(NodeId(1), &pool, SimTime(5_000)));
        assert!(l.refuse(NodeId(1), &pool, SimTime(5_999)));
        // Other sources have their own rings.
        assert!(!l.refuse(NodeId(2), &pool, SimTime(5_999)));
    }

    #[test]
    fn zero_is_no_limit() {
        assert!(limiter(0.0, 16).is_none());
    }
}
