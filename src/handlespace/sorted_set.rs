//! An ordered set that is a sorted vector while small and a B-tree once large. A PU cache
//! holds one to three pool elements and a registrar's pool a few dozen: there a B-tree
//! node of eleven keys costs more to hold (some 300 bytes) and to update (node search,
//! rebalancing) than a binary search and a short shift. Both forms keep the same order,
//! so which one a set is in never shows in a result.

use std::collections::BTreeSet;
use std::collections::btree_set;

/// Largest set kept as a vector; it becomes a B-tree past this, and a vector again when
/// it shrinks to half (so a set at the edge does not convert back and forth).
const SMALL: usize = 64;

pub(crate) enum SortedSet<K> {
    Small(Vec<K>),
    /// Boxed, so that a set is a vector's 24 bytes, not 32: three per PU cache.
    #[allow(clippy::box_collection)]
    Large(Box<BTreeSet<K>>),
}

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet::Small(Vec::new())
    }
}

/// Iterator over a [`SortedSet`] in ascending order.
pub(crate) enum Iter<'a, K> {
    Small(std::slice::Iter<'a, K>),
    Large(btree_set::Range<'a, K>),
}

impl<'a, K> Iterator for Iter<'a, K> {
    type Item = &'a K;

    fn next(&mut self) -> Option<&'a K> {
        match self {
            Iter::Small(it) => it.next(),
            Iter::Large(it) => it.next(),
        }
    }
}

impl<K: Ord + Copy> SortedSet<K> {
    /// Adds `key`; returns whether it was new.
    pub fn insert(&mut self, key: K) -> bool {
        match self {
            SortedSet::Small(v) => match v.binary_search(&key) {
                Ok(_) => false,
                Err(at) if v.len() < SMALL => {
                    room_for_one(v);
                    v.insert(at, key);
                    true
                }
                Err(_) => {
                    let mut tree: BTreeSet<K> = v.drain(..).collect();
                    tree.insert(key);
                    *self = SortedSet::Large(Box::new(tree));
                    true
                }
            },
            SortedSet::Large(t) => t.insert(key),
        }
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove(&mut self, key: &K) -> bool {
        match self {
            SortedSet::Small(v) => match v.binary_search(key) {
                Ok(at) => {
                    v.remove(at);
                    true
                }
                Err(_) => false,
            },
            SortedSet::Large(t) => {
                let removed = t.remove(key);
                self.shrink();
                removed
            }
        }
    }

    /// A B-tree down to half the vector limit becomes a vector again.
    fn shrink(&mut self) {
        if let SortedSet::Large(t) = self
            && t.len() <= SMALL / 2
        {
            *self = SortedSet::Small(std::mem::take(&mut **t).into_iter().collect());
        }
    }

    pub fn first(&self) -> Option<&K> {
        match self {
            SortedSet::Small(v) => v.first(),
            SortedSet::Large(t) => t.first(),
        }
    }

    /// Removes the first key if it is `key` (the cheap path of [`Self::remove`] for the
    /// usual case); returns whether it did.
    pub fn remove_if_first(&mut self, key: &K) -> bool {
        if self.first() != Some(key) {
            return false;
        }
        match self {
            SortedSet::Small(v) => {
                v.remove(0);
            }
            SortedSet::Large(t) => {
                t.pop_first();
                self.shrink();
            }
        }
        true
    }

    pub fn iter(&self) -> Iter<'_, K> {
        match self {
            SortedSet::Small(v) => Iter::Small(v.iter()),
            SortedSet::Large(t) => Iter::Large(t.range(..)),
        }
    }

    /// Replaces `old` (which must be present) by `new` (which must be `old` or absent). In
    /// a vector this is one insertion-sort step from the old place: keys move by one as
    /// `new` passes them. A re-registered or selected PE usually moves a few places, where
    /// a removal and an insertion search twice and shift everything after each place.
    pub fn replace(&mut self, old: &K, new: K) {
        match self {
            SortedSet::Small(v) => {
                let mut at = if v.first() == Some(old) { 0 } else { v.binary_search(old).expect("old key present") };
                while at + 1 < v.len() && v[at + 1] < new {
                    v[at] = v[at + 1];
                    at += 1;
                }
                while at > 0 && v[at - 1] > new {
                    v[at] = v[at - 1];
                    at -= 1;
                }
                debug_assert!(
                    v.get(at + 1) != Some(&new) && (at == 0 || v[at - 1] != new),
                    "the new key is the old one or absent"
                );
                v[at] = new;
            }
            SortedSet::Large(_) => {
                self.remove_present(old);
                let inserted = self.insert(new);
                debug_assert!(inserted, "new key absent");
            }
        }
    }

    /// Removes a key that is present; a first key (a selected PE's) without a search.
    pub fn remove_present(&mut self, key: &K) {
        let removed = self.remove_if_first(key) || self.remove(key);
        debug_assert!(removed, "key present");
    }

    /// The keys from `from` (inclusive) on, ascending.
    pub fn iter_from(&self, from: &K) -> Iter<'_, K> {
        match self {
            SortedSet::Small(v) => Iter::Small(v[v.partition_point(|k| k < from)..].iter()),
            SortedSet::Large(t) => Iter::Large(t.range(from..)),
        }
    }
}

/// Before a first push: room for one element, not Vec's minimum of four. A PU cache
/// usually holds one pool element.
pub(crate) fn room_for_one<T>(v: &mut Vec<T>) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16),
        Remove(u16),
        RemoveIfFirst(u16),
        /// Replaces the n-th key (modulo the length) by this one, if absent.
        Replace(u16, u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Keys from a range a little wider than SMALL: sets cross the size limit both ways.
        prop_oneof![
            3 => (0u16..150).prop_map(Op::Insert),
            2 => (0u16..150).prop_map(Op::Remove),
            1 => (0u16..150).prop_map(Op::RemoveIfFirst),
            2 => (0u16..150, 0u16..150).prop_map(|(n, k)| Op::Replace(n, k)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Every operation answers as a `BTreeSet` does and leaves the same keys in the
        /// same order, across the vector/B-tree changes.
        #[test]
        fn behaves_as_a_btree_set(ops in proptest::collection::vec(op(), 0..600), from in 0u16..150) {
            let mut set = SortedSet::default();
            let mut reference = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Insert(k) => prop_assert_eq!(set.insert(k), reference.insert(k)),
                    Op::Remove(k) => prop_assert_eq!(set.remove(&k), reference.remove(&k)),
                    Op::RemoveIfFirst(k) => {
                        let expected = reference.first() == Some(&k) && reference.remove(&k);
                        prop_assert_eq!(set.remove_if_first(&k), expected);
                    }
                    Op::Replace(n, k) => {
                        let old = reference.iter().nth(n as usize % reference.len().max(1)).copied();
                        if let Some(old) = old.filter(|&old| old == k || !reference.contains(&k)) {
                            set.replace(&old, k);
                            reference.remove(&old);
                            reference.insert(k);
                        }
                    }
                }
                prop_assert_eq!(set.iter().count(), reference.len());
                prop_assert_eq!(set.first(), reference.first());
            }
            prop_assert!(set.iter().eq(reference.iter()));
            prop_assert!(set.iter_from(&from).eq(reference.range(from..)));
        }
    }

    #[test]
    fn becomes_a_tree_past_the_limit_and_a_vector_again_at_half() {
        let mut set = SortedSet::default();
        for k in 0..=SMALL as u32 {
            set.insert(k);
        }
        assert!(matches!(set, SortedSet::Large(_)), "{} keys", SMALL + 1);
        for k in 0..SMALL as u32 / 2 {
            set.remove(&k);
        }
        assert!(matches!(set, SortedSet::Large(_)), "{} keys", set.iter().count());
        set.remove(&(SMALL as u32 / 2));
        assert!(matches!(set, SortedSet::Small(_)), "{} keys", set.iter().count());
        assert!(set.iter().copied().eq(SMALL as u32 / 2 + 1..=SMALL as u32));
    }

    #[test]
    fn a_set_is_the_size_of_a_vector() {
        assert_eq!(std::mem::size_of::<SortedSet<u64>>(), std::mem::size_of::<Vec<u64>>());
    }
}
