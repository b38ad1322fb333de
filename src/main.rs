//! The poolsim command line. Only argument handling lives here; everything else is in
//! the library.

use clap::{Args, Parser, Subcommand};
use poolsim::error::InputError;
use poolsim::report::plot::{Labels, PlotSpec, Table, plot_summary};
use poolsim::scenario::{self, ScenarioError};
use poolsim::sweep::catalogue;
use poolsim::sweep::shard::{self, Shard};
use poolsim::{bench, report, sweep};
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "poolsim", version, about = "Deterministic discrete-event simulator of RSerPool computing pools")]
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
        #[command(flatten)]
        exec: ExecArgs,
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
}

impl ExecArgs {
    /// The sweep options for `mode`; the progress bar only on a terminal.
    fn options(&self, mode: sweep::Mode) -> sweep::Options {
        let quiet = self.quiet || !std::io::stderr().is_terminal();
        sweep::Options { jobs: self.jobs, force: self.force, quiet, mode }
    }
}

/// The benchmarks' `--duration-s` must be a positive time.
fn check_bench_duration(duration_s: f64) -> Result<(), InputError> {
    if duration_s.is_finite() && duration_s > 0.0 {
        Ok(())
    } else {
        Err(InputError::new("--duration-s", format!("{duration_s} is out of range; allowed: > 0")))
    }
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
    let done = format!(
        "{} runs ({} executed, {} from the store{skipped}) in {:.1} s",
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
            let result = match timeline {
                None => report::run_report(&s),
                Some(dir) => {
                    if !(timeline_interval_s.is_finite() && timeline_interval_s > 0.0) {
                        let allowed = "allowed: a number of seconds > 0";
                        let message = format!("{timeline_interval_s} is out of range; {allowed}");
                        return Err(InputError::new("--timeline-interval-s", message).into());
                    }
                    let start = std::time::Instant::now();
                    let interval = poolsim::engine::SimDuration::from_secs_f64(timeline_interval_s);
                    let (out, samples) = report::timeline::record(&s, interval);
                    let wall_s = start.elapsed().as_secs_f64();
                    for path in samples.write(&dir)? {
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
            run_sweep(&mut out, &sweep, &file_text, &out_dir, &exec.options(mode))?;
        }
        Command::Reproduce { names, list, all, exec } => {
            let studies = catalogue::studies(&catalogue::default_root())?;
            let cores =
                if exec.jobs > 0 { exec.jobs } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
            if list || (names.is_empty() && !all) {
                let (mut runs, mut time) = (0, 0.0);
                for s in &studies {
                    let sweep = s.plan()?;
                    let question = sweep.file.question.as_deref().unwrap_or_default();
                    let seconds = catalogue::estimated_seconds(&sweep, cores);
                    (runs, time) = (runs + sweep.runs.len(), time + seconds);
                    let shown = catalogue::human(seconds);
                    writeln!(
                        out,
                        "{:<5} {:<48} {:>6} runs {:>8}  {question}",
                        s.family,
                        s.name,
                        sweep.runs.len(),
                        shown
                    )?;
                }
                writeln!(
                    out,
                    "{} studies, {runs} runs, about {} on {cores} cores; run one with `poolsim reproduce NAME`, all with `--all`",
                    studies.len(),
                    catalogue::human(time)
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
                            let known = studies.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
                            InputError::new(n, format!("is not a study; allowed: {known}"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            for study in chosen {
                let sweep = study.plan()?;
                let out_dir = PathBuf::from("results").join(&study.name);
                write!(out, "{}: ", study.name)?;
                run_sweep(
                    &mut out,
                    &sweep,
                    &study.path.display().to_string(),
                    &out_dir,
                    &exec.options(sweep::Mode::All),
                )?;
            }
        }
        Command::Plot { dir, metric, x, curves, panels, out: file, table, x_log } => {
            let summary_path = dir.join(table.summary_file());
            let summary = std::fs::read(&summary_path)
                .map_err(|e| InputError::new(summary_path.display().to_string(), format!("cannot read: {e}")))?;
            let spec = PlotSpec { metric, x, curves, panels, file: None, x_log, filter: Default::default(), table };
            let svg = plot_summary(&summary, &spec, &Labels::new())?;
            let path = file.unwrap_or_else(|| dir.join(spec.file_name()));
            report::write_atomic(&path, svg.as_bytes())?;
            writeln!(out, "wrote {}", path.display())?;
        }
        Command::Bench { target: BenchTarget::Handlespace, max_size, .. } => {
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
            check_bench_duration(duration_s)?;
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
            check_bench_duration(duration_s)?;
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
        Command::Bench { target: BenchTarget::Simulation, runs, .. } => {
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
            }
            if let Some(mib) = bench::peak_memory_mib() {
                writeln!(out, "peak memory (VmHWM): {mib:.1} MiB")?;
            }
        }
        Command::Scenario { command: ScenarioCommand::Show { scenario } } => {
            let s = scenario.load()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&s.resolve())?)?;
        }
    }
    Ok(())
}
