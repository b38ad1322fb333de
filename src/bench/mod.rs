//! `poolsim bench`: wall-clock speed of whole simulations (release build), reported as
//! the median of repeated runs, plus the process's peak memory and, where `perf` or
//! valgrind is present, the instructions a run takes (which, unlike wall time, do not
//! drift with the machine's load). Speed is measured here, never asserted in tests.

pub mod event_list;
pub mod handlespace;
pub mod scale;

use crate::model;
use crate::scenario::{self, Scenario};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One benchmark case: a named scenario.
pub struct Case {
    pub name: &'static str,
    pub scenario: Scenario,
}

/// The simulation benchmark cases of the README.
pub fn simulation_cases() -> Vec<Case> {
    let case = |name, v| Case { name, scenario: scenario::from_value(v).expect("valid benchmark scenario") };
    vec![
        case("default (10 PEs, 100 PUs, LeastUsed, 2 h)", json!({})),
        case(
            "test1.ini: 100 PUs, LeastUsed, job size 1e8, 200 h",
            json!({"duration_s": 720000, "workload": {"job_size": 1e8}}),
        ),
        // A wp2-shutdownI cell: PEs fail every 50 s (half of them silently), keep-alives
        // every second, failovers from cookies.
        case(
            "churn: MTBF 50 s, half unclean, EKA/JKA 1 s, 1 h",
            json!({"duration_s": 3600, "workload": {"target_utilization": 0.6}, "network": {"lan_delay_ms": 10},
                   "registrars": {"endpoint_keep_alive_interval_s": 1, "endpoint_keep_alive_timeout_s": 1,
                                  "max_bad_pe_reports": 1},
                   "calcapp": {"keep_alive_interval_s": 1, "keep_alive_timeout_s": 1},
                   "pool_elements": {"uptime": {"type": "exponential", "mean_s": 50},
                                     "clean_shutdown_probability": 0.5}}),
        ),
    ]
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub runs: usize,
    pub events: u64,
    pub wall_s_min: f64,
    pub wall_s_median: f64,
    /// Events per second at the median wall time.
    pub events_per_s: f64,
}

/// Runs `case` `runs` times.
pub fn measure(case: &Case, runs: usize) -> CaseResult {
    let mut walls = Vec::with_capacity(runs);
    let mut events = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = model::run(&case.scenario);
        walls.push(start.elapsed().as_secs_f64());
        events = out.events;
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    CaseResult {
        name: case.name.to_string(),
        runs: walls.len(),
        events,
        wall_s_min: walls[0],
        wall_s_median: median,
        events_per_s: events as f64 / median,
    }
}

/// Peak resident memory of this process [MiB] (Linux `VmHWM`), if known.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Instructions one whole `poolsim run` of a scenario takes (start-up and report included:
/// about 1 M of them), and the tool that counted them.
#[derive(Clone, Debug, Serialize)]
pub struct Instructions {
    pub count: u64,
    pub tool: &'static str,
}

/// Counts the instructions of `exe run <scenario>` in a child process: `perf stat` where
/// the machine has a hardware counter, else valgrind's callgrind (exact, about 10x
/// slower than the run); None when neither works.
pub fn instructions(exe: &Path, scenario: &Scenario) -> Option<Instructions> {
    let file = std::env::temp_dir().join(format!("poolsim-bench-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_string(scenario).expect("scenarios serialise")).ok()?;
    let counted = perf_instructions(exe, &file).or_else(|| callgrind_instructions(exe, &file));
    let _ = std::fs::remove_file(&file);
    counted
}

fn perf_instructions(exe: &Path, scenario: &Path) -> Option<Instructions> {
    let count = tool_output("perf", &["stat", "-x,", "-e", "instructions:u"], exe, scenario, perf_count)?;
    Some(Instructions { count, tool: "perf" })
}

fn callgrind_instructions(exe: &Path, scenario: &Path) -> Option<Instructions> {
    let args = ["--tool=callgrind", "--callgrind-out-file=/dev/null"];
    let count = tool_output("valgrind", &args, exe, scenario, callgrind_count)?;
    Some(Instructions { count, tool: "callgrind" })
}

/// Runs `program args... exe run scenario` and reads the count from its stderr; None
/// when the tool is missing, fails, or prints no count.
fn tool_output(
    program: &str,
    args: &[&str],
    exe: &Path,
    scenario: &Path,
    count: fn(&str) -> Option<u64>,
) -> Option<u64> {
    let out = Command::new(program)
        .args(args)
        .arg(exe)
        .arg("run")
        .arg(scenario)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| count(&String::from_utf8_lossy(&out.stderr))).flatten()
}

/// `perf stat -x,` writes CSV to stderr: "12345,,instructions:u,..." (or
/// "<not supported>,,instructions:u,..." where the machine has no counter).
fn perf_count(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.contains("instructions"))?;
    line.split(',').next()?.parse().ok()
}

/// callgrind's summary on stderr: "==123== Collected : 103566740".
fn callgrind_count(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| l.split("Collected :").nth(1))?.trim().parse().ok()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn instruction_counts_are_read_from_the_tools_output() {
        assert_eq!(perf_count("103566740,,instructions:u,1520334,100.00,,\n"), Some(103_566_740));
        assert_eq!(perf_count("<not supported>,,instructions:u,0,100.00,,\n"), None);
        let callgrind = "==28419== Events    : Ir\n==28419== Collected : 103566740\n==28419==\n";
        assert_eq!(callgrind_count(callgrind), Some(103_566_740));
        assert_eq!(callgrind_count("valgrind: command not found\n"), None);
    }
}
