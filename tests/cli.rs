//! The command line as a user meets it: determinism of `run --json`, `scenario show`,
//! and one clear message with exit code 2 for every kind of bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn poolsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolsim")).args(args).output().expect("poolsim runs")
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// `run --json` output with the wall-clock time (the one varying field) removed.
fn run_json(extra: &[&str]) -> (String, serde_json::Value) {
    let mut args = vec!["run", "--json", "--set", "duration_s=1800"];
    args.extend_from_slice(extra);
    let out = poolsim(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["run"].as_object_mut().unwrap().remove("wall_s");
    (serde_json::to_string_pretty(&v).unwrap(), v)
}

#[test]
fn same_seed_gives_identical_output_and_fingerprint() {
    let (a, va) = run_json(&["--set", "seed=7"]);
    let (b, _) = run_json(&["--set", "seed=7"]);
    assert_eq!(a, b, "reruns must be byte-identical apart from wall_s");
    let (_, vc) = run_json(&["--set", "seed=8"]);
    assert_ne!(va["run"]["fingerprint"], vc["run"]["fingerprint"]);
    assert_ne!(va["metrics"], vc["metrics"]);
    for key in ["system_utilization", "handling_speed", "handling_speed_pct", "jobs_completed", "asap_packets"] {
        assert!(va["metrics"][key].is_number(), "metric {key} missing");
    }
}

#[test]
fn policy_change_keeps_the_job_arrivals() {
    // Common random numbers: the PUs' arrival and size streams do not depend on the policy.
    let (_, lu) = run_json(&["--set", "pool_elements.policy=LeastUsed"]);
    let (_, rr) = run_json(&["--set", "pool_elements.policy=RoundRobin"]);
    assert_eq!(lu["metrics"]["jobs_queued"], rr["metrics"]["jobs_queued"]);
    assert_ne!(lu["run"]["fingerprint"], rr["run"]["fingerprint"]);
}

#[test]
fn run_without_json_prints_a_table() {
    let out = poolsim(&["run", "--set", "duration_s=600"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("system_utilization") && text.contains("fingerprint"), "{text}");
}

#[test]
fn scenario_show_resolves_auto_parameters() {
    let out = poolsim(&["scenario", "show", "--set", "workload.pu_pe_ratio=3"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pool_users"]["count"], 30);
    assert_eq!(v["workload"]["job_interval"], 3.0 * 1e7 / (0.8 * 1e6));
    assert_eq!(v["pool_elements"]["policy"], "LeastUsed");
}

/// Bad input: exit code 2, one message on stderr naming the key, nothing on stdout.
fn assert_bad_input(args: &[&str], must_mention: &[&str]) {
    let out = poolsim(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "no output on bad input");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one message: {stderr}");
    for m in must_mention {
        assert!(stderr.contains(m), "message should mention {m}: {stderr}");
    }
}

#[test]
fn malformed_json_is_reported_with_position() {
    let f = temp_file("broken.json", "{\"seed\": 1,,}");
    assert_bad_input(&["run", f.to_str().unwrap()], &["broken.json", "malformed JSON", "line 1"]);
}

#[test]
fn unknown_key_is_reported() {
    let f = temp_file("typo.json", r#"{"pool_elements": {"polciy": "Random"}}"#);
    assert_bad_input(&["run", f.to_str().unwrap()], &["pool_elements", "polciy", "policy"]);
    assert_bad_input(&["run", "--set", "workload.target_utilisation=0.5"], &["target_utilisation"]);
}

#[test]
fn wrong_type_is_reported() {
    assert_bad_input(&["run", "--set", "pool_elements.count=many"], &["pool_elements.count", "integer"]);
}

#[test]
fn out_of_range_values_are_reported() {
    assert_bad_input(&["run", "--set", "pool_elements.capacity=0"], &["pool_elements.capacity", "allowed"]);
    assert_bad_input(&["run", "--set", "workload.target_utilization=-0.5"], &["workload.target_utilization"]);
    assert_bad_input(&["run", "--set", "pool_elements.count=0"], &["pool_elements.count"]);
    assert_bad_input(&["run", "--set", "network.lan_delay_ms=-1"], &["network.lan_delay_ms"]);
}

#[test]
fn unknown_policy_is_reported_with_the_allowed_names() {
    assert_bad_input(
        &["run", "--set", "pool_elements.policy=Fastest"],
        &["pool_elements.policy", "Fastest", "LeastUsed", "RoundRobin"],
    );
}

#[test]
fn missing_file_is_bad_input() {
    assert_bad_input(&["scenario", "show", "/nonexistent/scenario.json"], &["cannot read"]);
}
