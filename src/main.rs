//! The poolsim command line. Only argument handling lives here; everything else is in
//! the library.

use clap::{Args, Parser, Subcommand};
use poolsim::report;
use poolsim::scenario::{self, ScenarioError};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "poolsim",
    version,
    about = "Deterministic discrete-event simulator of RSerPool computing pools"
)]
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
        Command::Scenario {
            command: ScenarioCommand::Show { scenario },
        } => {
            let s = scenario.load()?;
            writeln!(out, "{}", serde_json::to_string_pretty(&s.resolve())?)?;
        }
    }
    Ok(())
}
