//! Durations from configured seconds, and the random delays components wait.

use crate::engine::SimDuration;
use crate::engine::rng::StreamRng;
use rand::RngExt;

/// Converts a configured time in seconds to a duration.
pub fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// A delay uniform in [0, max_s) seconds.
pub fn uniform_delay(rng: &mut StreamRng, max_s: f64) -> SimDuration {
    if max_s > 0.0 { secs(rng.random_range(0.0..max_s)) } else { SimDuration::ZERO }
}
