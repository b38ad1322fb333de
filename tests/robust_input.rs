//! Random and mutated scenario and sweep files against the parsers: every case ends in a
//! bad-input error that names a key (exit code 2 on the command line) or a valid scenario
//! that runs, never a panic or a hang. Mutations: any key set to any JSON value (huge and
//! tiny numbers, negatives, strings, nested objects), unknown keys at every level, deep
//! nesting, and text damage (bytes cut, inserted or replaced). The case counts are in the
//! `proptest_config` lines: 1200 + 1200 + 400 + 600 = 3400 cases per `cargo test`, from a
//! fixed seed so that every run tries the same cases (40 other seeds were tried while
//! writing it; they found the zero-time loops that the last test pins down).

use poolsim::model::Simulation;
use poolsim::scenario::{self, Scenario, ScenarioError};
use poolsim::sweep;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{Value, json};
use std::path::Path;

/// Every object path of the default scenario (`pool_elements.uptime`, ...), with
/// `overrides` entries for the three component kinds.
fn key_paths() -> Vec<Vec<String>> {
    fn walk(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(map) = v {
            for (k, child) in map {
                prefix.push(k.clone());
                out.push(prefix.clone());
                walk(child, prefix, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(Scenario::default()).unwrap(), &mut Vec::new(), &mut out);
    out
}

/// JSON values a user (or a fuzzer) might write, numbers at the edges included.
fn any_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(1e-300)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(4294967296u64)),
        (-1e6f64..1e6).prop_map(|x| json!(x)),
        (0u32..2000).prop_map(|x| json!(x)),
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        "[a-zA-Z_ ]{0,12}".prop_map(Value::String),
        Just(json!("auto")),
        Just(json!("never")),
        Just(json!({"type": "exponential", "mean_s": -3})),
        Just(json!({"type": "localized_disaster", "lambda": 2})),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Sets `path` in `v` to `x`, creating objects on the way.
fn set(v: &mut Value, path: &[String], x: Value) {
    let mut at = v;
    for k in &path[..path.len() - 1] {
        if !at.get(k.as_str()).is_some_and(Value::is_object) {
            at[k.as_str()] = json!({});
        }
        at = &mut at[k.as_str()];
    }
    at[path[path.len() - 1].as_str()] = x;
}

/// A small base, so that valid mutations run quickly.
fn small() -> Value {
    json!({"duration_s": 300, "warmup_s": 700, "pool_elements": {"count": 3}, "workload": {"pu_pe_ratio": 2}})
}

/// An error must name a key or the file, in backticks or as the file name.
fn assert_names_a_key(e: &ScenarioError) {
    let text = e.to_string();
    assert!(text.contains('`') || text.contains("case.json"), "no key named: {text}");
}

/// Runs a valid scenario for a bounded number of events: no panic, simulated time never
/// goes back, and never 200 000 events at one instant (a zero-time loop).
fn runs_sanely(s: &Scenario) {
    let layout = s.layout();
    let components = layout.registrar_lans.len() + layout.pool_element_lans.len() + layout.pool_user_lans.len();
    if components > 20_000 {
        return; // valid and large: runs fine, but not in a unit test's time
    }
    let mut sim = Simulation::new(s);
    let (mut last, mut same) = (sim.now(), 0u32);
    for _ in 0..300_000 {
        if sim.step().is_some() {
            return;
        }
        assert!(sim.now() >= last, "time went back");
        same = if sim.now() == last { same + 1 } else { 0 };
        assert!(same < 200_000, "stuck at {:?}", sim.now());
        last = sim.now();
    }
}

fn check_scenario(value: Value) {
    match scenario::from_value(value) {
        Ok(s) => runs_sanely(&s),
        Err(e) => assert_names_a_key(&e),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1200, rng_seed: RngSeed::Fixed(2026), ..ProptestConfig::default() })]

    /// One or two keys anywhere in the scenario set to anything.
    #[test]
    fn any_key_set_to_any_value(picks in prop::collection::vec((any::<prop::sample::Index>(), any_value()), 1..3)) {
        let paths = key_paths();
        let mut v = small();
        for (i, x) in picks {
            set(&mut v, &paths[i.index(paths.len())], x);
        }
        check_scenario(v);
    }

    /// An unknown key at any level is named.
    #[test]
    fn unknown_keys_are_named(i in any::<prop::sample::Index>(), name in "[a-z]{1,6}_x", x in any_value()) {
        let paths = key_paths();
        let mut parent = paths[i.index(paths.len())].clone();
        let mut v = small();
        // The unknown key goes into the object that holds (or is) the picked key.
        let holder = serde_json::to_value(Scenario::default()).unwrap().pointer(&format!("/{}", parent.join("/"))).cloned();
        if !holder.is_some_and(|h| h.is_object()) {
            parent.pop();
        }
        parent.push(name.clone());
        set(&mut v, &parent, x);
        // Named, or the object it went into reported incomplete first (a tagged object).
        let e = scenario::from_value(v).unwrap_err().to_string();
        prop_assert!(e.contains(&name) || e.contains("missing field"), "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, rng_seed: RngSeed::Fixed(2026), ..ProptestConfig::default() })]

    /// Per-component overrides of any key to anything.
    #[test]
    fn overrides_of_any_key(kind in prop::sample::select(vec!["pool_elements", "pool_users", "registrars"]),
                            index in 0u32..6, key in "[a-z_]{2,30}", x in any_value()) {
        let defaults = serde_json::to_value(Scenario::default()).unwrap();
        let keys: Vec<String> = defaults[kind].as_object().unwrap().keys().cloned().collect();
        let key = keys.iter().find(|k| k.starts_with(&key[..2])).cloned().unwrap_or(key);
        let mut v = small();
        v[kind]["overrides"] = json!([{"index": index, key: x}]);
        check_scenario(v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, rng_seed: RngSeed::Fixed(2026), ..ProptestConfig::default() })]

    /// Damaged text of the shipped default scenario and of a shipped sweep file: cut,
    /// inserted or replaced bytes, and deep nesting.
    #[test]
    fn damaged_files(which in 0..2usize, edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..4),
                     depth in 0usize..3000) {
        let files = [
            include_str!("../scenarios/default.json"),
            include_str!("../scenarios/studies/dpf/wp1-disaster-lu-dpfI.json"),
        ];
        let mut text = files[which].as_bytes().to_vec();
        for (at, kind, byte) in edits {
            let i = at.index(text.len().max(1));
            match kind {
                0 if !text.is_empty() => { text.remove(i.min(text.len() - 1)); }
                1 => text.insert(i, byte),
                2 if !text.is_empty() => { let n = text.len(); text[i.min(n - 1)] = byte; }
                _ => text.truncate(i),
            }
        }
        if depth > 0 {
            let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let s = String::from_utf8_lossy(&text).replacen("300.0", &nested, 1);
            text = s.into_bytes();
        }
        let text = String::from_utf8_lossy(&text);
        if which == 0 {
            match scenario::parse_json(&text, "case.json") {
                Ok(v) => match scenario::from_value(v) {
                    Ok(s) => { let _ = s.resolve(); }
                    Err(e) => assert_names_a_key(&e),
                },
                Err(e) => assert_names_a_key(&e),
            }
        } else {
            match sweep::parse(&text, "case.json", Path::new(".")) {
                Ok(s) => prop_assert!(!s.runs.is_empty()),
                Err(e) => {
                    let bad_input = e.downcast_ref::<ScenarioError>().is_some()
                        || e.downcast_ref::<poolsim::error::InputError>().is_some();
                    prop_assert!(bad_input, "not reported as bad input: {e:#}");
                }
            }
        }
    }
}

/// The four inputs of the issue that used to hang or overflow, and the zero-time loops the
/// property tests found (an uptime, keep-alive interval or cookie interval below 1 ns, a
/// retry after 0 s): each is now a clear error.
#[test]
fn values_the_time_base_cannot_hold_are_rejected() {
    for (key, value, named) in [
        ("duration_s", json!(1e300), "duration_s"),
        ("workload", json!({"job_size": 1e-300}), "workload.job_interval"),
        ("pool_elements", json!({"capacity": 1e300}), "workload.job_interval"),
        ("network", json!({"lan_delay_ms": 1e20}), "network.lan_delay_ms"),
        ("network", json!({"lans": 900, "wan_delay_ms": 1e10}), "network.wan_delay_ms"),
        ("pool_elements", json!({"uptime": {"type": "exponential", "mean_s": 1e12}}), "pool_elements.uptime"),
        ("pool_elements", json!({"uptime": 1e-300}), "pool_elements.uptime"),
        ("calcapp", json!({"keep_alive_interval_s": 1e-300}), "calcapp.keep_alive_interval_s"),
        ("pool_elements", json!({"cookie_max_calculations": 1e-300}), "pool_elements.cookie_max_calculations"),
        ("pool_users", json!({"job_retry_delay_max_s": 0}), "pool_users.job_retry_delay_max_s"),
        ("pool_elements", json!({"count": 4000000000u64}), "pool_elements.count"),
    ] {
        let mut v = small();
        if let (Some(obj), Value::Object(parts)) = (v.get_mut(key).and_then(Value::as_object_mut), &value) {
            obj.extend(parts.clone());
        } else {
            v[key] = value;
        }
        let e = scenario::from_value(v).unwrap_err().to_string();
        assert!(e.contains(&format!("`{named}`")), "{key}: {e}");
        assert!(e.contains("allowed"), "{e}");
    }
}
