use super::*;
use serde_json::json;

fn sweep(v: serde_json::Value) -> Result<Sweep, anyhow::Error> {
    plan(serde_json::from_value(v).unwrap(), Path::new("."))
}

#[test]
fn cross_product_order_first_parameter_outermost() {
    let s = sweep(json!({
        "set": {"duration_s": 60},
        "parameters": [
            {"key": "workload.pu_pe_ratio", "values": [1, 3]},
            {"key": "pool_elements.policy", "values": ["LeastUsed", "Random", "RoundRobin"]}],
        "replications": 2,
    }))
    .unwrap();
    let got: Vec<String> = s.runs.iter().map(|r| format!("{}/{}#{}", r.point[0], r.point[1], r.replication)).collect();
    assert_eq!(got.len(), 12);
    assert_eq!(&got[..4], ["1/LeastUsed#0", "1/LeastUsed#1", "1/Random#0", "1/Random#1"]);
    assert_eq!(got[11], "3/RoundRobin#1");
    assert_eq!(s.runs[3].scenario.pool_elements.policy, crate::handlespace::PolicyType::Random);
    assert_eq!(s.runs[3].scenario.duration_s, 60.0);
}

#[test]
fn points_with_auto_ratio_below_one_are_skipped() {
    let s = sweep(json!({
        "set": {"workload.pu_pe_ratio": "auto", "workload.job_interval": 50},
        "parameters": [{"key": "workload.job_size", "values": [1e6, 1e7, 1e8]}],
        "replications": 2,
    }))
    .unwrap();
    // r = 50·0.8e6 / S: 40, 4 and 0.4; the last point is left out with its replications.
    assert_eq!(s.skipped, 2);
    let ratios: Vec<f64> = s.runs.iter().map(|r| r.scenario.pu_pe_ratio()).collect();
    assert_eq!(ratios, [40.0, 40.0, 4.0, 4.0]);
}

#[test]
fn common_seeds_repeat_across_points_unique_do_not() {
    let base = |mode: &str| {
        sweep(json!({"parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 3]}],
                      "replications": 3, "seeds": mode, "first_seed": 5}))
        .unwrap()
    };
    let common: Vec<u64> = base("common").runs.iter().map(|r| r.scenario.seed).collect();
    assert_eq!(common, [5, 6, 7, 5, 6, 7]);
    let unique: Vec<u64> = base("unique").runs.iter().map(|r| r.scenario.seed).collect();
    let mut dedup = unique.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 6, "{unique:?}");
    assert_eq!(unique, base("unique").runs.iter().map(|r| r.scenario.seed).collect::<Vec<_>>());
}

#[test]
fn bad_sweeps_are_rejected_before_running() {
    let e = sweep(json!({"parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 0]}]})).unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("workload.pu_pe_ratio") && msg.contains("out of range"), "{msg}");
    let e = sweep(json!({"parameters": [{"key": "workload.typo", "values": [1]}]})).unwrap_err();
    assert!(format!("{e:#}").contains("typo"), "{e:#}");
    let e = sweep(json!({"parameters": [{"key": "pool_elements.count", "values": ["ten"]}]})).unwrap_err();
    assert!(format!("{e:#}").contains("pool_elements.count"), "{e:#}");
    let e = sweep(json!({"parameters": [{"key": "seed", "values": [1]}]})).unwrap_err();
    assert!(format!("{e:#}").contains("cannot be swept"), "{e:#}");
    let e = sweep(json!({"parameters": [], "replications": 0})).unwrap_err();
    assert!(format!("{e:#}").contains("replications"), "{e:#}");
}

#[test]
fn a_named_parameter_sets_several_keys_under_one_label() {
    let s = sweep(json!({
        "parameters": [
            {"name": "load", "label": "Load", "values": [
                {"label": "light", "set": {"workload.target_utilization": 0.3, "pool_elements.count": 4}},
                {"label": 0.9, "set": {"workload.target_utilization": 0.9, "pool_elements.count": 8}}]},
            {"key": "pool_elements.policy", "values": ["Random"]}],
        "derived": [{"name": "pus_per_pe", "expr": "pool_users.count / pool_elements.count"}],
    }))
    .unwrap();
    assert_eq!(s.columns(), ["load", "pool_elements.policy", "pus_per_pe"]);
    assert_eq!(s.labels().get("load").map(String::as_str), Some("Load"));
    assert_eq!(s.runs[0].point, ["light", "Random", "10"]);
    assert_eq!(s.runs[1].point, ["0.9", "Random", "10"]);
    assert_eq!(s.runs[0].scenario.pool_elements.count, 4);
    assert_eq!(s.runs[1].scenario.workload.target_utilization, 0.9);
    assert_eq!(s.runs[1].scenario.pool_user_count(), 80);
}

#[test]
fn derived_columns_read_the_resolved_scenario() {
    let s = sweep(json!({
        "parameters": [{"key": "workload.job_size", "values": [1e6, 2.5e7]}],
        "derived": [{"name": "jsToSC", "expr": "workload.job_size / pool_elements.capacity"},
                    {"name": "interval", "expr": "workload.job_interval"}],
    }))
    .unwrap();
    assert_eq!(s.runs[0].point, ["1000000.0", "1", "12.5"]);
    assert_eq!(s.runs[1].point[1..], ["25", "312.5"]);
}

#[test]
fn bad_named_parameters_and_expressions_are_rejected() {
    let msg = |v| format!("{:#}", sweep(v).unwrap_err());
    let e = msg(json!({"parameters": [{"key": "seed", "name": "x", "values": [1]}]}));
    assert!(e.contains("parameters[0]") && e.contains("exactly one"), "{e}");
    let e = msg(json!({"parameters": [{"name": "x", "values": [5]}]}));
    assert!(e.contains("parameters[0].values[0]") && e.contains("label"), "{e}");
    let e = msg(json!({"parameters": [{"name": "x", "values": [{"label": 1, "set": {"pool_elements.count": -1}}]}]}));
    assert!(e.contains("pool_elements.count"), "{e}");
    let e = msg(json!({"parameters": [], "derived": [{"name": "d", "expr": "workload.job_size +"}]}));
    assert!(e.contains("derived[0].expr") && e.contains("allowed"), "{e}");
    let e = msg(json!({"parameters": [], "derived": [{"name": "d", "expr": "workload.nothing * 2"}]}));
    assert!(e.contains("derived[0].expr") && e.contains("workload.nothing"), "{e}");
}

#[test]
fn plots_must_name_columns_of_the_sweep() {
    let e = format!(
        "{:#}",
        sweep(json!({"parameters": [{"key": "workload.pu_pe_ratio", "values": [1]}],
                     "plots": [{"metric": "handling_speed_pct", "x": "workload.job_size"}]}))
        .unwrap_err()
    );
    assert!(e.contains("plots[0].x") && e.contains("workload.pu_pe_ratio"), "{e}");
    let e = format!(
        "{:#}",
        sweep(json!({"parameters": [{"key": "workload.pu_pe_ratio", "values": [1]}],
                     "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "filter": {"policy": "Random"}}]}))
        .unwrap_err()
    );
    assert!(e.contains("plots[0].filter") && e.contains("policy"), "{e}");
    // A misspelt metric is refused before anything runs, with the metrics listed.
    let e = format!(
        "{:#}",
        sweep(json!({"parameters": [{"key": "workload.pu_pe_ratio", "values": [1]}],
                     "plots": [{"metric": "handling_sped_pct", "x": "workload.pu_pe_ratio"}]}))
        .unwrap_err()
    );
    assert!(e.contains("plots[0].metric") && e.contains("handling_speed_pct"), "{e}");
}
