//! The published behaviour of the policy-evaluation papers (docs/model.md §12,
//! ecosystem-notes A.5): on the default workload, Least Used beats Round Robin beats
//! Random in handling speed, most clearly at small PU:PE ratios.

use poolsim::model;
use poolsim::scenario;
use serde_json::json;

fn handling_speed(policy: &str, ratio: f64) -> f64 {
    let runs: Vec<f64> = (1..=3)
        .map(|seed| {
            let s = scenario::from_value(json!({
                "seed": seed,
                "workload": {"pu_pe_ratio": ratio},
                "pool_elements": {"policy": policy},
            }))
            .unwrap();
            model::run(&s).metrics.handling_speed_pct
        })
        .collect();
    runs.iter().sum::<f64>() / runs.len() as f64
}

#[test]
fn least_used_beats_round_robin_beats_random() {
    for ratio in [1.0, 3.0] {
        let lu = handling_speed("LeastUsed", ratio);
        let rr = handling_speed("RoundRobin", ratio);
        let rand = handling_speed("Random", ratio);
        assert!(lu > rr && rr > rand, "r = {ratio}: LU {lu:.2} %, RR {rr:.2} %, Random {rand:.2} %");
    }
}
