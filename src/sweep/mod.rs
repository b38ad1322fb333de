//! Parameter sweeps: the cartesian product of parameter values times replications, run in
//! parallel (rayon), stored run by run, aggregated sequentially in a fixed order (so the
//! tables are byte-identical for any thread count), written as CSV, and plotted.
//!
//! A sweep file (JSON):
//! ```json
//! { "title": "...", "question": "...",    // optional: what the study is and asks
//!   "base": "default.json",               // optional scenario file, relative to the sweep file
//!   "set": {"duration_s": 7200},          // optional overrides of the base, dotted keys
//!   "parameters": [                       // first = outermost loop
//!     {"key": "workload.pu_pe_ratio", "values": [1, 3, 10]},
//!     {"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]},
//!     {"name": "mtbf", "label": "MTBF [s]",  // a value sets several keys, shown by its label
//!      "values": [{"label": 50, "set": {"pool_elements.uptime": {"type": "exponential", "mean_s": 50}}}]}],
//!   "derived": [                          // columns computed from each run's scenario
//!     {"name": "jsToSC", "expr": "workload.job_size / pool_elements.capacity"}],
//!   "replications": 24,                   // runs per point
//!   "seeds": "common",                    // "common": replication k has seed first_seed + k at
//!   "first_seed": 1,                      //   every point; "unique": a seed per run
//!   "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio",
//!              "curves": "pool_elements.policy"}] }
//! ```

pub mod catalogue;
pub mod derived;
pub mod shard;
pub mod store;

use crate::engine::rng::mix64;
use crate::error::InputError;
use crate::model::metrics::RegistrarReport;
use crate::model::{self, Metrics};
use crate::report::csv::{self as csv_out, RunRow};
use crate::report::plot::{PlotSpec, Table, plot_summary};
use crate::report::write_atomic;
use crate::scenario::{self, Scenario};
use derived::{Derived, Expr};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shard::Shard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{Store, StoredRun, hash64, run_key};

/// How replications are seeded.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SeedMode {
    /// Replication k uses seed first_seed + k at every point (common random numbers, as
    /// the reference tool-chain): differences between points are not seed noise.
    #[default]
    Common,
    /// Every run gets its own seed, derived from its parameter point and replication.
    Unique,
}

/// One swept parameter: a scenario key and its values, or a named parameter whose
/// values each set several keys (`{"label": L, "set": {KEY: VALUE, ...}}`) and appear in
/// the tables and plots by their label.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Dotted scenario key, as for `--set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Column name of a parameter whose values set several keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Axis label in plots (default: derived from the key or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub values: Vec<Value>,
}

impl Parameter {
    /// Its column in the tables.
    pub fn column(&self) -> &str {
        self.key.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }
}

/// One value of a named parameter.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelledValue {
    label: Value,
    set: serde_json::Map<String, Value>,
}

fn one() -> u32 {
    1
}

fn one_u64() -> u64 {
    1
}

/// A sweep file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// What the study is, e.g. its name in the reference tool-chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The question it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default)]
    pub base: Option<PathBuf>,
    #[serde(default)]
    pub set: serde_json::Map<String, Value>,
    pub parameters: Vec<Parameter>,
    #[serde(default = "one")]
    pub replications: u32,
    /// Columns computed from each run's resolved scenario (plot axes such as S/C).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived: Vec<Derived>,
    /// Also write `registrars.csv` and `registrars_summary.csv`: the per-registrar figures
    /// of every run, and their statistics per point and registrar.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_registrar: bool,
    #[serde(default)]
    pub seeds: SeedMode,
    #[serde(default = "one_u64")]
    pub first_seed: u64,
    #[serde(default)]
    pub plots: Vec<PlotSpec>,
}

/// One run of a sweep.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Parameter values (labels for named parameters), then derived values, as text (CSV
    /// cells).
    pub point: Vec<String>,
    pub replication: u32,
    pub scenario: Scenario,
    /// The resolved scenario as stored with the run.
    pub resolved: Value,
    /// Store key (hash of the resolved scenario).
    pub key: String,
}

/// A validated sweep: every run's scenario, in output order.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub file: SweepFile,
    pub runs: Vec<PlannedRun>,
    /// Runs left out because their point describes no run (auto r < 1).
    pub skipped: usize,
}

impl Sweep {
    /// Column names of a run's point: parameters, then derived values.
    pub fn columns(&self) -> Vec<String> {
        let params = self.file.parameters.iter().map(|p| p.column().to_string());
        params.chain(self.file.derived.iter().map(|d| d.name.clone())).collect()
    }

    /// Axis labels the sweep file gives its columns.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let params = self.file.parameters.iter().filter_map(|p| Some((p.column().to_string(), p.label.clone()?)));
        params.chain(self.file.derived.iter().filter_map(|d| Some((d.name.clone(), d.label.clone()?)))).collect()
    }
}

/// Text of a parameter value for tables: strings bare, numbers as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Name of the built-in sweep: the homogeneous policy study of rspsim-model.md §10.1.
pub const BUILT_IN_NAME: &str = "wp1-hom-puToPERatio-jobSizeI";

/// The built-in sweep file (the same as `scenarios/studies/wp1/wp1-hom-puToPERatio-jobSizeI.json`).
const BUILT_IN: &str = include_str!("../../scenarios/studies/wp1/wp1-hom-puToPERatio-jobSizeI.json");

/// Reads and validates a sweep file (the built-in sweep when `None`): every run's
/// scenario is built and checked before anything runs.
pub fn load(path: Option<&Path>) -> Result<Sweep, anyhow::Error> {
    let Some(path) = path else { return parse(BUILT_IN, BUILT_IN_NAME, Path::new(".")) };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| InputError::new(&name, format!("cannot read: {e}")))?;
    parse(&text, &name, path.parent().unwrap_or(Path::new(".")))
}

/// Parses and validates the text of a sweep file named `name` (in messages); `base`
/// files are found relative to `base_dir`.
pub fn parse(text: &str, name: &str, base_dir: &Path) -> Result<Sweep, anyhow::Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError::new(name, format!("malformed JSON: {e}")))?;
    let file: SweepFile = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        InputError::new(if key == "." { name.to_string() } else { key }, e.into_inner().to_string())
    })?;
    plan(file, base_dir)
}

/// The (key, value) assignments of value `i` of a parameter, and its cell text.
fn assignments(p: &Parameter, i: usize) -> (Vec<(String, Value)>, String) {
    match &p.key {
        Some(key) => (vec![(key.clone(), p.values[i].clone())], cell(&p.values[i])),
        None => {
            let v: LabelledValue = serde_json::from_value(p.values[i].clone()).expect("checked by plan");
            (v.set.into_iter().collect(), cell(&v.label))
        }
    }
}

/// Checks the parameters: one of key or name, values present and well-formed, no
/// column twice, seed never swept.
fn check_parameters(file: &SweepFile) -> Result<(), InputError> {
    for (i, p) in file.parameters.iter().enumerate() {
        let at = format!("parameters[{i}]");
        if p.key.is_some() == p.name.is_some() {
            return Err(InputError::new(
                at,
                "needs exactly one of `key` (a scenario key) or `name` (values that set several keys)",
            ));
        }
        if p.values.is_empty() {
            return Err(InputError::new(at, format!("`{}` has no values; allowed: a non-empty list", p.column())));
        }
        if p.key.as_deref() == Some("seed") {
            return Err(InputError::new(at, "`seed` cannot be swept; use replications and first_seed"));
        }
        if file.parameters[..i].iter().any(|q| q.column() == p.column()) {
            return Err(InputError::new(at, format!("`{}` is swept twice", p.column())));
        }
        if p.name.is_some() {
            for (j, v) in p.values.iter().enumerate() {
                let lv: LabelledValue = serde_json::from_value(v.clone()).map_err(|e| {
                    InputError::new(
                        format!("{at}.values[{j}]"),
                        format!("{e}; allowed: {{\"label\": L, \"set\": {{KEY: VALUE, ...}}}}"),
                    )
                })?;
                if lv.set.contains_key("seed") {
                    return Err(InputError::new(format!("{at}.values[{j}].set"), "`seed` cannot be swept"));
                }
            }
        }
    }
    Ok(())
}

/// Checks that every plot names columns the sweep has (before anything runs).
fn check_plots(file: &SweepFile) -> Result<(), InputError> {
    let mut columns: Vec<&str> = file.parameters.iter().map(Parameter::column).collect();
    columns.extend(file.derived.iter().map(|d| d.name.as_str()));
    for (i, p) in file.plots.iter().enumerate() {
        if p.table == Table::Registrars && !file.per_registrar {
            let message = "plots the per-registrar table; allowed with \"per_registrar\": true";
            return Err(InputError::new(format!("plots[{i}].table"), message));
        }
        let registrar = (p.table == Table::Registrars).then_some("registrar");
        let known = |c: &str| columns.contains(&c) || registrar == Some(c);
        let named = [("x", Some(p.x.as_str())), ("curves", p.curves.as_deref()), ("panels", p.panels.as_deref())];
        let filters = p.filter.keys().map(|k| ("filter", Some(k.as_str())));
        for (what, column) in named.into_iter().chain(filters) {
            if let Some(c) = column.filter(|c| !known(c)) {
                let allowed = columns.iter().copied().chain(registrar).collect::<Vec<_>>().join(", ");
                return Err(InputError::new(
                    format!("plots[{i}].{what}"),
                    format!("`{c}` is not a column; allowed: {allowed}"),
                ));
            }
        }
    }
    Ok(())
}

/// Expands a sweep into its runs (parameters: first outermost; replications innermost).
pub fn plan(file: SweepFile, base_dir: &Path) -> Result<Sweep, anyhow::Error> {
    if file.replications == 0 {
        return Err(InputError::new("replications", "0 is out of range; allowed: an integer >= 1").into());
    }
    check_parameters(&file)?;
    check_plots(&file)?;
    let exprs: Vec<Expr> = file
        .derived
        .iter()
        .enumerate()
        .map(|(i, d)| Expr::parse(&d.expr).map_err(|m| InputError::new(format!("derived[{i}].expr"), m)))
        .collect::<Result<_, _>>()?;
    let mut base = scenario::read_json(file.base.as_ref().map(|b| base_dir.join(b)).as_deref())?;
    for (k, v) in &file.set {
        scenario::apply_override(&mut base, k, v.clone())?;
    }
    let mut runs = Vec::new();
    let mut skipped = 0;
    let mut index = vec![0usize; file.parameters.len()];
    loop {
        let mut value = base.clone();
        let mut point = Vec::new();
        let mut assignment = Vec::new();
        for (p, &i) in file.parameters.iter().zip(&index) {
            let (sets, text) = assignments(p, i);
            for (key, v) in sets {
                assignment.push(format!("{key}={v}"));
                scenario::apply_override(&mut value, &key, v)?;
            }
            point.push(text);
        }
        let point_hash = hash64(&assignment.join(";"));
        for k in 0..file.replications {
            let seed = match file.seeds {
                SeedMode::Common => file.first_seed + k as u64,
                SeedMode::Unique => mix64(mix64(file.first_seed.wrapping_add(k as u64)) ^ point_hash),
            };
            value["seed"] = Value::from(seed);
            let at_point = || format!("at parameter point {}", assignment.join(", "));
            let s = match scenario::from_value(value.clone()) {
                Ok(s) => s,
                // The point describes no run (auto r < 1): left out, as the reference does.
                Err(scenario::ScenarioError::Skipped { .. }) => {
                    skipped += 1;
                    continue;
                }
                Err(e) => return Err(anyhow::Error::new(e).context(at_point())),
            };
            let resolved = serde_json::to_value(s.resolve()).expect("scenario serialises");
            let mut cells = point.clone();
            for (i, e) in exprs.iter().enumerate() {
                let v = e.eval(&resolved).map_err(|m| InputError::new(format!("derived[{i}].expr"), m))?;
                cells.push(derived::cell(v));
            }
            let key = run_key(&resolved);
            runs.push(PlannedRun { point: cells, replication: k, key, resolved, scenario: s });
        }
        // Next point: odometer, last parameter fastest.
        let mut d = file.parameters.len();
        loop {
            if d == 0 {
                return Ok(Sweep { file, runs, skipped });
            }
            d -= 1;
            index[d] += 1;
            if index[d] < file.parameters[d].values.len() {
                break;
            }
            index[d] = 0;
        }
    }
}

/// What to do with a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run what is missing, then aggregate.
    All,
    /// Run what is missing of one slice into the store; no aggregation.
    Shard(Shard),
    /// Aggregate the store only; fails while runs are missing.
    Merge,
}

/// How to execute a sweep.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (0 = all cores).
    pub jobs: usize,
    /// Rerun runs that are already stored.
    pub force: bool,
    /// No progress bar.
    pub quiet: bool,
    pub mode: Mode,
}

/// What a sweep execution did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Runs of the sweep, or of the slice.
    pub total: usize,
    pub executed: usize,
    pub wall_s: f64,
    /// Tables and plots written (none for a slice).
    pub files: Vec<PathBuf>,
}

/// A merge found runs missing from the store (exit code 1: nothing is wrong with the
/// input, the work is not done).
#[derive(Debug, thiserror::Error)]
#[error(
    "{missing} of {total} runs are missing from {store}; run them with `poolsim sweep {file} --out {out}` (only missing runs run), or resubmit the array tasks that hold them (`poolsim sweep {file} --out {out} --slurm --tasks N` prints the command)"
)]
pub struct MissingRuns {
    pub missing: usize,
    pub total: usize,
    pub store: String,
    pub file: String,
    pub out: String,
}

fn simulate(run: &PlannedRun) -> StoredRun {
    let start = Instant::now();
    let out = model::run(&run.scenario);
    let wall_s = start.elapsed().as_secs_f64();
    let to_map = |fields: Vec<(String, f64)>| {
        fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
            .collect()
    };
    StoredRun {
        scenario: run.resolved.clone(),
        metrics: to_map(out.metrics.fields()),
        registrars: out.registrars.iter().map(|r| to_map(r.fields())).collect(),
        events: out.events,
        fingerprint: out.fingerprint.hex(),
        wall_s,
    }
}

/// Runs the missing runs of `sweep` (of its slice, in [`Mode::Shard`]) into
/// `out_dir/store`; then, unless sharded, writes `runs.csv`, `summary.csv`, `timing.csv`
/// and the sweep's plots into `out_dir`. `file` names the sweep in messages.
pub fn execute(sweep: &Sweep, file: &str, out_dir: &Path, options: &Options) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let store = Store::open(&out_dir.join("store"))?;
    crate::report::remove_temporaries(out_dir)?;
    let mine: Vec<bool> = match options.mode {
        Mode::Shard(shard) => shard::assign(&sweep.runs, shard.count).into_iter().map(|s| s == shard.index).collect(),
        Mode::All | Mode::Merge => vec![true; sweep.runs.len()],
    };
    let force = options.force && options.mode != Mode::Merge;
    let mut results: Vec<Option<StoredRun>> =
        sweep.runs.iter().zip(&mine).map(|(r, &m)| if force || !m { None } else { store.load(&r.key) }).collect();
    let missing: Vec<usize> = (0..sweep.runs.len()).filter(|&i| mine[i] && results[i].is_none()).collect();
    if options.mode == Mode::Merge && !missing.is_empty() {
        return Err(MissingRuns {
            missing: missing.len(),
            total: sweep.runs.len(),
            store: out_dir.join("store").display().to_string(),
            file: file.to_string(),
            out: out_dir.display().to_string(),
        }
        .into());
    }

    let progress = if options.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(missing.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs  {per_sec}  elapsed {elapsed_precise}  ETA {eta_precise}",
            )
            .expect("valid template"),
        );
        bar
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs).build()?;
    let fresh: Vec<std::io::Result<StoredRun>> = pool.install(|| {
        missing
            .par_iter()
            // One run per task: runs differ in cost by 100x (job sizes), so ranges of runs
            // would leave a thread idle at the end.
            .with_max_len(1)
            .map(|&i| {
                let run = &sweep.runs[i];
                let stored = simulate(run);
                store.save(&run.key, &stored)?;
                progress.inc(1);
                Ok(stored)
            })
            .collect()
    });
    progress.finish_and_clear();
    for (&i, r) in missing.iter().zip(fresh) {
        results[i] = Some(r?);
    }
    let files = if let Mode::Shard(_) = options.mode {
        Vec::new()
    } else {
        let results: Vec<StoredRun> = results.into_iter().map(|r| r.expect("every run is done")).collect();
        write_outputs(sweep, &results, out_dir)?
    };
    Ok(Outcome {
        total: mine.iter().filter(|&&m| m).count(),
        executed: missing.len(),
        wall_s: started.elapsed().as_secs_f64(),
        files,
    })
}

/// The array tasks (1-based) of `count` that hold runs missing from `out_dir/store`.
pub fn tasks_with_missing_runs(sweep: &Sweep, out_dir: &Path, count: usize) -> anyhow::Result<Vec<usize>> {
    let store = Store::open(&out_dir.join("store"))?;
    let slices = shard::assign(&sweep.runs, count);
    let mut tasks: Vec<usize> =
        sweep.runs.iter().zip(&slices).filter(|(r, _)| store.load(&r.key).is_none()).map(|(_, &s)| s + 1).collect();
    tasks.sort_unstable();
    tasks.dedup();
    Ok(tasks)
}

/// Writes the tables and plots, aggregating sequentially in run order.
fn write_outputs(sweep: &Sweep, results: &[StoredRun], out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let params = sweep.columns();
    let names = Metrics::names();
    let values = |names: &[String], map: &serde_json::Map<String, Value>| -> Vec<f64> {
        names.iter().map(|n| map.get(n).and_then(Value::as_f64).unwrap_or(f64::NAN)).collect()
    };
    let rows: Vec<RunRow> = sweep
        .runs
        .iter()
        .zip(results)
        .map(|(run, r)| RunRow {
            point: run.point.clone(),
            replication: run.replication,
            seed: run.scenario.seed,
            metrics: values(&names, &r.metrics),
            events: r.events,
            fingerprint: r.fingerprint.clone(),
        })
        .collect();
    let timing: Vec<_> = sweep
        .runs
        .iter()
        .zip(results)
        .map(|(run, r)| (run.point.clone(), run.replication, r.wall_s, r.events))
        .collect();
    let summary = csv_out::summary_csv(&params, &names, &rows);
    let mut files = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let path = out_dir.join(name);
        write_atomic(&path, bytes)?;
        files.push(path);
        Ok(())
    };
    write("runs.csv", &csv_out::runs_csv(&params, &names, &rows))?;
    write("summary.csv", &summary)?;
    write("timing.csv", &csv_out::timing_csv(&params, &timing))?;
    let mut registrar_summary = Vec::new();
    if sweep.file.per_registrar {
        let mut columns = params.clone();
        columns.push("registrar".into());
        let names = RegistrarReport::names();
        // Grouped by point and registrar (replications together), as the summary needs.
        let mut per_registrar: Vec<(usize, usize, RunRow)> = Vec::new();
        for (k, (run, r)) in sweep.runs.iter().zip(results).enumerate() {
            let point_index = k / sweep.file.replications as usize;
            for (i, registrar) in r.registrars.iter().enumerate() {
                let mut point = run.point.clone();
                point.push(i.to_string());
                let row = RunRow { point, metrics: values(&names, registrar), ..rows[k].clone() };
                per_registrar.push((point_index, i, row));
            }
        }
        per_registrar.sort_by_key(|&(point, registrar, _)| (point, registrar));
        let table: Vec<RunRow> = per_registrar.into_iter().map(|(_, _, row)| row).collect();
        registrar_summary = csv_out::summary_csv(&columns, &names, &table);
        write("registrars.csv", &csv_out::components_csv(&columns, &names, &table))?;
        write("registrars_summary.csv", &registrar_summary)?;
    }
    let labels = sweep.labels();
    for spec in &sweep.file.plots {
        let svg = match spec.table {
            Table::Runs => plot_summary(&summary, spec, &labels)?,
            Table::Registrars => plot_summary(&registrar_summary, spec, &labels)?,
        };
        write(&spec.file_name(), svg.as_bytes())?;
    }
    Ok(files)
}

#[cfg(test)]
mod test;
