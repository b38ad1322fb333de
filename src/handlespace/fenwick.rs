//! A Fenwick (binary indexed) tree of u64 weights over pool slots: O(log n) weight update
//! and O(log n) descent to the slot whose cumulative interval holds a value. It replaces
//! RSPLIB's value-sum red-black tree for weighted random selection without replacement.

#[derive(Clone, Debug, Default)]
pub(crate) struct Fenwick {
    /// 1-based partial sums, `tree[0]` unused; may hold wrapped intermediate values,
    /// all true prefix sums fit in u64.
    tree: Vec<u64>,
    /// Current weight of each slot.
    values: Vec<u64>,
    total: u64,
}

impl Fenwick {
    /// Removes every weight, keeping the allocation.
    pub fn clear(&mut self) {
        self.tree.fill(0);
        self.values.fill(0);
        self.total = 0;
    }

    /// Sum of all weights.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Sets the weight of `slot`, growing the tree when needed (amortised O(1) rebuilds).
    pub fn set(&mut self, slot: usize, value: u64) {
        if slot >= self.values.len() {
            self.grow(slot + 1);
        }
        let delta = value.wrapping_sub(self.values[slot]);
        if delta == 0 {
            return;
        }
        self.values[slot] = value;
        self.total = self.total.wrapping_add(delta);
        let n = self.values.len();
        let mut i = slot + 1;
        while i <= n {
            self.tree[i] = self.tree[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Current weight of `slot`.
    pub fn value(&self, slot: usize) -> u64 {
        self.values.get(slot).copied().unwrap_or(0)
    }

    /// The slot whose half-open interval [start, start + weight) holds `r`, and that
    /// start, for `r < total()`. Slots with weight 0 are never returned.
    pub fn find(&self, r: u64) -> (usize, u64) {
        debug_assert!(r < self.total);
        let n = self.values.len();
        let mut pos = 0;
        let mut rem = r;
        let mut step = if n == 0 { 0 } else { 1usize << (usize::BITS - 1 - n.leading_zeros()) };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= rem {
                pos = next;
                rem -= self.tree[next];
            }
            step >>= 1;
        }
        (pos, r - rem)
    }

    fn grow(&mut self, min_len: usize) {
        let n = min_len.next_power_of_two().max(8);
        self.values.resize(n, 0);
        self.tree = vec![0; n + 1];
        for (i, &v) in self.values.iter().enumerate() {
            // O(n) build: each node, once complete, adds itself to its direct parent.
            let j = i + 1;
            self.tree[j] = self.tree[j].wrapping_add(v);
            let parent = j + (j & j.wrapping_neg());
            if parent <= n {
                let t = self.tree[j];
                self.tree[parent] = self.tree[parent].wrapping_add(t);
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn find_matches_linear_scan() {
        let mut f = Fenwick::default();
        let weights = [3u64, 0, 5, 1, 0, 7, 2, 9, 4, 0, 6];
        for (i, &w) in weights.iter().enumerate() {
            f.set(i, w);
        }
        f.set(20, 2); // forces a grow after values exist
        let mut all = weights.to_vec();
        all.resize(21, 0);
        all[20] = 2;
        assert_eq!(f.total(), all.iter().sum::<u64>());
        for r in 0..f.total() {
            let mut acc = 0;
            let expect = all.iter().position(|&w| {
                acc += w;
                r < acc
            });
            let (slot, start) = f.find(r);
            assert_eq!(Some(slot), expect, "r = {r}");
            assert_eq!(start, all[..slot].iter().sum::<u64>());
        }
        f.set(2, 0);
        assert_eq!(f.total(), all.iter().sum::<u64>() - 5);
        assert_eq!(f.find(3).0, 3);
    }
}
