//! Where the components sit: `network.lans` LANs in a chain, each with its own registrars,
//! pool elements and pool users (docs/model.md §1.1). The counts of a scenario are per
//! LAN, as in the reference tool-chain; the pool elements may be spread unevenly by a
//! number distribution (§9.3), the others never are. Components are numbered LAN by LAN
//! within their kind, so a one-LAN scenario numbers them as before.

use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How many pool elements each LAN gets (`pool_elements.count_distribution`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum CountDistribution {
    /// `pool_elements.count` in every LAN.
    #[default]
    Identity,
    /// A localized disaster: LAN `lan` keeps max(1, floor(λ·v)) of its v pool elements,
    /// the others share the rest, the total L·v kept.
    LocalizedDisaster { lambda: f64, lan: u32 },
}

/// The JSON object form, `{"type": "localized_disaster", "lambda": λ, "lan": i}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Tagged {
    Identity,
    LocalizedDisaster {
        lambda: f64,
        /// The LAN struck, 0-based (the reference's γ − 1).
        #[serde(default)]
        lan: u32,
    },
}

impl Serialize for CountDistribution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            CountDistribution::Identity => s.serialize_str("identity"),
            CountDistribution::LocalizedDisaster { lambda, lan } => {
                Tagged::LocalizedDisaster { lambda, lan }.serialize(s)
            }
        }
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = CountDistribution;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("\"identity\" or {\"type\": \"localized_disaster\", \"lambda\": λ, \"lan\": i}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CountDistribution, E> {
        if v == "identity" {
            Ok(CountDistribution::Identity)
        } else {
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CountDistribution, A::Error> {
        Ok(match Tagged::deserialize(MapAccessDeserializer::new(map))? {
            Tagged::Identity => CountDistribution::Identity,
            Tagged::LocalizedDisaster { lambda, lan } => CountDistribution::LocalizedDisaster { lambda, lan },
        })
    }
}

impl<'de> Deserialize<'de> for CountDistribution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CountVisitor)
    }
}

impl CountDistribution {
    /// Pool elements per LAN for `v` per LAN over `lans` LANs (docs/model.md §9.3): the
    /// struck LAN gets max(1, floor(v·λ)), every other LAN ceil(v + (v − that)/(L − 1)),
    /// the last of them the remainder, so that the total stays L·v (v = 12, L = 3,
    /// λ = 0.25 gives 3 / 17 / 16).
    pub fn counts(&self, v: u32, lans: u32) -> Vec<u32> {
        let CountDistribution::LocalizedDisaster { lambda, lan } = *self else {
            return vec![v; lans as usize];
        };
        let struck = ((v as f64 * lambda).floor() as u32).max(1).min(v);
        let mut counts = vec![0; lans as usize];
        counts[lan as usize] = struck;
        let others = (lans - 1) as f64;
        let each = (v as f64 + (v - struck) as f64 / others).ceil() as u32;
        let mut left = lans * v - struck;
        let last = (0..lans).rev().find(|&l| l != lan).expect("validated: at least two LANs");
        for l in (0..lans).filter(|&l| l != lan) {
            let n = if l == last { left } else { each.min(left) };
            counts[l as usize] = n;
            left -= n;
        }
        counts
    }
}

/// Components per LAN, and the LAN of every component.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub lans: u32,
    /// LAN of each registrar, pool element, pool user and attacker, by global index.
    pub registrar_lans: Vec<u32>,
    pub pool_element_lans: Vec<u32>,
    pub pool_user_lans: Vec<u32>,
    pub attacker_lans: Vec<u32>,
}

/// The LAN of each of `counts[l]` components of LAN l, in order.
pub(super) fn spread(counts: impl IntoIterator<Item = u32>) -> Vec<u32> {
    (0..).zip(counts).flat_map(|(lan, n)| std::iter::repeat_n(lan, n as usize)).collect()
}

impl Layout {
    /// The registrars of `lan` (global indices).
    pub fn registrars_of(&self, lan: u32) -> impl Iterator<Item = usize> + '_ {
        self.registrar_lans.iter().enumerate().filter(move |&(_, &l)| l == lan).map(|(i, _)| i)
    }
}

/// Index of component `i` among the components of its LAN.
pub fn index_in_lan(lans: &[u32], i: usize) -> usize {
    lans[..i].iter().rev().take_while(|&&l| l == lans[i]).count()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn localized_disaster_counts_match_the_reference_examples() {
        let d = |lambda| CountDistribution::LocalizedDisaster { lambda, lan: 0 };
        assert_eq!(d(0.25).counts(12, 3), [3, 17, 16]);
        assert_eq!(d(0.5).counts(12, 3), [6, 15, 15]);
        assert_eq!(d(0.75).counts(12, 3), [9, 14, 13]);
        assert_eq!(d(1.0).counts(12, 3), [12, 12, 12]);
        assert_eq!(CountDistribution::LocalizedDisaster { lambda: 0.25, lan: 2 }.counts(12, 3), [17, 16, 3]);
        assert_eq!(CountDistribution::LocalizedDisaster { lambda: 0.01, lan: 1 }.counts(10, 2), [19, 1]);
        assert_eq!(CountDistribution::Identity.counts(7, 2), [7, 7]);
    }

    #[test]
    fn components_are_numbered_lan_by_lan() {
        assert_eq!(spread([2, 0, 1]), [0, 0, 2]);
        let lans = [0, 0, 1, 1, 1];
        assert_eq!((0..5).map(|i| index_in_lan(&lans, i)).collect::<Vec<_>>(), [0, 1, 0, 1, 2]);
    }
}
