//! One pool: its pool elements in a slab, an index by PE id, and the selection storage of
//! its policy family: an ordered map for ordered policies, a Fenwick tree of weights for
//! random ones (weight 1 each for sampled ones). Implements both selection engines of
//! RSPLIB's handlespace (docs/model.md §3) exactly, and the sampled engine of PowerOfDChoices.

use super::checksum;
use super::element::PoolElement;
use super::fenwick::Fenwick;
use super::ids::{PeId, PoolHandle};
use super::policy::{Family, PolicySettings, PolicyType};
use super::sorted_set::{SortedSet, room_for_one};
use rand::Rng;
use rustc_hash::FxHashMap;

/// Dynamic selection state of a pool element (docs/model.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SelectionState {
    /// Tie-breaker: lower = selected (or added) longer ago. u64, never resequenced.
    pub seq: u64,
    /// WRR round counter (u64 from 0, so RSPLIB's wrap handling is not needed).
    pub round: u64,
    /// WRR virtual counter.
    pub virtual_counter: u32,
    /// Runtime degradation (LUD family).
    pub degradation: u32,
}

/// Pools of up to this many slots find a PE by scanning the slots, with no index: a PU
/// cache holds one to three PEs, and a hash map of one entry costs some 100 bytes.
const SCANNED_SLOTS: usize = 8;

/// Ordered-selection key: (primary, secondary, seq). Unique because seq is.
type OrdKey = (u64, u64, u64);

struct Slot<T> {
    element: PoolElement<T>,
    state: SelectionState,
}

impl<T> Slot<T> {
    /// Key under which the slot is linked in `ordered` (ordered policies only). Computed,
    /// not stored: the settings and selection state it derives from change only in a
    /// relink, which moves the slot to its new key.
    fn key(&self) -> OrdKey {
        let state = &self.state;
        let (k1, k2) = self.element.settings.ordered_key(state.degradation, state.round, state.virtual_counter);
        (k1, k2, state.seq)
    }
}

pub(crate) struct Pool<T> {
    /// Short name of the pool in the handlespace's timer and ownership keys.
    id: u32,
    /// The pool handle's part of every PE's checksum accumulator.
    handle_accumulator: u32,
    policy: PolicyType,
    global_seq: u64,
    slots: Vec<Option<Slot<T>>>,
    /// Freed slots, reused last-freed first.
    free: Vec<u32>,
    /// PE id -> slot, once there are more than [`SCANNED_SLOTS`] slots (None or empty
    /// before; boxed, so that a small pool carries 8 bytes for it). A hash map: it is only
    /// looked up, never iterated, so its order cannot leak into results.
    #[allow(clippy::box_collection)]
    index: Option<Box<FxHashMap<PeId, u32>>>,
    /// (key, slot) of every pool element, in selection order (ordered policies).
    ordered: SortedSet<(OrdKey, u32)>,
    weights: Fenwick,
    /// Run the update hook on every link as RSPLIB does (quirk Q1).
    double_update: bool,
    /// Sampled policies: pool elements drawn per selection, from the pool's first PE.
    choices: u32,
}

impl<T> Pool<T> {
    pub fn new(id: u32, handle: &PoolHandle, policy: PolicyType, double_update: bool, choices: u32) -> Pool<T> {
        Pool {
            choices,
            id,
            handle_accumulator: checksum::handle_accumulator(handle),
            policy,
            global_seq: 0,
            slots: Vec::new(),
            free: Vec::new(),
            index: None,
            ordered: SortedSet::default(),
            weights: Fenwick::default(),
            double_update,
        }
    }

    /// Makes an empty pool a new one of `policy`, keeping its id and allocated storage.
    pub fn reset(&mut self, policy: PolicyType, double_update: bool, choices: u32) {
        debug_assert!(self.is_empty());
        self.policy = policy;
        self.choices = choices;
        self.double_update = double_update;
        self.global_seq = 0;
        self.slots.clear();
        self.free.clear();
        self.weights.clear();
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn policy(&self) -> PolicyType {
        self.policy
    }

    /// The checksum accumulator of the PE `id` of this pool.
    pub fn accumulator(&self, id: PeId) -> u32 {
        self.handle_accumulator.wrapping_add(checksum::id_accumulator(id))
    }

    /// Occupied slots: every slot not on the free list.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the pool finds its PEs through `index` (rather than a scan of the slots).
    fn indexed(&self) -> bool {
        self.slots.len() > SCANNED_SLOTS
    }

    /// The slot of the PE `id`.
    fn slot_of(&self, id: PeId) -> Option<u32> {
        if self.indexed() {
            self.index.as_ref()?.get(&id).copied()
        } else {
            let at = self.slots.iter().position(|slot| slot.as_ref().is_some_and(|slot| slot.element.id == id))?;
            Some(at as u32)
        }
    }

    fn slot(&self, s: u32) -> &Slot<T> {
        self.slots[s as usize].as_ref().expect("indexed slot is occupied")
    }

    fn slot_mut(&mut self, s: u32) -> &mut Slot<T> {
        self.slots[s as usize].as_mut().expect("indexed slot is occupied")
    }

    pub fn get(&self, id: PeId) -> Option<&PoolElement<T>> {
        self.slot_of(id).map(|s| self.element(s))
    }

    pub fn get_mut(&mut self, id: PeId) -> Option<&mut PoolElement<T>> {
        let s = self.slot_of(id)?;
        Some(self.element_mut(s))
    }

    pub fn selection_state(&self, id: PeId) -> Option<SelectionState> {
        self.slot_of(id).map(|s| self.slot(s).state)
    }

    /// Pool elements in PE id order.
    pub fn elements(&self) -> impl Iterator<Item = &PoolElement<T>> {
        let mut slots: Vec<(PeId, u32)> =
            (0..).zip(&self.slots).filter_map(|(s, slot)| Some((slot.as_ref()?.element.id, s))).collect();
        slots.sort_unstable();
        slots.into_iter().map(|(_, s)| &self.slot(s).element)
    }

    /// Pool elements in selection order (ordered policies) or slot order (the others).
    pub fn selection_order(&self) -> Vec<PeId> {
        match self.policy.family() {
            Family::Ordered => self.ordered.iter().map(|&(_, s)| self.slot(s).element.id).collect(),
            Family::Random | Family::Sampled => self.slots.iter().flatten().map(|s| s.element.id).collect(),
        }
    }

    /// The update hook, run on selection (and on link, quirk Q1).
    fn update_hook(policy: PolicyType, state: &mut SelectionState, settings: &PolicySettings) {
        if policy == PolicyType::WeightedRoundRobin {
            if state.virtual_counter > 1 {
                state.virtual_counter -= 1;
            } else {
                state.round += 1;
                state.virtual_counter = settings.weight;
            }
        }
        state.degradation = settings.degraded(state.degradation);
    }

    /// Links a slot into the selection storage; RSPLIB runs the update hook first (Q1).
    fn link(&mut self, s: u32) {
        match self.policy.family() {
            Family::Ordered => {
                let key = self.hook_and_key(s);
                self.ordered.insert((key, s));
            }
            Family::Random | Family::Sampled => self.hook_and_weigh(s),
        }
    }

    /// Links a slot again after its state or settings changed; `old` is the key it was
    /// linked under (ordered policies). The same as unlink, change, link, with one move
    /// in the selection order instead of a removal and an insertion.
    fn relink(&mut self, s: u32, old: OrdKey) {
        match self.policy.family() {
            Family::Ordered => {
                let key = self.hook_and_key(s);
                self.ordered.replace(&(old, s), (key, s));
            }
            // Setting a weight directly leaves the tree as zeroing it first would.
            Family::Random | Family::Sampled => self.hook_and_weigh(s),
        }
    }

    /// The link's update hook (quirk Q1).
    fn link_hook(&mut self, s: u32) -> &mut Slot<T> {
        let (policy, double) = (self.policy, self.double_update);
        let slot = self.slot_mut(s);
        if double {
            Self::update_hook(policy, &mut slot.state, &slot.element.settings);
        }
        slot
    }

    /// Ordered policies: runs the link's hook and returns the slot's new key.
    fn hook_and_key(&mut self, s: u32) -> OrdKey {
        self.link_hook(s).key()
    }

    /// Random and sampled policies: runs the link's hook and sets the slot's weight.
    fn hook_and_weigh(&mut self, s: u32) {
        let sampled = self.policy.family() == Family::Sampled;
        let slot = self.link_hook(s);
        let w = if sampled { 1 } else { slot.element.settings.random_weight(slot.state.degradation) };
        self.weights.set(s as usize, w);
    }

    fn unlink(&mut self, s: u32) {
        match self.policy.family() {
            Family::Ordered => {
                // A selected PE is usually the first in order, which needs no search.
                self.ordered.remove_present(&(self.slot(s).key(), s));
            }
            Family::Random | Family::Sampled => self.weights.set(s as usize, 0),
        }
    }

    fn next_seq(&mut self) -> u64 {
        let seq = self.global_seq;
        self.global_seq += 1;
        seq
    }

    /// Adds a new pool element (the id must not be present); returns its slot.
    pub fn add(&mut self, element: PoolElement<T>) -> u32 {
        let seq = self.next_seq();
        let mut state = SelectionState { seq, ..SelectionState::default() };
        if self.policy == PolicyType::WeightedRoundRobin {
            // WRR initialise: join the round of the current head.
            state.round = self.ordered.first().map_or(0, |&(_, h)| self.slot(h).state.round);
            state.virtual_counter = element.settings.weight;
        }
        let id = element.id;
        let slot = Slot { element, state };
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(slot);
                s
            }
            None => {
                room_for_one(&mut self.slots);
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        if self.indexed() {
            let index = self.index.get_or_insert_with(Box::default);
            if index.is_empty() {
                // Past the scanned size: index every slot.
                let ids = (0..).zip(&self.slots).filter_map(|(s, slot)| Some((slot.as_ref()?.element.id, s)));
                index.extend(ids);
            } else {
                index.insert(id, s);
            }
        }
        self.link(s);
        s
    }

    /// The element in slot `s` (from [`Self::add`] or [`Self::reregister`]).
    pub fn element(&self, s: u32) -> &PoolElement<T> {
        &self.slot(s).element
    }

    pub fn element_mut(&mut self, s: u32) -> &mut PoolElement<T> {
        &mut self.slot_mut(s).element
    }

    /// A re-registration of the PE `id`, if present: applies its settings (if they differ
    /// or degradation is non-zero: copy them, reset degradation, clamp the WRR counter and
    /// re-link, §3.1) and returns its slot for the rest of the update.
    pub fn reregister(&mut self, id: PeId, settings: PolicySettings) -> Option<u32> {
        let s = self.slot_of(id)?;
        let slot = self.slot_mut(s);
        if slot.element.settings.values_differ(&settings) || slot.state.degradation != 0 {
            let old = slot.key();
            slot.element.settings = settings;
            slot.state.degradation = 0;
            slot.state.virtual_counter = slot.state.virtual_counter.min(settings.weight);
            self.relink(s, old);
        }
        Some(s)
    }

    /// Removes a pool element.
    pub fn remove(&mut self, id: PeId) -> Option<PoolElement<T>> {
        let s = self.slot_of(id)?;
        if let Some(index) = &mut self.index {
            index.remove(&id);
        }
        self.unlink(s);
        self.free.push(s);
        self.slots[s as usize].take().map(|slot| slot.element)
    }

    /// Selects up to `max_items` pool elements by the pool's policy, advancing the
    /// selection state of the first `max_increment` (0 = the policy default) of them.
    /// Appends the selected elements to `out` in answer order.
    pub fn select(&mut self, max_items: usize, max_increment: u32, rng: &mut impl Rng, out: &mut Vec<PoolElement<T>>)
    where
        T: Clone,
    {
        let max_increment =
            if max_increment == 0 { self.policy.default_max_increment() } else { max_increment } as usize;
        let mut picked = smallvec_like::Picks::default();
        match self.policy.family() {
            Family::Ordered => {
                for &(_, s) in self.ordered.iter().take(max_items) {
                    picked.push(s);
                }
                for &s in picked.as_slice().iter().take(max_increment) {
                    let old = self.slot(s).key();
                    self.count_selection(s, true);
                    self.relink(s, old);
                }
            }
            Family::Random => self.select_random(max_items, max_increment, rng, &mut picked),
            Family::Sampled => self.select_sampled(max_items, max_increment, rng, &mut picked),
        }
        out.extend(picked.as_slice().iter().map(|&s| self.slot(s).element.clone()));
    }

    /// Draws up to `count` distinct slots, each with probability proportional to its
    /// weight among those not drawn yet. RSPLIB unlinks each pick from its value tree;
    /// here the tree is left alone: draw i takes `r mod (total - picked weights)` and maps
    /// it past the picked intervals, which is the same slot the unlinked tree would give,
    /// with no tree writes.
    fn draw(&self, count: usize, rng: &mut impl Rng, picked: &mut smallvec_like::Picks) {
        // (start of interval, weight) of the picks, ascending by start.
        let mut intervals: Vec<(u64, u64)> = Vec::with_capacity(count.min(8));
        let mut removed = 0;
        for _ in 0..count.min(self.len()) {
            let total = self.weights.total() - removed;
            if total < 1 {
                break; // quirk Q6: fewer (or no) elements come back
            }
            let mut r = rng.next_u64() % total;
            for &(start, weight) in &intervals {
                if start > r {
                    break;
                }
                r += weight;
            }
            let (s, start) = self.weights.find(r);
            let weight = self.weights.value(s);
            let at = intervals.partition_point(|&(st, _)| st < start);
            intervals.insert(at, (start, weight));
            removed += weight;
            picked.push(s as u32);
        }
    }

    /// Weighted random selection without replacement (docs/model.md §3).
    fn select_random(
        &mut self,
        max_items: usize,
        max_increment: usize,
        rng: &mut impl Rng,
        picked: &mut smallvec_like::Picks,
    ) {
        self.draw(max_items, rng, picked);
        for (i, &s) in picked.as_slice().iter().enumerate() {
            self.count_selection(s, i < max_increment);
        }
        // Re-linking runs the hook again (Q1) and recomputes each weight; for the random
        // policies neither changes it, so the tree is written only if a weight did change.
        for &s in picked.as_slice() {
            let (policy, double) = (self.policy, self.double_update);
            let slot = self.slot_mut(s);
            if double {
                Self::update_hook(policy, &mut slot.state, &slot.element.settings);
            }
            let weight = slot.element.settings.random_weight(slot.state.degradation);
            if weight != self.weights.value(s as usize) {
                self.weights.set(s as usize, weight);
            }
        }
    }

    /// Power of d choices: draw max(d, items) pool elements uniformly at random, answer the
    /// best `max_items` of them by sort key (ties: the one selected longest ago), and
    /// advance the selection state of the first `max_increment` as an ordered policy does.
    /// With d >= the pool size this selects exactly as the ordered policy of the same key.
    fn select_sampled(
        &mut self,
        max_items: usize,
        max_increment: usize,
        rng: &mut impl Rng,
        picked: &mut smallvec_like::Picks,
    ) {
        let mut candidates = smallvec_like::Picks::default();
        self.draw((self.choices as usize).max(max_items), rng, &mut candidates);
        let mut ranked: Vec<(u64, u64, u32)> = candidates
            .as_slice()
            .iter()
            .map(|&s| {
                let (primary, _, seq) = self.slot(s).key();
                (primary, seq, s)
            })
            .collect();
        ranked.sort_unstable();
        for &(_, _, s) in ranked.iter().take(max_items) {
            picked.push(s);
        }
        for &s in picked.as_slice().iter().take(max_increment) {
            self.count_selection(s, true);
        }
    }

    /// A selection of slot `s`: a new sequence number (it goes behind its equals), the
    /// counter, and the update hook if it is one of the first MaxIncrement.
    fn count_selection(&mut self, s: u32, hook: bool) {
        let seq = self.next_seq();
        let policy = self.policy;
        let slot = self.slot_mut(s);
        slot.state.seq = seq;
        slot.element.selection_counter += 1;
        if hook {
            Self::update_hook(policy, &mut slot.state, &slot.element.settings);
        }
    }
}

/// A small inline buffer of slot numbers, so a selection allocates nothing for the
/// usual 1-3 items.
mod smallvec_like {
    #[derive(Default)]
    pub struct Picks {
        inline: [u32; 8],
        len: usize,
        spill: Vec<u32>,
    }

    impl Picks {
        pub fn push(&mut self, s: u32) {
            if self.len < self.inline.len() {
                self.inline[self.len] = s;
            } else {
                if self.spill.is_empty() {
                    self.spill.extend_from_slice(&self.inline);
                }
                self.spill.push(s);
            }
            self.len += 1;
        }

        pub fn as_slice(&self) -> &[u32] {
            if self.len <= self.inline.len() { &self.inline[..self.len] } else { &self.spill }
        }
    }
}
