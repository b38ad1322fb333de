use super::*;
use crate::handlespace::PolicyType;
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
fn any_one_of_interval_ratio_and_size_may_be_auto() {
    // S auto: interval·θ·C / max(1, r) (wp1-hom-jobInterval-puToPERatioI).
    let s = from_value(json!({"workload": {"job_size": "auto", "job_interval": 50, "pu_pe_ratio": 3}})).unwrap();
    assert_eq!(s.job_size(), 50.0 * 0.8e6 / 3.0);
    assert_eq!(s.job_interval_s(), 50.0);
    let r = s.resolve();
    assert_eq!((r.workload.job_size, r.workload.pu_pe_ratio), (Auto::Value(50.0 * 0.8e6 / 3.0), Auto::Value(3.0)));
    // r auto: interval·θ·C / S, the PU count follows (wp1-hom-jobSize-jobIntervalI).
    let s = from_value(json!({"workload": {"pu_pe_ratio": "auto", "job_interval": 500, "job_size": 1e7}})).unwrap();
    assert_eq!(s.pu_pe_ratio(), 40.0);
    assert_eq!(s.pool_user_count(), 400);
    // r < 1 describes no run: the reference skips it, poolsim says so.
    let e = from_value(json!({"workload": {"pu_pe_ratio": "auto", "job_interval": 50, "job_size": 1e8}})).unwrap_err();
    assert!(matches!(e, ScenarioError::Skipped { .. }), "{e}");
    assert!(e.to_string().contains("r = interval·θ·C / S = 0.4 < 1"), "{e}");
    // Two autos (job_interval is auto unless set) are an error naming the second.
    let e = err(json!({"workload": {"job_size": "auto"}}));
    assert!(e.contains("`workload.job_size`") && e.contains("at most one"), "{e}");
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
    assert_eq!(s.pu_pe_ratio(), 3.0);
    assert_eq!(s.network.lan_delay_ms, 2.5);
    assert!(parse_override("novalue").is_err());
    let mut v = json!({"seed": 1});
    assert!(apply_override(&mut v, "seed.x", json!(2)).is_err());
}

#[test]
fn life_cycle_keys_default_to_never_failing() {
    let s = from_value(json!({})).unwrap();
    assert_eq!(s.pool_elements.uptime, TimeDistribution::Never);
    assert_eq!(s.pool_elements.downtime, TimeDistribution::ZERO);
    assert_eq!(s.pool_elements.clean_shutdown_probability, 1.0);
    assert_eq!(s.registrars.uptime, TimeDistribution::Never);
    assert_eq!(s.pool_users.interface_uptime, TimeDistribution::Never);
}

#[test]
fn bad_life_cycle_values_are_named() {
    for (value, key, mention) in [
        (json!({"pool_elements": {"uptime": -5}}), "pool_elements.uptime", "allowed"),
        (json!({"pool_elements": {"uptime": 0}}), "pool_elements.uptime", "from 1e-9 s"),
        (json!({"registrars": {"downtime": {"type": "exponential", "mean_s": -1}}}), "registrars.downtime", "allowed"),
        (json!({"pool_elements": {"clean_shutdown_probability": 1.5}}), "clean_shutdown_probability", "0 to 1"),
        (
            json!({"registrars": {"clean_shutdown_probability": -0.1}}),
            "registrars.clean_shutdown_probability",
            "0 to 1",
        ),
        (
            json!({"pool_users": {"interface_downtime": {"type": "uniform", "min_s": 5, "max_s": 1}}}),
            "interface_downtime",
            "min_s",
        ),
        (json!({"pool_elements": {"uptime": {"type": "weibull", "mean_s": 3}}}), "pool_elements.uptime", "exponential"),
        (json!({"pool_elements": {"uptime": {"type": "exponential"}}}), "pool_elements.uptime", "mean_s"),
        (json!({"pool_elements": {"uptime": "soon"}}), "pool_elements.uptime", "never"),
    ] {
        let e = err(value.clone());
        assert!(e.contains(key) && e.contains(mention), "{value}: {e}");
    }
}

#[test]
fn component_overrides_apply_to_one_component() {
    let s = from_value(json!({"registrars": {"count": 3, "uptime": 100,
                                              "overrides": [{"index": 0, "uptime": "never", "start_s": 5}]}}))
    .unwrap();
    assert_eq!(s.registrar(0).uptime, TimeDistribution::Never);
    assert_eq!(s.registrar(0).start_s, 5.0);
    assert_eq!(s.registrar(1).uptime, TimeDistribution::Constant { value_s: 100.0 });
    assert!(matches!(s.registrar(2), std::borrow::Cow::Borrowed(_)), "no copy without an override");
    // The overrides survive a round trip through the resolved scenario.
    let r = s.resolve();
    assert_eq!(from_value(serde_json::to_value(&r).unwrap()).unwrap(), r);
}

#[test]
fn bad_component_overrides_are_named() {
    for (value, key, mention) in [
        (json!({"registrars": {"overrides": [{"index": 1, "uptime": 5}]}}), "registrars.overrides[0].index", "0 to 0"),
        (json!({"pool_elements": {"overrides": [{"index": 10}]}}), "pool_elements.overrides[0].index", "0 to 9"),
        (json!({"pool_users": {"overrides": [{"index": 100}]}}), "pool_users.overrides[0].index", "0 to 99"),
        (
            json!({"pool_elements": {"overrides": [{"index": 2, "uptime": -1}]}}),
            "pool_elements.overrides[0].uptime",
            "allowed",
        ),
        (
            json!({"pool_elements": {"overrides": [{"index": 2, "capacty": 5}]}}),
            "pool_elements.overrides[0].capacty",
            "capacity",
        ),
        (
            json!({"pool_elements": {"overrides": [{"index": 2, "count": 5}]}}),
            "pool_elements.overrides[0].count",
            "whole kind",
        ),
        (
            json!({"pool_elements": {"overrides": [{"index": 2}, {"index": 2}]}}),
            "pool_elements.overrides[1].index",
            "twice",
        ),
        (json!({"pool_elements": {"overrides": [{"uptime": 5}]}}), "pool_elements.overrides[0]", "index"),
        (
            json!({"pool_elements": {"overrides": [{"index": 1, "policy": "Fastest"}]}}),
            "pool_elements.overrides[0].policy",
            "LeastUsed",
        ),
    ] {
        let e = err(value.clone());
        assert!(e.contains(key) && e.contains(mention), "{value}: {e}");
    }
}

#[test]
fn the_shipped_default_spells_out_every_key_with_its_default() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/default.json");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(file, serde_json::to_value(Scenario::default()).unwrap());
}

#[test]
fn home_registrar_lists_are_checked() {
    let s = from_value(json!({"registrars": {"count": 3}, "pool_elements": {"home_registrars": [2, 0]}})).unwrap();
    assert_eq!(s.pool_elements.home_registrars, HomeRegistrars::List(vec![2, 0]));
    assert_eq!(s.pool_users.home_registrars, HomeRegistrars::Auto);
    for (value, key, mention) in [
        (json!({"pool_elements": {"home_registrars": [1]}}), "pool_elements.home_registrars[0]", "0 to 0"),
        (
            json!({"registrars": {"count": 2}, "pool_users": {"home_registrars": [0, 2]}}),
            "pool_users.home_registrars[1]",
            "0 to 1",
        ),
        (json!({"pool_users": {"home_registrars": []}}), "pool_users.home_registrars", "non-empty"),
        (json!({"pool_users": {"home_registrars": "all"}}), "pool_users.home_registrars", "auto"),
        (json!({"pool_users": {"home_registrars": [-1]}}), "pool_users.home_registrars", "integer"),
        (
            json!({"pool_elements": {"overrides": [{"index": 0, "home_registrars": [5]}]}}),
            "pool_elements.overrides[0].home_registrars[0]",
            "allowed",
        ),
        (json!({"registrars": {"takeover_expiry_s": 0}}), "registrars.takeover_expiry_s", "> 0"),
    ] {
        let e = err(value.clone());
        assert!(e.contains(key) && e.contains(mention), "{value}: {e}");
    }
}

#[test]
fn pieces_and_choices_are_checked() {
    let s = from_value(json!({"workload": {"pieces": {"type": "uniform", "min": 2, "max": 8}}})).unwrap();
    assert_eq!(s.workload.pieces, Pieces::Uniform { min: 2, max: 8 });
    assert_eq!(from_value(json!({})).unwrap().workload.pieces, Pieces::Fixed(1));
    for (value, key, mention) in [
        (json!({"workload": {"pieces": 0}}), "workload.pieces", "1 to 1024"),
        (json!({"workload": {"pieces": 2000}}), "workload.pieces", "1 to 1024"),
        (json!({"workload": {"pieces": 2.5}}), "workload.pieces", "whole number"),
        (json!({"workload": {"pieces": {"type": "uniform", "min": 5, "max": 2}}}), "workload.pieces", "A <= B"),
        (json!({"workload": {"pieces": {"type": "normal"}}}), "workload.pieces", "uniform"),
        (json!({"pool_elements": {"choices": 0}}), "pool_elements.choices", ">= 1"),
    ] {
        let e = err(value.clone());
        assert!(e.contains(key) && e.contains(mention), "{value}: {e}");
    }
}
