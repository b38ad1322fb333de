//! The poolsim command line. Only argument handling lives here; everything else is in
//! the library.

use clap::{Args, Parser, Subcommand};
use poolsim::error::InputError;
use poolsim::report::plot::{Labels, PlotSpec, Table, plot_summary};
use poolsim::scenario::{self, ScenarioError};
use poolsim::sweep::catalogue;
use poolsim::sweep::shard::{self, Shard};
use poolsim::{bench, report, sweep};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "poolsim", version = poolsim::provenance::long_version(), about = "Deterministic discrete-event simulator of RSerPool computing pools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario (the built-in default when no FILE is given).
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Print one JSON object (scenario, metrics, per-PE and per-registrar figures, run)
        /// instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write a timeline of the run (PE and registrar states, PU queue, failovers)
        /// into DIR: three CSV files and timeline.svg.
        #[arg(long, value_name = "DIR")]
        timeline: Option<PathBuf>,
        /// Sampling interval of the timeline [s].
        #[arg(long, value_name = "S", default_value_t = 10.0)]
        timeline_interval_s: f64,
    },
    /// Run a parameter sweep: every combination of the parameter values, replicated, in
    /// parallel; resumable; writes runs.csv, summary.csv, timing.csv and plots.
    Sweep {
        /// Sweep file (JSON); omit for the built-in reproduction of the homogeneous policy
        /// study wp1-hom-puToPERatio-jobSizeI (1296 runs).
        file: Option<PathBuf>,
        /// Output folder (default: results/<sweep file name>).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        exec: ExecArgs,
        /// Run only slice I of N (1-based) into the results store, balanced by estimated
        /// cost, and leave aggregation to `--merge`. Inside a Slurm array job the task's
        /// slice is taken from SLURM_ARRAY_TASK_ID (and _MIN, _COUNT or _MAX).
        #[arg(long, value_name = "I/N", conflicts_with = "merge")]
        shard: Option<String>,
        /// Only aggregate the results store into the tables and plots; exit code 1 and the
        /// missing runs named while any are missing.
        #[arg(long)]
        merge: bool,
        /// Print the sbatch commands that run the sweep as a Slurm array of `--tasks`
        /// tasks (only those with missing runs) and a dependent merge job; run nothing.
        #[arg(long, conflicts_with_all = ["merge", "shard"])]
        slurm: bool,
        /// Array tasks for `--slurm`.
        #[arg(long, value_name = "N", default_value_t = 16, requires = "slurm")]
        tasks: usize,
        /// At most K array tasks at a time for `--slurm` (sbatch's %K); 0 = no limit.
        #[arg(long, value_name = "K", default_value_t = 0, requires = "slurm")]
        throttle: usize,
    },
    /// Plot a metric from a sweep's results folder (its summary.csv) as SVG.
    Plot {
        /// Results folder of a sweep.
        dir: PathBuf,
        /// Metric to plot, e.g. handling_speed_pct.
        #[arg(long)]
        metric: String,
        /// Swept parameter on the x axis.
        #[arg(long)]
        x: String,
        /// Swept parameter whose values become curves.
        #[arg(long)]
        curves: Option<String>,
        /// Swept parameter whose values become side-by-side panels.
        #[arg(long)]
        panels: Option<String>,
        /// Output file (default: DIR/<metric>.svg).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which summary: the runs' metrics or the per-registrar figures.
        #[arg(long, value_enum, default_value_t = Table::Runs)]
        table: Table,
        /// A logarithmic x axis.
        #[arg(long)]
        x_log: bool,
        /// Keep only the rows where a swept parameter has this value (repeatable), e.g.
        /// --filter pool_elements.policy=LeastUsed; needed for each varied parameter that is
        /// neither x, curves nor panels.
        #[arg(long = "filter", value_name = "KEY=VALUE")]
        filter: Vec<String>,
        /// Figure width [px] (default: 520 per panel plus the legend).
        #[arg(long)]
        width: Option<u32>,
        /// Figure height [px] (default 420).
        #[arg(long)]
        height: Option<u32>,
        /// Factor on every font size, e.g. 1.5 for slides.
        #[arg(long)]
        font_scale: Option<f64>,
    },
    /// Measure speed: whole simulations (median wall time of repeated runs, peak memory),
    /// the handlespace alone at pool sizes 10^2..10^6, the default workload at 10 to
    /// 100 000 PEs (`scale`: a table, scale.csv and scale.svg), or the event list against
    /// other heaps on the recorded trace of those runs (`event-list`: event-list.csv).
    Bench {
        #[arg(value_enum, default_value_t = BenchTarget::Simulation)]
        target: BenchTarget,
        /// Runs per simulation case.
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// Largest pool size of the handlespace benchmark.
        #[arg(long, default_value_t = 1_000_000)]
        max_size: usize,
        /// Largest pool of the scale and event-list benchmarks [PEs].
        #[arg(long, default_value_t = 100_000)]
        max_pes: u32,
        /// Measured time of each scale or event-list run, after the 900 s warm-up [s].
        #[arg(long, default_value_t = 600.0)]
        duration_s: f64,
        /// Folder for the scale benchmark's scale.csv and scale.svg, and event-list.csv.
        #[arg(long, default_value = "bench-scale")]
        out: PathBuf,
        /// Skip the instruction counts of the simulation cases (perf or valgrind).
        #[arg(long)]
        no_instructions: bool,
    },
    /// The catalogue of studies (scenarios/studies/<family>/*.json): list them, or run
    /// some or all of them, each into results/<name> (resumable, as sweeps are).
    Reproduce {
        /// Studies to run, by name (see --list).
        names: Vec<String>,
        /// Print every study with its question, number of runs and estimated time.
        #[arg(long, conflicts_with_all = ["names", "all"])]
        list: bool,
        /// Run the whole catalogue, in order.
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// Folder to write each study's results into, as DIR/<name> (default: results/, where
        /// the committed results are: a rerun then overwrites them in place).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only redraw the plots from the tables already in the results folder (no run).
        #[arg(long)]
        plots_only: bool,
        #[command(flatten)]
        exec: ExecArgs,
    },
    /// List what scenarios and sweeps can name: the pool policies, the metrics (with their
    /// units) or the scenario keys (with their defaults).
    List {
        #[arg(value_enum)]
        what: ListWhat,
    },
    /// Print a shell completion script, e.g. `poolsim completions bash > /etc/bash_completion.d/poolsim`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `poolsim man > poolsim.1 && man ./poolsim.1`.
    Man,
    /// The validation suite: 59 cells measured with the reference simulator (RSPSIM 6.3.2,
    /// seeds 1-3) and the queueing-theory cases, with the tolerance and a verdict per case;
    /// writes validation.csv and validation.md; exit code 1 when a case is off.
    Validate {
        /// A few cells and shorter cases (seconds; as CI runs it).
        #[arg(long)]
        quick: bool,
        /// Output folder.
        #[arg(long, default_value = "results/validation")]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        jobs: usize,
    },
    /// Estimate the warm-up a scenario needs: the MSER-5 truncation point of the jobs in
    /// the system and the PE load over a few replications, and a suggested `warmup_s`.
    Warmup {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Replications (seeds seed, seed + 1, ...).
        #[arg(long, default_value_t = 5)]
        replications: u32,
    },
    /// Scenario utilities.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
}

/// How sweeps execute (`sweep` and `reproduce`).
#[derive(Args)]
struct ExecArgs {
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Rerun runs that are already in the results store.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Refuse to rerun stored runs that cannot be used (made by another model revision,
    /// with other metric columns, or edited or damaged) instead of rerunning them.
    #[arg(long, conflicts_with = "force")]
    no_rerun: bool,
}

/// The command as typed, less the program's path (the same on every machine), for
/// manifests.
fn command_line() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// Most worker threads a sweep may ask for.
const MAX_JOBS: usize = 1024;

impl ExecArgs {
    /// The sweep options for `mode`; the progress bar only on a terminal.
    fn options(&self, mode: sweep::Mode) -> Result<sweep::Options, InputError> {
        if self.jobs > MAX_JOBS {
            let message = format!("{} is out of range; allowed: 0 (all cores) to {MAX_JOBS}", self.jobs);
            return Err(InputError::new("--jobs", message));
        }
        let quiet = self.quiet || !std::io::stderr().is_terminal();
        let command = command_line();
        Ok(sweep::Options { jobs: self.jobs, force: self.force, quiet, no_rerun: self.no_rerun, command, mode })
    }
}

/// The scale and event-list benchmarks: a positive time within the time base, and a pool
/// size that includes the smallest case.
fn check_bench_scale(duration_s: f64, max_pes: u32) -> Result<(), InputError> {
    let max_s = scenario::MAX_TIME_S;
    if !(duration_s.is_finite() && duration_s >= 1e-9 && duration_s <= max_s) {
        let message = format!("{} is out of range; allowed: 1e-9 to {max_s:e} s", scenario::short(duration_s));
        return Err(InputError::new("--duration-s", message));
    }
    let least = bench::scale::SIZES[0];
    if max_pes < least {
        return Err(InputError::new("--max-pes", format!("{max_pes} is out of range; allowed: at least {least}")));
    }
    Ok(())
}

/// Largest pool of the handlespace benchmark (each PE takes about 200 bytes).
const MAX_HANDLESPACE_SIZE: usize = 10_000_000;

/// Most samples (time points × components) a timeline may hold: about 40 bytes each in
/// memory and in the CSV files.
const MAX_TIMELINE_SAMPLES: f64 = 2e7;

/// Samples above which a timeline is announced before the run.
const LARGE_TIMELINE_SAMPLES: f64 = 1e6;

/// Checks a timeline's sampling interval against the time resolution and the samples it
/// would hold, before anything runs.
fn check_timeline(s: &scenario::Scenario, interval_s: f64) -> Result<(), InputError> {
    let key = "--timeline-interval-s";
    if !(interval_s.is_finite() && interval_s >= 1e-9) {
        let message = format!(
            "{} is out of range; allowed: a number of seconds >= 1e-9 (the time resolution)",
            scenario::short(interval_s)
        );
        return Err(InputError::new(key, message));
    }
    let layout = s.layout();
    let rows = (layout.pool_element_lans.len() + layout.registrar_lans.len() + 1) as f64;
    let samples = ((s.end_s() / interval_s).floor() + 1.0) * rows;
    if samples > MAX_TIMELINE_SAMPLES {
        let least = s.end_s() * rows / MAX_TIMELINE_SAMPLES;
        let message = format!(
            "{} s gives {} samples ({rows} rows × {} s / {} s); allowed: at most {MAX_TIMELINE_SAMPLES:e} samples, an interval of at least {} s",
            scenario::short(interval_s),
            scenario::short(samples),
            s.end_s(),
            scenario::short(interval_s),
            scenario::short(least)
        );
        return Err(InputError::new(key, message));
    }
    if samples > LARGE_TIMELINE_SAMPLES {
        eprintln!(
            "poolsim: warning: the timeline holds {} samples (about {} MB of CSV); a longer --timeline-interval-s makes it smaller",
            scenario::short(samples),
            (samples * 40.0 / 1e6).round()
        );
    }
    Ok(())
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BenchTarget {
    Simulation,
    Handlespace,
    Scale,
    EventList,
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Print the fully resolved scenario (defaults and auto-parameters filled in) as JSON.
    Show {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Check a scenario without running it: exit code 0 and its size and estimated cost
    /// when valid (with the warnings a run would give), 2 and the offending key when not.
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ListWhat {
    Policies,
    Metrics,
    Keys,
}

#[derive(Args)]
struct ScenarioArgs {
    /// Scenario file (JSON); omit for the built-in default scenario.
    file: Option<PathBuf>,
    /// Override a key by its dotted path, e.g. --set pool_elements.policy=Random (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
}

impl ScenarioArgs {
    fn load(&self) -> Result<scenario::Scenario, ScenarioError> {
        scenario::load(self.file.as_deref(), &self.overrides)
    }
}

/// mimalloc: faster than the system allocator for the simulation's many small B-tree
/// nodes, and it scales across the sweep's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Warnings about runs that are valid but may not be what the user meant: an overloaded
/// pool (θ >= 1: the queues grow without bound), traces that barely reach the runs, and the
/// heaviest run when it takes long.
fn warn_before_running(runs: &[scenario::Scenario]) {
    let theta = runs.iter().map(|s| s.workload.target_utilization).fold(0.0, f64::max);
    if theta >= 1.0 {
        let some = if runs.len() > 1 { " at some points" } else { "" };
        eprintln!(
            "poolsim: warning: workload.target_utilization is {}{some}: at 1 or above the offered load reaches the pool's capacity and the queues grow without bound",
            scenario::short(theta)
        );
    }
    let mut trace_warnings: Vec<String> = Vec::new();
    for warning in runs.iter().flat_map(scenario::Scenario::trace_warnings) {
        if !trace_warnings.contains(&warning) {
            eprintln!("poolsim: warning: {warning}");
            trace_warnings.push(warning);
        }
    }
    let heaviest = runs.iter().max_by(|a, b| a.estimated_cost().total_cmp(&b.estimated_cost()));
    if let Some(warning) = heaviest.and_then(scenario::Scenario::cost_warning) {
        let which = if runs.len() > 1 { "the heaviest run: " } else { "" };
        eprintln!("poolsim: warning: {which}{warning}");
    }
}

/// [`warn_before_running`] for a sweep's runs, and its points left out (auto r < 1).
fn warn_before_sweeping(sweep: &sweep::Sweep) {
    let runs: Vec<scenario::Scenario> = sweep.runs.iter().map(|r| r.scenario.clone()).collect();
    warn_before_running(&runs);
    if sweep.skipped > 0 {
        eprintln!(
            "poolsim: warning: {} runs are left out: their points give an automatic PU:PE ratio r < 1 (workload.pu_pe_ratio \"auto\"), which describes no run; the reference tool-chain skips them too",
            sweep.skipped
        );
    }
}

/// Runs a sweep (or its slice) and says what it did.
fn run_sweep(
    out: &mut impl Write,
    sweep: &sweep::Sweep,
    file: &str,
    out_dir: &std::path::Path,
    options: &sweep::Options,
) -> anyhow::Result<()> {
    let outcome = sweep::execute(sweep, file, out_dir, options)?;
    let skipped = match sweep.skipped {
        0 => String::new(),
        n => format!(", {n} skipped (auto r < 1)"),
    };
    let reran = match outcome.reran.values().sum::<usize>() {
        0 => String::new(),
        n => format!(" ({n} of them stale in the store: {})", sweep::describe_stale(&outcome.reran)),
    };
    let done = format!(
        "{} runs ({} executed{reran}, {} from the store{skipped}) in {:.1} s",
        outcome.total,
        outcome.executed,
        outcome.total - outcome.executed,
        outcome.wall_s
    );
    match options.mode {
        sweep::Mode::Shard(shard) => writeln!(
            out,
            "slice {shard}: {done} into {}; aggregate with `poolsim sweep {file} --out {} --merge`",
            out_dir.join("store").display(),
            out_dir.display()
        )?,
        _ => writeln!(
            out,
            "{done}; wrote {}",
            outcome.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
        )?,
    }
    let (never, short): (Vec<_>, Vec<_>) = outcome.short_warmups.iter().partition(|w| w.never_settles);
    if let Some(latest) = short.iter().max_by(|a, b| a.truncation_s.total_cmp(&b.truncation_s)) {
        eprintln!(
            "poolsim: warning: {} point(s) may need a longer warm-up: the median MSER-5 truncation point of their runs exceeds warmup_s; the latest is {:.0} s (warmup_s {} s) at {}; `poolsim warmup` estimates it for one scenario",
            short.len(),
            latest.truncation_s,
            latest.warmup_s,
            latest.point
        );
    }
    if let Some(first) = never.first() {
        eprintln!(
            "poolsim: warning: {} point(s) never reach a steady state within their runs (MSER-5 finds no end to the transient, e.g. an overloaded pool whose queues keep growing), such as {}; their means depend on the run's length",
            never.len(),
            first.point
        );
    }
    if !outcome.unmet.is_empty() {
        let max = sweep.file.precision.as_ref().map_or(0, |p| p.max_replications);
        writeln!(out, "{} points did not reach the precision target within {max} replications:", outcome.unmet.len())?;
        for point in &outcome.unmet {
            writeln!(out, "  {point}")?;
        }
    }
    Ok(())
}

/// Exit codes: 0 success, 1 failure, 2 bad input (scenario, sweep or arguments).
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`poolsim ... | head`) is not an error.
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let bad_input = e.downcast_ref::<ScenarioError>().is_some() || e.downcast_ref::<InputError>().is_some();
            eprintln!("poolsim: error: {e:#}");
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Run { scenario, json, timeline, timeline_interval_s } => {
            let s = scenario.load()?;
            warn_before_running(std::slice::from_ref(&s));
            let result = match timeline {
                None => report::run_report(&s),
                Some(dir) => {
                    check_timeline(&s, timeline_interval_s)?;
                    let start = std::time::Instant::now();
                    let interval = poolsim::engine::SimDuration::from_secs_f64(timeline_interval_s);
                    let (out, samples) = report::timeline::record(&s, interval);
                    let wall_s = start.elapsed().as_secs_f64();
                    let details =
                        serde_json::json!({"timeline_interval_s": timeline_interval_s, "scenario": s.resolve()});
                    let written = samples.write(&dir)?;
                    let manifest = report::write_manifest(&dir, &command_line(), details)?;
                    for path in written.into_iter().chain([manifest]) {
                        eprintln!("wrote {}", path.display());
                    }
                    report::RunReport::new(&s, out, wall_s)
                }
            };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
            } else {
                write!(out, "{}", report::table(&result))?;
            }
        }
        Command::Sweep { file, out: out_arg, exec, shard, merge, slurm, tasks, throttle } => {
            let sweep = sweep::load(file.as_deref())?;
            if !slurm && !merge {
                warn_before_sweeping(&sweep);
            }
            let name =
                file.as_deref().and_then(|f| f.file_stem()).and_then(|s| s.to_str()).unwrap_or(sweep::BUILT_IN_NAME);
            let out_dir = out_arg.unwrap_or_else(|| PathBuf::from("results").join(name));
            let file_text = file.as_deref().map_or_else(String::new, |f| f.display().to_string());
            if slurm {
                write!(out, "{}", shard::sbatch_commands(&sweep, &file_text, &out_dir, tasks, throttle)?)?;
                return Ok(());
            }
            let mode = match (merge, shard) {
                (true, _) => sweep::Mode::Merge,
                (false, Some(text)) => sweep::Mode::Shard(Shard::parse(&text)?),
                (false, None) => {
                    Shard::from_env(|k| std::env::var(k).ok())?.map_or(sweep::Mode::All, sweep::Mode::Shard)
                }
            };
            run_sweep(&mut out, &sweep, &file_text, &out_dir, &exec.options(mode)?)?;
        }
        Command::Reproduce { names, list, all, out: results_dir, plots_only, exec } => {
            let studies = catalogue::studies(&catalogue::default_root())?;
            let cores =
                if exec.jobs > 0 { exec.jobs } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
            if list || (names.is_empty() && !all) {
                let times = catalogue::measured_times(&catalogue::default_root())?;
                let (mut runs, mut time, mut estimated) = (0, 0.0, 0);
                for s in &studies {
                    let (n, question, wall) = s.outline(cores, &times)?;
                    (runs, time) = (runs + n, time + wall.seconds);
                    estimated += usize::from(!wall.measured);
                    let shown =
                        format!("{}{}", if wall.measured { "" } else { "~" }, scenario::human_duration(wall.seconds));
                    writeln!(out, "{:<5} {:<48} {:>6} runs {:>8}  {question}", s.family, s.name, n, shown)?;
                }
                let basis = match estimated {
                    0 => String::new(),
                    k => format!(" ({k} estimated from event counts, marked ~)"),
                };
                writeln!(
                    out,
                    "{} studies, {runs} runs, about {} on {cores} cores: times measured on {} cores (scenarios/studies/times.csv){basis}; run one with `poolsim reproduce NAME`, all with `--all`",
                    studies.len(),
                    scenario::human_duration(time),
                    catalogue::MEASURED_CORES
                )?;
                return Ok(());
            }
            let chosen: Vec<&catalogue::Study> = if all {
                studies.iter().collect()
            } else {
                names
                    .iter()
                    .map(|n| {
                        studies.iter().find(|s| &s.name == n).ok_or_else(|| {
                            let names = || studies.iter().map(|s| s.name.as_str());
                            let message = match poolsim::error::did_you_mean(n, names()) {
                                Some(meant) => {
                                    format!("is not a study; did you mean {meant}? (`reproduce --list` lists them all)")
                                }
                                None => format!("is not a study; allowed: {}", names().collect::<Vec<_>>().join(", ")),
                            };
                            InputError::new(n, message)
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            for study in chosen {
                let sweep = study.plan()?;
                let out_dir = results_dir.clone().unwrap_or_else(|| PathBuf::from("results")).join(&study.name);
                if plots_only {
                    let files = sweep::replot(&sweep, &out_dir)?;
                    writeln!(out, "{}: redrew {} plots in {}", study.name, files.len(), out_dir.display())?;
                    continue;
                }
                warn_before_sweeping(&sweep);
                write!(out, "{}: ", study.name)?;
                run_sweep(
                    &mut out,
                    &sweep,
                    &study.path.display().to_string(),
                    &out_dir,
                    &exec.options(sweep::Mode::All)?,
                )?;
            }
        }
        Command::Plot {
            dir,
            metric,
            x,
            curves,
            panels,
            out: file,
            table,
            x_log,
            filter: filters,
            width,
            height,
            font_scale,
        } => {
            if let Some(path) = &file
                && path.extension().is_none_or(|e| !e.eq_ignore_ascii_case("svg"))
            {
                let message =
                    format!("{} is not an .svg file; allowed: an .svg path (poolsim draws SVG only)", path.display());
                return Err(InputError::new("--out", message).into());
            }
            let mut filter = serde_json::Map::new();
            for f in &filters {
                let (key, value) = f.split_once('=').ok_or_else(|| {
                    InputError::new(
                        "--filter",
                        format!("`{f}` has no `=`; allowed: KEY=VALUE, e.g. pool_elements.policy=LeastUsed"),
                    )
                })?;
                let value =
                    serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
                filter.insert(key.to_string(), value);
            }
            let summary_path = dir.join(table.summary_file());
            let summary = std::fs::read(&summary_path)
                .map_err(|e| InputError::new(summary_path.display().to_string(), format!("cannot read: {e}")))?;
            let spec =
                PlotSpec { metric, x, curves, panels, file: None, x_log, filter, table, width, height, font_scale };
            let svg = plot_summary(&summary, &spec, &Labels::new())?;
            let path = file.unwrap_or_else(|| dir.join(spec.file_name()));
            report::write_atomic(&path, svg.as_bytes())?;
            writeln!(out, "wrote {}", path.display())?;
        }
        Command::Bench { target: BenchTarget::Handlespace, max_size, .. } => {
            if !(100..=MAX_HANDLESPACE_SIZE).contains(&max_size) {
                let message = format!("{max_size} is out of range; allowed: 100 to {MAX_HANDLESPACE_SIZE}");
                return Err(InputError::new("--max-size", message).into());
            }
            writeln!(
                out,
                "{:<15} {:>9} {:>5}  {:<28} {:>10} {:>12}",
                "policy", "PEs", "pools", "operation", "ns/op", "ops/s"
            )?;
            for m in bench::handlespace::table(max_size) {
                writeln!(
                    out,
                    "{:<15} {:>9} {:>5}  {:<28} {:>10.1} {:>12.0}",
                    m.policy.name(),
                    m.pool_elements,
                    m.pools,
                    m.operation,
                    m.ns_per_op,
                    1e9 / m.ns_per_op
                )?;
            }
        }
        Command::Bench { target: BenchTarget::EventList, max_pes, duration_s, out: dir, .. } => {
            check_bench_scale(duration_s, max_pes)?;
            writeln!(
                out,
                "{:>7} {:>11} {:>11}  {:<34} {:>9} {:>9}",
                "PEs", "heap ops", "max entries", "event list", "ns/op", "relative"
            )?;
            let mut rows = Vec::new();
            for pes in bench::scale::SIZES.into_iter().filter(|&n| n <= max_pes) {
                let trace = bench::event_list::record(pes, duration_s);
                for r in bench::event_list::measure(pes, &trace) {
                    writeln!(
                        out,
                        "{:>7} {:>11} {:>11}  {:<34} {:>9.1} {:>9.2}",
                        r.pool_elements, r.operations, r.max_entries, r.event_list, r.ns_per_operation, r.relative
                    )?;
                    rows.push(r);
                }
            }
            writeln!(out, "wrote {}", bench::event_list::write(&rows, &dir)?.display())?;
        }
        Command::Bench { target: BenchTarget::Scale, max_pes, duration_s, out: dir, .. } => {
            check_bench_scale(duration_s, max_pes)?;
            writeln!(
                out,
                "{:>7} {:>9} {:>12} {:>9} {:>10} {:>8} {:>9} {:>11}",
                "PEs", "PUs", "events", "wall s", "M ev/s", "ns/ev", "peak MiB", "B/component"
            )?;
            let mut rows = Vec::new();
            for pes in bench::scale::SIZES.into_iter().filter(|&n| n <= max_pes) {
                let r = bench::scale::measure(pes, duration_s);
                writeln!(
                    out,
                    "{:>7} {:>9} {:>12} {:>9.3} {:>10.2} {:>8.0} {:>9.1} {:>11.0}",
                    r.pool_elements,
                    r.pool_users,
                    r.events,
                    r.wall_s,
                    r.events_per_s / 1e6,
                    r.ns_per_event,
                    r.peak_mib,
                    r.bytes_per_component
                )?;
                rows.push(r);
            }
            let files = bench::scale::write(&rows, &dir)?;
            writeln!(out, "wrote {}", files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))?;
        }
        Command::Bench { target: BenchTarget::Simulation, runs, no_instructions, .. } => {
            let exe = std::env::current_exe().ok().filter(|_| !no_instructions);
            for case in bench::simulation_cases() {
                let runs = if case.scenario.duration_s > 100_000.0 { runs.div_ceil(4) } else { runs };
                let r = bench::measure(&case, runs);
                writeln!(
                    out,
                    "{:<52} {:>9} events  median {:>8.2} ms  min {:>8.2} ms  {:>6.2} M events/s  ({} runs)",
                    r.name,
                    r.events,
                    r.wall_s_median * 1e3,
                    r.wall_s_min * 1e3,
                    r.events_per_s / 1e6,
                    r.runs
                )?;
                if let Some(i) = exe.as_deref().and_then(|exe| bench::instructions(exe, &case.scenario)) {
                    let per_event = i.count as f64 / r.events as f64;
                    writeln!(
                        out,
                        "{:<52} {:>9.1} M instructions ({per_event:.0} per event; whole process, {})",
                        "",
                        i.count as f64 / 1e6,
                        i.tool
                    )?;
                }
            }
            if let Some(mib) = bench::peak_memory_mib() {
                writeln!(out, "peak memory (VmHWM): {mib:.1} MiB")?;
            }
        }
        Command::Validate { quick, out: dir, jobs } => {
            if jobs > MAX_JOBS {
                return Err(
                    InputError::new("--jobs", format!("{jobs} is out of range; allowed: 0 to {MAX_JOBS}")).into()
                );
            }
            let bar = if std::io::stderr().is_terminal() {
                let bar = indicatif::ProgressBar::new(poolsim::validation::run_count(quick) as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} runs  elapsed {elapsed_precise}  ETA {eta_precise}",
                    )
                    .expect("valid template"),
                );
                bar
            } else {
                indicatif::ProgressBar::hidden()
            };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
            let rows = pool.install(|| poolsim::validation::validate(quick, &|| bar.inc(1)));
            bar.finish_and_clear();
            std::fs::create_dir_all(&dir)?;
            report::write_atomic(&dir.join("validation.csv"), &poolsim::validation::csv(&rows))?;
            report::write_atomic(&dir.join("validation.md"), poolsim::validation::markdown(&rows).as_bytes())?;
            let details = serde_json::json!({"reference_cells": "validation/rspsim-cells.json", "quick": quick});
            report::write_manifest(&dir, &command_line(), details)?;
            write!(out, "{}", poolsim::validation::text(&rows))?;
            writeln!(out, "wrote {}", dir.join("validation.csv").display())?;
            let failed = poolsim::validation::failed(&rows);
            if !failed.is_empty() {
                anyhow::bail!("off tolerance: {}", failed.join(", "));
            }
        }
        Command::Warmup { scenario: args, replications } => {
            if !(1..=1000).contains(&replications) {
                let message = format!("{replications} is out of range; allowed: 1 to 1000");
                return Err(InputError::new("--replications", message).into());
            }
            let base = args.load()?;
            warn_before_running(std::slice::from_ref(&base));
            let seeds: Vec<u64> = (0..replications as u64).map(|k| base.seed.wrapping_add(k)).collect();
            let points: Vec<f64> = seeds
                .par_iter()
                .map(|&seed| report::warmup::truncation(&scenario::Scenario { seed, ..base.clone() }).1)
                .collect();
            for (seed, t) in seeds.iter().zip(&points) {
                writeln!(out, "seed {seed}: MSER-5 truncation point {t:.0} s")?;
            }
            let latest = points.iter().copied().fold(0.0, f64::max);
            // Rounded up to whole minutes, the latest of the replications.
            let suggested = (latest / 60.0).ceil() * 60.0;
            let verdict = if base.warmup_s >= latest { "long enough" } else { "too short" };
            writeln!(
                out,
                "suggested warmup_s: {suggested} (the latest truncation point, in whole minutes); the scenario's {} s is {verdict}",
                base.warmup_s
            )?;
        }
        Command::Scenario { command: ScenarioCommand::Validate { scenario: args } } => {
            let s = args.load()?;
            warn_before_running(std::slice::from_ref(&s));
            let layout = s.layout();
            let cost = s.estimated_cost();
            writeln!(
                out,
                "{}: valid; {} PEs, {} PUs, {} registrar(s), {} s simulated; about {} events ({} of one core)",
                args.file.as_deref().map_or(scenario::DEFAULT_SCENARIO_NAME.into(), |f| f.display().to_string()),
                layout.pool_element_lans.len(),
                layout.pool_user_lans.len(),
                layout.registrar_lans.len(),
                s.end_s(),
                scenario::short(cost),
                scenario::human_duration(cost * scenario::SECONDS_PER_COST)
            )?;
        }
        Command::List { what: ListWhat::Policies } => {
            for p in poolsim::handlespace::PolicyType::ALL {
                let engine = match p.family() {
                    poolsim::handlespace::Family::Ordered => "sorted order",
                    poolsim::handlespace::Family::Random => "weighted random",
                    poolsim::handlespace::Family::Sampled => "d sampled, best taken",
                };
                let adaptive = if p.is_adaptive() { "load-adaptive (PEs report load changes)" } else { "static" };
                writeln!(
                    out,
                    "{:<40} {engine}, {adaptive}, default MaxIncrement {}",
                    p.name(),
                    p.default_max_increment()
                )?;
            }
        }
        Command::List { what: ListWhat::Metrics } => {
            let registrar = poolsim::model::metrics::RegistrarReport::names();
            for m in poolsim::model::Metrics::names_with_trace() {
                let (label, scale) = poolsim::report::plot::metric_axis(&m);
                let tables = if scale == 1.0 { "" } else { " (the tables hold the fraction 0..1; plots show %)" };
                writeln!(out, "{m:<36} {label}{tables}")?;
            }
            writeln!(out, "\nper registrar (--json, per_registrar sweeps): {}", registrar.join(", "))?;
        }
        Command::List { what: ListWhat::Keys } => {
            fn walk(prefix: &str, v: &serde_json::Value, out: &mut impl Write) -> std::io::Result<()> {
                match v {
                    serde_json::Value::Object(m) if !m.is_empty() && !m.contains_key("type") => {
                        for (k, v) in m {
                            walk(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out)?;
                        }
                        Ok(())
                    }
                    v => writeln!(out, "{prefix:<52} {v}"),
                }
            }
            writeln!(out, "{:<52} default (docs/scenarios.md says what each means and allows)", "key")?;
            walk("", &serde_json::to_value(scenario::Scenario::default())?, &mut out)?;
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "poolsim", &mut out);
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
        }
        Command::Scenario { command: ScenarioCommand::Show { scenario } } => {
            let s = scenario.load()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&s.resolve())?)?;
        }
    }
    Ok(())
}
