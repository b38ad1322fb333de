//! `TimeDistribution`: how long a component stays up or down (docs/model.md §2.1, §9.3).
//! In a scenario file it is a number (constant seconds), `"never"`, or an object:
//! `{"type": "constant", "value_s": X}`, `{"type": "exponential", "mean_s": X}`,
//! `{"type": "uniform", "min_s": A, "max_s": B}`. The reference's MTBF in units of the
//! request size (`timePEmtbfFromMTBFJobSizePECapacityRatioDistribution`) is an exponential
//! with mean v·S/C seconds.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest time a scenario may name [s] (about 31.7 years): times are integer
/// nanoseconds, and sums of a few such times must stay below 2^64 ns (584 years).
pub const MAX_TIME_S: f64 = 1e9;

/// A distribution of time spans [s], drawn afresh for every use ("volatile").
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum TimeDistribution {
    /// Infinitely long: the component never fails (or, as a downtime, never restarts).
    #[default]
    Never,
    Constant {
        value_s: f64,
    },
    Exponential {
        mean_s: f64,
    },
    Uniform {
        min_s: f64,
        max_s: f64,
    },
}

/// The object forms, as written in scenario files.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Tagged {
    Constant { value_s: f64 },
    Exponential { mean_s: f64 },
    Uniform { min_s: f64, max_s: f64 },
}

impl TimeDistribution {
    pub const ZERO: TimeDistribution = TimeDistribution::Constant { value_s: 0.0 };

    /// Whether a draw can be finite (false for `Never`).
    pub fn is_finite(&self) -> bool {
        *self != TimeDistribution::Never
    }

    /// Mean [s] (infinite for `Never`).
    pub fn mean_s(&self) -> f64 {
        match *self {
            TimeDistribution::Never => f64::INFINITY,
            TimeDistribution::Constant { value_s } => value_s,
            TimeDistribution::Exponential { mean_s } => mean_s,
            TimeDistribution::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
        }
    }

    /// Range check: every parameter from 0 to [`MAX_TIME_S`], min <= max; with
    /// `positive`, the spans must reach the 1 ns time resolution (an uptime of 0 would
    /// restart a component forever at one instant). Returns the message of the first
    /// violation.
    pub fn check(&self, positive: bool) -> Result<(), String> {
        let ok = |v: f64| v.is_finite() && (0.0..=MAX_TIME_S).contains(&v);
        let short = |v: f64| positive && v < 1e-9;
        let bad = match *self {
            TimeDistribution::Never => None,
            TimeDistribution::Constant { value_s } => {
                (!ok(value_s) || short(value_s)).then(|| format!("value_s {value_s:e}"))
            }
            TimeDistribution::Exponential { mean_s } => {
                (!ok(mean_s) || short(mean_s)).then(|| format!("mean_s {mean_s:e}"))
            }
            TimeDistribution::Uniform { min_s, max_s } => (!ok(min_s) || !ok(max_s) || min_s > max_s || short(max_s))
                .then(|| format!("min_s {min_s:e}, max_s {max_s:e}")),
        };
        match bad {
            None => Ok(()),
            Some(what) if positive => Err(format!(
                "{what} is out of range; allowed: times from 1e-9 s (the time resolution) to 1e9 s (uniform: 0 <= min_s <= max_s, max_s >= 1e-9), or \"never\""
            )),
            Some(what) => Err(format!(
                "{what} is out of range; allowed: times from 0 to 1e9 s (uniform: 0 <= min_s <= max_s), or \"never\""
            )),
        }
    }
}

impl Serialize for TimeDistribution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            TimeDistribution::Never => s.serialize_str("never"),
            TimeDistribution::Constant { value_s } => s.serialize_f64(value_s),
            TimeDistribution::Exponential { mean_s } => Tagged::Exponential { mean_s }.serialize(s),
            TimeDistribution::Uniform { min_s, max_s } => Tagged::Uniform { min_s, max_s }.serialize(s),
        }
    }
}

struct TimeVisitor;

const EXPECTED: &str = "a time in seconds, \"never\", or an object {\"type\": \"constant\" (value_s) | \
                        \"exponential\" (mean_s) | \"uniform\" (min_s, max_s)}";

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = TimeDistribution;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeDistribution, E> {
        Ok(TimeDistribution::Constant { value_s: v })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeDistribution, E> {
        self.visit_f64(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeDistribution, E> {
        self.visit_f64(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeDistribution, E> {
        if v == "never" { Ok(TimeDistribution::Never) } else { Err(E::invalid_value(de::Unexpected::Str(v), &self)) }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TimeDistribution, A::Error> {
        Ok(match Tagged::deserialize(de::value::MapAccessDeserializer::new(map))? {
            Tagged::Constant { value_s } => TimeDistribution::Constant { value_s },
            Tagged::Exponential { mean_s } => TimeDistribution::Exponential { mean_s },
            Tagged::Uniform { min_s, max_s } => TimeDistribution::Uniform { min_s, max_s },
        })
    }
}

impl<'de> Deserialize<'de> for TimeDistribution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<TimeDistribution, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn every_form_parses_and_round_trips() {
        for (v, d) in [
            (json!(5), TimeDistribution::Constant { value_s: 5.0 }),
            (json!(2.5), TimeDistribution::Constant { value_s: 2.5 }),
            (json!("never"), TimeDistribution::Never),
            (json!({"type": "constant", "value_s": 3}), TimeDistribution::Constant { value_s: 3.0 }),
            (json!({"type": "exponential", "mean_s": 50}), TimeDistribution::Exponential { mean_s: 50.0 }),
            (json!({"type": "uniform", "min_s": 1, "max_s": 2}), TimeDistribution::Uniform { min_s: 1.0, max_s: 2.0 }),
        ] {
            assert_eq!(parse(v.clone()).unwrap(), d, "{v}");
            assert_eq!(parse(serde_json::to_value(d).unwrap()).unwrap(), d);
        }
    }

    #[test]
    fn malformed_objects_say_what_is_allowed() {
        assert!(parse(json!("soon")).unwrap_err().contains("never"));
        assert!(parse(json!({"type": "weibull"})).unwrap_err().contains("exponential"));
        assert!(parse(json!({"type": "exponential"})).unwrap_err().contains("mean_s"));
        assert!(parse(json!({"type": "exponential", "mean": 3})).unwrap_err().contains("mean"));
        assert!(parse(json!(true)).unwrap_err().contains("seconds"));
    }

    #[test]
    fn ranges_are_checked() {
        assert!(TimeDistribution::Constant { value_s: -1.0 }.check(false).is_err());
        assert!(TimeDistribution::Constant { value_s: 0.0 }.check(false).is_ok());
        assert!(TimeDistribution::Constant { value_s: 0.0 }.check(true).is_err());
        assert!(TimeDistribution::Exponential { mean_s: f64::NAN }.check(false).is_err());
        assert!(TimeDistribution::Uniform { min_s: 3.0, max_s: 2.0 }.check(false).is_err());
        assert!(TimeDistribution::Never.check(true).is_ok());
    }
}
