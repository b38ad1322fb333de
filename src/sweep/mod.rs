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
mod plan;
pub mod precision;
pub mod shard;
pub mod store;

use plan::metric_values;
pub use plan::{
    BUILT_IN_NAME, MAX_RUNS, Parameter, PlannedRun, SeedMode, Sweep, SweepFile, TABLES, load, outline, parse, plan,
};

use crate::error::InputError;
use crate::model::metrics::RegistrarReport;
use crate::report::csv::{self as csv_out, RunRow};
use crate::report::plot::{PlotSpec, Table, plot_summary};
use crate::report::write_atomic;
use rayon::prelude::*;
use serde_json::Value;
use shard::Shard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{Lookup, Stale, Store, StoredRun};

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
