//! The future event list: a binary heap keyed by (time, insertion sequence), so equal-time
//! events run in the order they were scheduled (as OMNeT++ and ns-3 do). Timers are
//! cancelled through [`super::timer::Deadline`], which never needs to remove a heap entry,
//! so a plain heap serves (ecosystem-notes B.5: 2.4-7.8x faster than an indexed heap).
//! It is 4-ary (`dary_heap`): half the depth of a binary heap, so a pop waits on half as
//! many dependent cache misses.

use super::time::SimTime;
use dary_heap::QuaternaryHeap as BinaryHeap;
use std::cmp::Ordering;

/// Sequence number of a scheduled event; unique within one queue.
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

/// Deterministic future event list.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_id: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_id: 0 }
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

    /// Removes and returns the earliest pending event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        self.heap.pop().map(|e| (e.time, e.id, e.event))
    }

    /// Time of the earliest pending event, without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Number of pending events.
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
}
