//! Reading a scenario: the file (or the built-in default), `--set` overrides by dotted path,
//! types checked by serde with the key named, then every range ([`Scenario::validate`]).

use super::check::plain_types;
use super::{Scenario, ScenarioError, anchor_paths, apply_override, json, parse_override};
use std::path::Path;

/// Name used for the built-in default scenario in messages.
pub const DEFAULT_SCENARIO_NAME: &str = "<built-in default>";

/// Reads a scenario file (or the default when `None`), applies `KEY=VALUE` overrides,
/// type-checks and validates it. Auto-parameters are left for [`Scenario::resolve`].
pub fn load(file: Option<&Path>, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let mut value = read_json(file)?;
    anchor_paths(&mut value, file.and_then(Path::parent).unwrap_or(Path::new(".")));
    for ov in overrides {
        let (key, v) = parse_override(ov)?;
        apply_override(&mut value, &key, v)?;
    }
    // Paths given on the command line are relative to the working directory.
    anchor_paths(&mut value, Path::new("."));
    from_value(value)
}

/// Parses a JSON file into a value (`{}` for the built-in default).
pub fn read_json(file: Option<&Path>) -> Result<serde_json::Value, ScenarioError> {
    let Some(path) = file else {
        return Ok(serde_json::Value::Object(Default::default()));
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| ScenarioError::Read { file: name.clone(), cause })?;
    parse_json(&text, &name)
}

/// Parses the text of a scenario file named `name` (in messages) into a JSON value.
pub fn parse_json(text: &str, name: &str) -> Result<serde_json::Value, ScenarioError> {
    json::parse_strict(text).map_err(|cause| ScenarioError::Syntax { file: name.to_string(), cause })
}

/// Deserialises and validates a scenario from a JSON value; errors name the dotted key.
pub fn from_value(value: serde_json::Value) -> Result<Scenario, ScenarioError> {
    let defaults = serde_json::to_value(Scenario::default()).expect("scenarios serialise");
    if let Some(path) = json::list_where_object(&value, &defaults, "") {
        let key = if path.is_empty() { "<top level>" } else { path.as_str() };
        let message = "is a list; allowed: an object of named keys (a list is not read by position)";
        return Err(ScenarioError::invalid(key, message));
    }
    let scenario: Scenario = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { "<top level>".to_string() } else { key };
        ScenarioError::Invalid { key, message: plain_types(&e.into_inner().to_string()) }
    })?;
    scenario.validate()?;
    Ok(scenario)
}
