//! Integer simulated time. The engine never uses floating point for time, so event
//! order cannot depend on rounding: [`SimTime`] is an instant and [`SimDuration`] a span,
//! both counted in nanoseconds (the reference model quantises to 10 ns).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// 2^52 [ns]: below it, a positive float's fraction `x - trunc(x)` is exact (Sterbenz);
/// from it on, every float is a whole number. So [`SimDuration::from_secs_f64`] rounds
/// without a library call.
const EXACT_FRACTION_NS: f64 = 4_503_599_627_370_496.0;

/// An instant of simulated time [ns since the start of the run].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time [ns].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * NS_PER_S)
    }

    /// Rounds a time in seconds to the nearest nanosecond (negative values become 0).
    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime(SimDuration::from_secs_f64(s).0)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }

    /// The span since `earlier`; zero if `earlier` is later (never wraps).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * NS_PER_S)
    }

    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms * 1_000_000)
    }

    /// Rounds seconds to the nearest nanosecond; negative and NaN spans become zero,
    /// spans beyond the `u64` range saturate.
    pub fn from_secs_f64(s: f64) -> SimDuration {
        if s.is_nan() || s <= 0.0 {
            return SimDuration(0);
        }
        // `f64::round` (half away from zero) without its library call, which baseline
        // x86-64 needs for want of a rounding instruction: 1.4 % of a run's instructions
        // (and 0.4 % more for the cookie timeouts of 100 days, beyond 2^52 ns).
        let ns = s * NS_PER_S as f64;
        let whole = ns as u64; // saturates beyond the u64 range
        if ns < EXACT_FRACTION_NS {
            SimDuration(whole + u64::from(ns - whole as f64 >= 0.5))
        } else {
            SimDuration(whole) // already whole
        }
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}s", self.0 / NS_PER_S, self.0 % NS_PER_S)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}s", self.0 / NS_PER_S, self.0 % NS_PER_S)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn conversions_round_to_nanoseconds() {
        assert_eq!(SimDuration::from_secs_f64(1.5).0, 1_500_000_000);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e-9 * 0.6).0, 1);
        assert_eq!(SimTime::from_secs(900) + SimDuration::from_millis(1), SimTime(900_001_000_000));
        assert_eq!(SimTime(5).since(SimTime(9)), SimDuration::ZERO);
        assert_eq!(SimTime(1_250_000_000).to_string(), "1.250000000s");
    }

    /// What the conversion was before its rounding went without a library call.
    fn reference(s: f64) -> u64 {
        if s.is_nan() || s <= 0.0 { 0 } else { (s * NS_PER_S as f64).round().min(u64::MAX as f64) as u64 }
    }

    #[test]
    fn rounding_ties_and_edges_as_the_library_rounds() {
        let half_ulp_below = 0.5f64.next_down();
        let edges = [
            0.5e-9,
            1.5e-9,
            2.5e-9,
            half_ulp_below * 1e-9,
            EXACT_FRACTION_NS.next_down() / 1e9,
            EXACT_FRACTION_NS / 1e9,
            8_640_000.0, // the default cookie timeout, 100 days
            (2.0 * EXACT_FRACTION_NS).next_down() / 1e9,
            u64::MAX as f64 / 1e9,
            (u64::MAX as f64).next_down() / 1e9,
            1e10,
            f64::MAX,
            f64::INFINITY,
            f64::MIN_POSITIVE,
        ];
        for s in edges {
            assert_eq!(SimDuration::from_secs_f64(s).0, reference(s), "{s:e} s");
        }
    }

    proptest::proptest! {
        /// Any time, as float bits (all magnitudes) or as a plain number of seconds.
        #[test]
        fn rounds_as_the_library_does(bits in proptest::prelude::any::<u64>(), s in 0.0f64..1e7) {
            let any = f64::from_bits(bits);
            proptest::prop_assert_eq!(SimDuration::from_secs_f64(any).0, reference(any));
            proptest::prop_assert_eq!(SimDuration::from_secs_f64(s).0, reference(s));
        }
    }
}
