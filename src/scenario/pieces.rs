//! `Pieces`: how many pieces a partitionable job is split into (the draft's "partitionable
//! jobs"): a number, or `{"type": "uniform", "min": A, "max": B}` drawn per job (whole
//! numbers, both ends included).

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The most pieces a job may have (the piece index shares the session id with the job).
pub const MAX_PIECES: u32 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pieces {
    Fixed(u32),
    Uniform { min: u32, max: u32 },
}

impl Default for Pieces {
    fn default() -> Self {
        Pieces::Fixed(1)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Tagged {
    Uniform { min: u32, max: u32 },
}

impl Pieces {
    /// The most pieces a job can get.
    pub fn max(&self) -> u32 {
        match *self {
            Pieces::Fixed(n) => n,
            Pieces::Uniform { max, .. } => max,
        }
    }

    /// Range check; the message of the first violation.
    pub fn check(&self) -> Result<(), String> {
        let ok = |n: u32| (1..=MAX_PIECES).contains(&n);
        match *self {
            Pieces::Fixed(n) if ok(n) => Ok(()),
            Pieces::Uniform { min, max } if ok(min) && ok(max) && min <= max => Ok(()),
            other => Err(format!(
                "{} is out of range; allowed: a whole number from 1 to {MAX_PIECES}, or \
                 {{\"type\": \"uniform\", \"min\": A, \"max\": B}} with 1 <= A <= B <= {MAX_PIECES}",
                serde_json::to_string(&other).expect("pieces serialise")
            )),
        }
    }
}

impl Serialize for Pieces {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Pieces::Fixed(n) => s.serialize_u32(n),
            Pieces::Uniform { min, max } => Tagged::Uniform { min, max }.serialize(s),
        }
    }
}

struct PiecesVisitor;

impl<'de> Visitor<'de> for PiecesVisitor {
    type Value = Pieces;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number of pieces or {\"type\": \"uniform\", \"min\": A, \"max\": B}")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Pieces, E> {
        u32::try_from(v).map(Pieces::Fixed).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Pieces, E> {
        Err(E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Pieces, E> {
        if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
            Ok(Pieces::Fixed(v as u32))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Pieces, A::Error> {
        let Tagged::Uniform { min, max } = Tagged::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Pieces::Uniform { min, max })
    }
}

impl<'de> Deserialize<'de> for Pieces {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PiecesVisitor)
    }
}
