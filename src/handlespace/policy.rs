//! The pool member selection policies: the 18 of RSPLIB (docs/model.md §3) and
//! PowerOfDChoices. Names, type ids, selection engine, adaptivity and default MaxIncrement
//! come from one table, and the sort key or selection weight from [`PolicySettings`].
//!
//! Adding a policy:
//! 1. a row in the `policies!` table below (name, type id, engine, whether PEs report load
//!    changes, default MaxIncrement);
//! 2. its sort key in [`PolicySettings::ordered_key`] (ordered and sampled engines) or its
//!    weight in [`PolicySettings::random_weight`] (random engine), and its update hook in
//!    [`PolicySettings::degraded`] if selections change its state;
//! 3. the same formula in the naive reference of `tests/handlespace_properties.rs`, which
//!    then checks it against the handlespace like every other policy.
//!
//! Nothing else names policies: scenario files, the registrar and the PU cache take them
//! from the table. A new selection engine (as PowerOfDChoices needed) is a [`Family`] with
//! its branch in the pool's `select`.

use std::fmt;
use std::str::FromStr;

/// Largest value of every u32 policy field (`PPV_MAX_*`); load 1.0 = `U32MAX`.
pub const U32MAX: u64 = 0xFFFF_FFFF;
const U32MAX_F: f64 = U32MAX as f64;

/// `min(U32MAX, rint(U32MAX · x))` for a fraction x in 0..1.
pub fn fraction_u32(x: f64) -> u32 {
    round_ties_even(x * U32MAX_F).clamp(0.0, U32MAX_F) as u32
}

/// 2^52: from it on every float is whole.
const EXACT_FRACTION: f64 = 4_503_599_627_370_496.0;

/// `x.round_ties_even()` (C's `rint`), bit for bit, without the library call baseline
/// x86-64 needs for want of a rounding instruction, where x is positive: loads, distance
/// penalties and a PE's work at every accounting step are rounded so.
#[inline]
pub fn round_ties_even(x: f64) -> f64 {
    if x.is_sign_positive() && x < EXACT_FRACTION {
        // The sum lies in [2^52, 2^53), where floats are the whole numbers: the addition
        // itself rounds to nearest, ties to even.
        (x + EXACT_FRACTION) - EXACT_FRACTION
    } else if x >= EXACT_FRACTION {
        x
    } else {
        x.round_ties_even()
    }
}

/// Declares the policy catalogue from one table.
macro_rules! policies {
    ($($variant:ident = $name:literal, $id:literal, $family:ident, $adaptive:literal, $max_increment:literal;)*) => {
        /// A pool member selection policy.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PolicyType {
            $($variant),*
        }

        impl PolicyType {
            /// Every policy, in table order (RSPLIB's, then the extensions).
            pub const ALL: [PolicyType; [$($id as u32),*].len()] = [$(PolicyType::$variant),*];

            /// The name used in scenario files (RSPLIB's for its policies).
            pub fn name(self) -> &'static str {
                match self {
                    $(PolicyType::$variant => $name),*
                }
            }

            /// The wire type id (RFC 5356 numbering; 0xB... are RSPLIB/RSPSIM extensions,
            /// 0xC... poolsim's).
            pub fn type_id(self) -> u32 {
                match self {
                    $(PolicyType::$variant => $id),*
                }
            }

            /// Which selection engine the policy uses.
            pub fn family(self) -> Family {
                match self {
                    $(PolicyType::$variant => Family::$family),*
                }
            }

            /// Whether a pool element re-registers when its load changes (`PPT_IS_ADAPTIVE`).
            pub fn is_adaptive(self) -> bool {
                match self {
                    $(PolicyType::$variant => $adaptive),*
                }
            }

            /// MaxIncrement used when the registrar's MaxIncrement is 0.
            pub fn default_max_increment(self) -> u32 {
                match self {
                    $(PolicyType::$variant => $max_increment),*
                }
            }
        }
    };
}

policies! {
    // variant = name, type id, engine, adaptive, default MaxIncrement;
    RoundRobin = "RoundRobin", 0x0000_0001, Ordered, false, 1;
    WeightedRoundRobin = "WeightedRoundRobin", 0x0000_0002, Ordered, false, 1;
    Random = "Random", 0x0000_0003, Random, false, 0;
    WeightedRandom = "WeightedRandom", 0x0000_0004, Random, false, 0;
    Priority = "Priority", 0x0000_0005, Ordered, false, 1;
    LeastUsed = "LeastUsed", 0x4000_0001, Ordered, true, 1;
    LeastUsedDegradation = "LeastUsedDegradation", 0x4000_0002, Ordered, true, 1;
    PriorityLeastUsed = "PriorityLeastUsed", 0x4000_0003, Ordered, true, 1;
    RandomizedLeastUsed = "RandomizedLeastUsed", 0x4000_0004, Random, true, 1;
    RandomizedPriorityLeastUsed = "RandomizedPriorityLeastUsed", 0xB000_1001, Random, true, 1;
    RandomizedLeastUsedDegradation = "RandomizedLeastUsedDegradation", 0xB000_1002, Random, true, 1;
    PriorityLeastUsedDegradation = "PriorityLeastUsedDegradation", 0xB000_1003, Ordered, true, 1;
    RandomizedPriorityLeastUsedDegradation = "RandomizedPriorityLeastUsedDegradation", 0xB000_1004, Random, true, 1;
    WeightedRandomDpf = "WeightedRandomDPF", 0xB000_2001, Random, false, 0;
    LeastUsedDpf = "LeastUsedDPF", 0xB000_2002, Ordered, true, 1;
    LeastUsedDegradationDpf = "LeastUsedDegradationDPF", 0xB000_2003, Ordered, true, 1;
    PriorityLeastUsedDpf = "PriorityLeastUsedDPF", 0xB000_2004, Ordered, true, 1;
    PriorityLeastUsedDegradationDpf = "PriorityLeastUsedDegradationDPF", 0xB000_2005, Ordered, true, 1;
    PowerOfDChoices = "PowerOfDChoices", 0xC000_0001, Sampled, true, 1;
}

/// Which selection engine a policy uses (docs/model.md §3 and the sampled one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Walk a sorted order, ties by sequence number (round robin among equals).
    Ordered,
    /// Weighted random selection without replacement.
    Random,
    /// Draw `choices` pool elements uniformly at random (without replacement), then take
    /// the best of them by the sort key, ties by sequence number (power of d choices).
    Sampled,
}

use PolicyType::*;

impl PolicyType {
    pub fn from_type_id(id: u32) -> Option<PolicyType> {
        Self::ALL.into_iter().find(|p| p.type_id() == id)
    }

    /// Policies whose update hook grows the runtime degradation (LUD, PLUD and their DPF forms).
    fn degrades(self) -> bool {
        matches!(
            self,
            LeastUsedDegradation
                | PriorityLeastUsedDegradation
                | LeastUsedDegradationDpf
                | PriorityLeastUsedDegradationDpf
        )
    }

    /// All names, comma separated, for error messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of parsing an unknown policy name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy `{0}`; allowed: {names}", names = PolicyType::names())]
pub struct UnknownPolicy(pub String);

impl FromStr for PolicyType {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

impl serde::Serialize for PolicyType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for PolicyType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// What a pool element registers (`struct PoolPolicySettings`). All fields are u32 on the
/// wire: load, load degradation and the DPFs are fractions of `U32MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicySettings {
    pub policy: PolicyType,
    /// Weight (WRR, WRAND) or priority (PRIO).
    pub weight: u32,
    pub load: u32,
    pub load_degradation: u32,
    /// Load penalty per ms of distance, as a fraction of `U32MAX`.
    pub load_dpf: u32,
    /// Weight penalty per ms of distance, as a fraction of `U32MAX`.
    pub weight_dpf: u32,
    /// Distance PE -> registrar(s) [ms]; set by registrars, never by the PE.
    pub distance: u32,
    /// PowerOfDChoices: how many pool elements each selection samples (d >= 1). A pool
    /// takes it from its first pool element, as it takes its policy.
    pub choices: u32,
}

impl PolicySettings {
    pub fn new(policy: PolicyType) -> PolicySettings {
        PolicySettings {
            policy,
            weight: 0,
            load: 0,
            load_degradation: 0,
            load_dpf: 0,
            weight_dpf: 0,
            distance: 0,
            choices: 2,
        }
    }

    /// "Settings changed" compares every field except the type (docs/model.md §3).
    pub fn values_differ(&self, other: &PolicySettings) -> bool {
        (self.weight, self.load, self.load_degradation, self.load_dpf, self.weight_dpf, self.distance)
            != (other.weight, other.load, other.load_degradation, other.load_dpf, other.weight_dpf, other.distance)
    }

    /// `Distance x (LoadDPF / MAX) x MAX` in raw load units, as f64 (§1 notes).
    fn load_distance_penalty(&self) -> f64 {
        self.distance as f64 * (self.load_dpf as f64 / U32MAX_F) * U32MAX_F
    }

    /// Sort key of an ordered policy, before the sequence number: (primary, secondary).
    /// `degradation` is the runtime degradation, `round`/`virtual_counter` the WRR state.
    pub fn ordered_key(&self, degradation: u32, round: u64, virtual_counter: u32) -> (u64, u64) {
        let load = self.load as u64;
        let ld = self.load_degradation as u64;
        let deg = degradation as u64;
        let sat = |v: u64| v.min(U32MAX);
        let dpf = |base: u64| round_ties_even(base as f64 + self.load_distance_penalty()).min(U32MAX_F) as u64;
        let primary = match self.policy {
            RoundRobin => 0,
            WeightedRoundRobin => return (round, virtual_counter as u64),
            Priority => U32MAX - self.weight as u64,
            LeastUsed => load,
            LeastUsedDegradation => sat(load + deg),
            PriorityLeastUsed => sat(load + ld),
            PriorityLeastUsedDegradation => sat(load + ld + deg),
            LeastUsedDpf => dpf(load),
            LeastUsedDegradationDpf => dpf(load + deg),
            PriorityLeastUsedDpf => dpf(load + ld),
            PriorityLeastUsedDegradationDpf => dpf(load + ld + deg),
            PowerOfDChoices => load,
            _ => 0,
        };
        (primary, 0)
    }

    /// Selection weight of a random policy (0 = never selected).
    pub fn random_weight(&self, degradation: u32) -> u64 {
        let clamp1 = |v: i64| v.clamp(1, U32MAX as i64) as u64;
        let load = self.load as i64;
        let ld = self.load_degradation as i64;
        let deg = degradation as i64;
        let max = U32MAX as i64;
        match self.policy {
            Random => 1,
            WeightedRandom => self.weight as u64,
            WeightedRandomDpf => {
                let w = self.weight as f64;
                let dpf = self.distance as f64 * self.weight_dpf as f64 / U32MAX_F;
                let v = self.weight as i64 - round_ties_even(w * dpf) as i64;
                // Quirk Q5: exactly 0 stays 0 (never chosen), negative becomes 1.
                match v {
                    0 => 0,
                    v if v < 0 => 1,
                    v => (v as u64).min(U32MAX),
                }
            }
            RandomizedLeastUsed => clamp1(max - load),
            RandomizedPriorityLeastUsed => clamp1(max - load - ld),
            RandomizedLeastUsedDegradation => clamp1(max - load - deg),
            RandomizedPriorityLeastUsedDegradation => clamp1(max - load - ld - deg),
            _ => 0,
        }
    }

    /// The per-PE update hook's degradation step: `Deg := sat(Deg + LoadDeg)` for the
    /// degradation policies, unchanged otherwise (RLUD/RPLUD never grow, quirk Q4).
    pub fn degraded(&self, degradation: u32) -> u32 {
        if self.policy.degrades() {
            (degradation as u64 + self.load_degradation as u64).min(U32MAX) as u32
        } else {
            degradation
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn rounds_ties_to_even_as_the_library_does() {
        let below = EXACT_FRACTION.next_down();
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.5f64.next_down(),
            0.5f64.next_up(),
            2.5f64.next_up(),
            -2.5,
            below,
            below - 0.5,
        ];
        for x in edges.into_iter().chain([EXACT_FRACTION, 2.0 * EXACT_FRACTION + 2.0, f64::INFINITY, f64::NAN]) {
            assert_eq!(round_ties_even(x).to_bits(), x.round_ties_even().to_bits(), "{x:e}");
        }
    }

    proptest::proptest! {
        /// Any float, as bits (all magnitudes and signs), or a plain one with ties likely.
        #[test]
        fn rounding_matches_the_library(bits in proptest::prelude::any::<u64>(), halves in 0u64..1 << 20) {
            let any = f64::from_bits(bits);
            proptest::prop_assert_eq!(round_ties_even(any).to_bits(), any.round_ties_even().to_bits());
            let tie = halves as f64 / 2.0;
            proptest::prop_assert_eq!(round_ties_even(tie).to_bits(), tie.round_ties_even().to_bits());
        }
    }

    #[test]
    fn names_and_ids_round_trip() {
        for p in PolicyType::ALL {
            assert_eq!(p.name().parse::<PolicyType>().unwrap(), p);
            assert_eq!(PolicyType::from_type_id(p.type_id()), Some(p));
        }
        let err = "LeastUsedd".parse::<PolicyType>().unwrap_err().to_string();
        assert!(err.contains("LeastUsedd") && err.contains("RoundRobin"), "{err}");
    }

    #[test]
    fn catalogue_families_and_increments() {
        let random: Vec<_> = PolicyType::ALL.into_iter().filter(|p| p.family() == Family::Random).collect();
        assert_eq!(random.len(), 7);
        assert_eq!(PowerOfDChoices.family(), Family::Sampled);
        assert!(PowerOfDChoices.is_adaptive() && PowerOfDChoices.default_max_increment() == 1);
        assert_eq!(LeastUsed.default_max_increment(), 1);
        assert_eq!(RandomizedLeastUsed.default_max_increment(), 1);
        assert_eq!(WeightedRandom.default_max_increment(), 0);
        assert!(LeastUsed.is_adaptive() && !RoundRobin.is_adaptive() && !WeightedRandomDpf.is_adaptive());
        assert!(LeastUsedDpf.is_adaptive() && PriorityLeastUsedDegradationDpf.is_adaptive());
    }

    #[test]
    fn wrand_dpf_weights_follow_the_worked_examples() {
        // §3.14: weights 1..4, distances 0/100/200/300 ms, WeightDPF 0.001 per ms -> 1, 2, 2, 3.
        let dpf = (0.001 * U32MAX_F).round_ties_even() as u32;
        let w: Vec<u64> = [(1, 0), (2, 100), (3, 200), (4, 300)]
            .iter()
            .map(|&(weight, distance)| {
                let mut s = PolicySettings::new(WeightedRandomDpf);
                s.weight = weight;
                s.distance = distance;
                s.weight_dpf = dpf;
                s.random_weight(0)
            })
            .collect();
        assert_eq!(w, [1, 2, 2, 3]);
        // Weight 2: dpf 0.25 -> 2 - rint(0.5) = 2; dpf 0.5 -> 1; dpf 1.0 -> 0 (never chosen).
        for (frac, expect) in [(0.25, 2), (0.5, 1), (1.0, 0)] {
            let mut s = PolicySettings::new(WeightedRandomDpf);
            s.weight = 2;
            s.distance = 1;
            s.weight_dpf = (frac * U32MAX_F) as u32;
            assert_eq!(s.random_weight(0), expect, "dpf {frac}");
        }
    }

    #[test]
    fn keys_saturate_and_clamp() {
        let mut s = PolicySettings::new(LeastUsedDegradation);
        s.load = u32::MAX;
        assert_eq!(s.ordered_key(1000, 0, 0).0, U32MAX);
        let mut r = PolicySettings::new(RandomizedLeastUsed);
        r.load = u32::MAX;
        assert_eq!(r.random_weight(0), 1, "a full PE keeps weight 1");
        let mut p = PolicySettings::new(Priority);
        p.weight = 7;
        assert!(
            p.ordered_key(0, 0, 0).0 < {
                p.weight = 3;
                p.ordered_key(0, 0, 0).0
            }
        );
    }
}
