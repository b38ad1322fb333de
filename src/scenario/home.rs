//! `HomeRegistrars`: which registrars a PE or PU uses, `"auto"` (every registrar, hunted at
//! random as the reference's registrar table does) or a list of 0-based registrar indices
//! tried in order, the next one when the current one fails (the tool-chain's static
//! registrar list, e.g. "1" = every PE registers at the first registrar).

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum HomeRegistrars {
    /// Every registrar, picked at random at each hunt.
    #[default]
    Auto,
    /// These registrars (0-based indices), tried in order.
    List(Vec<u32>),
}

impl Serialize for HomeRegistrars {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            HomeRegistrars::Auto => s.serialize_str("auto"),
            HomeRegistrars::List(list) => list.serialize(s),
        }
    }
}

struct HomeVisitor;

impl<'de> Visitor<'de> for HomeVisitor {
    type Value = HomeRegistrars;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("\"auto\" or a list of 0-based registrar indices")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<HomeRegistrars, E> {
        if v == "auto" { Ok(HomeRegistrars::Auto) } else { Err(E::invalid_value(de::Unexpected::Str(v), &self)) }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HomeRegistrars, A::Error> {
        let mut list = Vec::new();
        while let Some(i) = seq.next_element::<u32>()? {
            list.push(i);
        }
        Ok(HomeRegistrars::List(list))
    }
}

impl<'de> Deserialize<'de> for HomeRegistrars {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HomeVisitor)
    }
}
