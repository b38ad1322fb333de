//! The vocabulary of every range check: the error type, the message helpers that name the
//! dotted key and what is allowed, and the number format of messages.

use super::{HomeRegistrars, TimeDistribution};

/// A bad scenario: every message names the key (dotted path) and what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// (The causes are part of the message, not a chained source, so that they print once.)
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: malformed JSON: {cause}")]
    Syntax { file: String, cause: serde_json::Error },
    #[error("`{key}`: {message}")]
    Invalid { key: String, message: String },
    /// A valid setting that describes no run (auto r < 1); sweeps leave such runs out.
    #[error("`{key}`: {message}")]
    Skipped { key: String, message: String },
}

impl ScenarioError {
    pub fn invalid(key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid { key: key.to_string(), message: message.into() }
    }
}

/// Replaces Rust type names in serde messages by words a user knows, and suggests the
/// name meant for an unknown one.
pub(super) fn plain_types(message: &str) -> String {
    crate::error::with_suggestion(message)
        .replace("expected u32", "expected a non-negative integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected f64", "expected a number")
        .replace("expected a boolean", "expected true or false")
}

/// A value as messages show it: numbers short (see [`short`]), no binary noise.
pub(super) trait Shown {
    fn shown(&self) -> String;
}

impl Shown for f64 {
    fn shown(&self) -> String {
        short(*self)
    }
}

impl Shown for &f64 {
    fn shown(&self) -> String {
        short(**self)
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for &str {
    fn shown(&self) -> String {
        self.to_string()
    }
}

pub(super) fn check(ok: bool, key: &str, allowed: &str, value: impl Shown) -> Result<(), ScenarioError> {
    if ok {
        Ok(())
    } else {
        Err(ScenarioError::invalid(key, format!("{} is out of range; allowed: {allowed}", value.shown())))
    }
}

pub(super) fn positive(v: f64, key: &str) -> Result<(), ScenarioError> {
    check(v.is_finite() && v > 0.0, key, "a number > 0", v)
}

pub(super) fn non_negative(v: f64, key: &str) -> Result<(), ScenarioError> {
    check(v.is_finite() && v >= 0.0, key, "a number >= 0", v)
}

pub(super) fn fraction(v: f64, key: &str) -> Result<(), ScenarioError> {
    check((0.0..=1.0).contains(&v), key, "a number from 0 to 1", v)
}

/// An uptime (`positive`: never 0) or downtime distribution.
pub(super) fn time_distribution(d: &TimeDistribution, positive: bool, key: &str) -> Result<(), ScenarioError> {
    d.check(positive).map_err(|m| ScenarioError::invalid(key, m))
}

/// A registrar list (`name`: home or target registrars): non-empty, every index a
/// registrar (of any LAN).
pub(super) fn registrar_list(list: &HomeRegistrars, count: u32, at: &At, name: &str) -> Result<(), ScenarioError> {
    let HomeRegistrars::List(list) = list else { return Ok(()) };
    let key = at.key(name);
    if list.is_empty() {
        return Err(ScenarioError::invalid(
            &key,
            "is empty; allowed: \"auto\" or a non-empty list of registrar indices",
        ));
    }
    for (i, &r) in list.iter().enumerate() {
        let allowed = format!("0 to {} (registrars: {count} in all LANs)", count - 1);
        check(r < count, &format!("{key}[{i}]"), &allowed, r)?;
    }
    Ok(())
}

/// Dotted keys below a section prefix (`pool_elements`, `pool_elements.overrides[2]`).
pub(super) struct At<'a>(pub(super) &'a str);

impl At<'_> {
    pub(super) fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.0)
    }
}

/// A number for a message: four significant digits, plain from 0.001 to 10^7, else as
/// 1.25e-9 (no binary noise such as 1.3333333333333334e-4).
pub fn short(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return v.to_string();
    }
    let rounded: f64 = format!("{v:.3e}").parse().expect("a formatted number parses");
    if (1e-3..1e7).contains(&rounded.abs()) { rounded.to_string() } else { format!("{rounded:e}") }
}
