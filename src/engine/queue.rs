//! The future event list: a binary heap keyed by (time, insertion sequence), so equal-time
//! events run in the order they were scheduled (as OMNeT++ and ns-3 do). Cancellation is
//! lazy: a cancelled event stays in the heap and is skipped when it reaches the top, which
//! keeps both schedule and cancel O(log n) / O(1) (ecosystem-notes B.5: `BinaryHeap` is
//! 2.4-7.8x faster than an indexed heap for this use).

use super::time::SimTime;
use rustc_hash::FxHashSet;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Handle of a scheduled event; unique within one queue, usable to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u64);

struct Entry<E> {
    time: SimTime,
    id: EventId,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.id == other.id
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the std max-heap pops the earliest (time, id) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.id).cmp(&(self.time, self.id))
    }
}

/// Deterministic future event list with cancellation.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_id: u64,
    /// Ids of cancelled events still in the heap (only membership is ever asked).
    cancelled: FxHashSet<EventId>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_id: 0,
            cancelled: FxHashSet::default(),
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`; events at equal times run in scheduling order.
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventId {
        let id = EventId(self.next_id);
        self.next_id += 1;
        self.heap.push(Entry { time, id, event });
        id
    }

    /// Cancels a pending event. Cancelling an event that already ran is a caller bug that
    /// would leak an entry in the cancelled set, so callers keep `Option<EventId>` handles
    /// and clear them when the event fires.
    pub fn cancel(&mut self, id: EventId) {
        self.cancelled.insert(id);
    }

    /// Removes and returns the earliest pending event that is not cancelled.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        while let Some(entry) = self.heap.pop() {
            if !self.cancelled.is_empty() && self.cancelled.remove(&entry.id) {
                continue;
            }
            return Some((entry.time, entry.id, entry.event));
        }
        None
    }

    /// Time of the earliest entry (possibly a cancelled one), without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Number of heap entries, cancelled ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(20), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(10), "b");
        q.schedule(SimTime(5), "first");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ["first", "a", "b", "c"]);
    }

    #[test]
    fn cancelled_events_are_skipped() {
        let mut q = EventQueue::default();
        let a = q.schedule(SimTime(1), 'a');
        q.schedule(SimTime(2), 'b');
        let c = q.schedule(SimTime(3), 'c');
        q.cancel(a);
        q.cancel(c);
        assert_eq!(q.pop().map(|(t, _, e)| (t, e)), Some((SimTime(2), 'b')));
        assert!(q.pop().is_none());
        assert!(
            q.cancelled.is_empty(),
            "cancel marks are dropped when skipped"
        );
    }
}
