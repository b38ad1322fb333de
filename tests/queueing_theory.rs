//! The simulated pool against queueing theory. Every check runs independent
//! replications (seeds 1..=R) and asserts that the theoretical value lies in the
//! Student-t 99 % confidence interval of the replication means.

use poolsim::model::{self, Simulation};
use poolsim::report::stats::summarize;
use poolsim::scenario::{self, Scenario};
use serde_json::json;

const REPLICATIONS: u64 = 8;

fn scenario(v: serde_json::Value) -> Scenario {
    scenario::from_value(v).expect("valid test scenario")
}

/// Asserts that `theory` lies in the 99 % CI of `values`, and that the CI is tight
/// enough (relative half-width below `max_rel_ci`) for the check to mean something.
fn assert_in_ci(what: &str, values: &[f64], theory: f64, max_rel_ci: f64) {
    let s = summarize(values, 0.99);
    assert!(s.ci_half_width / theory < max_rel_ci, "{what}: CI too wide to test ({} ± {})", s.mean, s.ci_half_width);
    assert!(
        (s.mean - theory).abs() <= s.ci_half_width,
        "{what}: theory {theory} outside {} ± {} (values {values:?})",
        s.mean,
        s.ci_half_width
    );
}

fn replicate(base: serde_json::Value, metric: impl Fn(&model::Metrics) -> f64) -> Vec<f64> {
    (1..=REPLICATIONS)
        .map(|seed| {
            let mut v = base.clone();
            v["seed"] = json!(seed);
            metric(&model::run(&scenario(v)).metrics)
        })
        .collect()
}

/// One PU feeding one PE: the PU's FIFO queue plus one job at a time on the PE is an
/// M/M/1 queue, mean sojourn (handling) time 1/(μ - λ).
#[test]
fn one_pool_user_one_pool_element_is_mm1() {
    let (capacity, job_size, interval) = (1e6, 1e6, 1.6); // μ = 1/s, λ = 0.625/s, ρ = 0.625
    let base = json!({
        "duration_s": 40000,
        "workload": {"job_size": job_size, "job_interval": interval},
        "pool_elements": {"count": 1, "capacity": capacity},
        "pool_users": {"count": 1},
    });
    let (mu, lambda) = (capacity / job_size, 1.0 / interval);
    let handling = replicate(base.clone(), |m| m.handling_time_mean_s);
    assert_in_ci("M/M/1 mean handling time", &handling, 1.0 / (mu - lambda), 0.1);
    let queuing = replicate(base, |m| m.queuing_delay_mean_s);
    assert_in_ci("M/M/1 mean waiting time", &queuing, lambda / (mu * (mu - lambda)), 0.15);
}

/// Many low-rate PUs on one PE: Poisson arrivals at an egalitarian processor-sharing
/// server, mean handling time S / (C (1 - ρ)) (M/M/1-PS; M/G/1-PS alike).
#[test]
fn many_pool_users_on_one_pool_element_is_processor_sharing() {
    let (capacity, job_size, rho, users) = (1e6, 1e6, 0.6, 1000.0);
    let base = json!({
        "duration_s": 30000,
        "workload": {"job_size": job_size, "job_interval": users * job_size / (rho * capacity)},
        "pool_elements": {"count": 1, "capacity": capacity, "min_capacity_per_job": 1000},
        "pool_users": {"count": users},
    });
    let handling = replicate(base.clone(), |m| m.handling_time_mean_s);
    assert_in_ci("M/M/1-PS mean handling time", &handling, job_size / (capacity * (1.0 - rho)), 0.05);
    let utilization = replicate(base, |m| m.system_utilization);
    assert_in_ci("utilization = offered load", &utilization, rho, 0.03);
}

/// Random selection over k PEs splits the Poisson stream into k Poisson streams of
/// rate λ/k: each PE is an M/M/1-PS queue at load ρ, and each gets 1/k of the jobs.
#[test]
fn random_selection_splits_poisson_traffic() {
    let (k, capacity, job_size, rho, users) = (4u32, 1e6, 1e6, 0.5, 400.0);
    let base = json!({
        "duration_s": 20000,
        "workload": {"job_size": job_size, "job_interval": users * job_size / (rho * capacity * k as f64)},
        "pool_elements": {"count": k, "capacity": capacity, "min_capacity_per_job": 1000, "policy": "Random"},
        "pool_users": {"count": users},
    });
    let handling = replicate(base.clone(), |m| m.handling_time_mean_s);
    assert_in_ci("Random split: PS mean handling time", &handling, job_size / (capacity * (1.0 - rho)), 0.05);

    // Shares of accepted jobs per PE: binomial(n, 1/k), within 4 standard deviations.
    let s = scenario(base);
    let mut sim = Simulation::new(&s);
    while sim.step().is_none() {}
    let accepted: Vec<u64> = sim.pool_elements().iter().map(|pe| pe.stats.jobs_accepted).collect();
    let n = accepted.iter().sum::<u64>() as f64;
    let p = 1.0 / k as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    for (i, &a) in accepted.iter().enumerate() {
        assert!((a as f64 - n * p).abs() < 4.0 * sd, "PE {i} got {a} of {n} jobs (expected {} ± {sd})", n * p);
    }
}

/// In a stable pool all offered work is served: utilization equals θ for every policy.
#[test]
fn utilization_equals_offered_load_when_stable() {
    for policy in ["LeastUsed", "RoundRobin", "Random"] {
        let base = json!({"duration_s": 14400, "pool_elements": {"policy": policy}});
        let u = replicate(base, |m| m.system_utilization);
        assert_in_ci(&format!("{policy} utilization"), &u, 0.8, 0.03);
    }
}
