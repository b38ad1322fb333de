//! Per-component exceptions (`<kind>.overrides`): a list of `{"index": i, KEY: VALUE, ...}`
//! that set keys of a kind's section for component i only, e.g. "registrar 0 never fails"
//! (`registrars.overrides = [{"index": 0, "uptime": "never"}]`, as tos-pr-failureI needs).
//! A component's section is the kind's section with its override merged in, read and
//! validated like the section itself, so every key of the kind can be overridden except
//! those that describe the whole kind ([`KIND_ONLY_KEYS`]).

use super::ScenarioError;
use super::check::{At, plain_types};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Keys that describe a whole kind and cannot be set for one component.
const KIND_ONLY_KEYS: &[&str] = &[
    "count",
    "count_distribution",
    "overrides",
    "capacity_distribution",
    "availability_trace",
    "availability_nodes",
    "availability_trace_start",
    "availability_trace_time_scale",
];

/// Runs of a component unless `max_runs` says otherwise (the reference tool-chain's
/// `componentRuns`).
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000_000;

/// One component's exceptions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ComponentOverride {
    /// The component, 0-based within its kind, counted LAN by LAN.
    pub index: u32,
    /// Keys of the kind's section and their values for this component.
    #[serde(flatten)]
    pub set: Map<String, Value>,
}

/// `section` with the override of component `index` merged in (as JSON, key by key).
fn merged<T: Serialize>(section: &T, ov: &ComponentOverride) -> Value {
    let mut value = serde_json::to_value(section).expect("sections serialise");
    let map = value.as_object_mut().expect("sections are objects");
    map.remove("overrides");
    for (k, v) in &ov.set {
        map.insert(k.clone(), v.clone());
    }
    value
}

/// The section as component `index` sees it. Only called on validated scenarios.
pub fn section<'a, T>(section: &'a T, overrides: &[ComponentOverride], index: u32) -> Cow<'a, T>
where
    T: Clone + Serialize + DeserializeOwned,
{
    match overrides.iter().find(|o| o.index == index) {
        None => Cow::Borrowed(section),
        Some(ov) => Cow::Owned(serde_json::from_value(merged(section, ov)).expect("validated override")),
    }
}

/// Checks every override of a kind: index in range and unique, no kind-only key, and the
/// merged section well-typed and in range; errors name `<kind>.overrides[k].<key>`.
pub fn validate<T>(
    section: &T,
    overrides: &[ComponentOverride],
    count: u32,
    kind: &str,
    check: impl Fn(&T, &At) -> Result<(), ScenarioError>,
) -> Result<(), ScenarioError>
where
    T: Serialize + DeserializeOwned,
{
    for (k, ov) in overrides.iter().enumerate() {
        let prefix = format!("{kind}.overrides[{k}]");
        let at = At(&prefix);
        if ov.index >= count {
            let allowed = format!("0 to {} ({kind}: {count} in all LANs)", count.saturating_sub(1));
            return Err(ScenarioError::invalid(
                &at.key("index"),
                format!("{} is out of range; allowed: {allowed}", ov.index),
            ));
        }
        if overrides[..k].iter().any(|o| o.index == ov.index) {
            return Err(ScenarioError::invalid(
                &at.key("index"),
                format!("component {} is overridden twice; allowed: one override object per component", ov.index),
            ));
        }
        if let Some(key) = ov.set.keys().find(|key| KIND_ONLY_KEYS.contains(&key.as_str())) {
            return Err(ScenarioError::invalid(
                &at.key(key),
                format!("describes the whole kind and cannot be set per component; allowed: other keys of `{kind}`"),
            ));
        }
        let component: T = serde_path_to_error::deserialize(merged(section, ov)).map_err(|e| {
            let key = at.key(&e.path().to_string());
            ScenarioError::Invalid { key, message: plain_types(&e.into_inner().to_string()) }
        })?;
        check(&component, &at)?;
    }
    Ok(())
}
