//! `Auto<T>`: a scenario value that is either a value (a number, or a policy name) or the
//! string "auto" (derived from other parameters, as the reference tool-chain's
//! auto-parameters).

use crate::handlespace::PolicyType;
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

/// Values that `Auto` accepts: numbers (f64 or integers) or names (policies).
pub trait AutoValue: Sized {
    fn expected() -> String;
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    fn from_name(_: &str) -> Option<Self> {
        None
    }
}

impl AutoValue for f64 {
    fn expected() -> String {
        "a number or \"auto\"".into()
    }
    fn from_f64(v: f64) -> Option<f64> {
        Some(v)
    }
}

impl AutoValue for u32 {
    fn expected() -> String {
        "a non-negative integer or \"auto\"".into()
    }
    fn from_f64(v: f64) -> Option<u32> {
        (v >= 0.0 && v <= u32::MAX as f64 && v.fract() == 0.0).then_some(v as u32)
    }
}

impl AutoValue for PolicyType {
    fn expected() -> String {
        format!("\"auto\" or a policy: {}", PolicyType::names())
    }
    fn from_name(v: &str) -> Option<PolicyType> {
        v.parse().ok()
    }
}

struct AutoVisitor<T>(PhantomData<T>);

impl<T: AutoValue> Visitor<'_> for AutoVisitor<T> {
    type Value = Auto<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&T::expected())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Auto<T>, E> {
        if v == "auto" {
            return Ok(Auto::Auto);
        }
        T::from_name(v).map(Auto::Value).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
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

impl<'de, T: AutoValue> Deserialize<'de> for Auto<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AutoVisitor(PhantomData))
    }
}
