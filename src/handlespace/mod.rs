//! The RSerPool handlespace: pools by pool handle, pool elements by identifier, the 18
//! selection policies, per-PE timers, ownership sets by home registrar and the handlespace
//! checksum, as specified in RSPLIB's handlespace (docs/model.md §3). It holds no simulator types: the
//! per-PE transport data is a type parameter `T` and time is an opaque `u64` clock, so a
//! real registrar (or a pool user's cache) can use it as it is.
//!
//! Complexity with N PEs in all, n in the pool, P pools, k returned items: registration
//! O(log P + log n + log N) (a new pool: O(P)); handle resolution O(log P + k log n);
//! timers O(log N). Sets of up to 64 keys are sorted vectors, which adds a shift of at
//! most 64 keys to these bounds.
//!
//! Reference quirks (docs/model.md §3.6) and what this module does about them:
//! * Q1 double update hook: reproduced unless [`HandlespaceConfig::double_update`] is off.
//! * Q2 registration life kept from the first registration: reproduced unless
//!   [`HandlespaceConfig::keep_first_registration_life`] is off.
//! * Q3 checksum covers only handle and id, wrapping u32: emulated exactly ([`checksum`]).
//! * Q4 RLUD/RPLUD never degrade: kept, they behave as RLU/RPLU.
//! * Q5 WRAND-DPF weight exactly 0 is never chosen, negative becomes 1: kept.
//! * Q6 random policy with all weights 0: [`HandlespaceError::NoSelectablePoolElement`].
//! * Q7 over-long pool handle: [`HandlespaceError::InvalidPoolHandle`], never a panic.
//! * Q8 unreachability reports never reset: kept ([`PoolElement::unreachability_reports`]).
//! * Q10 PLU-DPF/PLUD-DPF: supported here; registrars fill in their distance like LU-DPF.
//! * Q11 any registrant may overwrite (handle, id): kept (the caller decides).
//! * Q12 selection mutates state: handle resolution takes `&mut self`.
//!
//! Random policies walk their Fenwick tree in slot order rather than PE-id order: the
//! selection distribution is RSPLIB's, the PE a given random number maps to may differ.

pub mod checksum;
mod element;
mod error;
mod fenwick;
mod ids;
pub mod policy;
mod pool;
mod sorted_set;

pub use element::{PoolElement, Registration, TimerCode};
pub use error::HandlespaceError;
pub use ids::{MAX_POOL_HANDLE_SIZE, PeId, PoolHandle, RegistrarId};
pub use policy::{Family, PolicySettings, PolicyType, U32MAX, UnknownPolicy, fraction_u32, round_ties_even};
pub use pool::SelectionState;

use pool::Pool;
use rand::Rng;
use sorted_set::{SortedSet, room_for_one};
use std::collections::BTreeMap;

/// Up to this many pools, a pool's handle is found from its id by scanning them, with no
/// index: a PU cache holds one pool, and an index of one entry cost it 64 bytes.
const SCANNED_POOLS: usize = 8;

/// Reference behaviours that can be switched to the RFC-literal ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlespaceConfig {
    /// Quirk Q1: run the update hook on every link as well as on selection (RSPLIB).
    pub double_update: bool,
    /// Quirk Q2: keep the registration life of the first registration (RSPLIB).
    pub keep_first_registration_life: bool,
}

impl Default for HandlespaceConfig {
    fn default() -> Self {
        HandlespaceConfig { double_update: true, keep_first_registration_life: true }
    }
}

/// A due timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueTimer {
    pub at: u64,
    pub handle: PoolHandle,
    pub id: PeId,
    pub code: TimerCode,
}

/// Which pool elements each home registrar owns, and its ownership checksum.
#[derive(Default)]
struct Ownership {
    /// (home, id, pool id) of every PE with a home registrar.
    set: SortedSet<(RegistrarId, PeId, u32)>,
    /// Per home registrar: (ownership checksum accumulator, pool elements owned).
    owners: BTreeMap<RegistrarId, (u32, usize)>,
}

/// The handlespace of one registrar or one pool user cache.
pub struct Handlespace<T> {
    /// Sorted by handle. Pools are few (a PU cache has one), so a vector searched by
    /// bisection, holding the pools themselves: one allocation and one pointer to follow
    /// less than boxed pools, for a move of the pools after an insertion (rare).
    pools: Vec<(PoolHandle, Pool<T>)>,
    /// (fires at, id, pool id) of every PE timer. Small keys keep these sets compact;
    /// pool ids name pools only while they exist.
    timers: SortedSet<(u64, PeId, u32)>,
    /// Registrar business: allocated at the first PE with a home (never in a PU cache).
    ownership: Option<Box<Ownership>>,
    /// (pool id, handle), sorted by pool id, once there are more than [`SCANNED_POOLS`]
    /// pools; boxed, as a PU cache (one pool) never has one.
    #[allow(clippy::box_collection)]
    pool_handles: Option<Box<Vec<(u32, PoolHandle)>>>,
    next_pool_id: u32,
    checksum: u32,
    pool_elements: usize,
    config: HandlespaceConfig,
    /// A pool whose last PE went: removed for every query, but kept in `pools` (at most
    /// one) so that a pool re-created under the same handle reuses its storage. A PU
    /// cache empties and refills its pool for every handle resolution. By pool id.
    emptied: Option<u32>,
}

impl<T: Clone> Default for Handlespace<T> {
    fn default() -> Self {
        Self::new(HandlespaceConfig::default())
    }
}

impl<T: Clone> Handlespace<T> {
    pub fn new(config: HandlespaceConfig) -> Handlespace<T> {
        Handlespace {
            pools: Vec::new(),
            timers: SortedSet::default(),
            ownership: None,
            pool_handles: None,
            next_pool_id: 0,
            checksum: 0,
            pool_elements: 0,
            config,
            emptied: None,
        }
    }

    pub fn config(&self) -> HandlespaceConfig {
        self.config
    }

    /// Where the pool of `handle` is in `pools`, or would be inserted.
    fn find(&self, handle: &PoolHandle) -> Result<usize, usize> {
        self.pools.binary_search_by(|(h, _)| h.cmp(handle))
    }

    fn pool(&self, handle: &PoolHandle) -> Option<&Pool<T>> {
        let at = self.find(handle).ok()?;
        Some(&self.pools[at].1)
    }

    fn pool_mut(&mut self, handle: &PoolHandle) -> Option<&mut Pool<T>> {
        let at = self.find(handle).ok()?;
        Some(&mut self.pools[at].1)
    }

    /// The handle of the pool with id `pool_id` (which must exist).
    fn handle_of(&self, pool_id: u32) -> PoolHandle {
        match &self.pool_handles {
            Some(by_id) => {
                let at = by_id.binary_search_by_key(&pool_id, |&(id, _)| id).expect("pool id of a live pool");
                by_id[at].1
            }
            None => self.pools.iter().find(|(_, pool)| pool.id() == pool_id).expect("pool id of a live pool").0,
        }
    }

    /// Files a new pool in the id index, building the index when the pools outgrow a scan.
    fn index_pool(&mut self, id: u32, handle: &PoolHandle) {
        match &mut self.pool_handles {
            Some(by_id) => {
                let at = by_id.partition_point(|&(i, _)| i < id);
                by_id.insert(at, (id, *handle));
            }
            None if self.pools.len() > SCANNED_POOLS => {
                let mut by_id: Vec<(u32, PoolHandle)> = self.pools.iter().map(|(h, pool)| (pool.id(), *h)).collect();
                by_id.sort_unstable_by_key(|&(id, _)| id);
                self.pool_handles = Some(Box::new(by_id));
            }
            None => {}
        }
    }

    /// Number of pool elements in all pools.
    pub fn len(&self) -> usize {
        self.pool_elements
    }

    pub fn is_empty(&self) -> bool {
        self.pool_elements == 0
    }

    pub fn pool_count(&self) -> usize {
        self.pools.len() - self.emptied.is_some() as usize
    }

    /// Number of pool elements in one pool (0 if the pool does not exist).
    pub fn pool_len(&self, handle: &PoolHandle) -> usize {
        self.pool(handle).map_or(0, |p| p.len())
    }

    /// The policy of a pool, fixed by its first pool element.
    pub fn pool_policy(&self, handle: &PoolHandle) -> Option<PolicyType> {
        self.pool(handle).filter(|p| !p.is_empty()).map(|p| p.policy())
    }

    pub fn get(&self, handle: &PoolHandle, id: PeId) -> Option<&PoolElement<T>> {
        self.pool(handle)?.get(id)
    }

    pub fn selection_state(&self, handle: &PoolHandle, id: PeId) -> Option<SelectionState> {
        self.pool(handle)?.selection_state(id)
    }

    /// Pool element ids in the order the pool's policy would walk them.
    pub fn selection_order(&self, handle: &PoolHandle) -> Vec<PeId> {
        self.pool(handle).map(|p| p.selection_order()).unwrap_or_default()
    }

    /// Every pool element, pools in handle order and PEs in id order (handle-table order).
    pub fn pool_elements(&self) -> impl Iterator<Item = (&PoolHandle, &PoolElement<T>)> {
        self.pools.iter().flat_map(|(h, p)| p.elements().map(move |e| (h, e)))
    }

    /// Registers a new pool element or updates an existing one (re-registration).
    /// Returns `true` for a new pool element.
    pub fn register(&mut self, handle: &PoolHandle, reg: Registration<T>, now: u64) -> Result<bool, HandlespaceError> {
        self.register_entry(handle, reg, now).map(|(new, _)| new)
    }

    /// Registers like [`Self::register`] and returns the stored entry too, which a
    /// registrar announces to its peers, without a second lookup.
    pub fn register_entry(
        &mut self,
        handle: &PoolHandle,
        reg: Registration<T>,
        now: u64,
    ) -> Result<(bool, &PoolElement<T>), HandlespaceError> {
        if reg.id.0 == 0 {
            return Err(HandlespaceError::InvalidId);
        }
        let (policy, double, choices) = (reg.settings.policy, self.config.double_update, reg.settings.choices);
        let at = match self.find(handle) {
            Ok(at) => {
                let pool = &mut self.pools[at].1;
                if self.emptied == Some(pool.id()) {
                    self.emptied = None;
                    pool.reset(policy, double, choices);
                }
                at
            }
            Err(at) => {
                let id = self.next_pool_id;
                self.next_pool_id = self.next_pool_id.wrapping_add(1);
                room_for_one(&mut self.pools);
                self.pools.insert(at, (*handle, Pool::new(id, handle, policy, double, choices)));
                self.index_pool(id, handle);
                at
            }
        };
        let pool = &mut self.pools[at].1;
        if pool.policy() != reg.settings.policy {
            return Err(HandlespaceError::IncompatiblePolicy { requested: reg.settings.policy, pool: pool.policy() });
        }
        let acc = pool.accumulator(reg.id);
        let pool_id = pool.id();
        let (new, slot) = match pool.reregister(reg.id, reg.settings) {
            Some(slot) => {
                let existing = pool.element_mut(slot);
                let old_home = existing.home;
                existing.marked = false;
                existing.transport = reg.transport;
                existing.last_update = now;
                existing.home = reg.home;
                if !self.config.keep_first_registration_life {
                    existing.registration_life_ms = reg.registration_life_ms;
                }
                if old_home != reg.home {
                    self.remove_owner(old_home, reg.id, pool_id, acc);
                    self.add_owner(reg.home, reg.id, pool_id, acc);
                }
                (false, slot)
            }
            None => {
                let slot = pool.add(PoolElement {
                    id: reg.id,
                    home: reg.home,
                    registration_life_ms: reg.registration_life_ms,
                    settings: reg.settings,
                    transport: reg.transport,
                    selection_counter: 0,
                    unreachability_reports: 0,
                    last_update: now,
                    timer_code: None,
                    timer_at: 0,
                    marked: false,
                });
                self.pool_elements += 1;
                self.checksum = self.checksum.wrapping_add(acc);
                self.add_owner(reg.home, reg.id, pool_id, acc);
                (true, slot)
            }
        };
        Ok((new, self.pools[at].1.element(slot)))
    }

    fn add_owner(&mut self, home: RegistrarId, id: PeId, pool: u32, acc: u32) {
        if home.0 != 0 {
            let ownership = self.ownership.get_or_insert_with(Box::default);
            ownership.set.insert((home, id, pool));
            let (sum, count) = ownership.owners.entry(home).or_insert((0, 0));
            *sum = sum.wrapping_add(acc);
            *count += 1;
        }
    }

    fn remove_owner(&mut self, home: RegistrarId, id: PeId, pool: u32, acc: u32) {
        if home.0 != 0
            && let Some(ownership) = &mut self.ownership
        {
            ownership.set.remove(&(home, id, pool));
            if let Some((sum, count)) = ownership.owners.get_mut(&home) {
                *sum = sum.wrapping_sub(acc);
                *count -= 1;
            }
        }
    }

    /// Removes a pool element; removes its pool when it was the last one.
    pub fn deregister(&mut self, handle: &PoolHandle, id: PeId) -> Option<PoolElement<T>> {
        let pool = self.pool_mut(handle)?;
        let element = pool.remove(id)?;
        let (pool_id, acc) = (pool.id(), pool.accumulator(id));
        if pool.is_empty()
            && let Some(previous) = self.emptied.replace(pool_id)
            && previous != pool_id
            && let Ok(at) = self.find(&self.handle_of(previous))
        {
            let gone = self.pools.remove(at).1.id();
            if let Some(by_id) = &mut self.pool_handles {
                by_id.retain(|&(id, _)| id != gone);
            }
        }
        if let Some((_, at)) = element.timer() {
            self.timers.remove_present(&(at, id, pool_id));
        }
        self.remove_owner(element.home, id, pool_id, acc);
        self.checksum = self.checksum.wrapping_sub(acc);
        self.pool_elements -= 1;
        Some(element)
    }

    /// Handle resolution: selects up to `items` pool elements by the pool's policy,
    /// advancing the state of the first `max_increment` (0 = policy default), and appends
    /// them to `out` in selection order. Returns the pool's policy.
    pub fn handle_resolution(
        &mut self,
        handle: &PoolHandle,
        items: usize,
        max_increment: u32,
        rng: &mut impl Rng,
        out: &mut Vec<PoolElement<T>>,
    ) -> Result<PolicyType, HandlespaceError> {
        let pool = self.pool_mut(handle).filter(|p| !p.is_empty()).ok_or(HandlespaceError::NotFound)?;
        let before = out.len();
        pool.select(items, max_increment, rng, out);
        if out.len() == before && items > 0 {
            return Err(HandlespaceError::NoSelectablePoolElement);
        }
        Ok(pool.policy())
    }

    /// Sets (or replaces) the timer of a pool element. Returns false if it does not exist.
    pub fn set_timer(&mut self, handle: &PoolHandle, id: PeId, code: TimerCode, at: u64) -> bool {
        let Some(pool) = self.pool_mut(handle) else { return false };
        let pool_id = pool.id();
        let Some(element) = pool.get_mut(id) else { return false };
        match element.replace_timer(Some((code, at))) {
            // A key holds the PE's id, so the new one is the old one or absent.
            Some((_, old)) => self.timers.replace(&(old, id, pool_id), (at, id, pool_id)),
            None => {
                self.timers.insert((at, id, pool_id));
            }
        }
        true
    }

    /// Stops the timer of a pool element (idempotent).
    pub fn clear_timer(&mut self, handle: &PoolHandle, id: PeId) {
        if let Some(pool) = self.pool_mut(handle) {
            let pool_id = pool.id();
            if let Some((_, at)) = pool.get_mut(id).and_then(|e| e.replace_timer(None)) {
                self.timers.remove_present(&(at, id, pool_id));
            }
        }
    }

    /// The earliest pending timer.
    pub fn next_timer(&self) -> Option<DueTimer> {
        let &(at, id, pool_id) = self.timers.first()?;
        let handle = self.handle_of(pool_id);
        let code = self.get(&handle, id)?.timer()?.0;
        Some(DueTimer { at, handle, id, code })
    }

    /// When the earliest pending timer fires.
    pub fn next_timer_at(&self) -> Option<u64> {
        self.timers.first().map(|t| t.0)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub fn pop_due_timer(&mut self, now: u64) -> Option<DueTimer> {
        let due = self.next_timer().filter(|t| t.at <= now)?;
        self.clear_timer(&due.handle, due.id);
        Some(due)
    }

    /// Deregisters every pool element whose timer is due (expiry <= now); PU caches use
    /// this with [`TimerCode::Expiry`] timers. Returns how many were removed.
    pub fn purge_expired(&mut self, now: u64) -> usize {
        let mut purged = 0;
        while let Some(&(at, id, pool_id)) = self.timers.first() {
            if at > now {
                break;
            }
            let handle = self.handle_of(pool_id);
            self.deregister(&handle, id);
            purged += 1;
        }
        purged
    }

    /// Counts an endpoint-unreachable report; returns the new count.
    pub fn report_unreachable(&mut self, handle: &PoolHandle, id: PeId) -> Option<u32> {
        let element = self.pool_mut(handle)?.get_mut(id)?;
        element.unreachability_reports += 1;
        Some(element.unreachability_reports)
    }

    /// Moves a pool element to another home registrar (takeover).
    pub fn set_home(&mut self, handle: &PoolHandle, id: PeId, home: RegistrarId) {
        let Some(pool) = self.pool_mut(handle) else { return };
        let (pool_id, acc) = (pool.id(), pool.accumulator(id));
        let Some(element) = pool.get_mut(id) else { return };
        let old = std::mem::replace(&mut element.home, home);
        if old != home {
            self.remove_owner(old, id, pool_id, acc);
            self.add_owner(home, id, pool_id, acc);
        }
    }

    /// (handle, id) of every pool element owned by `home`, in ownership order (id, then
    /// pool handle).
    pub fn owned_by(&self, home: RegistrarId) -> Vec<(PoolHandle, PeId)> {
        let Some(ownership) = &self.ownership else { return Vec::new() };
        let mut owned: Vec<(PeId, PoolHandle)> = ownership
            .set
            .iter_from(&(home, PeId(0), 0))
            .take_while(|e| e.0 == home)
            .map(|e| (e.1, self.handle_of(e.2)))
            .collect();
        owned.sort_unstable();
        owned.into_iter().map(|(id, h)| (h, id)).collect()
    }

    /// Marks every pool element owned by `home` (before a handle-table synchronisation).
    pub fn mark_owned_by(&mut self, home: RegistrarId) {
        for (h, id) in self.owned_by(home) {
            if let Some(e) = self.pool_mut(&h).and_then(|p| p.get_mut(id)) {
                e.marked = true;
            }
        }
    }

    /// Deregisters the pool elements of `home` still marked; returns how many.
    pub fn purge_marked(&mut self, home: RegistrarId) -> usize {
        let marked: Vec<_> =
            self.owned_by(home).into_iter().filter(|(h, id)| self.get(h, *id).is_some_and(|e| e.marked)).collect();
        for (h, id) in &marked {
            self.deregister(h, *id);
        }
        marked.len()
    }

    /// The finished handlespace checksum over all pool elements.
    pub fn checksum(&self) -> u16 {
        checksum::finish(self.checksum)
    }

    /// The finished ownership checksum of registrar `home`.
    pub fn ownership_checksum(&self, home: RegistrarId) -> u16 {
        checksum::finish(self.owned(home).0)
    }

    /// Number of pool elements owned by `home`, O(log registrars).
    pub fn owned_count(&self, home: RegistrarId) -> usize {
        self.owned(home).1
    }

    /// (ownership checksum accumulator, pool elements owned) of `home`.
    fn owned(&self, home: RegistrarId) -> (u32, usize) {
        self.ownership.as_ref().and_then(|o| o.owners.get(&home)).copied().unwrap_or((0, 0))
    }
}

#[cfg(test)]
mod test;
