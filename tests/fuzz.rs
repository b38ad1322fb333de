//! The fuzzer: mutated inputs against the real binary. A mutation corpus seeded from the
//! shipped files (every scenario of `scenarios/`, every study sweep, a committed
//! summary.csv) is changed key by key (any key set to edge values: 0, -1, 0.5, 1e-9,
//! 1e300, 1.7e308, u64::MAX, strings, lists, objects), and text by text (bytes cut,
//! inserted, replaced). The properties:
//! - every `poolsim run`, `plot` and `sweep` exits 0 or 2 within a time budget per case:
//!   never a panic (an abort: exit 134), a timeout or another code;
//! - exit 2 prints one message that names a key or the file;
//! - exit 0 of a run: the conservation identities hold (every job completed, in service
//!   or queued; every calculation credited, lost or unsaved) and utilization <= 1.
//!
//! Cases per property: `POOLSIM_FUZZ_CASES` (default: a few hundred, for CI), from a
//! fixed seed unless `POOLSIM_FUZZ_SEED` names another; `scripts/fuzz.sh` runs thousands.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Value, json};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock budget of one case: a valid run is kept below about 0.5 s of simulation by
/// the pre-check, so this is only reached by a hang.
const BUDGET: Duration = Duration::from_secs(60);

/// Estimated cost (about one unit per event) above which a valid case is shortened to a
/// minute of simulated time, and beyond which it is not run.
const MAX_COST: f64 = 3e6;

fn cases(default: u32) -> u32 {
    std::env::var("POOLSIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(default_cases: u32) -> TestRunner {
    let seed = std::env::var("POOLSIM_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(2026);
    TestRunner::new(Config {
        cases: cases(default_cases),
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    })
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// JSON files below `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(json_files(&p));
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The scenario corpus: every shipped scenario file (not the studies).
fn scenario_corpus() -> Vec<String> {
    let files: Vec<PathBuf> = json_files(&root().join("scenarios"))
        .into_iter()
        .filter(|p| !p.starts_with(root().join("scenarios/studies")))
        .collect();
    files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

/// Values at the edges of what keys take.
fn edge_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(0.5)),
        Just(json!(1)),
        Just(json!(1.5)),
        Just(json!(3)),
        Just(json!(1e-9)),
        Just(json!(1e-12)),
        Just(json!(1e300)),
        Just(json!(1.7e308)),
        Just(json!(u64::MAX)),
        Just(json!(4294967296u64)),
        Just(json!(1e9)),
        (0.0f64..1e7).prop_map(|x| json!(x)),
        (0u32..50).prop_map(|x| json!(x)),
        Just(json!("auto")),
        Just(json!("never")),
        Just(json!("Random")),
        Just(json!([1, 2])),
        Just(json!({})),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!({"type": "exponential", "mean_s": 50})),
        Just(json!({"type": "truncnormal", "gamma": 1e303})),
        Just(json!({"type": "list", "capacities": [1e10, 1, 5e5]})),
        Just(json!([{"index": 0, "uptime": 1e-3}])),
    ]
}

/// Every path to a value in `v` (objects and list items), as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

/// Every key path of the default scenario, so that keys a file does not set get mutated too.
fn default_pointers() -> Vec<String> {
    let mut out = Vec::new();
    pointers(&serde_json::to_value(poolsim::scenario::Scenario::default()).unwrap(), String::new(), &mut out);
    out
}

/// Keys of a sweep file that mutations set whether or not the file has them.
const SWEEP_POINTERS: &[&str] = &[
    "/set/duration_s",
    "/set/seed",
    "/set/pool_elements.capacity",
    "/set/workload.job_size",
    "/replications",
    "/first_seed",
    "/seeds",
    "/per_registrar",
    "/parameters/0/values",
    "/parameters/0/values/0",
    "/parameters/1",
    "/derived",
    "/derived/0/name",
    "/plots/0/x",
    "/plots/0/file",
    "/plots/0/metric",
    "/plots/0/filter",
    "/plots/0/x_log",
];

fn sweep_pointers() -> Vec<String> {
    SWEEP_POINTERS.iter().map(|p| p.to_string()).collect()
}

/// One mutation: set the value at a pointer (picked by index), remove it, or damage the
/// text.
#[derive(Clone, Debug)]
enum Mutation {
    Set(prop::sample::Index, Value),
    SetDefaultKey(prop::sample::Index, Value),
    /// Multiply a number by a factor (plausible values, so that many cases run).
    Scale(prop::sample::Index, f64),
    Remove(prop::sample::Index),
    Text(prop::sample::Index, u8, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), edge_value()).prop_map(|(i, v)| Mutation::Set(i, v)),
        3 => (any::<prop::sample::Index>(), edge_value()).prop_map(|(i, v)| Mutation::SetDefaultKey(i, v)),
        4 => (any::<prop::sample::Index>(), prop::sample::select(vec![0.01, 0.1, 0.5, 2.0, 10.0, 1000.0]))
            .prop_map(|(i, f)| Mutation::Scale(i, f)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => (any::<prop::sample::Index>(), 0u8..3, any::<u8>()).prop_map(|(i, k, b)| Mutation::Text(i, k, b)),
    ]
}

/// Sets `pointer` in `v`, creating objects on the way (a list item only where it exists).
fn set_pointer(v: &mut Value, pointer: &str, x: Value) {
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut at = v;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match at {
            Value::Object(map) => {
                if last {
                    map.insert(part.to_string(), x);
                    return;
                }
                at = map.entry(part.to_string()).or_insert_with(|| json!({}));
            }
            Value::Array(items) => match part.parse::<usize>().ok().filter(|&k| k < items.len()) {
                Some(k) if last => {
                    items[k] = x;
                    return;
                }
                Some(k) => at = &mut items[k],
                None => return,
            },
            _ => return,
        }
    }
}

/// Applies mutations to a file's text: value mutations first (on the parsed JSON), then
/// text damage.
fn mutate(text: &str, mutations: &[Mutation], defaults: &[String]) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap();
    for m in mutations {
        let mut here = Vec::new();
        pointers(&value, String::new(), &mut here);
        match m {
            Mutation::Set(i, x) if !here.is_empty() => set_pointer(&mut value, &here[i.index(here.len())], x.clone()),
            Mutation::SetDefaultKey(i, x) => set_pointer(&mut value, &defaults[i.index(defaults.len())], x.clone()),
            Mutation::Scale(i, f) if !here.is_empty() => {
                let p = &here[i.index(here.len())];
                if let Some(x) = value.pointer(p).and_then(Value::as_f64) {
                    set_pointer(&mut value, p, json!(x * f));
                }
            }
            Mutation::Remove(i) if !here.is_empty() => {
                let p = &here[i.index(here.len())];
                let (parent, key) = p.rsplit_once('/').unwrap();
                if let Some(Value::Object(map)) = value.pointer_mut(parent) {
                    map.remove(key);
                }
            }
            _ => {}
        }
    }
    let mut bytes = serde_json::to_string_pretty(&value).unwrap().into_bytes();
    for m in mutations {
        if let Mutation::Text(i, kind, byte) = m {
            let k = i.index(bytes.len().max(1)).min(bytes.len().saturating_sub(1));
            match kind {
                0 if !bytes.is_empty() => {
                    bytes.remove(k);
                }
                1 => bytes.insert(k, *byte),
                _ if !bytes.is_empty() => bytes[k] = *byte,
                _ => {}
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs poolsim with a deadline: (exit code, stdout, stderr); a case past the budget is
/// killed and reported.
fn poolsim(args: &[&str]) -> Result<(i32, Vec<u8>, String), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolsim"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Read the pipes on threads so that a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).map(|_| b)
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stdout = out.join().unwrap().unwrap();
            let stderr = String::from_utf8_lossy(&err.join().unwrap().unwrap()).into_owned();
            // Killed by a signal (an abort) has no code.
            return Ok((status.code().unwrap_or(128), stdout, stderr));
        }
        if started.elapsed() > BUDGET {
            child.kill().unwrap();
            child.wait().unwrap();
            return Err(format!("no exit within {BUDGET:?}: poolsim {}", args.join(" ")));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Exit 0 or 2, and an exit 2 names a key (in backticks) or a file.
fn check_exit(code: i32, stderr: &str, args: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(code == 0 || code == 2, "exit {code} for poolsim {}: {stderr}", args.join(" "));
    if code == 2 {
        prop_assert!(
            stderr.contains('`') || stderr.contains(".json") || stderr.contains(".csv"),
            "no key named: {stderr}"
        );
        prop_assert!(!stderr.contains("panicked"), "{stderr}");
    }
    Ok(())
}

/// The conservation identities and utilization <= 1 of a run from time 0.
fn check_metrics(m: &Value, case: &str) -> Result<(), TestCaseError> {
    let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
    prop_assert_eq!(
        f("jobs_queued"),
        f("jobs_completed") + f("jobs_in_service_end") + f("pu_queue_length_end"),
        "{}",
        case
    );
    prop_assert_eq!(f("jobs_started"), f("jobs_completed") + f("jobs_in_service_end"), "{}", case);
    let accounted = f("goodput_calculations") + f("lost_calculations") + f("unsaved_calculations_end");
    // A completion that a PE sends credits the whole piece, which the PE's rounded
    // accounting may have done up to one calculation short of; a PE completes at most the
    // sessions that PUs asked for, whether or not the completion arrives.
    let rounding = f("server_selections") + 1e-9 * f("used_capacity");
    prop_assert!(
        (f("used_capacity") - accounted).abs() <= rounding,
        "{case}: used {} vs {accounted}",
        f("used_capacity")
    );
    let u = f("system_utilization");
    prop_assert!(u.is_nan() || u <= 1.0 + 1e-9, "{case}: utilization {u}");
    Ok(())
}

fn bump(counter: &Cell<u32>) {
    counter.set(counter.get() + 1);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn mutated_scenarios_run_or_are_refused() {
    let corpus = scenario_corpus();
    let defaults = default_pointers();
    let dir = temp_dir("run");
    let file = dir.join("case.json");
    let (ran, refused, heavy) = (Cell::new(0), Cell::new(0), Cell::new(0));
    runner(150)
        .run(&(any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..4)), |(pick, mutations)| {
            let text = mutate(&corpus[pick.index(corpus.len())], &mutations, &defaults);
            std::fs::write(&file, &text).unwrap();
            // From time 0, so that the identities cover every job; long cases shortened.
            let mut sets = vec!["warmup_s=0".to_string()];
            if let Ok(s) = poolsim::scenario::load(Some(&file), &sets)
                && s.estimated_cost() > MAX_COST
            {
                sets.push("duration_s=60".into());
                if poolsim::scenario::load(Some(&file), &sets).is_ok_and(|s| s.estimated_cost() > MAX_COST) {
                    bump(&heavy);
                    return Ok(());
                }
            }
            let mut args = vec!["run", file.to_str().unwrap(), "--json"];
            for s in &sets {
                args.extend(["--set", s.as_str()]);
            }
            let (code, stdout, stderr) = poolsim(&args).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            check_exit(code, &stderr, &args)?;
            if code == 0 {
                bump(&ran);
                let v: Value = serde_json::from_slice(&stdout).unwrap();
                check_metrics(&v["metrics"], &text)?;
            } else {
                bump(&refused);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("{} ran, {} refused, {} too heavy to run here", ran.get(), refused.get(), heavy.get());
    assert!(ran.get() > 0 && refused.get() > 0, "the corpus and mutations reach both outcomes");
}

#[test]
fn mutated_sweeps_plan_or_are_refused() {
    let corpus: Vec<String> =
        json_files(&root().join("scenarios/studies")).iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let study_dir = root().join("scenarios/studies/wp1");
    let keys = sweep_pointers();
    let (planned, refused) = (Cell::new(0), Cell::new(0));
    runner(400)
        .run(&(any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..4)), |(pick, mutations)| {
            let text = mutate(&corpus[pick.index(corpus.len())], &mutations, &keys);
            match poolsim::sweep::parse(&text, "case.json", &study_dir) {
                Ok(s) => {
                    bump(&planned);
                    prop_assert!(s.runs.len() as u64 <= poolsim::sweep::MAX_RUNS);
                }
                Err(e) => {
                    bump(&refused);
                    let bad_input = e.downcast_ref::<poolsim::scenario::ScenarioError>().is_some()
                        || e.downcast_ref::<poolsim::error::InputError>().is_some();
                    prop_assert!(bad_input, "not reported as bad input: {e:#}");
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!("{} planned, {} refused", planned.get(), refused.get());
    assert!(planned.get() > 0 && refused.get() > 0);
}

#[test]
fn tiny_mutated_sweeps_run_or_are_refused() {
    let dir = temp_dir("sweep");
    let file = dir.join("sweep.json");
    let base = json!({
        "set": {"duration_s": 30, "warmup_s": 0, "pool_elements.count": 3},
        "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2]},
                       {"name": "mtbf", "label": "MTBF [s]", "values": [
                           {"label": 20, "set": {"pool_elements.uptime": {"type": "exponential", "mean_s": 20}}}]}],
        "derived": [{"name": "twice", "expr": "2 * workload.pu_pe_ratio"}],
        "replications": 2,
        "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "curves": "mtbf"}]
    })
    .to_string();
    let outcomes = [Cell::new(0), Cell::new(0)];
    let keys = sweep_pointers();
    runner(40)
        .run(&prop::collection::vec(mutation(), 1..3), |mutations| {
            let text = mutate(&base, &mutations, &keys);
            std::fs::write(&file, &text).unwrap();
            // Sweeps whose runs would be long are planned but not run here.
            if poolsim::sweep::load(Some(&file))
                .is_ok_and(|s| s.runs.len() > 16 || s.runs.iter().any(|r| r.scenario.estimated_cost() > MAX_COST))
            {
                return Ok(());
            }
            let out = dir.join("out");
            let _ = std::fs::remove_dir_all(&out);
            let args = ["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--jobs", "1"];
            let (code, _, stderr) = poolsim(&args).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            check_exit(code, &stderr, &args)?;
            bump(&outcomes[(code == 2) as usize]);
            if code == 0 {
                prop_assert!(out.join("runs.csv").exists() && out.join("summary.csv").exists());
            } else {
                prop_assert!(!out.join("runs.csv").exists(), "a refused sweep writes no table");
            }
            Ok(())
        })
        .unwrap();
    eprintln!("{} ran, {} refused", outcomes[0].get(), outcomes[1].get());
}

#[test]
fn plots_of_damaged_summaries_draw_or_are_refused() {
    let summary = std::fs::read_to_string(root().join("results/wp2-cookiesI/summary.csv")).unwrap();
    let header: Vec<String> = summary.lines().next().unwrap().split(',').map(String::from).collect();
    let dir = temp_dir("plot");
    let cell = prop_oneof![
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("NaN".to_string()),
        Just("1.7e308".to_string()),
        Just("-1e308".to_string()),
        Just("1e-300".to_string()),
        Just(String::new()),
        Just("0".to_string()),
        Just("x".to_string()),
        (-1e9f64..1e9).prop_map(|x| x.to_string()),
    ];
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), cell), 0..6);
    let options = (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<bool>(), 0u8..4);
    let (drawn, refused) = (Cell::new(0), Cell::new(0));
    runner(150)
        .run(&(edits, options), |(edits, (metric, x, log, damage))| {
            let mut rows: Vec<Vec<String>> =
                summary.lines().map(|l| l.split(',').map(String::from).collect()).collect();
            for (r, c, v) in edits {
                let r = r.index(rows.len());
                let c = c.index(rows[r].len());
                rows[r][c] = v;
            }
            match damage {
                0 => rows.truncate(rows.len() / 2),
                1 => {
                    rows[0].pop();
                }
                _ => {}
            }
            let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
            std::fs::write(dir.join("summary.csv"), &text).unwrap();
            let metric = ["handling_speed_pct", "lost_calculations", "jobs_completed", "nothing"][metric.index(4)];
            // Mostly a parameter column (those before `metric`), sometimes any column.
            let params = header.iter().position(|h| h == "metric").unwrap();
            let x = if x.index(5) > 0 { &header[x.index(params)] } else { &header[x.index(header.len())] };
            let out = dir.join("plot.svg");
            let mut args =
                vec!["plot", dir.to_str().unwrap(), "--metric", metric, "--x", x, "--out", out.to_str().unwrap()];
            if log {
                args.push("--x-log");
            }
            // The other parameters fixed at the first row's values: one configuration per point.
            let first: Vec<&str> = summary.lines().nth(1).unwrap().split(',').collect();
            let filters: Vec<String> =
                (0..params).filter(|&c| header[c] != *x).map(|c| format!("{}={}", header[c], first[c])).collect();
            for f in &filters {
                args.extend(["--filter", f.as_str()]);
            }
            let (code, _, stderr) = poolsim(&args).map_err(TestCaseError::fail)?;
            check_exit(code, &stderr, &args)?;
            if code == 0 {
                bump(&drawn);
                prop_assert!(std::fs::read_to_string(&out).unwrap().starts_with("<svg"));
            } else {
                bump(&refused);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("{} drawn, {} refused", drawn.get(), refused.get());
    assert!(drawn.get() > 0 && refused.get() > 0);
}
