//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990): a monotone priority queue for
//! integer keys, which a discrete-event simulation is (nothing is scheduled before the
//! event being executed).
//!
//! Entry keys are `u128` (time in the high half, insertion sequence in the low half, so
//! all keys differ); buckets go by the time alone. An entry sits in bucket b = the
//! position of the highest bit in which its time differs from that of the last entry
//! popped (0 = equal: bucket 0 holds the entries due now, in key order). A push appends to
//! one of 65 queues; a pop takes the front of bucket 0, and when that is empty it finds the
//! first non-empty bucket, makes its least time the last one and redistributes the bucket
//! into lower buckets. An entry only moves down, at most 64 times, in practice a few, and every
//! move is a sequential append, where a pop from a heap of a million entries follows a chain
//! of cache misses down the tree. Pops come out in exact key order, so the simulation does
//! not change.

/// Buckets 1..=64 (bucket b at index b - 1); bucket 0 is [`RadixHeap::now`].
const BUCKETS: usize = 64;
/// Largest storage a bucket keeps once emptied [entries].
const RETAINED_CAPACITY: usize = 1024;

pub struct RadixHeap<T> {
    /// Time (the key's high half) of the last entry popped; every key pushed must be at
    /// least this.
    last: u64,
    /// Bucket 0: the entries of time `last`, in key order, popped from `next` on (a
    /// vector and a read position: cheaper than a ring buffer, and emptied at once when
    /// drained). Pushes of time `last` come after all of them, their sequence being the
    /// newest.
    now: Vec<(u128, T)>,
    next: usize,
    buckets: Vec<Vec<(u128, T)>>,
    /// Bit b - 1 set: bucket b (1..=64) is not empty.
    occupied: u64,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        RadixHeap {
            last: 0,
            now: Vec::new(),
            next: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
        }
    }
}

#[inline]
fn time(key: u128) -> u64 {
    (key >> 64) as u64
}

/// The bucket of `time` relative to the time of the last entry popped (0: equal).
#[inline]
fn bucket(time: u64, last: u64) -> usize {
    (u64::BITS - (time ^ last).leading_zeros()) as usize
}

impl<T: Copy> RadixHeap<T> {
    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &(u128, T)> {
        self.now[self.next..].iter().chain(self.buckets.iter().flatten())
    }

    /// Adds an entry; `key` must not be less than the last key popped, and an entry of the
    /// last popped time must come after every pending one of that time (the insertion
    /// sequence in the key's low half grows).
    #[inline]
    pub fn push(&mut self, key: u128, item: T) {
        let t = time(key);
        assert!(t >= self.last, "a key below the last popped one: the past was scheduled");
        debug_assert!(self.now[self.next..].last().is_none_or(|e| e.0 < key), "keys of one time pushed in order");
        self.place(t, key, item);
    }

    #[inline]
    fn place(&mut self, t: u64, key: u128, item: T) {
        match bucket(t, self.last) {
            0 => self.now.push((key, item)),
            b => {
                self.occupied |= 1 << (b - 1);
                self.buckets[b - 1].push((key, item));
            }
        }
    }

    /// Removes the entry with the least key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u128, T)> {
        if self.next == self.now.len() {
            self.now.clear();
            self.next = 0;
            self.refill()?;
        }
        self.next += 1;
        Some(self.now[self.next - 1])
    }

    /// Fills bucket 0: the first non-empty bucket's least time becomes the last time, and
    /// the bucket is spread over the lower buckets. None when empty.
    #[inline]
    fn refill(&mut self) -> Option<()> {
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let mut moving = std::mem::take(&mut self.buckets[b]);
        self.last = moving.iter().map(|e| time(e.0)).min().expect("occupied buckets hold entries");
        for (key, item) in moving.drain(..) {
            self.place(time(key), key, item);
        }
        // Entries of one time reach bucket 0 in their bucket's order, not in key order.
        if self.now.len() > 1 {
            self.now.sort_unstable_by_key(|e| e.0);
        }
        // A small bucket keeps its storage for its next entries; a large one frees it (its
        // entries now sit lower down, and keeping every bucket's high-water mark costs
        // 15 % more memory at 10 000 PEs, for no speed).
        if moving.capacity() <= RETAINED_CAPACITY {
            self.buckets[b] = moving;
        }
        Some(())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Pushes (never before the last pop, as in a simulation) and pops in any mix come
        /// out as std's heap pops them.
        #[test]
        fn pops_in_the_order_of_a_binary_heap(ops in prop::collection::vec(prop::option::of(0u64..1000), 0..600)) {
            let (mut radix, mut reference) = (RadixHeap::default(), BinaryHeap::new());
            let mut now = 0u64;
            for (seq, op) in ops.into_iter().enumerate() {
                match op {
                    Some(delay) => {
                        let key = (u128::from(now + delay % 50) << 64) | seq as u128;
                        radix.push(key, seq);
                        reference.push(Reverse((key, seq)));
                    }
                    None => {
                        let popped = radix.pop();
                        prop_assert_eq!(popped, reference.pop().map(|Reverse(e)| e));
                        if let Some((key, _)) = popped {
                            now = (key >> 64) as u64;
                        }
                    }
                }
                prop_assert_eq!(radix.iter().count(), reference.len());
            }
            while let Some(Reverse(e)) = reference.pop() {
                prop_assert_eq!(radix.pop(), Some(e));
            }
            prop_assert!(radix.pop().is_none() && radix.iter().next().is_none());
        }
    }

    #[test]
    #[should_panic(expected = "the past was scheduled")]
    fn refuses_a_key_before_the_last_popped() {
        let at = |time: u128, seq: u128| (time << 64) | seq;
        let mut radix = RadixHeap::default();
        radix.push(at(10, 0), ());
        radix.push(at(20, 1), ());
        radix.pop();
        radix.push(at(5, 2), ());
    }
}
