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
pub mod precision;
pub mod shard;
pub mod store;

use crate::engine::rng::mix64;
use crate::error::InputError;
use crate::model::Metrics;
use crate::model::metrics::RegistrarReport;
use crate::report::csv::{self as csv_out, RunRow};
use crate::report::plot::{MAX_AXIS_VALUE, PlotSpec, Table, plot_summary};
use crate::report::write_atomic;
use crate::scenario::{self, Scenario};
use derived::{Derived, Expr};
use precision::{Precision, Standing};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shard::Shard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{Lookup, Stale, Store, StoredRun, hash64, run_key};

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
    /// Replications until the named metrics' intervals are within a target, instead of a
    /// fixed count (see [`precision`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
}

impl SweepFile {
    /// Replications planned per point: the fixed count, or the most that `precision`
    /// allows (of which the results decide how many run).
    pub fn planned_replications(&self) -> u32 {
        self.precision.as_ref().map_or(self.replications, |p| p.max_replications)
    }
}

/// One run of a sweep.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Parameter values (labels for named parameters), then derived values, as text (CSV
    /// cells).
    pub point: Vec<String>,
    /// Index of the point among the sweep's points (those not skipped), in run order.
    pub point_index: usize,
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
    /// The base scenario with the sweep's `set` applied (resolved where it is a valid
    /// scenario on its own), for the manifest.
    pub base: Value,
    /// SHA-256 of the sweep file's text (hex; empty for a sweep built in memory).
    pub source_sha256: String,
    /// The runs of each point (replication k at `start + k`).
    pub points: Vec<std::ops::Range<usize>>,
}

impl Sweep {
    /// Which runs are wanted given those known (every planned run, unless replications
    /// are precision-driven).
    pub fn standing(&self, results: &[Option<StoredRun>]) -> Standing {
        let precision = self.file.precision.as_ref();
        let names: Vec<String> = precision.map_or_else(Vec::new, |p| p.metrics.clone());
        precision::standing(&self.points, precision, |i| results[i].as_ref().map(|r| metric_values(&names, &r.metrics)))
    }

    /// A point's parameter values, as `key=value, ...`.
    pub fn describe_point(&self, p: usize) -> String {
        let run = &self.runs[self.points[p].start];
        let at: Vec<String> = self.columns().iter().zip(&run.point).map(|(c, v)| format!("{c}={v}")).collect();
        if at.is_empty() { "the only point".to_string() } else { at.join(", ") }
    }

    /// Column names of a run's point: parameters, then derived values.
    pub fn columns(&self) -> Vec<String> {
        let params = self.file.parameters.iter().map(|p| p.column().to_string());
        params.chain(self.file.derived.iter().map(|d| d.name.clone())).collect()
    }

    /// The metric columns of its tables: those of a job trace too, if a run has one.
    pub fn metric_names(&self) -> Vec<String> {
        if self.runs.iter().any(|r| r.scenario.workload.trace.is_some()) {
            Metrics::names_with_trace()
        } else {
            Metrics::names()
        }
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

/// Name of the built-in sweep: the homogeneous policy study of docs/model.md §10.1.
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
    let mut sweep = plan(read_file(text, name)?, base_dir)?;
    sweep.source_sha256 = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    Ok(sweep)
}

/// A sweep file planned with one replication per point, and the replications it plans:
/// enough to count and estimate its runs, at a fraction of the cost of planning them all.
pub fn outline(path: &Path) -> Result<(Sweep, u32), anyhow::Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| InputError::new(&name, format!("cannot read: {e}")))?;
    let mut file = read_file(&text, &name)?;
    let replications = file.planned_replications();
    (file.replications, file.precision) = (1, None);
    Ok((plan(file, path.parent().unwrap_or(Path::new(".")))?, replications))
}

fn read_file(text: &str, name: &str) -> Result<SweepFile, anyhow::Error> {
    let value =
        scenario::json::parse_strict(text).map_err(|e| InputError::new(name, format!("malformed JSON: {e}")))?;
    check_objects(&value, name)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        InputError::new(if key == "." { name.to_string() } else { key }, e.into_inner().to_string()).into()
    })
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

/// Columns of the tables that a parameter or derived column must not shadow.
const RESERVED_COLUMNS: &[&str] = &[
    "replication",
    "seed",
    "metric",
    "mean",
    "sd",
    "n",
    "ci95_half_width",
    "events",
    "fingerprint",
    "registrar",
    "wall_s",
    "events_per_s",
];

/// Most runs a sweep may plan (each is held in memory with its resolved scenario, a few
/// kilobytes): the largest catalogue study has 1296.
pub const MAX_RUNS: u64 = 1_000_000;

/// Whether two parameter values describe the same point: equal JSON, or equal numbers
/// written differently (1 and 1.0).
fn same_value(a: &Value, b: &Value) -> bool {
    a == b || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

/// A column name (of a named parameter or a derived column) must not be a table column
/// or a metric, nor an earlier column: it would break the plots or repeat a CSV header.
fn check_column_name(name: &str, earlier: &[&str], at: &str) -> Result<(), InputError> {
    if RESERVED_COLUMNS.contains(&name) || Metrics::names().iter().any(|m| m == name) {
        let message = format!("`{name}` is a column of the tables already; allowed: another name");
        return Err(InputError::new(at, message));
    }
    if earlier.contains(&name) {
        return Err(InputError::new(at, format!("`{name}` is a column twice; allowed: a name of its own")));
    }
    Ok(())
}

/// Sweep-file objects that serde would also read from a list, by position: the file, each
/// parameter, labelled value, derived column and plot must be JSON objects.
fn check_objects(value: &Value, name: &str) -> Result<(), InputError> {
    let not_object = |at: String| Err(InputError::new(at, "is a list; allowed: an object of named keys"));
    let Value::Object(file) = value else { return not_object(name.to_string()) };
    for section in ["parameters", "derived", "plots"] {
        for (i, item) in file.get(section).and_then(Value::as_array).into_iter().flatten().enumerate() {
            if item.is_array() {
                return not_object(format!("{section}[{i}]"));
            }
            let values = item.get("values").filter(|_| item.get("name").is_some()).and_then(Value::as_array);
            if let Some(j) = values.into_iter().flatten().position(Value::is_array) {
                return not_object(format!("{section}[{i}].values[{j}]"));
            }
        }
    }
    Ok(())
}

/// Checks the parameters: one of key or name, values present, well-formed and distinct,
/// no column twice, seed never swept.
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
        let mut labels = Vec::new();
        if let Some(name) = &p.name {
            check_column_name(name, &[], &format!("{at}.name"))?;
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
                labels.push(lv.label);
            }
        }
        // Two equal values (or labels) would be one row of the tables holding two points'
        // replications: too narrow an interval, or two scenarios mixed.
        let shown = if p.name.is_some() { &labels } else { &p.values };
        for (j, v) in shown.iter().enumerate() {
            if let Some(k) = shown[..j].iter().position(|w| same_value(v, w)) {
                let what = if p.name.is_some() { "label" } else { "value" };
                let message = format!(
                    "repeats the {what} {} of values[{k}]; allowed: distinct {what}s (a repeated point would merge its replications into one row)",
                    cell(v)
                );
                return Err(InputError::new(format!("{at}.values[{j}]"), message));
            }
        }
    }
    let mut columns: Vec<&str> = file.parameters.iter().map(Parameter::column).collect();
    for (i, d) in file.derived.iter().enumerate() {
        check_column_name(&d.name, &columns, &format!("derived[{i}].name"))?;
        columns.push(&d.name);
    }
    Ok(())
}

/// Checks the seeds: the seed is set by `first_seed` and replications, and replication
/// k's seed first_seed + k must not wrap around.
fn check_seeds(file: &SweepFile) -> Result<(), InputError> {
    if file.set.contains_key("seed") {
        let message = "is set by the sweep; allowed: `first_seed` (replication k runs seed first_seed + k)";
        return Err(InputError::new("set.seed", message));
    }
    let replications = file.planned_replications() as u64;
    if file.seeds == SeedMode::Common && file.first_seed.checked_add(replications - 1).is_none() {
        let most = u64::MAX - (replications - 1);
        let message =
            format!("{} is out of range; allowed: at most {most} with {replications} replications", file.first_seed);
        return Err(InputError::new("first_seed", message));
    }
    Ok(())
}

/// Checks the sweep's size before anything is planned: points × replications within
/// [`MAX_RUNS`].
fn check_size(file: &SweepFile) -> Result<(), InputError> {
    let points = file.parameters.iter().try_fold(1u64, |n, p| n.checked_mul(p.values.len() as u64));
    let runs = points.and_then(|p| p.checked_mul(file.planned_replications() as u64));
    if runs.is_none_or(|r| r > MAX_RUNS) {
        let points = points.map_or_else(|| "too many".to_string(), |p| p.to_string());
        let message = format!(
            "{} replications of {points} points are too many runs; allowed: at most {MAX_RUNS} runs in one sweep",
            file.planned_replications()
        );
        return Err(InputError::new("replications", message));
    }
    Ok(())
}

/// The tables a sweep writes beside its plots.
pub const TABLES: &[&str] =
    &["runs.csv", "summary.csv", "timing.csv", "registrars.csv", "registrars_summary.csv", "manifest.json"];

/// Checks that every plot names columns the sweep has, and a file of its own inside the
/// output folder (before anything runs).
fn check_plots(file: &SweepFile) -> Result<(), InputError> {
    let mut columns: Vec<&str> = file.parameters.iter().map(Parameter::column).collect();
    columns.extend(file.derived.iter().map(|d| d.name.as_str()));
    let mut files: Vec<String> = Vec::new();
    for (i, p) in file.plots.iter().enumerate() {
        let name = p.file_name();
        crate::report::plot::check_file_name(&name).map_err(|m| InputError::new(format!("plots[{i}].file"), m))?;
        if TABLES.contains(&name.as_str()) {
            let message = format!("`{name}` is a table of the sweep; allowed: a file name of its own");
            return Err(InputError::new(format!("plots[{i}].file"), message));
        }
        if let Some(k) = files.iter().position(|f| *f == name) {
            let message = format!("`{name}` is the file of plots[{k}] too; allowed: a file name of its own (\"file\")");
            return Err(InputError::new(format!("plots[{i}].file"), message));
        }
        files.push(name);
        let metrics = match p.table {
            // (Trace metrics are checked against the runs once they are planned.)
            Table::Runs => Metrics::names_with_trace(),
            Table::Registrars => RegistrarReport::names(),
        };
        if !metrics.contains(&p.metric) {
            let message = format!(
                "`{}` is not a metric of the {} table; allowed: {}",
                p.metric,
                p.table.name(),
                metrics.join(", ")
            );
            return Err(InputError::new(format!("plots[{i}].metric"), message));
        }
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
        // The x axis takes numbers that an axis can show (positive ones on a log axis).
        let x_values = file.parameters.iter().find(|q| q.key.as_deref() == Some(p.x.as_str())).map(|q| &q.values);
        for (j, v) in x_values.into_iter().flatten().enumerate() {
            // Names make a categorical axis (not a log one).
            let plottable = v.as_f64().is_some_and(|x| if p.x_log { x > 0.0 } else { x.abs() <= MAX_AXIS_VALUE })
                || (v.is_string() && !p.x_log);
            if !plottable {
                let allowed = if p.x_log {
                    "numbers > 0 on a log axis".to_string()
                } else {
                    format!("numbers within ±{MAX_AXIS_VALUE:e}, or a log axis (\"x_log\": true) for larger ones")
                };
                let message =
                    format!("`{}` = {} (values[{j}]) cannot be on the x axis; allowed: {allowed}", p.x, cell(v));
                return Err(InputError::new(format!("plots[{i}].x"), message));
            }
        }
    }
    Ok(())
}

/// The plots, against the planned points before any run: trace metrics need runs with a
/// job trace, filter values must name values of their columns, and each point of a plot
/// must be one configuration (a summary of the planned points is drawn and dropped).
fn check_planned_plots(sweep: &Sweep) -> Result<(), InputError> {
    let names = sweep.metric_names();
    let labels = sweep.labels();
    for (i, p) in sweep.file.plots.iter().enumerate() {
        if p.table != Table::Runs {
            continue;
        }
        if !names.contains(&p.metric) {
            let message = format!(
                "`{}` is a metric of runs with a job trace; no run of this sweep has `workload.trace`",
                p.metric
            );
            return Err(InputError::new(format!("plots[{i}].metric"), message));
        }
        let mut summary = csv::Writer::from_writer(Vec::new());
        let header =
            sweep.columns().into_iter().chain(["metric", "mean", "sd", "n", "ci95_half_width"].map(String::from));
        let written = summary.write_record(header).and_then(|_| {
            sweep.points.iter().try_for_each(|range| {
                let cells = sweep.runs[range.start].point.iter().map(String::as_str);
                summary.write_record(cells.chain([p.metric.as_str(), "0", "0", "1", "0"]))
            })
        });
        written.expect("writing to memory");
        let summary = summary.into_inner().expect("writing to memory");
        plot_summary(&summary, p, &labels).map_err(|e| InputError::new(format!("plots[{i}]"), e.to_string()))?;
    }
    Ok(())
}

/// Expands a sweep into its runs (parameters: first outermost; replications innermost).
pub fn plan(file: SweepFile, base_dir: &Path) -> Result<Sweep, anyhow::Error> {
    if file.replications == 0 {
        return Err(InputError::new("replications", "0 is out of range; allowed: an integer >= 1").into());
    }
    if let Some(precision) = &file.precision {
        precision.check(&Metrics::names())?;
        if file.replications != 1 {
            let message = "is set by `precision` (min_replications to max_replications); allowed: leave it out";
            return Err(InputError::new("replications", message).into());
        }
    }
    check_size(&file)?;
    check_parameters(&file)?;
    check_seeds(&file)?;
    check_plots(&file)?;
    let exprs: Vec<Expr> = file
        .derived
        .iter()
        .enumerate()
        .map(|(i, d)| Expr::parse(&d.expr).map_err(|m| InputError::new(format!("derived[{i}].expr"), m)))
        .collect::<Result<_, _>>()?;
    let base_file = file.base.as_ref().map(|b| base_dir.join(b));
    let mut base = scenario::read_json(base_file.as_deref())?;
    // Trace paths: relative to the file that names them (the base file, or the sweep file).
    scenario::anchor_paths(&mut base, base_file.as_deref().and_then(Path::parent).unwrap_or(base_dir));
    for (k, v) in &file.set {
        scenario::apply_override(&mut base, k, v.clone())?;
    }
    scenario::anchor_paths(&mut base, base_dir);
    let mut runs = Vec::new();
    let mut points = Vec::new();
    let mut skipped = 0;
    let mut index = vec![0usize; file.parameters.len()];
    loop {
        let first = runs.len();
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
        scenario::anchor_paths(&mut value, base_dir);
        let point_hash = hash64(&assignment.join(";"));
        // The point's scenario is read and checked once; its replications differ in the seed.
        let at_point = || format!("at parameter point {}", assignment.join(", "));
        let template = match scenario::from_value(value.clone()) {
            Ok(s) => Some((serde_json::to_value(s.resolve()).expect("scenario serialises"), s)),
            // The point describes no run (auto r < 1): left out, as the reference does.
            Err(scenario::ScenarioError::Skipped { .. }) => None,
            Err(e) => return Err(anyhow::Error::new(e).context(at_point())),
        };
        for k in 0..file.planned_replications() {
            let seed = match file.seeds {
                SeedMode::Common => file.first_seed + k as u64,
                SeedMode::Unique => mix64(mix64(file.first_seed.wrapping_add(k as u64)) ^ point_hash),
            };
            let Some((resolved, s)) = &template else {
                skipped += 1;
                continue;
            };
            let (mut resolved, mut s) = (resolved.clone(), s.clone());
            resolved["seed"] = Value::from(seed);
            s.seed = seed;
            let mut cells = point.clone();
            for (i, e) in exprs.iter().enumerate() {
                let v = e.eval(&resolved).map_err(|m| InputError::new(format!("derived[{i}].expr"), m))?;
                cells.push(derived::cell(v));
            }
            let key = run_key(&scenario::content_addressed(&resolved));
            runs.push(PlannedRun {
                point: cells,
                point_index: points.len(),
                replication: k,
                key,
                resolved,
                scenario: s,
            });
        }
        if runs.len() > first {
            points.push(first..runs.len());
        }
        // Next point: odometer, last parameter fastest.
        let mut d = file.parameters.len();
        loop {
            if d == 0 {
                let base = scenario::from_value(base.clone())
                    .map_or(base, |s| serde_json::to_value(s.resolve()).expect("scenario serialises"));
                let sweep = Sweep { file, runs, skipped, base, source_sha256: String::new(), points };
                check_planned_plots(&sweep)?;
                return Ok(sweep);
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
    /// The command line that asked for the sweep (for the manifest).
    pub command: Vec<String>,
    /// Refuse to rerun stale stored runs (of another model revision, with other columns,
    /// or damaged) rather than rerun them.
    pub no_rerun: bool,
    pub mode: Mode,
}

/// What a sweep execution did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Runs of the sweep, or of the slice.
    pub total: usize,
    pub executed: usize,
    /// Stored runs that were stale and ran again, by reason.
    pub reran: BTreeMap<Stale, usize>,
    pub wall_s: f64,
    /// Tables and plots written (none for a slice).
    pub files: Vec<PathBuf>,
    /// Points of a precision-driven sweep whose target was not met within the maximum of
    /// replications (their parameter values).
    pub unmet: Vec<String>,
    /// Points whose warm-up looks too short: the median MSER-5 truncation point of their
    /// runs exceeds their `warmup_s`.
    pub short_warmups: Vec<ShortWarmup>,
}

/// A point whose estimated warm-up exceeds its `warmup_s`.
#[derive(Clone, Debug)]
pub struct ShortWarmup {
    pub point: String,
    pub truncation_s: f64,
    pub warmup_s: f64,
    /// The estimate is at MSER's search limit, half the run: the runs never settle (an
    /// overloaded pool whose queues grow throughout), rather than needing a longer warm-up.
    pub never_settles: bool,
}

/// The points whose runs' median truncation point exceeds their warm-up.
fn short_warmups(sweep: &Sweep, done: &[(&PlannedRun, StoredRun)]) -> Vec<ShortWarmup> {
    let mut out = Vec::new();
    for group in done.chunk_by(|a, b| a.0.point_index == b.0.point_index) {
        let mut points: Vec<f64> = group.iter().filter_map(|(_, r)| r.warmup_truncation_s).collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by(f64::total_cmp);
        let median = points[points.len() / 2];
        let scenario = &group[0].0.scenario;
        // A job trace is replayed as it is, not run into a steady state.
        if median > scenario.warmup_s && scenario.workload.trace.is_none() {
            out.push(ShortWarmup {
                point: sweep.describe_point(group[0].0.point_index),
                truncation_s: median,
                warmup_s: scenario.warmup_s,
                never_settles: median >= 0.49 * scenario.end_s(),
            });
        }
    }
    out
}

/// The sweep's plots (file name, SVG) from its summary tables.
fn render_plots(sweep: &Sweep, summary: &[u8], registrar_summary: &[u8]) -> Result<Vec<(String, String)>, InputError> {
    let labels = sweep.labels();
    let table = |spec: &PlotSpec| if spec.table == Table::Runs { summary } else { registrar_summary };
    sweep.file.plots.iter().map(|spec| Ok((spec.file_name(), plot_summary(table(spec), spec, &labels)?))).collect()
}

/// Redraws a sweep's plots from the tables already in `out_dir` (summary.csv and, with
/// per-registrar tables, registrars_summary.csv), without running anything; returns the
/// files written.
pub fn replot(sweep: &Sweep, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let read = |name: &str| -> anyhow::Result<Vec<u8>> {
        let path = out_dir.join(name);
        std::fs::read(&path)
            .map_err(|e| InputError::new(path.display().to_string(), format!("cannot read: {e}")).into())
    };
    let summary = read("summary.csv")?;
    let registrar_summary = if sweep.file.per_registrar { read("registrars_summary.csv")? } else { Vec::new() };
    let mut files = Vec::new();
    for (name, svg) in render_plots(sweep, &summary, &registrar_summary)? {
        let path = out_dir.join(name);
        write_atomic(&path, svg.as_bytes())?;
        files.push(path);
    }
    Ok(files)
}

/// Stored runs that `--no-rerun` refuses to rerun.
#[derive(Debug, thiserror::Error)]
#[error("{} stored runs in {store} cannot be used: {}; leave out --no-rerun to rerun them, or sweep into a new --out folder", stale.values().sum::<usize>(), describe_stale(stale))]
pub struct StaleRuns {
    pub store: String,
    pub stale: BTreeMap<Stale, usize>,
}

/// "2 from another model revision, 1 failing their checksum (edited or damaged)".
pub fn describe_stale(stale: &BTreeMap<Stale, usize>) -> String {
    stale.iter().map(|(why, n)| format!("{n} {why}")).collect::<Vec<_>>().join(", ")
}

/// A merge found runs missing from the store (exit code 1: nothing is wrong with the
/// input, the work is not done).
#[derive(Debug, thiserror::Error)]
#[error(
    "{missing} of {total} runs are missing from {store}:\n{details}run them with `poolsim sweep {file} --out {out}` (only missing runs run), or resubmit the array tasks that hold them (`poolsim sweep {file} --out {out} --slurm --tasks N` prints the command)"
)]
pub struct MissingRuns {
    pub missing: usize,
    pub total: usize,
    pub store: String,
    pub file: String,
    pub out: String,
    /// The missing points and the slices that hold them, a line each.
    pub details: String,
}

/// Most missing points a merge lists one by one.
const LISTED_POINTS: usize = 12;

/// The folder of the markers that slices leave when they start (`I-of-N`), so that a
/// merge can name the slices that hold missing runs.
fn slices_dir(out_dir: &Path) -> PathBuf {
    out_dir.join("slices")
}

/// Lines naming the missing runs (by point, with their replications) and, for every
/// slice count that was used on `out_dir`, the slices that hold them.
fn describe_missing(sweep: &Sweep, missing: &[usize], out_dir: &Path) -> String {
    let columns = sweep.columns();
    let mut points: Vec<(&[String], Vec<u32>)> = Vec::new();
    for &i in missing {
        let run = &sweep.runs[i];
        match points.last_mut() {
            Some((point, reps)) if *point == run.point.as_slice() => reps.push(run.replication),
            _ => points.push((&run.point, vec![run.replication])),
        }
    }
    let mut text = String::new();
    for (point, reps) in points.iter().take(LISTED_POINTS) {
        let at: Vec<String> = columns.iter().zip(point.iter()).map(|(c, v)| format!("{c}={v}")).collect();
        let reps: Vec<String> = reps.iter().map(u32::to_string).collect();
        let at = if at.is_empty() { "the only point".to_string() } else { at.join(", ") };
        text += &format!("  {at}: replication(s) {}\n", reps.join(", "));
    }
    if points.len() > LISTED_POINTS {
        text += &format!("  ... and {} more points\n", points.len() - LISTED_POINTS);
    }
    let mut started: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for entry in std::fs::read_dir(slices_dir(out_dir)).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let parsed = name.split_once("-of-").and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        if let Some((i, n)) = parsed.filter(|&(i, n): &(usize, usize)| i >= 1 && i <= n && n <= shard::MAX_SHARDS) {
            started.entry(n).or_default().push(i);
        }
    }
    for (count, ran) in started {
        let slices = shard::assign(&sweep.runs, count);
        let mut holding: Vec<usize> = missing.iter().map(|&i| slices[i] + 1).collect();
        holding.sort_unstable();
        holding.dedup();
        let never: Vec<String> = holding.iter().filter(|s| !ran.contains(s)).map(usize::to_string).collect();
        let holding: Vec<String> = holding.iter().map(usize::to_string).collect();
        let never = if never.is_empty() { String::new() } else { format!(" (never started: {})", never.join(", ")) };
        text += &format!("  in slices {} of {count}{never}\n", holding.join(", "));
    }
    text
}

fn simulate(run: &PlannedRun) -> StoredRun {
    let start = Instant::now();
    let (out, truncation_s) = crate::report::warmup::truncation(&run.scenario);
    let wall_s = start.elapsed().as_secs_f64();
    let to_map = |fields: Vec<(String, f64)>| {
        fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
            .collect()
    };
    StoredRun {
        model_revision: String::new(),
        checksum: String::new(),
        scenario: run.resolved.clone(),
        metrics: to_map(out.metrics.fields()),
        registrars: out.registrars.iter().map(|r| to_map(r.fields())).collect(),
        events: out.events,
        fingerprint: out.fingerprint.hex(),
        wall_s,
        warmup_truncation_s: Some(truncation_s),
    }
}

/// Runs the missing runs of `sweep` (of its slice, in [`Mode::Shard`]) into
/// `out_dir/store`; then, unless sharded, writes `runs.csv`, `summary.csv`, `timing.csv`
/// and the sweep's plots into `out_dir`. `file` names the sweep in messages.
pub fn execute(sweep: &Sweep, file: &str, out_dir: &Path, options: &Options) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let store = Store::open(&out_dir.join("store"))?;
    crate::report::remove_abandoned_temporaries(out_dir)?;
    let mine: Vec<bool> = match options.mode {
        Mode::Shard(shard) => shard::assign(&sweep.runs, shard.count).into_iter().map(|s| s == shard.index).collect(),
        Mode::All | Mode::Merge => vec![true; sweep.runs.len()],
    };
    let force = options.force && options.mode != Mode::Merge;
    let mut reran: BTreeMap<Stale, usize> = BTreeMap::new();
    let mut results: Vec<Option<StoredRun>> = Vec::with_capacity(sweep.runs.len());
    for (run, &m) in sweep.runs.iter().zip(&mine) {
        let lookup = if force { Lookup::Missing } else { store.lookup(&run.key) };
        results.push(match lookup {
            Lookup::Found(stored) => Some(*stored),
            Lookup::Missing => None,
            // Stale records of other slices are theirs to rerun.
            Lookup::Stale(_) if !m => None,
            Lookup::Stale(why) => {
                *reran.entry(why).or_default() += 1;
                None
            }
        });
    }
    if options.no_rerun && !reran.is_empty() {
        return Err(StaleRuns { store: out_dir.join("store").display().to_string(), stale: reran }.into());
    }
    if let Mode::Shard(shard) = options.mode {
        let dir = slices_dir(out_dir);
        std::fs::create_dir_all(&dir)?;
        write_atomic(&dir.join(format!("{}-of-{}", shard.index + 1, shard.count)), b"")?;
    }
    let progress = progress_bar(options.quiet);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs).build()?;
    let mut executed = 0;
    // Rounds: run the wanted runs that are missing; with precision, the results may want
    // more. A slice runs one round (the next array submission runs the next).
    let standing = loop {
        let standing = sweep.standing(&results);
        let missing: Vec<usize> =
            (0..sweep.runs.len()).filter(|&i| standing.wanted[i] && mine[i] && results[i].is_none()).collect();
        if missing.is_empty() || (executed > 0 && matches!(options.mode, Mode::Shard(_))) {
            break standing;
        }
        if options.mode == Mode::Merge {
            return Err(MissingRuns {
                missing: missing.len(),
                total: standing.wanted.iter().filter(|&&w| w).count(),
                store: out_dir.join("store").display().to_string(),
                file: file.to_string(),
                out: out_dir.display().to_string(),
                details: describe_missing(sweep, &missing, out_dir),
            }
            .into());
        }
        progress.inc_length(missing.len() as u64);
        if sweep.file.precision.is_some() {
            progress.set_message(format!("{} points open", standing.open.iter().filter(|&&o| o).count()));
        }
        let fresh: Vec<std::io::Result<StoredRun>> = pool.install(|| {
            missing
                .par_iter()
                // One run per task: runs differ in cost by 100x (job sizes), so ranges of
                // runs would leave a thread idle at the end.
                .with_max_len(1)
                .map(|&i| {
                    let run = &sweep.runs[i];
                    let stored = store.save(&run.key, simulate(run))?;
                    progress.inc(1);
                    Ok(stored)
                })
                .collect()
        });
        executed += missing.len();
        for (&i, r) in missing.iter().zip(fresh) {
            results[i] = Some(r?);
        }
    };
    progress.finish_and_clear();
    let wanted = standing.wanted.iter().zip(&mine).filter(|&(&w, &m)| w && m).count();
    let (files, unmet, short) = if let Mode::Shard(_) = options.mode {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let done: Vec<(&PlannedRun, StoredRun)> = sweep
            .runs
            .iter()
            .zip(results)
            .zip(&standing.wanted)
            .filter(|(_, w)| **w)
            .map(|((run, r), _)| (run, r.expect("every wanted run is done")))
            .collect();
        let met = sweep.file.precision.as_ref().map(|_| standing.met.as_slice());
        let mut files = write_outputs(sweep, &done, met, out_dir)?;
        files.push(write_manifest(sweep, file, &options.command, out_dir)?);
        let unmet = match &sweep.file.precision {
            Some(_) => (0..sweep.points.len()).filter(|&p| !standing.met[p]).map(|p| sweep.describe_point(p)).collect(),
            None => Vec::new(),
        };
        (files, unmet, short_warmups(sweep, &done))
    };
    let wall_s = started.elapsed().as_secs_f64();
    Ok(Outcome { total: wanted, executed, reran, wall_s, files, unmet, short_warmups: short })
}

/// The progress bar on stderr (runs, rate, ETA, and the open points of a precision-driven
/// sweep); its length grows with each round.
fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs  {per_sec}  elapsed {elapsed_precise}  ETA {eta_precise}  {msg}",
        )
        .expect("valid template"),
    );
    bar
}

/// The array tasks (1-based) of `count` that hold runs missing from `out_dir/store`.
pub fn tasks_with_missing_runs(sweep: &Sweep, out_dir: &Path, count: usize) -> anyhow::Result<Vec<usize>> {
    let store = Store::open(&out_dir.join("store"))?;
    let slices = shard::assign(&sweep.runs, count);
    let results: Vec<Option<StoredRun>> = sweep.runs.iter().map(|r| store.load(&r.key)).collect();
    let wanted = sweep.standing(&results).wanted;
    let mut tasks: Vec<usize> =
        (0..sweep.runs.len()).filter(|&i| wanted[i] && results[i].is_none()).map(|i| slices[i] + 1).collect();
    tasks.sort_unstable();
    tasks.dedup();
    Ok(tasks)
}

/// `manifest.json`: which build and model made the tables, from which sweep file (its
/// SHA-256) and base scenario, asked for by which command. No dates or host names, so that
/// the same command on the same build writes the same manifest.
fn write_manifest(sweep: &Sweep, file: &str, command: &[String], out_dir: &Path) -> anyhow::Result<PathBuf> {
    let details = serde_json::json!({
        "sweep_file": if file.is_empty() { BUILT_IN_NAME } else { file },
        "sweep_file_sha256": sweep.source_sha256,
        "runs": sweep.runs.len(),
        "base_scenario": sweep.base,
    });
    Ok(crate::report::write_manifest(out_dir, command, details)?)
}

/// The values of `names` in a stored run's map (NaN where undefined).
fn metric_values(names: &[String], map: &serde_json::Map<String, Value>) -> Vec<f64> {
    names.iter().map(|n| map.get(n).and_then(Value::as_f64).unwrap_or(f64::NAN)).collect()
}

/// Writes the tables and plots, aggregating sequentially in run order.
/// `done`: the wanted runs with their results, in run order; `met`: per point, whether a
/// precision-driven sweep met its target (a column of summary.csv).
fn write_outputs(
    sweep: &Sweep,
    done: &[(&PlannedRun, StoredRun)],
    met: Option<&[bool]>,
    out_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let params = sweep.columns();
    let names = sweep.metric_names();
    let rows: Vec<RunRow> = done
        .iter()
        .map(|(run, r)| RunRow {
            point: run.point.clone(),
            replication: run.replication,
            seed: run.scenario.seed,
            metrics: metric_values(&names, &r.metrics),
            events: r.events,
            fingerprint: r.fingerprint.clone(),
        })
        .collect();
    let timing: Vec<_> = done.iter().map(|(run, r)| (run.point.clone(), run.replication, r.wall_s, r.events)).collect();
    let summary = csv_out::summary_csv(&params, &names, &rows, met);
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
        for (k, (run, r)) in done.iter().enumerate() {
            for (i, registrar) in r.registrars.iter().enumerate() {
                let mut point = run.point.clone();
                point.push(i.to_string());
                let row = RunRow { point, metrics: metric_values(&names, registrar), ..rows[k].clone() };
                per_registrar.push((run.point_index, i, row));
            }
        }
        per_registrar.sort_by_key(|&(point, registrar, _)| (point, registrar));
        let table: Vec<RunRow> = per_registrar.into_iter().map(|(_, _, row)| row).collect();
        registrar_summary = csv_out::summary_csv(&columns, &names, &table, None);
        write("registrars.csv", &csv_out::components_csv(&columns, &names, &table))?;
        write("registrars_summary.csv", &registrar_summary)?;
    }
    for (name, svg) in render_plots(sweep, &summary, &registrar_summary)? {
        write(&name, svg.as_bytes())?;
    }
    Ok(files)
}

#[cfg(test)]
mod test;
