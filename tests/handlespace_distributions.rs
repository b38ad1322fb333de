//! Selection frequencies of the randomised and weighted policies against their weights:
//! chi-square goodness of fit for WeightedRandom, RandomizedLeastUsed and PowerOfDChoices
//! (d = 1 is Random, d = 2 the closed form of the power of two choices), exact
//! proportional shares for WeightedRoundRobin (with and without the double update, Q1),
//! PowerOfDChoices with d >= the pool size selecting exactly as LeastUsed, and the DPF
//! policies on given distances (LeastUsedDPF takes the nearest of equal loads,
//! WeightedRandomDPF follows its distance-reduced weights).

use poolsim::handlespace::{
    Handlespace, HandlespaceConfig, PeId, PolicySettings, PolicyType, PoolHandle, RegistrarId, Registration, U32MAX,
};
use rand::SeedableRng;

fn ph() -> PoolHandle {
    PoolHandle::new(b"Dist").unwrap()
}

/// A pool of PEs 1..=n with the given (weight, load), resolved `draws` times (1 item).
fn frequencies(policy: PolicyType, pes: &[(u32, u32)], draws: usize, double: bool) -> Vec<u64> {
    frequencies_with(policy, pes, draws, double, |_, _| {})
}

/// As [`frequencies`], with `tune` setting more of PE i's policy settings (PowerOfDChoices'
/// d, distances and penalty factors).
fn frequencies_with(
    policy: PolicyType,
    pes: &[(u32, u32)],
    draws: usize,
    double: bool,
    tune: impl Fn(usize, &mut PolicySettings),
) -> Vec<u64> {
    let config = HandlespaceConfig { double_update: double, keep_first_registration_life: true };
    let mut hs: Handlespace<()> = Handlespace::new(config);
    for (i, &(weight, load)) in pes.iter().enumerate() {
        let mut s = PolicySettings::new(policy);
        s.weight = weight;
        s.load = load;
        tune(i, &mut s);
        let reg = Registration {
            id: PeId(i as u32 + 1),
            home: RegistrarId(1),
            registration_life_ms: 1,
            settings: s,
            transport: (),
        };
        hs.register(&ph(), reg, 0).unwrap();
    }
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(2026);
    let mut counts = vec![0u64; pes.len()];
    let mut out = Vec::new();
    for _ in 0..draws {
        out.clear();
        hs.handle_resolution(&ph(), 1, 0, &mut rng, &mut out).unwrap();
        counts[out[0].id.0 as usize - 1] += 1;
    }
    counts
}

/// Pearson's chi-square statistic of counts against expected probabilities.
fn chi_square(counts: &[u64], probabilities: &[f64]) -> f64 {
    let n: u64 = counts.iter().sum();
    counts.iter().zip(probabilities).map(|(&c, &p)| (c as f64 - n as f64 * p).powi(2) / (n as f64 * p)).sum()
}

/// 99.9 % quantiles of chi-square with 1..=5 degrees of freedom.
const CHI2_999: [f64; 5] = [10.828, 13.816, 16.266, 18.467, 20.515];

#[test]
fn weighted_random_follows_the_weights() {
    let weights = [1u32, 2, 3, 4, 10];
    let counts = frequencies(PolicyType::WeightedRandom, &weights.map(|w| (w, 0)), 200_000, true);
    let total: u32 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|&w| w as f64 / total as f64).collect();
    let x2 = chi_square(&counts, &p);
    assert!(x2 < CHI2_999[weights.len() - 2], "chi-square {x2} for counts {counts:?}");
}

#[test]
fn weighted_random_never_picks_weight_zero() {
    let counts = frequencies(PolicyType::WeightedRandom, &[(0, 0), (1, 0), (0, 0)], 10_000, true);
    assert_eq!(counts, [0, 10_000, 0]);
}

#[test]
fn randomized_least_used_follows_free_capacity() {
    // Weights U32MAX - load: loads 0, 1/2, 3/4 of full give weights 4 : 2 : 1.
    let full = U32MAX as u32;
    let loads = [0u32, full / 2 + 1, full - full / 4];
    let counts = frequencies(PolicyType::RandomizedLeastUsed, &loads.map(|l| (0, l)), 200_000, true);
    let w: Vec<f64> = loads.iter().map(|&l| (U32MAX - l as u64) as f64).collect();
    let total: f64 = w.iter().sum();
    let p: Vec<f64> = w.iter().map(|x| x / total).collect();
    let x2 = chi_square(&counts, &p);
    assert!(x2 < CHI2_999[loads.len() - 2], "chi-square {x2} for counts {counts:?}");
}

#[test]
fn weighted_round_robin_shares_are_proportional_to_weight() {
    for double in [true, false] {
        let weights = [1u32, 2, 3, 4];
        let counts = frequencies(PolicyType::WeightedRoundRobin, &weights.map(|w| (w, 0)), 10_000, double);
        for (c, w) in counts.iter().zip(weights) {
            let expected = 10_000.0 * w as f64 / 10.0;
            assert!((*c as f64 - expected).abs() <= 2.0 * w as f64, "double={double}: {counts:?}");
        }
    }
}

#[test]
fn power_of_one_choice_is_random() {
    let counts = frequencies_with(
        PolicyType::PowerOfDChoices,
        &[(0, 9), (0, 1), (0, 5), (0, 0), (0, 7)],
        100_000,
        true,
        |_, s| s.choices = 1,
    );
    let x2 = chi_square(&counts, &[0.2; 5]);
    assert!(x2 < CHI2_999[3], "chi-square {x2} for counts {counts:?}");
}

#[test]
fn power_of_two_choices_follows_the_closed_form() {
    // Two of six distinct loads drawn without replacement; the lower wins. The i-th
    // smallest (1-based) wins when it is drawn with one of the n - i larger ones:
    // C(n - i, d - 1) / C(n, d) = (6 - i) / 15.
    let loads = [30u32, 10, 50, 0, 20, 40];
    let counts =
        frequencies_with(PolicyType::PowerOfDChoices, &loads.map(|l| (0, l)), 150_000, true, |_, s| s.choices = 2);
    let p: Vec<f64> = loads
        .iter()
        .map(|l| {
            let rank = loads.iter().filter(|&&m| m < *l).count() + 1;
            (6 - rank) as f64 / 15.0
        })
        .collect();
    assert_eq!(counts[2], 0, "the most loaded PE never wins");
    let (c, q): (Vec<u64>, Vec<f64>) = counts.iter().zip(&p).filter(|(_, p)| **p > 0.0).map(|(&c, &p)| (c, p)).unzip();
    let x2 = chi_square(&c, &q);
    assert!(x2 < CHI2_999[3], "chi-square {x2} for counts {counts:?}");
}

#[test]
fn power_of_d_choices_with_d_of_the_pool_size_selects_as_least_used() {
    let resolve_all = |policy: PolicyType| {
        let mut hs: Handlespace<()> = Handlespace::new(HandlespaceConfig::default());
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut selections = Vec::new();
        let mut out = Vec::new();
        for step in 0..400u32 {
            // Loads change between resolutions (with ties), as PEs re-register.
            let id = step % 8 + 1;
            let mut s = PolicySettings::new(policy);
            s.load = (step * 7919 % 5) * 1000;
            s.choices = 8;
            let reg = Registration {
                id: PeId(id),
                home: RegistrarId(1),
                registration_life_ms: 1,
                settings: s,
                transport: (),
            };
            hs.register(&ph(), reg, 0).unwrap();
            out.clear();
            let items = (step % 3 + 1) as usize;
            hs.handle_resolution(&ph(), items, 0, &mut rng, &mut out).unwrap();
            selections.push(out.iter().map(|e| e.id.0).collect::<Vec<_>>());
        }
        selections
    };
    assert_eq!(resolve_all(PolicyType::PowerOfDChoices), resolve_all(PolicyType::LeastUsed));
}

/// U32MAX · x, a penalty factor per ms as the PEs register it.
fn per_ms(x: f64) -> u32 {
    (x * U32MAX as f64).round() as u32
}

#[test]
fn least_used_dpf_picks_the_nearest_of_equally_loaded_pes() {
    let distances = [310, 10, 160];
    let near = |i: usize, s: &mut PolicySettings| {
        s.distance = distances[i];
        s.load_dpf = per_ms(1e-5);
    };
    assert_eq!(frequencies_with(PolicyType::LeastUsedDpf, &[(1, 500); 3], 50, true, near), [0, 50, 0]);
    // A load difference larger than the distance penalty wins: 300 ms · 1e-5 is 0.3 % of
    // the load range, the second PE carries 1 %.
    let loads = [(1, 0), (1, (U32MAX / 100) as u32)];
    let far = |i: usize, s: &mut PolicySettings| {
        s.distance = [310, 10][i];
        s.load_dpf = per_ms(1e-5);
    };
    assert_eq!(frequencies_with(PolicyType::LeastUsedDpf, &loads, 1, true, far), [1, 0]);
}

#[test]
fn weighted_random_dpf_follows_its_distance_reduced_weights() {
    // WeightDPF 0.002 per ms: 0, 100 and 200 ms leave 100 %, 80 % and 60 % of the weight.
    let tune = |i: usize, s: &mut PolicySettings| {
        s.distance = [0, 100, 200][i];
        s.weight_dpf = per_ms(0.002);
    };
    let counts = frequencies_with(PolicyType::WeightedRandomDpf, &[(1_000_000, 0); 3], 60_000, true, tune);
    let x2 = chi_square(&counts, &[1.0 / 2.4, 0.8 / 2.4, 0.6 / 2.4]);
    assert!(x2 < CHI2_999[1], "chi-square {x2}, counts {counts:?}");
}
