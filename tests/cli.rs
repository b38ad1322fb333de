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

#[test]
fn bad_life_cycle_values_are_reported() {
    assert_bad_input(&["run", "--set", "pool_elements.uptime=-3"], &["pool_elements.uptime", "allowed"]);
    assert_bad_input(
        &["run", "--set", "registrars.clean_shutdown_probability=2"],
        &["registrars.clean_shutdown_probability", "0 to 1"],
    );
    assert_bad_input(
        &["run", "--set", r#"registrars.overrides=[{"index": 3, "uptime": 10}]"#],
        &["registrars.overrides[0].index", "allowed: 0 to 0 (registrars: 1 in all LANs)"],
    );
    assert_bad_input(
        &["run", "--set", r#"pool_elements.downtime={"type": "exponential", "mean": 3}"#],
        &["pool_elements.downtime", "mean_s"],
    );
}

#[test]
fn bad_pieces_and_choices_are_reported() {
    assert_bad_input(&["run", "--set", "workload.pieces=0"], &["workload.pieces", "allowed"]);
    assert_bad_input(
        &["run", "--set", "pool_elements.policy=PowerOfDChoices", "--set", "pool_elements.choices=0"],
        &["pool_elements.choices", ">= 1"],
    );
}

#[test]
fn bad_home_registrars_are_reported() {
    assert_bad_input(
        &["run", "--set", "registrars.count=2", "--set", "pool_elements.home_registrars=[0, 2]"],
        &["pool_elements.home_registrars[1]", "allowed: 0 to 1"],
    );
    assert_bad_input(&["run", "--set", "pool_users.home_registrars=[]"], &["pool_users.home_registrars", "non-empty"]);
}

#[test]
fn values_the_time_base_cannot_hold_exit_2_instead_of_hanging() {
    assert_bad_input(&["run", "--set", "duration_s=1e300"], &["duration_s", "1e300", "at most 1e9 s"]);
    assert_bad_input(&["run", "--set", "workload.job_size=1e-300"], &["workload.job_interval", "1 ns time resolution"]);
    assert_bad_input(&["run", "--set", "pool_elements.capacity=1e300"], &["workload.job_interval", "1 ns"]);
    assert_bad_input(&["run", "--set", "network.lan_delay_ms=1e20"], &["network.lan_delay_ms", "at most 1e12 ms"]);
}

#[test]
fn bad_topology_values_are_reported() {
    assert_bad_input(&["run", "--set", "network.lans=0"], &["network.lans", "allowed: an integer from 1 to 1000"]);
    assert_bad_input(&["run", "--set", "network.wan_delay_ms=-5"], &["network.wan_delay_ms", ">= 0"]);
    let disaster = |lambda: &str| {
        format!(r#"pool_elements.count_distribution={{"type": "localized_disaster", "lambda": {lambda}}}"#)
    };
    for lambda in ["0", "1.5", "-0.2"] {
        assert_bad_input(
            &["run", "--set", "network.lans=3", "--set", &disaster(lambda)],
            &["pool_elements.count_distribution.lambda", "> 0 and <= 1"],
        );
    }
    assert_bad_input(
        &["run", "--set", &disaster("0.5")],
        &["pool_elements.count_distribution.type", "network.lans is 1"],
    );
    assert_bad_input(
        &["run", "--set", "pool_elements.count_distribution=uneven"],
        &["pool_elements.count_distribution", "\"identity\" or"],
    );
    // Indices count over all LANs: 2 LANs of 1 registrar have registrars 0 and 1.
    assert_bad_input(
        &["run", "--set", "network.lans=2", "--set", "pool_users.home_registrars=[2]"],
        &["pool_users.home_registrars[0]", "allowed: 0 to 1 (registrars: 2 in all LANs)"],
    );
}

#[test]
fn bad_attack_values_are_reported() {
    assert_bad_input(
        &["run", "--set", "attackers.type=ping_of_death"],
        &["attackers.type", "ping_of_death", "handle_resolution", "registration"],
    );
    assert_bad_input(&["run", "--set", "attackers.interval_s=-1"], &["attackers.interval_s", "allowed: a number > 0"]);
    assert_bad_input(&["run", "--set", "attackers.interval_s=0"], &["attackers.interval_s", "> 0"]);
    assert_bad_input(
        &["run", "--set", "attackers.report_unreachable_probability=1.5"],
        &["attackers.report_unreachable_probability", "0 to 1"],
    );
    assert_bad_input(
        &["run", "--set", "registrars.max_handle_resolution_rate=-1"],
        &["registrars.max_handle_resolution_rate", "0 (no limit) or a rate > 0"],
    );
    assert_bad_input(
        &["run", "--set", "registrars.max_endpoint_unreachable_rate=-0.5"],
        &["registrars.max_endpoint_unreachable_rate", "allowed"],
    );
    assert_bad_input(
        &["run", "--set", "registrars.handle_resolution_rate_max_entries=0"],
        &["registrars.handle_resolution_rate_max_entries", "1 to 65536"],
    );
    assert_bad_input(&["run", "--set", "attackers.policy=Fastest"], &["attackers.policy", "\"auto\" or a policy"]);
    assert_bad_input(&["run", "--set", "attackers.count=-2"], &["attackers.count", "non-negative integer"]);
    assert_bad_input(
        &["run", "--set", "attackers.count=1", "--set", "attackers.target_registrars=[1]"],
        &["attackers.target_registrars[0]", "allowed: 0 to 0"],
    );
    assert_bad_input(&["run", "--set", "attackers.budget=3"], &["attackers", "budget"]);
}

#[test]
fn the_timeline_writes_csv_and_svg_and_leaves_the_run_unchanged() {
    let dir = std::env::temp_dir().join(format!("poolsim-cli-timeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let churn = ["--set", r#"pool_elements.uptime={"type": "exponential", "mean_s": 200}"#];
    let (_, plain) = run_json(&churn);
    let mut args = churn.to_vec();
    args.extend(["--timeline", dir.to_str().unwrap(), "--timeline-interval-s", "30"]);
    let (_, sampled) = run_json(&args);
    assert_eq!(plain["run"]["fingerprint"], sampled["run"]["fingerprint"]);
    assert_eq!(plain["metrics"], sampled["metrics"]);
    let pes = std::fs::read_to_string(dir.join("timeline_pool_elements.csv")).unwrap();
    assert!(pes.starts_with("time_s,pe,up,interface_up,jobs,load\n"));
    // Samples every 30 s from 0 to the end (900 s warm-up + 1800 s), 10 PEs each.
    assert_eq!(pes.lines().count(), 1 + 91 * 10);
    assert!(pes.lines().any(|l| l.split(',').nth(2) == Some("0")), "PEs were down at times");
    let pus = std::fs::read_to_string(dir.join("timeline_pool_users.csv")).unwrap();
    let failovers: u64 = pus.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap()).sum();
    assert!(failovers > 0, "failovers are recorded");
    let svg = std::fs::read_to_string(dir.join("timeline.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Failovers per 30 s"));
    assert_bad_input(
        &["run", "--timeline", dir.to_str().unwrap(), "--timeline-interval-s", "0"],
        &["--timeline-interval-s"],
    );
}

#[test]
fn json_has_per_pool_element_and_per_registrar_figures() {
    let (_, v) = run_json(&["--set", "registrars.count=2"]);
    let pes = v["pool_elements"].as_array().unwrap();
    assert_eq!(pes.len(), 10);
    for key in ["capacity", "utilization", "jobs_accepted", "uptime_s", "restarts"] {
        assert!(pes[0][key].is_number(), "pool_elements[0].{key}");
    }
    let prs = v["registrars"].as_array().unwrap();
    assert_eq!(prs.len(), 2);
    let owned: f64 = prs.iter().map(|r| r["owned_pes_end"].as_f64().unwrap()).sum();
    assert_eq!(owned, 10.0, "every PE has one home registrar");
    let mean: f64 = prs.iter().map(|r| r["owned_pes_mean"].as_f64().unwrap()).sum();
    assert!((mean - 10.0).abs() < 1e-9, "time-averaged ownership adds up to the pool: {mean}");
    let resolutions: u64 = prs.iter().map(|r| r["handle_resolutions"].as_u64().unwrap()).sum();
    assert_eq!(resolutions, v["metrics"]["handle_resolutions"].as_u64().unwrap());
}

#[test]
fn reproduce_lists_every_shipped_study_and_rejects_unknown_names() {
    let out = poolsim(&["reproduce", "--list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/studies");
    let mut count = 0;
    // (Beside the families: times.csv, the measured wall times.)
    let families = std::fs::read_dir(root).unwrap().map(|f| f.unwrap().path()).filter(|p| p.is_dir());
    for family in families {
        for file in std::fs::read_dir(family).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(text.lines().any(|l| l.split_whitespace().nth(1) == Some(&name)), "{name} missing:\n{text}");
            count += 1;
        }
    }
    assert!(text.lines().last().unwrap().starts_with(&format!("{count} studies, ")), "{text}");
    assert_bad_input(&["reproduce", "wp9-nothing"], &["wp9-nothing", "is not a study", "wp1-hom-lu-dpfI"]);
}

/// `poolsim warmup`: a pool that starts empty under heavy load (θ 0.97, r 1) needs more
/// than the default 15 minutes of warm-up; the default scenario's warm-up is long enough.
/// A sweep warns about the heavy point and is silent on the default one.
#[test]
fn warmup_estimates_flag_transients_and_pass_stationary_runs() {
    let heavy = ["--set", "workload.target_utilization=0.97", "--set", "workload.pu_pe_ratio=1"];
    let out = poolsim(&[&["warmup", "--replications", "3"][..], &heavy[..]].concat());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("is too short") && text.contains("suggested warmup_s"), "{text}");
    let out = poolsim(&["warmup", "--replications", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("is long enough"), "{text}");

    let sweep = |name: &str, ratio: u32, theta: &str| {
        let f = temp_file(
            name,
            &format!(
                r#"{{"set": {{"duration_s": 3600, "workload.pu_pe_ratio": {ratio}}},
                    "parameters": [{{"key": "workload.target_utilization", "values": [{theta}]}}], "replications": 3}}"#
            ),
        );
        let out_dir = f.with_extension("out");
        let _ = std::fs::remove_dir_all(&out_dir);
        let o = poolsim(&["sweep", f.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--quiet"]);
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let warned = sweep("heavy.json", 1, "0.5, 0.97");
    assert!(warned.contains("1 point(s) may need a longer warm-up") && warned.contains("0.97"), "{warned}");
    // The default workload (r 10, θ 0.8) and a lighter one.
    assert!(!sweep("light.json", 10, "0.5, 0.8").contains("warm-up"));
}

/// An unknown policy, key or study names the one the user most likely meant.
#[test]
fn unknown_names_suggest_the_close_match() {
    for (args, hint) in [
        (
            vec!["run", "--set", "pool_elements.policy=leastused"],
            "unknown policy `leastused` (did you mean LeastUsed?)",
        ),
        (vec!["run", "--set", "pool_elements.polcy=1"], "unknown field `polcy` (did you mean policy?)"),
        (vec!["reproduce", "example"], "is not a study; did you mean example1?"),
    ] {
        let out = poolsim(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr.contains(hint), "{args:?}: {stderr}");
    }
    // Nothing close: the allowed names, and no guess.
    let out = poolsim(&["run", "--set", "pool_elements.policy=Fastest"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("allowed: RoundRobin") && !stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn completions_and_the_manual_page_are_generated() {
    let bash = poolsim(&["completions", "bash"]);
    assert!(bash.status.success() && String::from_utf8_lossy(&bash.stdout).contains("reproduce"));
    let man = poolsim(&["man"]);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(man.status.success() && page.contains(".TH poolsim 1") && page.contains("sweep"), "{page}");
    assert_eq!(poolsim(&["completions", "cmd"]).status.code(), Some(2));
}

/// A sweep's plots are checked against its planned points before any run: a filter
/// value that is no value, or a plot that would mix configurations, is exit 2 at once.
#[test]
fn sweep_plots_are_checked_before_the_first_run() {
    let body = |plot: &str| {
        format!(
            r#"{{"set": {{"duration_s": 60}}, "parameters": [{{"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}}, {{"key": "workload.pu_pe_ratio", "values": [1, 2]}}], "plots": [{plot}]}}"#
        )
    };
    for (plot, message) in [
        (
            r#"{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "filter": {"pool_elements.policy": "Randm"}}"#,
            "\"Randm\" is not a value of `pool_elements.policy`; allowed: LeastUsed, Random",
        ),
        (
            r#"{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio"}"#,
            "pool_elements.policy (LeastUsed, Random) also vary",
        ),
        (r#"{"metric": "handling_sped_pct", "x": "workload.pu_pe_ratio"}"#, "handling_sped_pct"),
    ] {
        let file = temp_file("plots.json", &body(plot));
        let out_dir = file.with_file_name("plots-out");
        let out = poolsim(&["sweep", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--quiet"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{plot}: {stderr}");
        assert!(stderr.contains(message), "{plot}: {stderr}");
        assert!(!out_dir.exists(), "no run and no file before the plots are valid");
    }
}

/// `reproduce NAME --out DIR` leaves the committed results/NAME alone.
#[test]
fn reproduce_writes_where_it_is_told() {
    let dir = std::env::temp_dir().join(format!("poolsim-cli-reproduce-{}", std::process::id()));
    let out = poolsim(&["reproduce", "example1", "--out", dir.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let committed = concat!(env!("CARGO_MANIFEST_DIR"), "/results/example1/summary.csv");
    assert_eq!(std::fs::read(dir.join("example1/summary.csv")).unwrap(), std::fs::read(committed).unwrap());
}

/// `poolsim list` names what scenarios and sweeps can use.
#[test]
fn list_names_policies_metrics_and_keys() {
    let list = |what: &str| {
        let out = poolsim(&["list", what]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let policies = list("policies");
    assert_eq!(policies.lines().count(), 19);
    assert!(policies.contains("LeastUsed") && policies.contains("load-adaptive"));
    let metrics = list("metrics");
    assert!(metrics.contains("handling_speed_pct") && metrics.contains("[% of PE capacity]"));
    assert!(metrics.contains("lost_calculations") && metrics.contains("[calculations]"));
    let keys = list("keys");
    assert!(keys.lines().any(|l| l.starts_with("pool_elements.policy") && l.contains("\"LeastUsed\"")));
    assert!(keys.lines().any(|l| l.starts_with("registrars.update_loss_probability")));
    assert_eq!(poolsim(&["list", "colours"]).status.code(), Some(2));
}
