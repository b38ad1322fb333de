//! The deterministic discrete-event kernel: integer time, a future event list with
//! FIFO tie-breaking, cancellable timers, named random streams, and an event-trace
//! fingerprint. It knows nothing of RSerPool.

pub mod queue;
pub mod radix;
pub mod rng;
pub mod time;
pub mod timer;

pub use queue::{EventQueue, TimerId};
pub use time::{SimDuration, SimTime};
pub use timer::{Deadline, Wake};

/// A running hash over the ordered event trace (time and an event tag per event), so that
/// any change in behaviour changes it; OMNeT++ uses such fingerprints for regression tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xCBF2_9CE4_8422_2325)
    }
}

impl Fingerprint {
    /// Folds one executed event into the hash.
    #[inline]
    pub fn add(&mut self, time: SimTime, tag: u64) {
        self.0 = rng::mix64(self.0 ^ time.0).wrapping_add(tag);
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// Hex form used in reports.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}
