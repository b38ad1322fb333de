//! `Auto<T>`: a scenario value that is either a number or the string "auto" (derived
//! from other parameters, as the reference tool-chain's auto-parameters).

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Auto<T> {
    #[default]
    Auto,
    Value(T),
}

impl<T: Copy> Auto<T> {
    /// The explicit value, None when auto.
    pub fn value(self) -> Option<T> {
        match self {
            Auto::Auto => None,
            Auto::Value(v) => Some(v),
        }
    }

    /// The value, or `derived()` when auto.
    pub fn or_else(self, derived: impl FnOnce() -> T) -> T {
        match self {
            Auto::Auto => derived(),
            Auto::Value(v) => v,
        }
    }
}

impl<T: Serialize> Serialize for Auto<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Auto::Auto => s.serialize_str("auto"),
            Auto::Value(v) => v.serialize(s),
        }
    }
}

/// Numbers that `Auto` accepts (f64 or integers).
pub trait AutoNumber: Sized {
    const EXPECTED: &'static str;
    fn from_f64(v: f64) -> Option<Self>;
}

impl AutoNumber for f64 {
    const EXPECTED: &'static str = "a number or \"auto\"";
    fn from_f64(v: f64) -> Option<f64> {
        Some(v)
    }
}

impl AutoNumber for u32 {
    const EXPECTED: &'static str = "a non-negative integer or \"auto\"";
    fn from_f64(v: f64) -> Option<u32> {
        (v >= 0.0 && v <= u32::MAX as f64 && v.fract() == 0.0).then_some(v as u32)
    }
}

struct AutoVisitor<T>(PhantomData<T>);

impl<T: AutoNumber> Visitor<'_> for AutoVisitor<T> {
    type Value = Auto<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Auto<T>, E> {
        if v == "auto" { Ok(Auto::Auto) } else { Err(E::invalid_value(de::Unexpected::Str(v), &self)) }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Auto<T>, E> {
        T::from_f64(v).map(Auto::Value).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Auto<T>, E> {
        T::from_f64(v as f64).map(Auto::Value).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Auto<T>, E> {
        T::from_f64(v as f64).map(Auto::Value).ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
}

impl<'de, T: AutoNumber> Deserialize<'de> for Auto<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AutoVisitor(PhantomData))
    }
}
