use super::*;
use serde_json::json;

fn err(value: serde_json::Value) -> String {
    from_value(value).unwrap_err().to_string()
}

#[test]
fn defaults_are_the_reference_tool_chain() {
    let s = from_value(json!({})).unwrap();
    assert_eq!(s.pool_user_count(), 100);
    assert_eq!(s.job_interval_s(), 125.0);
    assert_eq!(s.request_timeout_s(), 50.0);
    let r = s.resolve();
    assert_eq!(r.workload.job_interval, Auto::Value(125.0));
    // The resolved scenario reads back as the same scenario.
    assert_eq!(from_value(serde_json::to_value(&r).unwrap()).unwrap(), r);
}

#[test]
fn auto_interval_uses_max_one_r() {
    let s = from_value(json!({"workload": {"pu_pe_ratio": 0.5, "job_size": 1e6}})).unwrap();
    assert_eq!(s.job_interval_s(), 1.0 * 1e6 / (0.8 * 1e6));
    assert_eq!(s.pool_user_count(), 5);
}

#[test]
fn unknown_key_is_named() {
    let e = err(json!({"workload": {"target_utilisation": 0.5}}));
    assert!(e.contains("workload") && e.contains("target_utilisation") && e.contains("target_utilization"), "{e}");
}

#[test]
fn wrong_type_is_named() {
    let e = err(json!({"pool_elements": {"count": "ten"}}));
    assert!(e.contains("`pool_elements.count`"), "{e}");
    let e = err(json!({"workload": {"job_interval": "soon"}}));
    assert!(e.contains("workload.job_interval") && e.contains("auto"), "{e}");
}

#[test]
fn out_of_range_values_are_named() {
    for (value, key) in [
        (json!({"pool_elements": {"capacity": 0}}), "pool_elements.capacity"),
        (json!({"workload": {"target_utilization": 0}}), "workload.target_utilization"),
        (json!({"pool_elements": {"count": 0}}), "pool_elements.count"),
        (json!({"network": {"lan_delay_ms": -1}}), "network.lan_delay_ms"),
        (json!({"pool_elements": {"load_degradation": 1.5}}), "pool_elements.load_degradation"),
        (json!({"registrars": {"max_handle_resolution_items": 0}}), "registrars.max_handle_resolution_items"),
        (json!({"pool_elements": {"capacity_distribution": {"type": "linear", "gamma": 0.5}}}), "gamma"),
    ] {
        let e = err(value);
        assert!(e.contains(key) && e.contains("allowed"), "{key}: {e}");
    }
}

#[test]
fn unknown_policy_lists_the_allowed_names() {
    let e = err(json!({"pool_elements": {"policy": "LeastBusy"}}));
    assert!(e.contains("pool_elements.policy") && e.contains("LeastBusy") && e.contains("WeightedRandomDPF"), "{e}");
}

#[test]
fn capacity_list_must_match_count() {
    let e = err(json!({"pool_elements": {"count": 2, "capacity_distribution": {"type": "list", "capacities": [1e6]}}}));
    assert!(e.contains("capacities") && e.contains("exactly"), "{e}");
}

#[test]
fn overrides_set_dotted_keys_as_json_or_string() {
    let mut v = json!({});
    for ov in ["pool_elements.policy=Random", "workload.pu_pe_ratio=3", "network.lan_delay_ms=2.5"] {
        let (k, val) = parse_override(ov).unwrap();
        apply_override(&mut v, &k, val).unwrap();
    }
    let s = from_value(v).unwrap();
    assert_eq!(s.pool_elements.policy, PolicyType::Random);
    assert_eq!(s.workload.pu_pe_ratio, 3.0);
    assert_eq!(s.network.lan_delay_ms, 2.5);
    assert!(parse_override("novalue").is_err());
    let mut v = json!({"seed": 1});
    assert!(apply_override(&mut v, "seed.x", json!(2)).is_err());
}
