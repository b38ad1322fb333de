//! `poolsim bench`: wall-clock speed of whole simulations (release build), reported as
//! the median of repeated runs, plus the process's peak memory. Speed is measured here,
//! never asserted in tests.

pub mod event_list;
pub mod handlespace;
pub mod scale;

use crate::model;
use crate::scenario::{self, Scenario};
use serde::Serialize;
use serde_json::json;
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
