//! `--set KEY=VALUE` overrides: a dotted key into the scenario JSON; the value is read as
//! JSON where it parses as JSON, otherwise as a plain string (an object or a list that is
//! not valid JSON is an error).

use super::ScenarioError;
use serde_json::Value;

/// Splits `KEY=VALUE` and reads the value.
pub fn parse_override(text: &str) -> Result<(String, Value), ScenarioError> {
    let Some((key, raw)) = text.split_once('=') else {
        return Err(ScenarioError::invalid(text, "override must be KEY=VALUE, e.g. pool_elements.policy=Random"));
    };
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(ScenarioError::invalid(key, "override key must be a dotted path such as workload.pu_pe_ratio"));
    }
    let value = match super::json::parse_strict(raw) {
        Ok(value) => value,
        // Meant as an object or a list, but not valid JSON: say why rather than read a string.
        Err(e) if raw.trim_start().starts_with(['{', '[']) => {
            return Err(ScenarioError::invalid(key, format!("malformed JSON value: {e}")));
        }
        Err(_) => Value::String(raw.to_string()),
    };
    Ok((key.to_string(), value))
}

/// Sets `key` (dotted path) in a JSON object, creating intermediate objects.
pub fn apply_override(root: &mut Value, key: &str, value: Value) -> Result<(), ScenarioError> {
    let mut node = root;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = node else {
            return Err(ScenarioError::invalid(
                key,
                format!("cannot set `{part}` inside a value that is not an object"),
            ));
        };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return Ok(());
        }
        node = map.entry(part.to_string()).or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(())
}
