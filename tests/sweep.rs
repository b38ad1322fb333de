//! Sweeps: determinism across thread counts, resuming from a partial results store,
//! and clear errors for bad sweep files.

use poolsim::sweep::shard::{self, Shard};
use poolsim::sweep::{self, Mode, Options};
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sweep_file(dir: &Path, ratios: &str) -> PathBuf {
    let path = dir.join("sweep.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"set": {{"duration_s": 900, "pool_elements": {{"count": 4}}}},
                "parameters": [{{"key": "workload.pu_pe_ratio", "values": [{ratios}]}},
                               {{"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}}],
                "replications": 3,
                "plots": [{{"metric": "system_utilization", "x": "workload.pu_pe_ratio", "curves": "pool_elements.policy"}}]}}"#
        ),
    )
    .unwrap();
    path
}

fn run(file: &Path, out: &Path, jobs: usize) -> sweep::Outcome {
    run_mode(file, out, jobs, Mode::All).unwrap()
}

fn run_mode(file: &Path, out: &Path, jobs: usize, mode: Mode) -> anyhow::Result<sweep::Outcome> {
    let s = sweep::load(Some(file)).unwrap();
    sweep::execute(
        &s,
        &file.display().to_string(),
        out,
        &Options { jobs, force: false, quiet: true, no_rerun: false, command: Vec::new(), mode },
    )
}

#[test]
fn slices_run_into_one_store_and_merge_into_the_tables_of_a_local_run() {
    let dir = temp_dir("shards");
    let file = sweep_file(&dir, "1, 3, 5");
    let local = dir.join("local");
    run(&file, &local, 2);
    let cluster = dir.join("cluster");
    let n = 4;
    let mut executed = 0;
    for i in 0..n {
        let slice = run_mode(&file, &cluster, 1, Mode::Shard(Shard { index: i, count: n })).unwrap();
        assert!(slice.files.is_empty(), "a slice leaves aggregation alone");
        assert!(!cluster.join("runs.csv").exists());
        executed += slice.executed;
        if i == 1 {
            // Half done: the merge names what is missing and how to run it.
            let e = run_mode(&file, &cluster, 1, Mode::Merge).unwrap_err();
            let missing = e.downcast_ref::<sweep::MissingRuns>().expect("a MissingRuns error");
            assert_eq!(missing.total, 18);
            assert!(e.to_string().contains("--slurm --tasks N"), "{e}");
        }
    }
    assert_eq!(executed, 18, "every run in exactly one slice");
    let again = run_mode(&file, &cluster, 1, Mode::Shard(Shard { index: 2, count: n })).unwrap();
    assert_eq!(again.executed, 0, "a resubmitted slice finds its runs in the store");
    assert!(again.total > 0);
    let merged = run_mode(&file, &cluster, 2, Mode::Merge).unwrap();
    assert_eq!(merged.executed, 0);
    for name in ["runs.csv", "summary.csv", "system_utilization.svg"] {
        assert_eq!(read(local.join(name)), read(cluster.join(name)), "{name}");
    }
}

#[test]
fn slices_are_balanced_by_cost_and_stable() {
    let dir = temp_dir("balance");
    let path = dir.join("sweep.json");
    // Job sizes make runs differ in cost by 100x.
    std::fs::write(
        &path,
        r#"{"parameters": [{"key": "workload.job_size", "values": [1e5, 1e6, 1e7]},
                           {"key": "workload.pu_pe_ratio", "values": [1, 2, 3, 4, 5, 6, 7]}],
            "replications": 5}"#,
    )
    .unwrap();
    let s = sweep::load(Some(&path)).unwrap();
    for n in [1, 2, 3, 8, 200] {
        let slices = shard::assign(&s.runs, n);
        assert_eq!(slices, shard::assign(&s.runs, n), "the same sweep gives the same slices");
        assert!(slices.iter().all(|&k| k < n));
        let costs: Vec<f64> = s.runs.iter().map(|r| r.scenario.estimated_cost()).collect();
        let max_run = costs.iter().cloned().fold(0.0, f64::max);
        let mut load = vec![0.0; n];
        for (k, c) in slices.iter().zip(&costs) {
            load[*k] += c;
        }
        let (lo, hi) = (load.iter().cloned().fold(f64::MAX, f64::min), load.iter().cloned().fold(0.0, f64::max));
        if n <= s.runs.len() {
            assert!(hi - lo <= max_run * 1.000001, "{n} slices: loads {lo}..{hi}, largest run {max_run}");
        }
    }
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn one_and_two_threads_give_identical_tables() {
    let dir = temp_dir("threads");
    let file = sweep_file(&dir, "1, 3");
    let (a, b) = (dir.join("one"), dir.join("two"));
    assert_eq!(run(&file, &a, 1).executed, 12);
    assert_eq!(run(&file, &b, 2).executed, 12);
    for name in ["runs.csv", "summary.csv", "system_utilization.svg"] {
        assert_eq!(read(a.join(name)), read(b.join(name)), "{name} differs between --jobs 1 and --jobs 2");
    }
    let runs = read(a.join("runs.csv"));
    assert_eq!(runs.lines().count(), 13, "header + one row per run");
    let summary = read(a.join("summary.csv"));
    assert!(summary.starts_with("workload.pu_pe_ratio,pool_elements.policy,metric,mean,sd,n,ci95_half_width"));
}

#[test]
fn a_partial_store_is_completed_by_running_only_the_missing_runs() {
    let dir = temp_dir("resume");
    let out = dir.join("out");
    let file = sweep_file(&dir, "1, 3");
    let first = run(&file, &out, 2);
    assert_eq!((first.total, first.executed), (12, 12));
    let complete = read(out.join("runs.csv"));

    // Lose two runs (as if killed before they finished) and leave a torn temporary file.
    let store = out.join("store");
    let mut stored: Vec<PathBuf> = std::fs::read_dir(&store).unwrap().map(|e| e.unwrap().path()).collect();
    stored.sort();
    std::fs::remove_file(&stored[0]).unwrap();
    std::fs::write(&stored[1], b"{ torn").unwrap();
    // A temporary of a poolsim process on this host that no longer runs (pid 2^32 - 1
    // never does), and a file that is no poolsim temporary.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let abandoned = store.join(format!(".x.json~poolsim~{}~4294967295~0.tmp", host.trim()));
    std::fs::write(&abandoned, b"partial").unwrap();
    std::fs::write(store.join(".x.json.123.tmp"), b"someone else's").unwrap();
    let again = run(&file, &out, 2);
    assert_eq!(again.executed, 2, "only the missing and the unreadable run are rerun");
    assert_eq!(read(out.join("runs.csv")), complete, "completed tables equal the uninterrupted ones");
    assert_eq!(abandoned.exists(), host.trim().is_empty(), "an abandoned temporary is removed");
    assert!(store.join(".x.json.123.tmp").exists(), "another writer's file is kept");
    std::fs::remove_file(store.join(".x.json.123.tmp")).unwrap();

    // Extending the sweep by a new value runs only the new point.
    let file = sweep_file(&dir, "1, 3, 10");
    let extended = run(&file, &out, 2);
    assert_eq!((extended.total, extended.executed), (18, 6));
}

fn poolsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_poolsim")).args(args).output().unwrap()
}

#[test]
fn the_built_in_sweep_is_the_shipped_reproduction() {
    let built_in = sweep::load(None).unwrap();
    let shipped = sweep::load(Some(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/studies/wp1/wp1-hom-puToPERatio-jobSizeI.json"
    ))))
    .unwrap();
    assert_eq!(built_in.runs.len(), 9 * 3 * 2 * 24);
    assert_eq!(built_in.file, shipped.file);
}

#[test]
fn bad_sweep_files_exit_2_with_the_key_named() {
    let dir = temp_dir("bad");
    for (content, mentions) in [
        ("{\"parameters\": [", "malformed JSON"),
        (r#"{"parameters": [], "replicatons": 2}"#, "replicatons"),
        (r#"{"parameters": [{"key": "workload.pu_pe_ratio", "values": ["x"]}]}"#, "workload.pu_pe_ratio"),
        (r#"{"parameters": [{"key": "pool_elements.polcy", "values": ["Random"]}]}"#, "polcy"),
    ] {
        let f = dir.join("bad.json");
        std::fs::write(&f, content).unwrap();
        let out = poolsim(&["sweep", f.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content}: {stderr}");
        assert!(stderr.contains(mentions), "{content}: {stderr}");
        assert!(!dir.join("out").join("runs.csv").exists(), "nothing is written for a bad sweep");
    }
}

#[test]
fn plot_command_writes_svg_and_rejects_unknown_columns() {
    let dir = temp_dir("plot");
    let file = sweep_file(&dir, "1, 3");
    let out = dir.join("out");
    run(&file, &out, 2);
    let plot = |extra: &[&str]| {
        let mut args =
            vec!["plot", out.to_str().unwrap(), "--metric", "handling_speed_pct", "--x", "workload.pu_pe_ratio"];
        args.extend(extra);
        poolsim(&args)
    };
    // Two policies per PU:PE ratio: curves, or a filter, or a refusal that names them.
    let o = plot(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pool_elements.policy (LeastUsed, Random) also vary"));
    let o = plot(&["--filter", "pool_elements.policy=Randm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("\"Randm\" is not a value of `pool_elements.policy`"));
    let o = plot(&["--filter", "pool_elements.policy=Random"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = plot(&["--curves", "pool_elements.policy"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(read(out.join("handling_speed_pct.svg")).contains("<svg"));
    let o = plot(&["--out", dir.join("x.png").to_str().unwrap(), "--curves", "pool_elements.policy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an .svg file") && !dir.join("x.png").exists());
    let o = poolsim(&["plot", out.to_str().unwrap(), "--metric", "handling_speed_pct", "--x", "workload.job_size"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("workload.job_size"));
}

#[test]
fn per_registrar_tables_have_a_row_per_run_and_registrar() {
    let dir = temp_dir("registrars");
    let file = dir.join("sweep.json");
    std::fs::write(
        &file,
        r#"{"set": {"duration_s": 600, "pool_elements.home_registrars": [0], "registrars.takeover_suggestion": true},
            "parameters": [{"key": "registrars.count", "values": [1, 3]}],
            "replications": 2, "per_registrar": true,
            "plots": [{"metric": "owned_pes_mean", "x": "registrars.count", "curves": "registrar",
                       "table": "registrars", "file": "owned.svg"}]}"#,
    )
    .unwrap();
    let out = dir.join("out");
    run(&file, &out, 2);
    let table = read(out.join("registrars.csv"));
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("registrars.count,registrar,replication,seed,registrations,"));
    // 2 runs with 1 registrar, 2 runs with 3, grouped by point and registrar.
    let keys: Vec<String> = lines.map(|l| l.split(',').take(3).collect::<Vec<_>>().join("/")).collect();
    assert_eq!(keys, ["1/0/0", "1/0/1", "3/0/0", "3/0/1", "3/1/0", "3/1/1", "3/2/0", "3/2/1"]);
    let summary = read(out.join("registrars_summary.csv"));
    let owned: f64 = summary
        .lines()
        .filter(|l| l.starts_with("3,") && l.contains(",owned_pes_end,"))
        .map(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(owned, 10.0, "the three registrars own the 10 PEs between them");
    assert!(read(out.join("owned.svg")).contains("Registrar"));
    // A registrar plot needs the per-registrar table.
    std::fs::write(&file, read(file.clone()).replace(r#""per_registrar": true"#, r#""per_registrar": false"#)).unwrap();
    let o = poolsim(&["sweep", file.to_str().unwrap(), "--out", dir.join("bad").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plots[0].table"));
}

#[test]
fn every_shipped_study_plans() {
    let studies = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/studies"));
    let mut planned = 0;
    for study in poolsim::sweep::catalogue::studies(studies).unwrap() {
        let path = study.path;
        let s = sweep::load(Some(&path)).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        assert!(s.file.title.is_some() && s.file.question.is_some(), "{}: title and question", path.display());
        assert!(!s.runs.is_empty() && !s.file.plots.is_empty());
        planned += 1;
    }
    assert!(planned >= 58, "{planned} studies");
}

/// Every shipped study runs as a tiny version: one replication of every point, 60 s
/// measured, its tables and every plot written.
#[test]
fn every_shipped_study_runs_a_tiny_version() {
    let catalogue = poolsim::sweep::catalogue::studies(&poolsim::sweep::catalogue::default_root()).unwrap();
    let out = temp_dir("tiny");
    let mut runs = 0;
    for study in &catalogue {
        let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&study.path).unwrap()).unwrap();
        file["replications"] = 1.into();
        file["set"]["duration_s"] = 60.into();
        let s = sweep::parse(&file.to_string(), &study.name, study.path.parent().unwrap()).unwrap();
        let dir = out.join(&study.name);
        let done = sweep::execute(
            &s,
            &study.name,
            &dir,
            &Options { jobs: 2, force: false, quiet: true, no_rerun: false, command: Vec::new(), mode: Mode::All },
        )
        .unwrap_or_else(|e| panic!("{}: {e:#}", study.name));
        assert!(done.files.iter().all(|f| std::fs::metadata(f).unwrap().len() > 0), "{}", study.name);
        // runs.csv, summary.csv, timing.csv, manifest.json, the plots, per-registrar tables.
        assert_eq!(done.files.len(), 4 + s.file.plots.len() + 2 * s.file.per_registrar as usize, "{}", study.name);
        runs += done.executed;
    }
    assert_eq!(catalogue.len(), 58);
    eprintln!("{} studies, {runs} tiny runs", catalogue.len());
}

/// A precision-driven sweep: replications per point until handling speed is within ±10 %
/// (95 % interval), at most 40. Points end with different n, deterministically for any
/// thread count, resumed from the store, and the same when run as slices in rounds.
#[test]
fn precision_driven_replications_meet_their_target_deterministically() {
    let dir = temp_dir("precision");
    let file = dir.join("precision.json");
    std::fs::write(
        &file,
        r#"{"set": {"duration_s": 1800, "pool_elements.count": 4},
            "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 3]},
                           {"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}],
            "precision": {"metrics": ["handling_speed_pct"], "relative_half_width": 0.1,
                          "min_replications": 3, "max_replications": 40}}"#,
    )
    .unwrap();
    let (one, two) = (dir.join("one"), dir.join("two"));
    let a = run(&file, &one, 1);
    let b = run(&file, &two, 2);
    for t in ["runs.csv", "summary.csv"] {
        assert_eq!(std::fs::read(one.join(t)).unwrap(), std::fs::read(two.join(t)).unwrap(), "{t}");
    }
    assert_eq!((a.executed, a.unmet.clone()), (b.executed, b.unmet.clone()));
    // Per point: n, and the target met or n at the maximum.
    let summary = std::fs::read_to_string(one.join("summary.csv")).unwrap();
    assert!(summary.lines().next().unwrap().ends_with("ci95_half_width,precision_met"));
    let mut ns = Vec::new();
    for line in summary.lines().filter(|l| l.contains(",handling_speed_pct,")) {
        let cells: Vec<&str> = line.split(',').collect();
        let (mean, n, hw, met): (f64, u32, f64, bool) = (
            cells[3].parse().unwrap(),
            cells[5].parse().unwrap(),
            cells[6].parse().unwrap(),
            cells[7].parse().unwrap(),
        );
        assert_eq!(met, hw <= 0.1 * mean, "{line}");
        assert!(met || n == 40, "{line}");
        assert!(n >= 3);
        ns.push(n);
    }
    assert_eq!(ns.len(), 4);
    assert!(ns.iter().any(|&n| n != ns[0]), "points stop at different counts: {ns:?}");
    assert_eq!(a.total, ns.iter().sum::<u32>() as usize);
    assert_eq!(run(&file, &one, 2).executed, 0, "resumed from the store");
    // Slices in rounds (as Slurm array submissions), then a merge: the same tables.
    let sliced = dir.join("sliced");
    let mut rounds = 0;
    while run_mode(&file, &sliced, 1, Mode::Merge).is_err() {
        rounds += 1;
        assert!(rounds < 10, "rounds end");
        for i in 0..3 {
            run_mode(&file, &sliced, 1, Mode::Shard(Shard { index: i, count: 3 })).unwrap();
        }
    }
    assert!(rounds >= 2, "a first round, then the replications the results ask for");
    for t in ["runs.csv", "summary.csv"] {
        assert_eq!(std::fs::read(one.join(t)).unwrap(), std::fs::read(sliced.join(t)).unwrap(), "{t}");
    }
}
