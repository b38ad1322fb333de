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
/// Entries per chunk of a bucket: 4 KiB of 32-byte entries.
const CHUNK: usize = 128;

/// A full chunk of [`CHUNK`] entries.
type Chunk<T> = Box<[(u128, T)]>;

/// A bucket: full chunks and the chunk filling. A bucket grows by a chunk at a time and
/// gives its full chunks back one by one as they are spread over the lower buckets, so the
/// heap has room for about as many entries as it holds, where vectors doubling had room
/// for up to four times as many at their peak (a doubling's old and new storage, and a
/// bucket being spread beside the buckets it fills).
struct Bucket<T> {
    /// Filled from the front up to `len`; empty (no storage) in a bucket never used.
    filling: Chunk<T>,
    len: usize,
    full: Vec<Chunk<T>>,
}

impl<T> Bucket<T> {
    fn iter(&self) -> impl Iterator<Item = &(u128, T)> {
        self.full.iter().flat_map(|chunk| chunk.iter()).chain(&self.filling[..self.len])
    }
}

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
    buckets: Vec<Bucket<T>>,
    /// Chunks of buckets spread, for the next bucket that fills one.
    spare: Vec<Chunk<T>>,
    /// Bit b - 1 set: bucket b (1..=64) is not empty.
    occupied: u64,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        RadixHeap {
            last: 0,
            now: Vec::new(),
            next: 0,
            buckets: (0..BUCKETS).map(|_| Bucket { filling: Box::new([]), len: 0, full: Vec::new() }).collect(),
            spare: Vec::new(),
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
        self.now[self.next..].iter().chain(self.buckets.iter().flat_map(Bucket::iter))
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
                let bucket = &mut self.buckets[b - 1];
                if bucket.len < bucket.filling.len() {
                    bucket.filling[bucket.len] = (key, item);
                    bucket.len += 1;
                } else {
                    self.next_chunk(b - 1, (key, item));
                }
            }
        }
    }

    /// Bucket `index`'s chunk is full (or it has none): files it and starts another with
    /// `entry`, a spare one if any.
    #[cold]
    fn next_chunk(&mut self, index: usize, entry: (u128, T)) {
        let mut chunk = self.spare.pop().unwrap_or_else(|| vec![entry; CHUNK].into_boxed_slice());
        chunk[0] = entry;
        let bucket = &mut self.buckets[index];
        let filled = std::mem::replace(&mut bucket.filling, chunk);
        if !filled.is_empty() {
            bucket.full.push(filled);
        }
        bucket.len = 1;
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
    /// the bucket is spread over the lower buckets chunk by chunk, each full chunk spare
    /// once spread; the bucket keeps its filling chunk for its next entries. None when
    /// empty.
    #[inline]
    fn refill(&mut self) -> Option<()> {
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let bucket = &self.buckets[b];
        let least = |least, chunk: &[(u128, T)]| chunk.iter().fold(least, |least: u64, e| least.min(time(e.0)));
        let mut last = least(u64::MAX, &bucket.filling[..bucket.len]);
        for chunk in &bucket.full {
            last = least(last, chunk);
        }
        self.last = last;
        // The order in which entries reach the lower buckets does not matter: bucket 0 is
        // sorted below, and the others are spread again before they are popped.
        while let Some(chunk) = self.buckets[b].full.pop() {
            for &(key, item) in &chunk {
                self.place(time(key), key, item);
            }
            self.spare.push(chunk);
        }
        let filling = std::mem::replace(&mut self.buckets[b].filling, Box::new([]));
        for &(key, item) in &filling[..std::mem::take(&mut self.buckets[b].len)] {
            self.place(time(key), key, item);
        }
        self.buckets[b].filling = filling;
        // Entries of one time reach bucket 0 in their bucket's order, not in key order.
        if self.now.len() > 1 {
            self.now.sort_unstable_by_key(|e| e.0);
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

    /// Room for entries follows the entries: at most a filling chunk per bucket beyond
    /// them, also while a large bucket is spread over the lower ones.
    #[test]
    fn holds_room_for_its_entries_and_a_chunk_per_bucket() {
        let mut radix = RadixHeap::default();
        let room = |radix: &RadixHeap<u32>| {
            let chunks = radix.buckets.iter().flat_map(|b| b.full.iter().chain([&b.filling]));
            chunks.chain(&radix.spare).map(|chunk| chunk.len()).sum::<usize>()
        };
        let n = 100_000u64;
        for seq in 0..n {
            // Times spread over 2^20 ns, pushed in a scrambled order.
            let t = (seq * 7919) % (1 << 20) + 1;
            radix.push((u128::from(t) << 64) | u128::from(seq), seq as u32);
        }
        assert!(room(&radix) <= n as usize + BUCKETS * CHUNK, "{} entries of room", room(&radix));
        let mut last = 0;
        for popped in 0..n {
            let (key, _) = radix.pop().unwrap();
            assert!(key > last);
            last = key;
            if popped % 1000 == 0 {
                assert!(room(&radix) <= n as usize + 2 * BUCKETS * CHUNK);
            }
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
