//! A Fenwick (binary indexed) tree of u64 weights over pool slots: O(log n) weight update
//! and O(log n) descent to the slot whose cumulative interval holds a value. It replaces
//! RSPLIB's value-sum red-black tree for weighted random selection without replacement.

#[derive(Clone, Debug, Default)]
pub(crate) struct Fenwick {
    /// For n slots (n a power of two, or 0): the tree's 1-based partial sums (cell 0
    /// unused; they may hold wrapped intermediate values, all true prefix sums fit in u64),
    /// then each slot's current weight. One vector, so a pool of an ordered policy, which
    /// never weighs, carries 24 bytes for it.
    cells: Vec<u64>,
}

impl Fenwick {
    /// Slots covered.
    fn len(&self) -> usize {
        self.cells.len() / 2
    }

    /// Removes every weight, keeping the allocation.
    pub fn clear(&mut self) {
        self.cells.fill(0);
    }

    /// Sum of all weights: the root covers every slot, n being a power of two.
    pub fn total(&self) -> u64 {
        if self.cells.is_empty() { 0 } else { self.cells[self.len()] }
    }

    /// Sets the weight of `slot`, growing the tree when needed (amortised O(1) rebuilds).
    pub fn set(&mut self, slot: usize, value: u64) {
        if slot >= self.len() {
            self.grow(slot + 1);
        }
        let n = self.len();
        let delta = value.wrapping_sub(self.cells[n + 1 + slot]);
        if delta == 0 {
            return;
        }
        self.cells[n + 1 + slot] = value;
        let mut i = slot + 1;
        while i <= n {
            self.cells[i] = self.cells[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Current weight of `slot`.
    pub fn value(&self, slot: usize) -> u64 {
        if slot < self.len() { self.cells[self.len() + 1 + slot] } else { 0 }
    }

    /// The slot whose half-open interval [start, start + weight) holds `r`, and that
    /// start, for `r < total()`. Slots with weight 0 are never returned.
    pub fn find(&self, r: u64) -> (usize, u64) {
        debug_assert!(r < self.total());
        let n = self.len();
        let mut pos = 0;
        let mut rem = r;
        let mut step = if n == 0 { 0 } else { 1usize << (usize::BITS - 1 - n.leading_zeros()) };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.cells[next] <= rem {
                pos = next;
                rem -= self.cells[next];
            }
            step >>= 1;
        }
        (pos, r - rem)
    }

    fn grow(&mut self, min_len: usize) {
        let n = min_len.next_power_of_two().max(8);
        let old = self.len();
        let mut cells = vec![0; 2 * n + 1];
        if old > 0 {
            cells[n + 1..n + 1 + old].copy_from_slice(&self.cells[old + 1..]);
        }
        for i in 0..n {
            // O(n) build: each node, once complete, adds itself to its direct parent.
            let j = i + 1;
            cells[j] = cells[j].wrapping_add(cells[n + 1 + i]);
            let parent = j + (j & j.wrapping_neg());
            if parent <= n {
                let t = cells[j];
                cells[parent] = cells[parent].wrapping_add(t);
            }
        }
        self.cells = cells;
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
