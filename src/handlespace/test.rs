//! Test vectors of RSPLIB's handlespace (docs/model.md §3) and error cases.

use super::*;
use rand::SeedableRng;

type Hs = Handlespace<()>;

fn ph() -> PoolHandle {
    PoolHandle::new(b"P").unwrap()
}

fn rng() -> rand::rngs::Xoshiro256PlusPlus {
    rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7)
}

/// The §11 pool: ids 100/200/300, weights 1/2/3, loads 0x1/0x2/0x08 <<24-ish, LoadDeg 0x08000000.
fn vector_pool(policy: PolicyType) -> Hs {
    let mut hs = Hs::default();
    for (id, weight, load) in [(100, 1, 0x1000_0000), (200, 2, 0x2000_0000), (300, 3, 0x0800_0000)] {
        register(&mut hs, id, weight, load, policy);
    }
    hs
}

fn register(hs: &mut Hs, id: u32, weight: u32, load: u32, policy: PolicyType) {
    let mut settings = PolicySettings::new(policy);
    settings.weight = weight;
    settings.load = load;
    settings.load_degradation = 0x0800_0000;
    let reg = Registration { id: PeId(id), home: RegistrarId(1), registration_life_ms: 1000, settings, transport: () };
    hs.register(&ph(), reg, 0).unwrap();
}

fn resolve(hs: &mut Hs, n: usize) -> Vec<u32> {
    let mut out = Vec::new();
    hs.handle_resolution(&ph(), n, 0, &mut rng(), &mut out).unwrap();
    out.iter().map(|e| e.id.0).collect()
}

// ---- Test vectors of §11 -------------------------------------------------------------

#[test]
fn weighted_round_robin_vector() {
    let mut hs = vector_pool(PolicyType::WeightedRoundRobin);
    // r0 = the round of the first PE after its registration.
    let r0 = hs.selection_state(&ph(), PeId(100)).unwrap().round;
    let mut order = Vec::new();
    for i in 0..8 {
        order.extend(resolve(&mut hs, 1));
        let state = |id| {
            let s = hs.selection_state(&ph(), PeId(id)).unwrap();
            (s.virtual_counter, s.round - r0)
        };
        match i {
            0 => assert_eq!(state(100), (1, 2)),
            1 => assert_eq!(state(200), (1, 1)),
            2 => assert_eq!(state(300), (3, 1)),
            _ => {}
        }
    }
    assert_eq!(order, [100, 200, 300, 200, 300, 300, 100, 200]);
}

#[test]
fn least_used_degradation_vector() {
    let mut hs = vector_pool(PolicyType::LeastUsedDegradation);
    let order: Vec<u32> = (0..6).flat_map(|_| resolve(&mut hs, 1)).collect();
    assert_eq!(order, [300, 100, 300, 200, 100, 300]);
    // Re-registering with unchanged settings resets degradation to LoadDeg (one hook run).
    register(&mut hs, 300, 3, 0x0800_0000, PolicyType::LeastUsedDegradation);
    assert_eq!(hs.selection_state(&ph(), PeId(300)).unwrap().degradation, 0x0800_0000);
    let next: Vec<u32> = (0..2).flat_map(|_| resolve(&mut hs, 1)).collect();
    assert_eq!(next, [300, 300]);
}

#[test]
fn least_used_degradation_grows_twice_per_selection() {
    let mut hs = Hs::default();
    register(&mut hs, 1, 1, 0x0800_0000, PolicyType::LeastUsedDegradation);
    let deg = |hs: &Hs| hs.selection_state(&ph(), PeId(1)).unwrap().degradation;
    assert_eq!(deg(&hs), 0x0800_0000);
    resolve(&mut hs, 1);
    assert_eq!(deg(&hs), 0x1800_0000);
    resolve(&mut hs, 1);
    assert_eq!(deg(&hs), 0x2800_0000);
}

#[test]
fn rfc_literal_mode_updates_once() {
    let config = HandlespaceConfig { double_update: false, keep_first_registration_life: false };
    let mut hs = Hs::new(config);
    register(&mut hs, 1, 1, 0x0800_0000, PolicyType::LeastUsedDegradation);
    assert_eq!(hs.selection_state(&ph(), PeId(1)).unwrap().degradation, 0);
    resolve(&mut hs, 1);
    assert_eq!(hs.selection_state(&ph(), PeId(1)).unwrap().degradation, 0x0800_0000);
    // Q2 off: the registration life follows re-registrations.
    let mut settings = PolicySettings::new(PolicyType::LeastUsedDegradation);
    settings.load = 5;
    let reg = Registration { id: PeId(1), home: RegistrarId(1), registration_life_ms: 5000, settings, transport: () };
    hs.register(&ph(), reg, 1).unwrap();
    assert_eq!(hs.get(&ph(), PeId(1)).unwrap().registration_life_ms, 5000);
}

#[test]
fn registration_life_is_kept_from_first_registration() {
    let mut hs = Hs::default();
    register(&mut hs, 1, 1, 0, PolicyType::RoundRobin);
    let reg = Registration {
        id: PeId(1),
        home: RegistrarId(1),
        registration_life_ms: 5000,
        settings: PolicySettings::new(PolicyType::RoundRobin),
        transport: (),
    };
    assert!(!hs.register(&ph(), reg, 1).unwrap());
    assert_eq!(hs.get(&ph(), PeId(1)).unwrap().registration_life_ms, 1000);
}

#[test]
fn round_robin_vector_two_items() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    let got: Vec<Vec<u32>> = (0..4).map(|_| resolve(&mut hs, 2)).collect();
    assert_eq!(got, [vec![100, 200], vec![200, 300], vec![300, 100], vec![100, 200]]);
}

#[test]
fn round_robin_max_increment_at_pool_size_never_moves() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    for _ in 0..3 {
        let mut out = Vec::new();
        hs.handle_resolution(&ph(), 3, 3, &mut rng(), &mut out).unwrap();
        assert_eq!(out.iter().map(|e| e.id.0).collect::<Vec<_>>(), [100, 200, 300]);
    }
}

#[test]
fn priority_vector() {
    let mut hs = vector_pool(PolicyType::Priority);
    for _ in 0..4 {
        assert_eq!(resolve(&mut hs, 2), [300, 200]);
    }
}

#[test]
fn least_used_vector() {
    let mut hs = vector_pool(PolicyType::LeastUsed);
    for _ in 0..4 {
        assert_eq!(resolve(&mut hs, 3), [300, 100, 200]);
    }
}

#[test]
fn least_used_round_robin_among_ties() {
    let mut hs = Hs::default();
    for id in 1..=3 {
        register(&mut hs, id, 1, 0, PolicyType::LeastUsed);
    }
    register(&mut hs, 4, 1, 1, PolicyType::LeastUsed); // more loaded: never first
    let order: Vec<u32> = (0..6).flat_map(|_| resolve(&mut hs, 1)).collect();
    assert_eq!(order, [1, 2, 3, 1, 2, 3]);
}

#[test]
fn random_policies_return_distinct_elements() {
    for policy in PolicyType::ALL.into_iter().filter(|p| p.family() == Family::Random) {
        let mut hs = vector_pool(policy);
        let mut got = resolve(&mut hs, 3);
        got.sort();
        assert_eq!(got, [100, 200, 300], "{policy}");
    }
}

#[test]
fn checksums_follow_registrations() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    assert_eq!(hs.checksum(), 0xA70D);
    assert_eq!(hs.ownership_checksum(RegistrarId(1)), 0xA70D);
    assert_eq!(hs.owned_count(RegistrarId(1)), 3);
    hs.deregister(&ph(), PeId(200));
    hs.deregister(&ph(), PeId(300));
    assert_eq!(hs.checksum(), checksum::finish(0x6450));
    assert_eq!(hs.owned_count(RegistrarId(1)), 1);
    hs.set_home(&ph(), PeId(100), RegistrarId(9));
    assert_eq!(hs.ownership_checksum(RegistrarId(1)), checksum::finish(0));
    assert_eq!(hs.owned_by(RegistrarId(9)), [(ph(), PeId(100))]);
    assert_eq!((hs.owned_count(RegistrarId(1)), hs.owned_count(RegistrarId(9))), (0, 1));
}

// ---- Error cases ---------------------------------------------------------------------

#[test]
fn registration_errors() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    let reg = |id, policy| Registration {
        id: PeId(id),
        home: RegistrarId(1),
        registration_life_ms: 1,
        settings: PolicySettings::new(policy),
        transport: (),
    };
    let err = hs.register(&ph(), reg(400, PolicyType::LeastUsed), 0).unwrap_err();
    assert_eq!(err.code(), 0x0005);
    assert_eq!(hs.register(&ph(), reg(0, PolicyType::RoundRobin), 0).unwrap_err().code(), 0xF000);
    assert_eq!(PoolHandle::new(&[b'x'; 33]).unwrap_err().code(), 0xF004);
    assert!(PoolHandle::new(b"").is_err());
    let other = PoolHandle::new(b"missing").unwrap();
    let e = hs.handle_resolution(&other, 1, 0, &mut rng(), &mut Vec::new()).unwrap_err();
    assert_eq!(e.code(), 0x0009);
    assert!(hs.deregister(&other, PeId(1)).is_none());
}

#[test]
fn all_zero_weights_is_an_error_not_a_panic() {
    let mut hs = Hs::default();
    register(&mut hs, 1, 0, 0, PolicyType::WeightedRandom);
    register(&mut hs, 2, 0, 0, PolicyType::WeightedRandom);
    let err = hs.handle_resolution(&ph(), 2, 0, &mut rng(), &mut Vec::new()).unwrap_err();
    assert_eq!(err, HandlespaceError::NoSelectablePoolElement);
}

#[test]
fn pool_handles_order_shorter_first() {
    let a = PoolHandle::new(b"zz").unwrap();
    let b = PoolHandle::new(b"aaa").unwrap();
    let c = PoolHandle::new(b"ab").unwrap();
    let mut v = vec![b, a, c];
    v.sort();
    assert_eq!(v, [c, a, b]);
}

#[test]
fn timers_and_expiry_purge() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    assert!(hs.set_timer(&ph(), PeId(200), TimerCode::Expiry, 50));
    assert!(hs.set_timer(&ph(), PeId(100), TimerCode::Expiry, 10));
    assert!(hs.set_timer(&ph(), PeId(300), TimerCode::KeepAliveTransmission, 99));
    assert_eq!(hs.next_timer().unwrap().id, PeId(100));
    assert_eq!(hs.purge_expired(50), 2);
    assert_eq!(hs.len(), 1);
    let due = hs.pop_due_timer(100).unwrap();
    assert_eq!((due.id, due.code), (PeId(300), TimerCode::KeepAliveTransmission));
    assert!(hs.next_timer().is_none());
}

#[test]
fn mark_and_purge_by_owner() {
    let mut hs = vector_pool(PolicyType::RoundRobin);
    hs.mark_owned_by(RegistrarId(1));
    register(&mut hs, 200, 2, 0, PolicyType::RoundRobin); // refreshed: unmarked
    assert_eq!(hs.purge_marked(RegistrarId(1)), 2);
    assert_eq!(hs.pool_elements().map(|(_, e)| e.id.0).collect::<Vec<_>>(), [200]);
}

#[test]
fn an_emptied_pool_is_gone_and_can_return_with_another_policy() {
    let mut hs = Hs::default();
    register(&mut hs, 1, 1, 0, PolicyType::RoundRobin);
    let other = PoolHandle::new(b"Q").unwrap();
    let reg = |policy| Registration {
        id: PeId(9),
        home: RegistrarId(1),
        registration_life_ms: 1,
        settings: PolicySettings::new(policy),
        transport: (),
    };
    hs.register(&other, reg(PolicyType::Random), 0).unwrap();
    hs.deregister(&ph(), PeId(1));
    assert_eq!((hs.pool_count(), hs.pool_policy(&ph()), hs.pool_len(&ph())), (1, None, 0));
    let e = hs.handle_resolution(&ph(), 1, 0, &mut rng(), &mut Vec::new()).unwrap_err();
    assert_eq!(e, HandlespaceError::NotFound);
    register(&mut hs, 2, 1, 7, PolicyType::LeastUsed);
    assert_eq!(hs.pool_policy(&ph()), Some(PolicyType::LeastUsed));
    assert_eq!(hs.selection_state(&ph(), PeId(2)).unwrap().seq, 0, "a new pool starts afresh");
    // Emptying a second pool drops the first kept one for good.
    hs.deregister(&ph(), PeId(2));
    hs.deregister(&other, PeId(9));
    assert_eq!(hs.pool_count(), 0);
    hs.register(&other, reg(PolicyType::WeightedRandom), 0).unwrap();
    assert_eq!(hs.pool_policy(&other), Some(PolicyType::WeightedRandom));
}

#[test]
fn due_timers_name_their_pool_with_few_pools_and_with_many() {
    // Up to SCANNED_POOLS pools a handle is found by scanning them; past that by an index.
    for pools in [3u32, 20] {
        let mut hs = Hs::default();
        let handle = |i: u32| PoolHandle::new(format!("Pool{i:02}").as_bytes()).unwrap();
        for i in 0..pools {
            let reg = Registration {
                id: PeId(i + 1),
                home: RegistrarId(1),
                registration_life_ms: 1000,
                settings: PolicySettings::new(PolicyType::RoundRobin),
                transport: (),
            };
            hs.register(&handle(i), reg, 0).unwrap();
            assert!(hs.set_timer(&handle(i), PeId(i + 1), TimerCode::KeepAliveTransmission, u64::from(10 * i)));
        }
        // Pools 0 and 1 emptied: pool 1 is kept for reuse, pool 0 removed for good.
        hs.deregister(&handle(0), PeId(1));
        hs.deregister(&handle(1), PeId(2));
        let owned: Vec<PoolHandle> = hs.owned_by(RegistrarId(1)).into_iter().map(|(h, _)| h).collect();
        assert_eq!(owned, (2..pools).map(handle).collect::<Vec<_>>());
        for i in 2..pools {
            let due = hs.pop_due_timer(u64::MAX).unwrap();
            assert_eq!((due.handle, due.id), (handle(i), PeId(i + 1)), "{pools} pools");
        }
        assert!(hs.pop_due_timer(u64::MAX).is_none());
    }
}

mod timers {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    enum Op {
        Register(u32),
        Deregister(u32),
        Set(u32, u64),
        Clear(u32),
        Pop(u64),
        Purge(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few ids and times, so that timers are re-set, ties happen and pools empty.
        let (id, at) = (1u32..12, 0u64..40);
        prop_oneof![
            id.clone().prop_map(Op::Register),
            id.clone().prop_map(Op::Deregister),
            (id.clone(), at.clone()).prop_map(|(i, t)| Op::Set(i, t)),
            id.prop_map(Op::Clear),
            at.clone().prop_map(Op::Pop),
            at.prop_map(Op::Purge),
        ]
    }

    proptest! {
        /// Timers set, re-set, cleared, popped and purged in any mix fire as a plain map
        /// of (expiry, id) says: earliest first, ties by id. Ids spread over pools of
        /// handles chosen by id, so a removal can empty a pool.
        #[test]
        fn timers_fire_as_a_naive_map_says(ops in prop::collection::vec(op(), 0..200)) {
            let mut hs = Hs::default();
            let handle = |id: u32| PoolHandle::new(if id.is_multiple_of(3) { b"A" } else { b"B" }).unwrap();
            // id -> its timer's expiry, if any, for the registered ids.
            let mut naive: BTreeMap<u32, Option<u64>> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Register(id) => {
                        let reg = Registration {
                            id: PeId(id),
                            home: RegistrarId(1),
                            registration_life_ms: 1000,
                            settings: PolicySettings::new(PolicyType::RoundRobin),
                            transport: (),
                        };
                        hs.register(&handle(id), reg, 0).unwrap();
                        naive.entry(id).or_insert(None);
                    }
                    Op::Deregister(id) => {
                        prop_assert_eq!(hs.deregister(&handle(id), PeId(id)).is_some(), naive.remove(&id).is_some());
                    }
                    Op::Set(id, at) => {
                        let set = hs.set_timer(&handle(id), PeId(id), TimerCode::Expiry, at);
                        prop_assert_eq!(set, naive.contains_key(&id));
                        if let Some(t) = naive.get_mut(&id) {
                            *t = Some(at);
                        }
                    }
                    Op::Clear(id) => {
                        hs.clear_timer(&handle(id), PeId(id));
                        if let Some(t) = naive.get_mut(&id) {
                            *t = None;
                        }
                    }
                    Op::Pop(now) => {
                        let due = naive.iter().filter_map(|(&id, &t)| Some((t?, id))).min().filter(|&(t, _)| t <= now);
                        let popped = hs.pop_due_timer(now).map(|d| (d.at, d.id.0));
                        prop_assert_eq!(popped, due);
                        if let Some((_, id)) = due {
                            naive.insert(id, None);
                        }
                    }
                    Op::Purge(now) => {
                        let before = naive.len();
                        naive.retain(|_, t| t.is_none_or(|t| t > now));
                        prop_assert_eq!(hs.purge_expired(now), before - naive.len());
                    }
                }
                let next = naive.iter().filter_map(|(&id, &t)| Some((t?, id))).min();
                prop_assert_eq!(hs.next_timer().map(|d| (d.at, d.id.0)), next);
                prop_assert_eq!(hs.len(), naive.len());
            }
        }
    }
}
