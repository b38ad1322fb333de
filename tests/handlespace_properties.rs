//! The handlespace against a naive reference implementation (a plain list of slots,
//! linear scans, the key and weight formulas written out again from the specification
//! tables, RSPLIB's handlespace (docs/model.md §3)), over random sequences of registrations,
//! re-registrations, deregistrations and handle resolutions, for every policy and both
//! quirk modes: the same selections and the same per-PE state after every step.

use poolsim::handlespace::{
    Family, Handlespace, HandlespaceConfig, HandlespaceError, PeId, PolicySettings, PolicyType, PoolHandle,
    RegistrarId, Registration, U32MAX, checksum,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

type Rng64 = rand::rngs::Xoshiro256PlusPlus;

#[derive(Clone, Debug)]
struct Entry {
    id: u32,
    s: PolicySettings,
    seq: u64,
    round: u64,
    vc: u32,
    deg: u32,
    selected: u64,
}

/// The reference: one pool, slots in a Vec, everything by linear scan.
struct Naive {
    policy: Option<PolicyType>,
    /// PowerOfDChoices' d, from the pool's first PE.
    choices: u32,
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    global_seq: u64,
    double: bool,
}

fn sat(v: u64) -> u64 {
    v.min(U32MAX)
}

/// Sort key of the ordered policies, from the table of §1.
fn key(e: &Entry) -> (u64, u64, u64) {
    use PolicyType::*;
    let (l, ld, d) = (e.s.load as u64, e.s.load_degradation as u64, e.deg as u64);
    let dpf = |base: u64| {
        let penalty = e.s.distance as f64 * (e.s.load_dpf as f64 / U32MAX as f64) * U32MAX as f64;
        ((base as f64 + penalty).round_ties_even()).min(U32MAX as f64) as u64
    };
    let k = match e.s.policy {
        RoundRobin => 0,
        WeightedRoundRobin => return (e.round, e.vc as u64, e.seq),
        Priority => U32MAX - e.s.weight as u64,
        LeastUsed => l,
        LeastUsedDegradation => sat(l + d),
        PriorityLeastUsed => sat(l + ld),
        PriorityLeastUsedDegradation => sat(l + ld + d),
        LeastUsedDpf => dpf(l),
        LeastUsedDegradationDpf => dpf(l + d),
        PriorityLeastUsedDpf => dpf(l + ld),
        PriorityLeastUsedDegradationDpf => dpf(l + ld + d),
        PowerOfDChoices => l,
        p => unreachable!("{p} is not ordered"),
    };
    (k, 0, e.seq)
}

/// Selection weight of the random policies, from the table of §1 (Q5 for WRAND-DPF).
fn weight(e: &Entry) -> u64 {
    use PolicyType::*;
    let (l, ld, d, max) = (e.s.load as i64, e.s.load_degradation as i64, e.deg as i64, U32MAX as i64);
    let clamp1 = |v: i64| v.clamp(1, max) as u64;
    match e.s.policy {
        Random => 1,
        WeightedRandom => e.s.weight as u64,
        WeightedRandomDpf => {
            let w = e.s.weight as i64;
            let v = w
                - (e.s.weight as f64 * (e.s.distance as f64 * e.s.weight_dpf as f64 / U32MAX as f64)).round_ties_even()
                    as i64;
            if v == 0 {
                0
            } else if v < 0 {
                1
            } else {
                (v as u64).min(U32MAX)
            }
        }
        RandomizedLeastUsed => clamp1(max - l),
        RandomizedPriorityLeastUsed => clamp1(max - l - ld),
        RandomizedLeastUsedDegradation => clamp1(max - l - d),
        RandomizedPriorityLeastUsedDegradation => clamp1(max - l - ld - d),
        p => unreachable!("{p} is not random"),
    }
}

/// The per-PE update hook (§2.3).
fn hook(e: &mut Entry) {
    use PolicyType::*;
    if e.s.policy == WeightedRoundRobin {
        if e.vc > 1 {
            e.vc -= 1;
        } else {
            e.round += 1;
            e.vc = e.s.weight;
        }
    }
    if matches!(
        e.s.policy,
        LeastUsedDegradation | PriorityLeastUsedDegradation | LeastUsedDegradationDpf | PriorityLeastUsedDegradationDpf
    ) {
        e.deg = sat(e.deg as u64 + e.s.load_degradation as u64) as u32;
    }
}

impl Naive {
    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    fn find(&mut self, id: u32) -> Option<&mut Entry> {
        self.slots.iter_mut().flatten().find(|e| e.id == id)
    }

    fn link(&self, e: &mut Entry) {
        if self.double {
            hook(e);
        }
    }

    fn register(&mut self, id: u32, s: PolicySettings) -> Result<(), HandlespaceError> {
        if let Some(p) = self.policy
            && p != s.policy
        {
            return Err(HandlespaceError::IncompatiblePolicy { requested: s.policy, pool: p });
        }
        let double = self.double;
        if let Some(e) = self.find(id) {
            let differ = (e.s.weight, e.s.load, e.s.load_degradation, e.s.load_dpf, e.s.weight_dpf, e.s.distance)
                != (s.weight, s.load, s.load_degradation, s.load_dpf, s.weight_dpf, s.distance);
            if differ || e.deg != 0 {
                e.s = s;
                e.deg = 0;
                e.vc = e.vc.min(s.weight);
                if double {
                    hook(e);
                }
            }
            return Ok(());
        }
        if self.policy.is_none() {
            self.choices = s.choices;
        }
        self.policy = Some(s.policy);
        let wrr = s.policy == PolicyType::WeightedRoundRobin;
        let head_round = if wrr { self.entries().min_by_key(|e| key(e)).map_or(0, |e| e.round) } else { 0 };
        let mut e = Entry {
            id,
            s,
            seq: self.global_seq,
            round: if wrr { head_round } else { 0 },
            vc: if wrr { s.weight } else { 0 },
            deg: 0,
            selected: 0,
        };
        self.global_seq += 1;
        self.link(&mut e);
        match self.free.pop() {
            Some(i) => self.slots[i] = Some(e),
            None => self.slots.push(Some(e)),
        }
        Ok(())
    }

    fn deregister(&mut self, id: u32) -> bool {
        let Some(i) = self.slots.iter().position(|s| s.as_ref().is_some_and(|e| e.id == id)) else { return false };
        self.slots[i] = None;
        self.free.push(i);
        if self.entries().next().is_none() {
            // The pool is removed with its last PE; a new one starts afresh.
            *self = Naive {
                policy: None,
                choices: 0,
                slots: Vec::new(),
                free: Vec::new(),
                global_seq: 0,
                double: self.double,
            };
        }
        true
    }

    fn resolve(&mut self, n: usize, max_inc: u32, rng: &mut Rng64) -> Result<Vec<u32>, HandlespaceError> {
        let policy = self.policy.ok_or(HandlespaceError::NotFound)?;
        let max_inc = if max_inc == 0 { policy.default_max_increment() } else { max_inc } as usize;
        let mut answer = Vec::new();
        match policy.family() {
            Family::Ordered => {
                let mut order: Vec<(u64, u64, u64, u32)> = self
                    .entries()
                    .map(|e| {
                        let k = key(e);
                        (k.0, k.1, k.2, e.id)
                    })
                    .collect();
                order.sort();
                answer.extend(order.iter().take(n).map(|o| o.3));
                for &id in answer.iter().take(max_inc) {
                    let seq = self.global_seq;
                    self.global_seq += 1;
                    let double = self.double;
                    let e = self.find(id).unwrap();
                    e.seq = seq;
                    e.selected += 1;
                    hook(e);
                    if double {
                        hook(e);
                    }
                }
            }
            Family::Random => {
                let len = self.entries().count();
                for i in 0..n.min(len) {
                    let total: u64 = self.entries().filter(|e| !answer.contains(&e.id)).map(weight).sum();
                    if total < 1 {
                        break;
                    }
                    let mut r = rng.next_u64() % total;
                    let id = self
                        .entries()
                        .filter(|e| !answer.contains(&e.id))
                        .find(|e| {
                            let w = weight(e);
                            if r < w {
                                true
                            } else {
                                r -= w;
                                false
                            }
                        })
                        .unwrap()
                        .id;
                    let seq = self.global_seq;
                    self.global_seq += 1;
                    let e = self.find(id).unwrap();
                    e.seq = seq;
                    e.selected += 1;
                    if i < max_inc {
                        hook(e);
                    }
                    answer.push(id);
                }
                if self.double {
                    for &id in &answer.clone() {
                        hook(self.find(id).unwrap());
                    }
                }
                if answer.is_empty() && n > 0 {
                    return Err(HandlespaceError::NoSelectablePoolElement);
                }
            }
            Family::Sampled => {
                // max(d, n) distinct candidates, each draw uniform over those left (slot order).
                let mut candidates: Vec<u32> = Vec::new();
                let len = self.entries().count();
                for _ in 0..(self.choices as usize).max(n).min(len) {
                    let left: Vec<u32> = self.entries().map(|e| e.id).filter(|id| !candidates.contains(id)).collect();
                    let r = rng.next_u64() % left.len() as u64;
                    candidates.push(left[r as usize]);
                }
                let mut ranked: Vec<(u64, u64, u32)> = candidates
                    .iter()
                    .map(|&id| {
                        let e = self.entries().find(|e| e.id == id).unwrap();
                        (key(e).0, e.seq, id)
                    })
                    .collect();
                ranked.sort();
                answer.extend(ranked.iter().take(n).map(|r| r.2));
                for &id in answer.iter().take(max_inc) {
                    let seq = self.global_seq;
                    self.global_seq += 1;
                    let e = self.find(id).unwrap();
                    e.seq = seq;
                    e.selected += 1;
                }
            }
        }
        Ok(answer)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Register { id: u32, weight: u32, load: u32, ld: u32, load_dpf: u32, weight_dpf: u32, distance: u32, choices: u32 },
    Deregister { id: u32 },
    Resolve { items: usize, max_increment: u32 },
}

fn field() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(u32::MAX), Just(0x0800_0000), Just(0x1000_0000), any::<u32>(), 0u32..5]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..12, 0u32..6, field(), field(), prop_oneof![Just(0u32), Just(4_294_967), any::<u32>()],
              prop_oneof![Just(0u32), Just(4_294_967), Just(U32MAX as u32 / 2)], prop_oneof![Just(0u32), 0u32..400],
              1u32..8)
            .prop_map(|(id, weight, load, ld, load_dpf, weight_dpf, distance, choices)|
                Op::Register { id, weight, load, ld, load_dpf, weight_dpf, distance, choices }),
        1 => (1u32..12).prop_map(|id| Op::Deregister { id }),
        4 => (1usize..5, 0u32..5).prop_map(|(items, max_increment)| Op::Resolve { items, max_increment }),
    ]
}

fn ph() -> PoolHandle {
    PoolHandle::new(b"PropPool").unwrap()
}

fn check(policy: PolicyType, double: bool, ops: &[Op], seed: u64) -> Result<(), TestCaseError> {
    let config = HandlespaceConfig { double_update: double, keep_first_registration_life: true };
    let mut hs: Handlespace<()> = Handlespace::new(config);
    let mut naive = Naive { policy: None, choices: 0, slots: Vec::new(), free: Vec::new(), global_seq: 0, double };
    let (mut rng_a, mut rng_b) = (Rng64::seed_from_u64(seed), Rng64::seed_from_u64(seed));
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Register { id, weight, load, ld, load_dpf, weight_dpf, distance, choices } => {
                let s = PolicySettings {
                    policy,
                    weight,
                    load,
                    load_degradation: ld,
                    load_dpf,
                    weight_dpf,
                    distance,
                    choices,
                };
                let reg = Registration {
                    id: PeId(id),
                    home: RegistrarId(1),
                    registration_life_ms: 1,
                    settings: s,
                    transport: (),
                };
                let real = hs.register(&ph(), reg, step as u64).map(|_| ());
                prop_assert_eq!(real, naive.register(id, s), "step {}: register {}", step, id);
            }
            Op::Deregister { id } => {
                prop_assert_eq!(hs.deregister(&ph(), PeId(id)).is_some(), naive.deregister(id), "step {}", step);
            }
            Op::Resolve { items, max_increment } => {
                let mut out = Vec::new();
                let real = hs
                    .handle_resolution(&ph(), items, max_increment, &mut rng_a, &mut out)
                    .map(|_| out.iter().map(|e| e.id.0).collect::<Vec<_>>());
                let expected = naive.resolve(items, max_increment, &mut rng_b);
                prop_assert_eq!(
                    real,
                    expected,
                    "step {}: resolve {} items, MaxIncrement {}",
                    step,
                    items,
                    max_increment
                );
            }
        }
        // Same state: every PE's selection state and counters, the order, the checksum.
        prop_assert_eq!(hs.pool_len(&ph()), naive.entries().count());
        let mut acc = 0u32;
        for e in naive.entries() {
            let st = hs.selection_state(&ph(), PeId(e.id)).expect("present");
            prop_assert_eq!(
                (st.seq, st.round, st.virtual_counter, st.degradation),
                (e.seq, e.round, e.vc, e.deg),
                "PE {}",
                e.id
            );
            prop_assert_eq!(hs.get(&ph(), PeId(e.id)).unwrap().selection_counter, e.selected);
            acc = acc.wrapping_add(checksum::pool_element_accumulator(&ph(), PeId(e.id)));
        }
        prop_assert_eq!(hs.checksum(), checksum::finish(acc));
        if policy.family() == Family::Ordered {
            let mut order: Vec<((u64, u64, u64), u32)> = naive.entries().map(|e| (key(e), e.id)).collect();
            order.sort();
            let expected: Vec<PeId> = order.into_iter().map(|o| PeId(o.1)).collect();
            prop_assert_eq!(hs.selection_order(&ph()), expected);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn every_policy_matches_the_naive_reference(
        policy in prop::sample::select(PolicyType::ALL.to_vec()),
        double in any::<bool>(),
        ops in prop::collection::vec(op(), 1..60),
        seed in any::<u64>(),
    ) {
        check(policy, double, &ops, seed)?;
    }
}
