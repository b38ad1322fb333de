//! Reading a sweep file and planning its runs: parameters, replications and seeds, the
//! checks made before anything runs, and each run's scenario and store key.

use super::derived::{Derived, Expr};
use super::precision::{Precision, Standing};
use super::store::{StoredRun, hash64, run_key};
use crate::engine::rng::mix64;
use crate::error::InputError;
use crate::model::Metrics;
use crate::model::metrics::RegistrarReport;
use crate::report::plot::{MAX_AXIS_VALUE, PlotSpec, Table, plot_summary};
use crate::scenario::{self, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        super::precision::standing(&self.points, precision, |i| {
            results[i].as_ref().map(|r| metric_values(&names, &r.metrics))
        })
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
                cells.push(super::derived::cell(v));
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

/// The values of `names` in a stored run's map (NaN where undefined).
pub(super) fn metric_values(names: &[String], map: &serde_json::Map<String, Value>) -> Vec<f64> {
    names.iter().map(|n| map.get(n).and_then(Value::as_f64).unwrap_or(f64::NAN)).collect()
}
