//! The poolsim command line. Only argument handling lives here; everything else is in
//! the library.

use clap::{Args, Parser, Subcommand};
use poolsim::scenario::{self, ScenarioError};
use poolsim::{bench, report};
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
        /// Print one JSON object (scenario, metrics, run) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Measure simulation speed (median wall time of repeated runs) and peak memory.
    Bench {
        /// Runs per case.
        #[arg(long, default_value_t = 21)]
        runs: usize,
    },
    /// Scenario utilities.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
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

/// Exit codes: 0 success, 1 failure, 2 bad input (scenario, sweep or arguments).
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let bad_input = e.downcast_ref::<ScenarioError>().is_some();
            eprintln!("poolsim: error: {e:#}");
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Run { scenario, json } => {
            let s = scenario.load()?;
            let result = report::run_report(&s);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
            } else {
                write!(out, "{}", report::table(&result))?;
            }
        }
        Command::Bench { runs } => {
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
