//! Strict reading of the JSON that users write (scenario and sweep files, `--set`
//! values): a key given twice is an error rather than "the last one wins", and a section
//! written as a list is an error rather than being read field by field by position (serde
//! reads a struct from a sequence).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses JSON text into a value; a key that appears twice in one object is an error that
/// names its dotted path, its line and its column.
pub fn parse_strict(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict { path: "" }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Builds a [`Value`] like serde_json's own, but refuses duplicate keys; `path` is where
/// the value sits (for the message).
struct Strict<'a> {
    path: &'a str,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict { path: &format!("{}[{}]", self.path, items.len()) })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() { key.clone() } else { format!("{}.{key}", self.path) };
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "key `{path}` is given twice; allowed: each key once per object"
                )));
            }
            let value = map.next_value_seed(Strict { path: &path })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Where the default value at a path is an object (a section, a tagged distribution), the
/// user's value must be one too: returns the dotted path of the first list found there.
pub fn list_where_object(value: &Value, default: &Value, path: &str) -> Option<String> {
    let (Value::Object(defaults), here) = (default, value) else { return None };
    match here {
        Value::Array(_) => Some(path.to_string()),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            list_where_object(v, defaults.get(k)?, &child)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicate_keys_are_named_with_their_path() {
        let e = parse_strict(r#"{"seed": 1, "workload": {"job_size": 1, "job_size": 2}}"#).unwrap_err();
        assert!(e.to_string().contains("`workload.job_size` is given twice"), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = parse_strict("{\"workload\": {}, \n\"workload\": {\"pieces\": 2}}").unwrap_err();
        assert!(e.to_string().contains("`workload`") && e.to_string().contains("line 2"), "{e}");
        let e = parse_strict(r#"{"a": [{"b": 1, "b": 1}]}"#).unwrap_err();
        assert!(e.to_string().contains("`a[0].b`"), "{e}");
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"z": 1, "a": [1.5, -2, 18446744073709551615, "x", null, true], "m": {"k": 0.1}}"#;
        assert_eq!(parse_strict(text).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        assert!(parse_strict("{} {}").is_err(), "trailing text");
    }

    #[test]
    fn lists_where_objects_belong_are_found() {
        let default =
            json!({"workload": {"pieces": 1}, "pool_elements": {"capacity_distribution": {"type": "identity"}}});
        assert_eq!(list_where_object(&json!({"workload": [1, 2]}), &default, ""), Some("workload".into()));
        let v = json!({"pool_elements": {"capacity_distribution": ["list", [1]]}});
        assert_eq!(list_where_object(&v, &default, ""), Some("pool_elements.capacity_distribution".into()));
        assert_eq!(list_where_object(&json!([5, 0, 1200]), &default, ""), Some(String::new()));
        assert_eq!(list_where_object(&json!({"workload": {"pieces": [1]}}), &default, ""), None);
    }
}
