//! Trace input (issue 21): the shipped SWF and FTA traces, hand-written traces whose
//! arrivals, sizes, pieces, downtimes and starts are known exactly, conservation of trace
//! jobs, malformed traces (exit 2 naming file, line and field), scripted status changes at
//! their exact times, `max_runs`, handle-update loss, unequal pieces, the mentor's
//! distance, and a trace-driven sweep independent of the thread count.

mod common;

use poolsim::engine::SimDuration;
use poolsim::model::{Metrics, Simulation};
use poolsim::scenario::{self, Scenario, TraceJob};
use poolsim::trace::{fta, swf};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-traces-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn poolsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolsim")).args(args).stdin(Stdio::null()).output().expect("poolsim runs")
}

fn load(sets: &[String]) -> Scenario {
    scenario::load(None, sets).unwrap_or_else(|e| panic!("{e}"))
}

/// An SWF job line: number, submit, run time, processors, status, user.
fn swf_line(n: u32, submit: i64, run: i64, processors: i64, status: i64, user: i64) -> String {
    format!("{n} {submit} 0 {run} {processors} -1 -1 {processors} -1 -1 {status} {user} 1 -1 -1 1 -1 -1\n")
}

/// Five jobs: submits 1000..1040, one with an unknown run time, one failed.
fn five_jobs() -> String {
    [
        "; UnixStartTime: 0\n".to_string(),
        swf_line(1, 1000, 100, 4, 1, 3),
        swf_line(2, 1010, 50, 1, 1, 5),
        swf_line(3, 1020, -1, 2, 1, 3),
        swf_line(4, 1030, 200, 2, 0, 2),
        swf_line(5, 1040, 10, 8, 1, 3),
    ]
    .concat()
}

/// An FTA event_trace line.
fn fta_line(event: u32, node: u32, available: bool, start: u64, stop: u64) -> String {
    format!("{event}\t0\t{node}\t3\t2.000\t{}\t{start}\t{stop}\t0\n", available as u8)
}

/// Node 0: up, down over [1000, 1100), up again; node 1: down until 300; node 2: not
/// started until 500, down from 700 for good.
fn three_nodes() -> String {
    [
        "event_id component_id node_id platform_id node_name event_type event_start_time event_stop_time event_end_reason\n"
            .to_string(),
        fta_line(0, 0, true, 0, 1000),
        fta_line(1, 0, false, 1000, 1100),
        fta_line(2, 0, true, 1100, 5000),
        fta_line(3, 1, false, 0, 300),
        fta_line(4, 1, true, 300, 5000),
        fta_line(5, 2, true, 500, 700),
        fta_line(6, 2, false, 700, 5000),
    ]
    .concat()
}

#[test]
fn the_shipped_traces_parse_completely() {
    let text = std::fs::read_to_string(repo("traces/hpc2n-excerpt.swf")).unwrap();
    let t = swf::parse(&text, "hpc2n").unwrap();
    // 3 171 lines after the header, the last of them blank.
    assert_eq!(t.jobs.len(), 3170);
    assert_eq!(t.jobs.iter().filter(|j| j.run_time_s.is_none()).count(), 25);
    assert_eq!(t.jobs.iter().filter(|j| j.processors.is_none() || j.submit_s.is_none()).count(), 0);
    assert_eq!(t.jobs.iter().map(|j| j.processors.unwrap()).max(), Some(128));

    let text = std::fs::read_to_string(repo("traces/fta-event-trace-excerpt.tab")).unwrap();
    let t = fta::parse(&text, "fta").unwrap();
    assert_eq!((t.nodes.len(), t.events), (200, 14728));
    let down: usize = t.nodes.iter().map(|n| n.intervals.iter().filter(|i| !i.available).count()).sum();
    assert_eq!(down, 7464);
    assert_eq!(t.first_s, 854003700.0);
    assert_eq!(t.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());
}

#[test]
fn a_hand_written_job_trace_gives_the_expected_arrivals_sizes_and_pieces() {
    let dir = temp_dir("five-jobs");
    let file = dir.join("five.swf");
    std::fs::write(&file, five_jobs()).unwrap();
    let base = [
        format!("workload.trace={}", file.display()),
        "workload.trace_time_scale=2".into(),
        "workload.trace_capacity_per_processor=1000".into(),
        "workload.trace_pieces=\"processors\"".into(),
    ];
    let s = load(&base);
    let jobs = s.workload.trace_jobs(s.pool_elements.capacity).unwrap().unwrap();
    let job = |arrival_s, size, pieces, user| TraceJob { arrival_s, size, pieces, user };
    let expected = vec![job(0.0, 4e5, 4, 3), job(20.0, 5e4, 1, 5), job(60.0, 4e5, 2, 2), job(80.0, 8e4, 8, 3)];
    assert_eq!(jobs.jobs, expected);
    assert_eq!((jobs.read, jobs.skipped, jobs.filtered), (5, 1, 0));

    // Filters: completed jobs only; a window of [5, 35) s after the first submit.
    let mut sets = base.to_vec();
    sets.push("workload.trace_statuses=[1]".into());
    let s = load(&sets);
    let only_completed = s.workload.trace_jobs(s.pool_elements.capacity).unwrap().unwrap();
    assert_eq!((only_completed.jobs.len(), only_completed.filtered), (3, 1));
    let mut sets = base.to_vec();
    sets.push("workload.trace_window_s=[5, 35]".into());
    let s = load(&sets);
    let window = s.workload.trace_jobs(s.pool_elements.capacity).unwrap().unwrap();
    let arrivals: Vec<f64> = window.jobs.iter().map(|j| j.arrival_s).collect();
    assert_eq!(arrivals, vec![10.0, 50.0]);
    assert_eq!((window.skipped, window.filtered), (1, 2));

    // The run replays them: every job arrives and completes, with its pieces.
    let mut sets = base.to_vec();
    sets.extend(["warmup_s=0".into(), "duration_s=3000".into(), "pool_users.count=4".into()]);
    let m = poolsim::model::run(&load(&sets)).metrics;
    let t = m.trace.expect("trace metrics");
    assert_eq!((t.trace_jobs_read, t.trace_jobs_skipped, t.trace_jobs_arrived, t.trace_jobs_completed), (5, 1, 4, 4));
    assert_eq!(m.jobs_completed, 4);
    assert_eq!(m.pieces_per_job, (4 + 1 + 2 + 8) as f64 / 4.0);
    // Job sizes add up: 9.3e5 calculations done and credited.
    assert!((m.goodput_calculations - 9.3e5).abs() < 1.0, "{}", m.goodput_calculations);
    common::assert_conserved("five jobs", &m);
}

#[test]
fn every_trace_job_is_completed_in_service_queued_skipped_or_not_yet_due() {
    // The real trace on 50 PEs with churn, cut short: many jobs in every state.
    let sets = [
        format!("workload.trace={}", repo("traces/hpc2n-excerpt.swf").display()),
        "workload.trace_time_scale=0.01".into(),
        "workload.trace_capacity_per_processor=10000".into(),
        "workload.trace_assignment=\"round_robin\"".into(),
        "pool_users.count=50".into(),
        "pool_elements.count=50".into(),
        format!("pool_elements.availability_trace={}", repo("traces/fta-event-trace-excerpt.tab").display()),
        "pool_elements.availability_trace_start=1080777600".into(),
        "pool_elements.availability_trace_time_scale=0.01".into(),
        "pool_elements.clean_shutdown_probability=0.5".into(),
        "warmup_s=0".into(),
        "duration_s=20000".into(),
    ];
    let m = poolsim::model::run(&load(&sets)).metrics;
    let t = m.trace.expect("trace metrics");
    assert_eq!(t.trace_jobs_read, 3170);
    assert_eq!(
        t.trace_jobs_read,
        t.trace_jobs_skipped + t.trace_jobs_filtered + t.trace_jobs_after_end + t.trace_jobs_arrived
    );
    assert_eq!(t.trace_jobs_arrived, t.trace_jobs_completed + m.jobs_in_service_end + m.pu_queue_length_end);
    assert!(t.trace_jobs_after_end > 0 && m.pu_queue_length_end > 0 && t.trace_jobs_completed > 100, "{t:?}");
    assert!(m.pe_stops > 0 && m.pe_restarts > 0, "the FTA trace stops and restarts PEs: {m:?}");
    common::assert_conserved("trace", &m);
}

/// The `up` (or another column) of PE `pe` at each sampled second of a timeline CSV.
fn column_at(csv: &str, pe: usize, column: &str) -> Vec<(u64, u8)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == pe.to_string())
        .map(|f| (f[0].parse::<f64>().unwrap() as u64, f[c].parse().unwrap()))
        .collect()
}

/// The state at `t` [s].
fn at(states: &[(u64, u8)], t: u64) -> u8 {
    states.iter().find(|(s, _)| *s == t).unwrap_or_else(|| panic!("no sample at {t}")).1
}

#[test]
fn pool_elements_follow_a_hand_written_availability_trace() {
    let dir = temp_dir("three-nodes");
    let file = dir.join("nodes.tab");
    std::fs::write(&file, three_nodes()).unwrap();
    let s = load(&[
        format!("pool_elements.availability_trace={}", file.display()),
        "pool_elements.count=3".into(),
        "pool_elements.start_s=100".into(),
        "warmup_s=0".into(),
        "duration_s=2000".into(),
    ]);
    let (out, timeline) = poolsim::report::timeline::record(&s, SimDuration::from_secs(1));
    let csv = String::from_utf8(timeline.pool_elements_csv()).unwrap();
    let (pe0, pe1, pe2) = (column_at(&csv, 0, "up"), column_at(&csv, 1, "up"), column_at(&csv, 2, "up"));
    // PE 0: up at its start time, down over [1000, 1100), restarted at 1100.
    assert_eq!(
        [at(&pe0, 99), at(&pe0, 101), at(&pe0, 999), at(&pe0, 1001), at(&pe0, 1099), at(&pe0, 1101)],
        [0, 1, 1, 0, 0, 1]
    );
    // PE 1 starts down and comes up at 300; PE 2 has not started before 500, is down from 700.
    assert_eq!([at(&pe1, 299), at(&pe1, 301), at(&pe1, 1999)], [0, 1, 1]);
    assert_eq!([at(&pe2, 499), at(&pe2, 501), at(&pe2, 699), at(&pe2, 701), at(&pe2, 1999)], [0, 1, 1, 0, 0]);
    let m = &out.metrics;
    assert_eq!((m.pe_stops, m.pe_restarts), (2, 1));
}

#[test]
fn status_changes_happen_at_exactly_the_given_times() {
    let changes = r#"pool_elements.overrides=[{"index": 0, "status_changes": [
        {"at_s": 1800.5, "event": "stop"}, {"at_s": 2400.5, "event": "start"},
        {"at_s": 3000.5, "event": "interface_down"}, {"at_s": 3060.5, "event": "interface_up"},
        {"at_s": 3500.5, "event": "silent_stop"}], "max_runs": 2}]"#;
    let s = load(&[changes.replace('\n', " "), "warmup_s=0".into(), "duration_s=4000".into()]);
    let (out, timeline) = poolsim::report::timeline::record(&s, SimDuration::from_secs(1));
    let csv = String::from_utf8(timeline.pool_elements_csv()).unwrap();
    let up = column_at(&csv, 0, "up");
    let interface = column_at(&csv, 0, "interface_up");
    assert_eq!(
        [at(&up, 1800), at(&up, 1801), at(&up, 2400), at(&up, 2401), at(&up, 3500), at(&up, 3501)],
        [1, 0, 0, 1, 1, 0]
    );
    assert_eq!([at(&interface, 3000), at(&interface, 3001), at(&interface, 3060), at(&interface, 3061)], [1, 0, 0, 1]);
    // The other PEs are untouched; stop follows clean_shutdown_probability (1), silent_stop is
    // silent, and max_runs keeps the PE down once the list is used up (else the downtime applies).
    assert_eq!(column_at(&csv, 1, "up").iter().filter(|(t, _)| *t > 400).map(|s| s.1).min(), Some(1));
    assert_eq!((out.metrics.pe_stops, out.metrics.pe_clean_stops, out.metrics.pe_restarts), (2, 1, 1));

    // A first `start` replaces start_s: the PE is down until then.
    let s = load(&[
        r#"pool_elements.overrides=[{"index": 2, "status_changes": [{"at_s": 1000.5, "event": "start"}]}]"#.into(),
        "warmup_s=0".into(),
        "duration_s=1500".into(),
    ]);
    let (_, timeline) = poolsim::report::timeline::record(&s, SimDuration::from_secs(1));
    let csv = String::from_utf8(timeline.pool_elements_csv()).unwrap();
    let up = column_at(&csv, 2, "up");
    assert_eq!([at(&up, 400), at(&up, 1000), at(&up, 1001)], [0, 0, 1]);

    // Registrars too: registrar 0 of 2 stops at 1000.5 and restarts at 1200.5.
    let s = load(&[
        "registrars.count=2".into(),
        r#"registrars.overrides=[{"index": 0, "status_changes": [{"at_s": 1000.5, "event": "stop"}, {"at_s": 1200.5, "event": "start"}]}]"#.into(),
        "warmup_s=0".into(),
        "duration_s=1500".into(),
    ]);
    let (out, timeline) = poolsim::report::timeline::record(&s, SimDuration::from_secs(1));
    let csv = String::from_utf8(timeline.registrars_csv()).unwrap();
    let up = column_at(&csv, 0, "up");
    assert_eq!([at(&up, 1000), at(&up, 1001), at(&up, 1200), at(&up, 1201)], [1, 0, 0, 1]);
    assert_eq!(out.metrics.registrar_stops, 1);
}

#[test]
fn status_change_lists_out_of_order_are_refused() {
    let bad = [
        (r#"[{"at_s": 10, "event": "start"}, {"at_s": 20, "event": "start"}]"#, "status_changes[1].event"),
        (r#"[{"at_s": 30, "event": "stop"}, {"at_s": 20, "event": "start"}]"#, "status_changes[1].at_s"),
        (r#"[{"at_s": 30, "event": "interface_up"}]"#, "status_changes[0].event"),
        (r#"[{"at_s": 30, "event": "reboot"}]"#, "status_changes[0].event"),
    ];
    for (list, key) in bad {
        let e = scenario::load(None, &[format!("pool_elements.status_changes={list}")]).unwrap_err().to_string();
        assert!(e.contains(&format!("pool_elements.{key}")), "{list}: {e}");
    }
    let pu = scenario::load(None, &[r#"pool_users.status_changes=[{"at_s": 30, "event": "stop"}]"#.into()]);
    assert!(pu.unwrap_err().to_string().contains("pool users have no life cycle"));
}

#[test]
fn max_runs_ends_the_life_cycle() {
    let base = ["pool_elements.uptime=100", "pool_elements.downtime=10", "warmup_s=0", "duration_s=3000"];
    let run = |extra: &str| {
        let mut sets: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        sets.push(extra.to_string());
        poolsim::model::run(&load(&sets))
    };
    let unlimited = run("seed=1");
    let two = run("pool_elements.max_runs=2");
    assert!(unlimited.metrics.pe_stops > 10 * 20, "{}", unlimited.metrics.pe_stops);
    assert_eq!((two.metrics.pe_stops, two.metrics.pe_restarts), (20, 10));
    assert!(two.pool_elements.iter().all(|pe| !pe.up_at_end));
    let none = run("pool_elements.max_runs=0");
    assert_eq!(none.metrics.jobs_completed, 0);
    assert!(none.pool_elements.iter().all(|pe| pe.stops == 0 && !pe.up_at_end));
}

#[test]
fn handle_updates_are_lost_with_the_configured_probability() {
    let updates = |p: &str| {
        let s = load(&["registrars.count=3".into(), format!("registrars.update_loss_probability={p}")]);
        poolsim::model::run(&s).metrics.handle_updates
    };
    let (all, half, none) = (updates("0"), updates("0.5"), updates("1"));
    assert_eq!(none, 0);
    assert!(all > 1000, "{all}");
    let share = half as f64 / all as f64;
    assert!((0.4..0.6).contains(&share), "{half} of {all}");
}

#[test]
fn uniform_piece_sizes_add_up_to_the_job_and_make_stragglers() {
    let run = |sizes: &str| {
        let s = load(&[
            "workload.pieces=4".into(),
            format!("workload.piece_sizes=\"{sizes}\""),
            "workload.target_utilization=0.4".into(),
            "warmup_s=0".into(),
        ]);
        poolsim::model::run(&s).metrics
    };
    let (equal, uniform) = (run("equal"), run("uniform"));
    common::assert_conserved("uniform pieces", &uniform);
    assert!(
        uniform.straggler_ratio_mean > equal.straggler_ratio_mean + 0.2,
        "uniform {} vs equal {}",
        uniform.straggler_ratio_mean,
        equal.straggler_ratio_mean
    );
}

#[test]
fn a_registrar_that_imports_its_mentors_table_adds_the_peer_distance() {
    // Two registrars 10 ms apart, no PUs (no load updates); registrar 1 restarts at
    // 1000.5 s and imports registrar 0's PEs, which registered 10 ms away from it.
    let s = load(&[
        "registrars.count=2".into(),
        "pool_users.count=0".into(),
        "network.lan_delay_ms=10".into(),
        r#"pool_elements.home_registrars=[0]"#.into(),
        r#"registrars.overrides=[{"index": 1, "status_changes": [{"at_s": 1000.5, "event": "stop"}, {"at_s": 1010.5, "event": "start"}]}]"#.into(),
        "warmup_s=0".into(),
        "duration_s=1100".into(),
    ]);
    let mut distances = Vec::new();
    Simulation::new(&s).run_sampled(SimDuration::from_secs(1), |now, sim| {
        if now.as_secs_f64() == 1012.0 {
            let (home, peer) = (&sim.registrars()[0], &sim.registrars()[1]);
            for pe in sim.pool_elements() {
                distances.push((home.distance_to(pe.id), peer.distance_to(pe.id)));
            }
        }
    });
    assert_eq!(distances.len(), 10);
    // PE -> home 10 ms, + 10 ms home -> peer: as handle updates measure it.
    assert!(distances.iter().all(|&d| d == (Some(10), Some(20))), "{distances:?}");
}

/// Exit 2 and a message that names the file, the line and the field.
#[track_caller]
fn assert_trace_error(key: &str, name: &str, text: &str, mentions: &[&str]) {
    let dir = temp_dir(name);
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.join("out");
    let set = format!("{key}={}", file.display());
    let out = poolsim(&["run", "--set", &set, "--timeline", out_dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{name}: names the file: {stderr}");
    for m in mentions {
        assert!(stderr.contains(m), "{name}: should mention {m}: {stderr}");
    }
    assert!(!out_dir.exists(), "{name}: nothing written");
}

#[test]
fn malformed_traces_exit_2_naming_file_line_and_field() {
    let job = swf_line(1, 0, 10, 1, 1, 1);
    assert_trace_error(
        "workload.trace",
        "truncated.swf",
        &format!("{job}1 2 3 4\n"),
        &[":2:", "truncated", "18 fields"],
    );
    assert_trace_error(
        "workload.trace",
        "word.swf",
        &format!("{job}{}", job.replacen("10", "ten", 1)),
        &[":2:", "field 4 (run time)", "`ten`"],
    );
    assert_trace_error(
        "workload.trace",
        "negative.swf",
        &job.replacen(" 0 ", " -7 ", 1),
        &[":1:", "field 2 (submit time)", "negative"],
    );
    assert_trace_error("workload.trace", "empty.swf", "", &["no job lines"]);
    let first = fta_line(0, 1, true, 10, 20);
    let key = "pool_elements.availability_trace";
    assert_trace_error(
        key,
        "overlap.tab",
        &format!("{first}{}", fta_line(1, 1, false, 15, 30)),
        &[":2:", "field 7 (event_start_time)", "overlaps"],
    );
    assert_trace_error(
        key,
        "unsorted.tab",
        &format!("{first}{}", fta_line(1, 1, false, 5, 8)),
        &[":2:", "in time order"],
    );
    assert_trace_error(
        key,
        "kind.tab",
        &first.replace("\t1\t10\t", "\t7\t10\t"),
        &[":1:", "field 6 (event_type)", "unknown"],
    );
    assert_trace_error(
        key,
        "negative.tab",
        &first.replace("\t10\t20", "\t-10\t20"),
        &[":1:", "field 7 (event_start_time)", "negative"],
    );
    assert_trace_error(key, "short.tab", "0\t0\t1\n", &[":1:", "truncated"]);
    assert_trace_error(key, "empty.tab", "event_id\n", &["no events"]);
    // More PEs than nodes: both counts named.
    let dir = temp_dir("few-nodes");
    let file = dir.join("nodes.tab");
    std::fs::write(&file, three_nodes()).unwrap();
    let out = poolsim(&["run", "--set", &format!("{key}={}", file.display())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("has 3 nodes for 10 components"), "{stderr}");
}

#[test]
fn trace_paths_are_relative_to_the_scenario_file() {
    let dir = temp_dir("relative");
    std::fs::create_dir_all(dir.join("traces")).unwrap();
    std::fs::write(dir.join("traces/five.swf"), five_jobs()).unwrap();
    std::fs::write(dir.join("s.json"), r#"{"workload": {"trace": "traces/five.swf"}, "duration_s": 600}"#).unwrap();
    let out = poolsim(&["run", dir.join("s.json").to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["metrics"]["trace_jobs_read"], 5);
}

#[test]
fn a_trace_driven_sweep_is_identical_with_one_and_two_threads() {
    let dir = temp_dir("sweep");
    std::fs::write(dir.join("five.swf"), five_jobs()).unwrap();
    std::fs::write(dir.join("nodes.tab"), three_nodes()).unwrap();
    let sweep = r#"{
        "set": {"workload.trace": "five.swf", "workload.trace_pieces": "processors", "workload.trace_time_scale": 5,
                "workload.trace_capacity_per_processor": 20000, "pool_elements.count": 3,
                "pool_elements.availability_trace": "nodes.tab", "pool_elements.clean_shutdown_probability": 0.5,
                "warmup_s": 0, "duration_s": 2500},
        "parameters": [{"key": "pool_elements.policy", "values": ["Random", "LeastUsed"]}],
        "replications": 3,
        "plots": [{"metric": "trace_jobs_completed", "x": "pool_elements.policy", "file": "completed.svg"}]
    }"#;
    std::fs::write(dir.join("sweep.json"), sweep).unwrap();
    let mut outputs = Vec::new();
    for jobs in ["1", "2"] {
        let out_dir = dir.join(format!("out{jobs}"));
        let sweep_file = dir.join("sweep.json");
        let args =
            ["sweep", sweep_file.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--jobs", jobs, "--quiet"];
        let out = poolsim(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let files = ["runs.csv", "summary.csv", "completed.svg"].map(|f| std::fs::read(out_dir.join(f)).unwrap());
        outputs.push(files);
    }
    assert_eq!(outputs[0], outputs[1]);
    let summary = String::from_utf8(outputs[0][1].clone()).unwrap();
    assert!(summary.contains("trace_jobs_completed"), "trace columns in the tables");
    assert!(Metrics::names_with_trace().len() > Metrics::names().len());
}

/// The timeline picture: PEs not yet started are grey, not "down"; rows are grouped by
/// LAN; a panel that stays at 0 (no failovers) is left out.
#[test]
fn the_timeline_picture_tells_not_started_from_down_and_groups_lans() {
    let s = load(&["network.lans=2".into(), "warmup_s=0".into(), "duration_s=600".into()]);
    let (_, timeline) = poolsim::report::timeline::record(&s, SimDuration::from_secs(10));
    let svg = timeline.svg();
    assert!(svg.contains("LAN 1 PE") && svg.contains("LAN 0 PR"), "rows labelled by LAN");
    assert!(svg.contains("not started yet (grey)") && svg.contains("#D0D0D0"), "grey before the PEs start at 300 s");
    assert!(!svg.contains("Failovers per"), "no failovers, no failover panel");
    let black_before_start = timeline.pool_elements[0].iter().all(|p| !p.up);
    assert!(black_before_start, "the first sample (time 0) precedes every start");
}
