//! The future event list: a priority queue keyed by (time, insertion sequence), so
//! equal-time events run in the order they were scheduled (as OMNeT++ and ns-3 do). It is a
//! radix heap ([`RadixHeap`]): pushes are appends and pops redistribute a bucket
//! sequentially, so its cost per event hardly grows with the pool, where a heap's pop is a
//! chain of cache misses. `poolsim bench event-list` replays a recorded run against the
//! alternatives (4-ary, 8-ary and binary heaps, the `priority-queue` crate's indexed heap).
//!
//! Timers live in a table beside the heap. A timer keeps its own [`Deadline`] and has at
//! most one wake-up entry in the heap, so restarting or cancelling it touches no heap entry;
//! [`EventQueue::pop`] skips wake-ups of cancelled, restarted or removed timers itself, so
//! only real expiries reach the simulation.
//!
//! [`EventQueue::start_trace`] records the heap's operations (each push's time, each pop)
//! so that `poolsim bench event-list` can replay a real run against other heaps.

use super::radix::RadixHeap;
use super::time::SimTime;
use super::timer::{Deadline, Wake};

/// A timer of the queue's timer table, valid until removed. Its slot alone: components
/// hold one per timer (a PE two per job), and only the queue's wake-up entries need to
/// tell a removed timer from the next one in its slot ([`Wake`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerId {
    slot: u32,
}

/// A wake-up entry's timer: its slot, and the slot's generation when it was armed.
#[derive(Clone, Copy)]
struct WakeUp {
    slot: u32,
    generation: u32,
}

#[derive(Clone, Copy)]
enum Item<E> {
    Event(E),
    Wake(WakeUp),
}

/// The key of an entry: time [ns] in the high half, insertion sequence in the low half,
/// which breaks ties between equal times (first scheduled first).
#[inline]
fn key(time: SimTime, seq: u64) -> u128 {
    (u128::from(time.0) << 64) | u128::from(seq)
}

#[inline]
fn key_time(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

struct TimerSlot<E> {
    deadline: Deadline,
    /// Delivered when the timer expires.
    event: E,
    /// Counts the removals, so that wake-ups of a removed timer are not taken for the
    /// next one in the slot.
    generation: u32,
    /// Removed and not reused yet (in the padding the generation leaves).
    removed: bool,
}

/// Deterministic future event list with a timer table.
pub struct EventQueue<E> {
    heap: RadixHeap<Item<E>>,
    next_seq: u64,
    timers: Vec<TimerSlot<E>>,
    free_timers: Vec<u32>,
    /// Heap operations recorded since [`EventQueue::start_trace`].
    trace: Option<EventListTrace>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: RadixHeap::default(), next_seq: 0, timers: Vec::new(), free_timers: Vec::new(), trace: None }
    }
}

/// One operation on the heap of a recorded run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceOp {
    /// An entry pushed at this time; entries are numbered in push order, which breaks ties.
    Push(SimTime),
    /// The earliest entry popped.
    Pop,
}

/// The heap operations of a run, in order, 8 bytes each.
#[derive(Clone, Debug, Default)]
pub struct EventListTrace {
    /// Push times [ns]; `POP` for a pop (no simulated time reaches it: times end at 1e18 ns).
    ops: Vec<u64>,
}

impl EventListTrace {
    const POP: u64 = u64::MAX;

    fn record(&mut self, op: TraceOp) {
        self.ops.push(match op {
            TraceOp::Push(t) => t.0,
            TraceOp::Pop => Self::POP,
        });
    }

    pub fn ops(&self) -> impl ExactSizeIterator<Item = TraceOp> + '_ {
        self.ops.iter().map(|&op| if op == Self::POP { TraceOp::Pop } else { TraceOp::Push(SimTime(op)) })
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The largest number of entries in the heap at once.
    pub fn max_len(&self) -> usize {
        let (mut len, mut max) = (0usize, 0);
        for op in self.ops() {
            match op {
                TraceOp::Push(_) => {
                    len += 1;
                    max = max.max(len);
                }
                TraceOp::Pop => len -= 1,
            }
        }
        max
    }
}

impl<E: Copy> EventQueue<E> {
    fn push(&mut self, time: SimTime, item: Item<E>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(trace) = &mut self.trace {
            trace.record(TraceOp::Push(time));
        }
        self.heap.push(key(time, seq), item);
    }

    /// Starts recording the heap's operations; the entries already in the heap come first,
    /// as pushes in their scheduling order.
    pub fn start_trace(&mut self) {
        let mut pending: Vec<u128> = self.heap.iter().map(|&(key, _)| key).collect();
        pending.sort_unstable_by_key(|&key| key as u64);
        let mut trace = EventListTrace::default();
        pending.into_iter().for_each(|key| trace.record(TraceOp::Push(key_time(key))));
        self.trace = Some(trace);
    }

    /// Stops recording and returns the operations recorded.
    pub fn take_trace(&mut self) -> Option<EventListTrace> {
        self.trace.take()
    }

    /// Schedules `event` at `time`; events at equal times run in scheduling order.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.push(time, Item::Event(event));
    }

    /// Creates a stopped timer that delivers `event` when it expires.
    pub fn add_timer(&mut self, event: E) -> TimerId {
        match self.free_timers.pop() {
            Some(slot) => {
                let t = &mut self.timers[slot as usize];
                t.deadline = Deadline::default();
                t.event = event;
                t.removed = false;
                TimerId { slot }
            }
            None => {
                self.timers.push(TimerSlot { deadline: Deadline::default(), event, generation: 0, removed: false });
                TimerId { slot: (self.timers.len() - 1) as u32 }
            }
        }
    }

    /// Removes a timer (stopping it); its id must not be used again.
    pub fn remove_timer(&mut self, id: TimerId) {
        let t = &mut self.timers[id.slot as usize];
        assert!(!t.removed, "a timer removed twice");
        t.removed = true;
        t.generation = t.generation.wrapping_add(1);
        t.deadline.cancel();
        self.free_timers.push(id.slot);
    }

    /// (Re)starts a timer to expire at `at`.
    pub fn arm(&mut self, id: TimerId, at: SimTime) {
        let t = &mut self.timers[id.slot as usize];
        debug_assert!(!t.removed, "arming a removed timer");
        if let Some(wake) = t.deadline.arm(at) {
            let generation = t.generation;
            self.push(wake, Item::Wake(WakeUp { slot: id.slot, generation }));
        }
    }

    /// Stops a timer (idempotent).
    pub fn cancel(&mut self, id: TimerId) {
        self.timers[id.slot as usize].deadline.cancel();
    }

    /// When a timer expires, if it is running.
    pub fn expires_at(&self, id: TimerId) -> Option<SimTime> {
        let t = &self.timers[id.slot as usize];
        debug_assert!(!t.removed, "asking a removed timer");
        t.deadline.expires_at()
    }

    /// Removes and returns the earliest pending event or timer expiry.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let (key, item) = self.heap.pop()?;
            if let Some(trace) = &mut self.trace {
                trace.record(TraceOp::Pop);
            }
            let time = key_time(key);
            let wake_up = match item {
                Item::Event(event) => return Some((time, event)),
                Item::Wake(wake_up) => wake_up,
            };
            let t = &mut self.timers[wake_up.slot as usize];
            if t.generation != wake_up.generation {
                continue; // the timer was removed
            }
            match t.deadline.wake(time) {
                Wake::Expire => return Some((time, t.event)),
                Wake::Reschedule(at) => self.push(at, Item::Wake(wake_up)),
                Wake::Ignore => {}
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn drain(q: &mut EventQueue<&'static str>) -> Vec<(u64, &'static str)> {
        std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect()
    }

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(20), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(10), "b");
        q.schedule(SimTime(5), "first");
        assert_eq!(drain(&mut q), [(5, "first"), (10, "a"), (10, "b"), (20, "c")]);
    }

    #[test]
    fn timers_expire_at_their_latest_deadline_only() {
        let mut q = EventQueue::default();
        let restarted = q.add_timer("restarted");
        let cancelled = q.add_timer("cancelled");
        let removed = q.add_timer("removed");
        q.arm(restarted, SimTime(10));
        q.arm(restarted, SimTime(30)); // later: no new heap entry
        q.arm(cancelled, SimTime(15));
        q.cancel(cancelled);
        q.arm(removed, SimTime(12));
        q.remove_timer(removed);
        let reused = q.add_timer("reused");
        q.arm(reused, SimTime(25));
        q.schedule(SimTime(20), "event");
        assert_eq!(reused, removed, "the removed timer's slot is reused");
        assert_eq!(q.expires_at(restarted), Some(SimTime(30)));
        assert_eq!(drain(&mut q), [(20, "event"), (25, "reused"), (30, "restarted")]);
    }

    #[test]
    #[should_panic(expected = "a timer removed twice")]
    fn a_timer_is_removed_once() {
        let mut q = EventQueue::default();
        let timer = q.add_timer("timer");
        q.remove_timer(timer);
        q.remove_timer(timer);
    }

    #[test]
    fn a_trace_records_pending_entries_then_every_push_and_pop() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(20), "b");
        q.schedule(SimTime(10), "a");
        let timer = q.add_timer("timer");
        q.start_trace();
        q.arm(timer, SimTime(5));
        q.arm(timer, SimTime(15)); // no new heap entry
        assert_eq!(drain(&mut q), [(10, "a"), (15, "timer"), (20, "b")]);
        let trace = q.take_trace().unwrap();
        use TraceOp::{Pop, Push};
        let ops: Vec<TraceOp> = trace.ops().collect();
        // The wake-up at 5 comes early and is pushed again at 15.
        let t = |ns| Push(SimTime(ns));
        assert_eq!(ops, [t(20), t(10), t(5), Pop, t(15), Pop, Pop, Pop]);
        assert_eq!(trace.max_len(), 3);
        assert!(q.take_trace().is_none());
    }
}
