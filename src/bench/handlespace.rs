//! `poolsim bench handlespace`: the handlespace on its own, at pool sizes 10^2..10^6:
//! registrations/s (a new PE with its timer, as a registrar registers it),
//! re-registrations/s (load changed, timer re-armed), and handle resolutions/s of 1 and
//! 3 items (default MaxIncrement), for RoundRobin, LeastUsed and WeightedRandom; plus
//! LeastUsed with 10^6 PEs spread over 10 pools.

use crate::handlespace::{
    Handlespace, PeId, PolicySettings, PolicyType, PoolHandle, RegistrarId, Registration, TimerCode,
};
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

type Rng = rand::rngs::Xoshiro256PlusPlus;

/// One measured operation at one size.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub policy: PolicyType,
    pub pool_elements: usize,
    pub pools: usize,
    pub operation: &'static str,
    /// Mean time per operation [ns].
    pub ns_per_op: f64,
}

fn settings(policy: PolicyType, rng: &mut Rng) -> PolicySettings {
    let mut s = PolicySettings::new(policy);
    s.weight = rng.random_range(1..1_000_000);
    s.load = rng.random_range(0..u32::MAX);
    s
}

fn registration(id: u32, s: PolicySettings) -> Registration<()> {
    Registration { id: PeId(id), home: RegistrarId(7), registration_life_ms: 300_000, settings: s, transport: () }
}

/// Registers `n` PEs with distinct random ids spread over `pools`, each with a timer.
fn fill(hs: &mut Handlespace<()>, pools: &[PoolHandle], policy: PolicyType, n: usize, rng: &mut Rng) -> Vec<u32> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let id = rng.random_range(1..u32::MAX - 1_000_000);
        let h = &pools[ids.len() % pools.len()];
        if hs.register(h, registration(id, settings(policy, rng)), 0).expect("valid registration") {
            hs.set_timer(h, PeId(id), TimerCode::KeepAliveTransmission, rng.random_range(0..1 << 40));
            ids.push(id);
        }
    }
    ids
}

/// Repetitions of each timed batch; the median is reported (this VM's timings jitter).
const REPETITIONS: usize = 5;

/// Times `ops` calls of `f` on `hs` [ns per call]; `reset` undoes a batch's effect (untimed).
fn time(
    hs: &mut Handlespace<()>,
    ops: usize,
    mut f: impl FnMut(&mut Handlespace<()>, usize),
    mut reset: impl FnMut(&mut Handlespace<()>),
) -> f64 {
    let mut samples: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..ops {
                f(hs, i);
            }
            let ns = start.elapsed().as_secs_f64() * 1e9 / ops as f64;
            reset(hs);
            ns
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[REPETITIONS / 2]
}

/// Measures one policy at one size (`n` PEs over `pools` pools).
pub fn measure(policy: PolicyType, n: usize, pools: usize) -> Vec<Measurement> {
    let mut rng = Rng::seed_from_u64(n as u64 ^ policy.type_id() as u64);
    let handles: Vec<PoolHandle> =
        (0..pools).map(|i| PoolHandle::new(format!("Pool-{i}").as_bytes()).expect("short handle")).collect();
    let mut hs: Handlespace<()> = Handlespace::default();
    let ids = fill(&mut hs, &handles, policy, n, &mut rng);
    let ops = (20 * n).clamp(20_000, 200_000);
    let m = |operation, ns_per_op| Measurement { policy, pool_elements: n, pools, operation, ns_per_op };
    let mut out = Vec::new();

    // New PEs into the filled pool(s), each with its timer; removed again untimed.
    let extra: Vec<u32> = (0..ops).map(|i| u32::MAX - i as u32).collect();
    let fresh: Vec<PolicySettings> = (0..ops).map(|_| settings(policy, &mut rng)).collect();
    out.push(m(
        "registration",
        time(
            &mut hs,
            ops,
            |hs, i| {
                let h = &handles[i % pools];
                black_box(hs.register(h, registration(extra[i], fresh[i]), 1).expect("valid registration"));
                hs.set_timer(h, PeId(extra[i]), TimerCode::KeepAliveTransmission, 1 << 41);
            },
            |hs| {
                for (i, &id) in extra.iter().enumerate() {
                    hs.deregister(&handles[i % pools], PeId(id));
                }
            },
        ),
    ));

    // Re-registration with a changed load (re-link), timer re-armed.
    let targets: Vec<usize> = (0..ops).map(|_| rng.random_range(0..ids.len())).collect();
    out.push(m(
        "re-registration",
        time(
            &mut hs,
            ops,
            |hs, i| {
                let k = targets[i];
                let h = &handles[k % pools];
                black_box(hs.register(h, registration(ids[k], fresh[i]), 2).expect("valid registration"));
                hs.set_timer(h, PeId(ids[k]), TimerCode::KeepAliveTransmission, (1 << 40) + i as u64);
            },
            |_| {},
        ),
    ));

    let mut scratch = Vec::with_capacity(8);
    for (items, name) in [(1, "handle resolution, 1 item"), (3, "handle resolution, 3 items")] {
        out.push(m(
            name,
            time(
                &mut hs,
                ops,
                |hs, i| {
                    scratch.clear();
                    let h = &handles[i % pools];
                    black_box(hs.handle_resolution(h, items, 0, &mut rng, &mut scratch).expect("pool exists"));
                },
                |_| {},
            ),
        ));
    }
    out
}

/// The README table: RR, LU, WRAND at 10^2..max_size PEs in one pool, and LU with 10^6
/// PEs over 10 pools when max_size reaches 10^6.
pub fn table(max_size: usize) -> Vec<Measurement> {
    let mut out = Vec::new();
    let mut n = 100;
    while n <= max_size {
        for policy in [PolicyType::RoundRobin, PolicyType::LeastUsed, PolicyType::WeightedRandom] {
            out.extend(measure(policy, n, 1));
        }
        n *= 10;
    }
    if max_size >= 1_000_000 {
        out.extend(measure(PolicyType::LeastUsed, 1_000_000, 10));
    }
    out
}
