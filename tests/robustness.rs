//! The reproducers of a hostile user's session (issue 25), one test per class: each exits
//! 2 with a message that names the key (and writes nothing), or runs correctly. Numbers in
//! the test names follow the issue's items.

mod common;

use poolsim::model::Metrics;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn poolsim(args: &[&str]) -> Output {
    poolsim_env(args, &[])
}

fn poolsim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_poolsim"));
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("poolsim runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-robustness-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit code 2 within a few seconds, one message naming every `mention`, no panic.
#[track_caller]
fn assert_bad_input(args: &[&str], mention: &[&str]) -> String {
    let started = Instant::now();
    let out = poolsim(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "{args:?} took {:?}", started.elapsed());
    assert!(!stderr.contains("panicked"), "{stderr}");
    for m in mention {
        assert!(stderr.contains(m), "{args:?} should mention {m}: {stderr}");
    }
    stderr
}

/// Metrics of the default scenario with `--set` arguments, from time 0 (no warm-up, so
/// that the window holds every job and calculation).
fn run_metrics(args: &[&str]) -> Metrics {
    let mut sets: Vec<String> = args.iter().filter(|a| **a != "--set").map(|a| a.to_string()).collect();
    sets.push("warmup_s=0".into());
    let s = poolsim::scenario::load(None, &sets).unwrap();
    poolsim::model::run(&s).metrics
}

#[test]
fn item1_settings_that_cannot_progress_are_refused() {
    let cookie = "pool_elements.cookie_max_calculations";
    assert_bad_input(&["run", "--set", "warmup_s=0", "--set", &format!("{cookie}=0.5")], &[cookie, "at least 1"]);
    // The largest capacity any distribution can draw counts, not the nominal one.
    let list = format!(r#"pool_elements.capacity_distribution={{"type":"list","capacities":{:?}}}"#, [1e10; 10]);
    let args = ["run", "--set", &list, "--set", &format!("{cookie}=1"), "--set", "workload.job_size=1e5"];
    assert_bad_input(&args, &["pool_elements.capacity_distribution", "1e10", "one per nanosecond"]);
    let normal = r#"pool_elements.capacity_distribution={"type":"truncnormal","gamma":1e3}"#;
    assert_bad_input(&["run", "--set", normal], &["pool_elements.capacity_distribution", "1.4e10"]);
    // A time cookie every nanosecond: no job ever does a whole calculation in between.
    assert_bad_input(&["run", "--set", "pool_elements.cookie_max_time_s=1e-9"], &["pool_elements.cookie_max_time_s"]);
    assert_bad_input(
        &["run", "--set", r#"pool_elements.overrides=[{"index": 1, "cookie_max_time_s": 1e-6}]"#],
        &["pool_elements.overrides[0].cookie_max_time_s"],
    );
    // On the bound a job advances one calculation per cookie, and the run ends.
    let m = run_metrics(&[
        "--set",
        "duration_s=1200",
        "--set",
        "pool_elements.count=2",
        "--set",
        "workload.pu_pe_ratio=1",
        "--set",
        "workload.target_utilization=0.001",
        "--set",
        "workload.job_size=2000",
        "--set",
        &format!("{cookie}=1"),
    ]);
    assert!(m.jobs_completed > 100, "{}", m.jobs_completed);
    common::assert_conserved("cookie per calculation", &m);
}

#[test]
fn item2_work_below_the_time_resolution_is_refused_and_at_the_bound_metrics_hold() {
    assert_bad_input(
        &["run", "--set", "warmup_s=0", "--set", "pool_elements.min_capacity_per_job=1e300"],
        &["pool_elements.min_capacity_per_job", "1e300"],
    );
    assert_bad_input(
        &["run", "--set", "pool_elements.capacity=1e17", "--set", "workload.job_interval=1"],
        &["pool_elements.capacity", "1e9"],
    );
    assert_bad_input(
        &[
            "run",
            "--set",
            "workload.pieces=1000",
            "--set",
            "pool_elements.capacity=1e9",
            "--set",
            "workload.job_size=1e5",
        ],
        &["1e-6 s"],
    );
    // A mean job of exactly 1 µs at one calculation per nanosecond: utilization stays at
    // most 1, handling speed at 100 % but for the nanosecond rounding of 1 µs, and every
    // calculation is accounted for.
    let m = run_metrics(&[
        "--set",
        "duration_s=1200",
        "--set",
        "pool_elements.capacity=1e9",
        "--set",
        "workload.job_size=1e3",
        "--set",
        "workload.job_interval=1",
        "--set",
        "workload.pu_pe_ratio=1",
    ]);
    assert!(m.jobs_completed > 5000, "{}", m.jobs_completed);
    assert!(m.system_utilization <= 1.0, "{}", m.system_utilization);
    assert!((m.handling_speed_pct - 100.0).abs() < 0.05, "{}", m.handling_speed_pct);
    common::assert_conserved("1 µs jobs", &m);
}

/// A sweep file in its own folder; returns (file, output folder).
fn sweep_file(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let file = dir.join("sweep.json");
    std::fs::write(&file, text).unwrap();
    (file, dir.join("out"))
}

/// The sweep is refused before any run: exit 2, no output folder.
#[track_caller]
fn assert_sweep_refused(name: &str, text: &str, mention: &[&str]) {
    let (file, out) = sweep_file(name, text);
    assert_bad_input(&["sweep", path(&file), "--out", path(&out), "--quiet"], mention);
    assert!(!out.exists(), "{name}: nothing written");
}

#[test]
fn item3_repeated_points_are_refused() {
    let base = r#""set": {"duration_s": 60}, "replications": 3"#;
    assert_sweep_refused(
        "same-value",
        &format!(r#"{{{base}, "parameters": [{{"key": "pool_elements.policy", "values": ["Random", "Random"]}}]}}"#),
        &["parameters[0].values[1]", "Random"],
    );
    assert_sweep_refused(
        "same-number",
        &format!(r#"{{{base}, "parameters": [{{"key": "workload.pu_pe_ratio", "values": [1, 3, 1.0]}}]}}"#),
        &["parameters[0].values[2]"],
    );
    let labelled = |mean: u32| {
        format!(r#"{{"label": 5, "set": {{"pool_elements.uptime": {{"type": "exponential", "mean_s": {mean}}}}}}}"#)
    };
    assert_sweep_refused(
        "same-label",
        &format!(r#"{{{base}, "parameters": [{{"name": "mtbf", "values": [{}, {}]}}]}}"#, labelled(20), labelled(5000)),
        &["parameters[0].values[1]", "label 5"],
    );
}

#[test]
fn item4_inputs_that_panicked_are_refused() {
    assert_bad_input(
        &["run", "--set", r#"pool_elements.capacity_distribution={"type":"truncnormal","gamma":1e303}"#],
        &["pool_elements.capacity_distribution", "at most 1e9"],
    );
    let dir = temp_dir("plot-columns");
    for table in ["a,b\n1,2\n", "x,metric\n1,handling_speed_pct\n", ""] {
        std::fs::write(dir.join("summary.csv"), table).unwrap();
        assert_bad_input(&["plot", path(&dir), "--metric", "handling_speed_pct", "--x", "x"], &["summary.csv"]);
    }
    let (file, out) = sweep_file(
        "slurm-count",
        r#"{"set": {"duration_s": 60}, "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2]}]}"#,
    );
    for count in ["18446744073709551615", "100000000000"] {
        let env = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", count)];
        let o = poolsim_env(&["sweep", path(&file), "--out", path(&out), "--quiet"], &env);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("SLURM_ARRAY_TASK_COUNT"));
    }
    assert_bad_input(&["sweep", path(&file), "--out", path(&out), "--slurm", "--tasks", "10000000"], &["--tasks"]);
    assert_bad_input(&["bench", "scale", "--duration-s", "1e300"], &["--duration-s"]);
    assert_bad_input(&["bench", "scale", "--max-pes", "0"], &["--max-pes"]);
    assert_bad_input(&["bench", "event-list", "--duration-s", "NaN"], &["--duration-s"]);
    assert_bad_input(&["bench", "handlespace", "--max-size", "1000000000000"], &["--max-size"]);
    assert_sweep_refused(
        "replications",
        r#"{"replications": 100000000, "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2]}]}"#,
        &["replications", "1000000"],
    );
    assert_bad_input(&["sweep", path(&file), "--out", path(&out), "--jobs", "18446744073709551615"], &["--jobs"]);
    assert!(!out.exists());
}

#[test]
fn item5_axes_no_plot_can_draw_are_refused_without_hanging() {
    assert_sweep_refused(
        "huge-x",
        r#"{"set": {"duration_s": 60},
            "parameters": [{"key": "pool_elements.cookie_max_calculations", "values": [1e7, 1.7e308]}],
            "plots": [{"metric": "handling_speed_pct", "x": "pool_elements.cookie_max_calculations"}]}"#,
        &["plots[0].x", "x_log"],
    );
    let dir = temp_dir("plot-ranges");
    let header = "x,metric,mean,sd,n,ci95_half_width\n";
    for rows in [
        "1,handling_speed_pct,5,1,3,1\n1.7e308,handling_speed_pct,6,1,3,1\n",
        "1,handling_speed_pct,5,1,3,1\ninf,handling_speed_pct,6,1,3,1\n",
        "1,handling_speed_pct,1e308,1,3,1\n2,handling_speed_pct,-1e308,1,3,1\n",
    ] {
        std::fs::write(dir.join("summary.csv"), format!("{header}{rows}")).unwrap();
        assert_bad_input(&["plot", path(&dir), "--metric", "handling_speed_pct", "--x", "x"], &["plot", "allowed"]);
    }
    // Huge but positive x values fit a log axis.
    std::fs::write(
        dir.join("summary.csv"),
        format!("{header}1,handling_speed_pct,5,1,3,1\n1.7e308,handling_speed_pct,6,1,3,1\n"),
    )
    .unwrap();
    let o = poolsim(&["plot", path(&dir), "--metric", "handling_speed_pct", "--x", "x", "--x-log"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn item6_timelines_that_cannot_fit_are_refused_before_running() {
    let timeline = temp_dir("timeline").join("t");
    for (interval, mention) in [("1e-12", "1e-9"), ("1e-6", "samples"), ("0", "1e-9")] {
        let args = ["run", "--set", "duration_s=700", "--timeline", path(&timeline), "--timeline-interval-s", interval];
        assert_bad_input(&args, &["--timeline-interval-s", mention]);
        assert!(!timeline.exists(), "nothing written");
    }
}

/// A small sweep of `runs` runs that takes a few seconds.
fn small_sweep(name: &str, runs: usize) -> (PathBuf, PathBuf) {
    sweep_file(
        name,
        &format!(
            r#"{{"set": {{"duration_s": 600, "workload.job_size": 1e6}},
                "parameters": [{{"key": "workload.pu_pe_ratio", "values": [1, 2, 3, 4]}}],
                "replications": {},
                "plots": [{{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio"}}]}}"#,
            runs / 4
        ),
    )
}

fn stored_runs(out: &Path) -> usize {
    std::fs::read_dir(out.join("store"))
        .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".json")).count())
}

#[test]
fn item7_temporary_files_of_others_are_never_deleted() {
    let (file, out) = small_sweep("temporaries", 48);
    std::fs::create_dir_all(out.join("store")).unwrap();
    // A user's own file, and a poolsim temporary of a process that runs (this test's).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let live = format!(".x.json~poolsim~{}~{}~0.tmp", host.trim(), std::process::id());
    let dead = format!(".y.json~poolsim~{}~4294967295~0.tmp", host.trim());
    for f in [out.join("draft.tmp"), out.join("store").join(&live), out.join("store").join(&dead)] {
        std::fs::write(f, "mine").unwrap();
    }
    // A sweep races with merges of the same folder (each opens the store and cleans up).
    let mut sweep = Command::new(env!("CARGO_BIN_EXE_poolsim"))
        .args(["sweep", path(&file), "--out", path(&out), "--quiet", "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut merges = 0;
    while sweep.try_wait().unwrap().is_none() {
        let o = poolsim(&["sweep", path(&file), "--out", path(&out), "--merge", "--quiet"]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
        merges += 1;
    }
    let status = sweep.wait_with_output().unwrap();
    assert!(
        status.status.success(),
        "the sweep failed beside {merges} merges: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(stored_runs(&out), 48, "every run stored");
    assert!(merges > 0);
    assert_eq!(std::fs::read_to_string(out.join("draft.tmp")).unwrap(), "mine");
    assert!(out.join("store").join(&live).exists(), "a running process's temporary is kept");
    if !host.trim().is_empty() {
        assert!(!out.join("store").join(&dead).exists(), "a dead poolsim's temporary is removed");
    }
}

#[test]
fn item8_plot_files_stay_inside_the_output_folder_and_apart_from_the_tables() {
    let sweep = |file: &str| {
        format!(
            r#"{{"set": {{"duration_s": 60}}, "parameters": [{{"key": "workload.pu_pe_ratio", "values": [1, 2]}}],
                "plots": [{{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "file": "{file}"}}]}}"#
        )
    };
    for (name, file) in [("runs", "runs.csv"), ("escape", "../escaped.svg"), ("hidden", ".x.svg"), ("png", "x.png")] {
        assert_sweep_refused(name, &sweep(file), &["plots[0].file"]);
    }
    let two = r#"{"set": {"duration_s": 60}, "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2]}],
        "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio"},
                  {"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "filter": {"workload.pu_pe_ratio": 1}}]}"#;
    assert_sweep_refused("twice", two, &["plots[1].file", "plots[0]"]);
}

#[test]
fn item9_a_merge_names_the_missing_points_and_slices() {
    let (file, out) = small_sweep("merge", 8);
    let o = poolsim(&["sweep", path(&file), "--out", path(&out), "--shard", "1/3", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = poolsim(&["sweep", path(&file), "--out", path(&out), "--merge", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(text.contains("workload.pu_pe_ratio=") && text.contains("replication(s)"), "{text}");
    assert!(text.contains("of 3 (never started: "), "{text}");
    assert!(!text.contains("in slices 1,") && !text.contains("in slices 1 "), "slice 1 ran: {text}");
}

#[test]
fn item10_nonsense_is_refused() {
    assert_bad_input(&["run", "--set", "workload=[1,2]"], &["`workload`", "list"]);
    let dir = temp_dir("nonsense");
    let list = dir.join("list.json");
    std::fs::write(&list, "[5, 0, 1200]").unwrap();
    assert_bad_input(&["run", path(&list)], &["top level", "list"]);
    let twice = dir.join("twice.json");
    std::fs::write(&twice, r#"{"workload": {"pu_pe_ratio": 3}, "seed": 2, "workload": {"job_size": 1e6}}"#).unwrap();
    assert_bad_input(&["run", path(&twice)], &["twice.json", "`workload` is given twice", "line 1"]);
    assert_bad_input(
        &["run", "--set", r#"workload={"pieces": 2, "pieces": 3}"#],
        &["`workload`", "`pieces` is given twice"],
    );
    assert_sweep_refused(
        "sweep-twice",
        r#"{"parameters": [{"key": "workload.pu_pe_ratio", "values": [1]}], "replications": 2, "replications": 3}"#,
        &["`replications` is given twice"],
    );
    assert_sweep_refused("sweep-list", r#"[{"set": {}}, []]"#, &["list"]);
    assert_bad_input(
        &[
            "scenario",
            "show",
            "--set",
            "workload.job_size=auto",
            "--set",
            "workload.job_interval=1e9",
            "--set",
            "pool_elements.capacity=1e200",
        ],
        &["workload.job_size", "1e14"],
    );
    assert_bad_input(&["run", "--set", "workload.target_utilization=1e300"], &["workload.target_utilization", "1e300"]);
    assert_bad_input(&["run", "--set", "workload.job_interval=1e300"], &["workload.job_interval", "1e9"]);
    let points = r#""parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2]}]"#;
    assert_sweep_refused("seed", &format!(r#"{{"set": {{"seed": 5}}, {points}}}"#), &["set.seed", "first_seed"]);
    assert_sweep_refused(
        "first-seed",
        &format!(r#"{{"first_seed": 18446744073709551615, "replications": 2, {points}}}"#),
        &["first_seed"],
    );
    for name in ["metric", "workload.pu_pe_ratio", "handling_speed_pct"] {
        assert_sweep_refused(
            "derived",
            &format!(r#"{{{points}, "derived": [{{"name": "{name}", "expr": "workload.job_size"}}]}}"#),
            &["derived[0].name", name],
        );
    }
}

#[test]
fn item11_heavy_runs_are_announced_before_they_start() {
    for set in ["workload.job_size=1.5", "warmup_s=1e9"] {
        let o = poolsim(&["scenario", "validate", "--set", set]);
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stderr);
        assert!(text.contains("warning") && text.contains("events"), "{set}: {text}");
    }
    let o = poolsim(&["scenario", "validate"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("valid"));
}
