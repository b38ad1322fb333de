//! The state of a timer that costs no event-list work to restart or cancel.
//!
//! A [`Deadline`] keeps its expiry time itself and has at most one wake-up in the queue
//! (at or before the expiry). Restarting it later, or cancelling it, only changes the
//! stored deadline; a wake-up that comes early re-schedules itself for the deadline. A
//! timer therefore expires exactly at its deadline, as with eager cancellation, while
//! protocol timeouts that are almost always cancelled (request and registration
//! timeouts, the 280 s re-registration timer restarted on every load change) leave no
//! dead entries behind in the heap. [`super::EventQueue`] keeps one per timer.

use super::time::SimTime;

/// The end of time: a timer's "not running", and "no wake-up pending". A timer armed at
/// it (a saturated delay) could never fire anyway, so it counts as not running.
const NEVER: u64 = u64::MAX;

/// A restartable, cancellable one-shot timer. Plain times with a sentinel rather than
/// `Option`s keep it at 16 bytes: the timer table holds one per timer of every component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// When the timer expires [ns]; NEVER = not running.
    at: u64,
    /// Earliest wake-up event pending in the queue [ns]; NEVER = none.
    wake: u64,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline { at: NEVER, wake: NEVER }
    }
}

/// What to do with a wake-up event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The timer expires now.
    Expire,
    /// Not yet: schedule the wake-up event again at this time.
    Reschedule(SimTime),
    /// Cancelled, or another wake-up is pending: nothing to do.
    Ignore,
}

impl Deadline {
    /// (Re)starts the timer to expire at `at`. Returns the time at which the caller must
    /// schedule a wake-up event, if no pending one comes early enough.
    #[must_use]
    pub fn arm(&mut self, at: SimTime) -> Option<SimTime> {
        self.at = at.0;
        if at.0 < self.wake {
            self.wake = at.0;
            Some(at)
        } else {
            None
        }
    }

    /// Stops the timer (idempotent).
    pub fn cancel(&mut self) {
        self.at = NEVER;
    }

    /// When the timer expires, if running.
    pub fn expires_at(&self) -> Option<SimTime> {
        (self.at != NEVER).then_some(SimTime(self.at))
    }

    /// Handles a wake-up event at `now`.
    pub fn wake(&mut self, now: SimTime) -> Wake {
        if self.wake == now.0 {
            self.wake = NEVER;
        }
        if self.at == NEVER {
            Wake::Ignore
        } else if self.at <= now.0 {
            self.at = NEVER;
            Wake::Expire
        } else if self.at < self.wake {
            self.wake = self.at;
            Wake::Reschedule(SimTime(self.at))
        } else {
            Wake::Ignore
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Drives a timer with a tiny event list; returns the expiry times.
    fn expiries(ops: &[(u64, Option<u64>)], until: u64) -> Vec<u64> {
        let mut t = Deadline::default();
        let mut wakes: Vec<u64> = Vec::new();
        let mut fired = Vec::new();
        let mut ops = ops.iter().peekable();
        for now in 0..=until {
            // Wake-ups scheduled earlier run before this instant's operations.
            while let Some(i) = wakes.iter().position(|&w| w == now) {
                wakes.remove(i);
                match t.wake(SimTime(now)) {
                    Wake::Expire => fired.push(now),
                    Wake::Reschedule(w) => wakes.push(w.0),
                    Wake::Ignore => {}
                }
            }
            while let Some(&&(_, arm)) = ops.peek().filter(|o| o.0 == now) {
                ops.next();
                match arm {
                    Some(delay) => wakes.extend(t.arm(SimTime(now + delay)).map(|w| w.0)),
                    None => t.cancel(),
                }
            }
        }
        fired
    }

    #[test]
    fn expires_exactly_at_the_latest_deadline() {
        assert_eq!(expiries(&[(0, Some(10))], 30), [10]);
        assert_eq!(expiries(&[(0, Some(10)), (5, Some(10))], 30), [15], "restart moves it later");
        assert_eq!(expiries(&[(0, Some(10)), (5, None)], 30), Vec::<u64>::new(), "cancelled");
        assert_eq!(expiries(&[(0, Some(10)), (5, None), (7, Some(2))], 30), [9], "re-armed earlier");
        assert_eq!(expiries(&[(0, Some(10)), (3, Some(20)), (4, Some(1))], 30), [5], "shortened");
        assert_eq!(expiries(&[(0, Some(5)), (5, Some(5))], 30), [5, 10], "re-armed on expiry");
    }

    #[test]
    fn restarts_schedule_no_extra_wakeups() {
        let mut t = Deadline::default();
        assert_eq!(t.arm(SimTime(10)), Some(SimTime(10)));
        for at in 11..100 {
            assert_eq!(t.arm(SimTime(at)), None, "the pending wake-up at 10 serves");
        }
        assert_eq!(t.wake(SimTime(10)), Wake::Reschedule(SimTime(99)));
        assert_eq!(t.wake(SimTime(99)), Wake::Expire);
        assert_eq!(t.expires_at(), None);
    }

    #[test]
    fn a_timer_armed_at_the_end_of_time_is_not_running() {
        let mut t = Deadline::default();
        assert_eq!(t.arm(SimTime(u64::MAX)), None, "no wake-up: it could never fire");
        assert_eq!(t.expires_at(), None);
        assert_eq!(t.arm(SimTime(7)), Some(SimTime(7)));
        assert_eq!(t.expires_at(), Some(SimTime(7)));
        assert_eq!(std::mem::size_of::<Deadline>(), 16);
    }
}
