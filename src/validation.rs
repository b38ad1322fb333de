//! The validation suite (`poolsim validate`): poolsim against the reference simulator and
//! against queueing theory, with a verdict per case.
//!
//! - 59 cells measured with RSPSIM 6.3.2 on seeds 1-3 (`validation/rspsim-cells.json`):
//!   each gives its poolsim settings, the reference's mean and sd per metric and whether
//!   the cell is stationary; poolsim runs the same seeds and must come within the cell's
//!   tolerance (looser for non-stationary cells, whose queues grow through the run).
//! - Analytic cases: M/M/1, M/M/1 processor sharing and the Random split of Poisson
//!   traffic, whose theoretical value must lie in the Student-t 99 % interval of poolsim's
//!   replications.

use crate::model::{self, Metrics};
use crate::report::stats::summarize;
use crate::scenario;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The reference cells, shipped with the binary.
const CELLS: &str = include_str!("../validation/rspsim-cells.json");

/// A metric's mean and standard deviation over the reference's seeds.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Reference {
    pub mean: f64,
    pub sd: f64,
}

/// One cell measured with the reference simulator.
#[derive(Clone, Debug, Deserialize)]
pub struct Cell {
    pub name: String,
    pub feature: String,
    pub non_stationary: bool,
    pub seeds: Vec<u64>,
    pub poolsim_set: serde_json::Map<String, Value>,
    pub rspsim: BTreeMap<String, Reference>,
}

#[derive(Deserialize)]
struct CellFile {
    cells: Vec<Cell>,
}

/// The reference cells, in file order.
pub fn cells() -> Vec<Cell> {
    serde_json::from_str::<CellFile>(CELLS).expect("the shipped cells parse").cells
}

/// The cells of `validate --quick`: one of each kind (baseline, heterogeneous, LAN delay,
/// handle-resolution items, stale cache, churn), as measured (a few seconds of CPU).
const QUICK: [&str; 6] = [
    "base_LeastUsed_r3",
    "fast_g4_LeastUsed_r3",
    "landelay100_RoundRobin_r10",
    "hr3_maxinc1_RoundRobin_r3",
    "stale1_hr3_LeastUsed_r3",
    "churn_mtbf100_cmc1e7_LeastUsed_r10",
];

/// A metric of a run as the reference reports it.
fn metric(m: &Metrics, name: &str) -> f64 {
    match name {
        "system_utilization" => m.system_utilization,
        "handling_speed_pct" => m.handling_speed_pct,
        "processing_time_mean_s" => m.processing_time_mean_s,
        "handle_resolutions_per_job" => m.handle_resolutions as f64 / m.jobs_completed as f64,
        "failovers" => m.failovers as f64,
        other => unreachable!("no reference metric {other}"),
    }
}

/// The tolerance of a metric in a cell: whether poolsim's mean `ours` passes against the
/// reference, and the rule as text.
fn tolerance(name: &str, non_stationary: bool, ours: f64, reference: Reference) -> (bool, String) {
    let Reference { mean, sd } = reference;
    let relative = (ours - mean).abs() / mean.abs();
    match (name, non_stationary) {
        ("system_utilization", false) => ((ours - mean).abs() <= 0.015, "|Δ| ≤ 0.015".into()),
        ("system_utilization", true) => ((ours - mean).abs() <= 0.03, "|Δ| ≤ 0.03".into()),
        ("handling_speed_pct", false) => {
            let limit = 0.08f64.max(3.0 * sd / mean);
            (relative <= limit, format!("≤ {:.1} % (max of 8 %, 3 sd)", 100.0 * limit))
        }
        ("handling_speed_pct", true) => ((0.5..=2.0).contains(&(ours / mean)), "within a factor of 2".into()),
        ("processing_time_mean_s", false) => (relative <= 0.06, "≤ 6 %".into()),
        ("processing_time_mean_s", true) => (relative <= 0.15, "≤ 15 %".into()),
        ("handle_resolutions_per_job", _) => (relative <= 0.15, "≤ 15 %".into()),
        ("failovers", _) => {
            let limit = (0.10 * mean).max(3.0 * sd);
            ((ours - mean).abs() <= limit, format!("|Δ| ≤ {limit:.0} (max of 10 %, 3 sd)"))
        }
        (other, _) => unreachable!("no tolerance for {other}"),
    }
}

/// One row of the validation table.
#[derive(Clone, Debug)]
pub struct Row {
    /// `rspsim` or `theory`.
    pub against: &'static str,
    pub case: String,
    pub feature: String,
    pub metric: String,
    pub poolsim_mean: f64,
    /// Standard deviation over poolsim's seeds (cells), 99 % CI half-width (theory).
    pub poolsim_spread: f64,
    pub reference: f64,
    /// Standard deviation of the reference over its seeds (0 for theory).
    pub reference_sd: f64,
    pub tolerance: String,
    pub pass: bool,
}

/// An analytic case: a scenario whose metric queueing theory predicts.
struct Analytic {
    name: &'static str,
    feature: &'static str,
    scenario: Value,
    metric: &'static str,
    theory: f64,
}

/// Replications of the analytic cases (seeds 1..=R).
const ANALYTIC_REPLICATIONS: u64 = 8;

fn analytic_cases(quick: bool) -> Vec<Analytic> {
    // M/M/1: one PU feeding one PE, μ = 1/s, λ = 0.625/s.
    let (mu, lambda) = (1.0, 1.0 / 1.6);
    let mm1 = json!({
        "duration_s": if quick { 8000 } else { 40000 },
        "workload": {"job_size": 1e6, "job_interval": 1.6},
        "pool_elements": {"count": 1, "capacity": 1e6},
        "pool_users": {"count": 1},
    });
    // M/M/1-PS: 1000 low-rate PUs on one PE at ρ = 0.6.
    let ps = json!({
        "duration_s": if quick { 6000 } else { 30000 },
        "workload": {"job_size": 1e6, "job_interval": 1000.0 / 0.6},
        "pool_elements": {"count": 1, "capacity": 1e6, "min_capacity_per_job": 1000},
        "pool_users": {"count": 1000},
    });
    // Random over 4 PEs splits Poisson traffic into 4 M/M/1-PS queues at ρ = 0.5.
    let split = json!({
        "duration_s": if quick { 4000 } else { 20000 },
        "workload": {"job_size": 1e6, "job_interval": 400.0 / (0.5 * 4.0)},
        "pool_elements": {"count": 4, "capacity": 1e6, "min_capacity_per_job": 1000, "policy": "Random"},
        "pool_users": {"count": 400},
    });
    vec![
        Analytic {
            name: "M/M/1",
            feature: "one PU, one PE, one job at a time: mean sojourn 1/(μ − λ)",
            scenario: mm1.clone(),
            metric: "handling_time_mean_s",
            theory: 1.0 / (mu - lambda),
        },
        Analytic {
            name: "M/M/1",
            feature: "one PU, one PE: mean wait λ/(μ(μ − λ))",
            scenario: mm1,
            metric: "queuing_delay_mean_s",
            theory: lambda / (mu * (mu - lambda)),
        },
        Analytic {
            name: "M/M/1-PS",
            feature: "1000 PUs on one PE (processor sharing): mean sojourn S/(C(1 − ρ))",
            scenario: ps.clone(),
            metric: "handling_time_mean_s",
            theory: 1.0 / (1.0 - 0.6),
        },
        Analytic {
            name: "M/M/1-PS",
            feature: "utilization equals the offered load ρ",
            scenario: ps,
            metric: "system_utilization",
            theory: 0.6,
        },
        Analytic {
            name: "Random split",
            feature: "Random over 4 PEs: 4 M/M/1-PS queues at ρ = 0.5",
            scenario: split,
            metric: "handling_time_mean_s",
            theory: 1.0 / (1.0 - 0.5),
        },
    ]
}

/// A named metric of a run, for the analytic cases.
fn named_metric(m: &Metrics, name: &str) -> f64 {
    m.fields().into_iter().find(|(k, _)| k == name).map_or(f64::NAN, |(_, v)| v)
}

fn run(v: &Value) -> Metrics {
    model::run(&scenario::from_value(v.clone()).expect("validation scenarios are valid")).metrics
}

/// Runs the suite (`quick`: a few cells and shorter analytic cases) on the
/// current rayon pool; rows in a fixed order.
pub fn validate(quick: bool, progress: &(dyn Fn() + Sync)) -> Vec<Row> {
    let cells: Vec<Cell> = cells().into_iter().filter(|c| !quick || QUICK.contains(&c.name.as_str())).collect();
    // Every (cell, seed) run, in parallel; aggregated in order.
    let jobs: Vec<(usize, u64)> =
        cells.iter().enumerate().flat_map(|(i, c)| c.seeds.iter().map(move |&s| (i, s))).collect();
    let metrics: Vec<Metrics> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|&(i, seed)| {
            let mut v = json!({});
            for (k, x) in &cells[i].poolsim_set {
                scenario::apply_override(&mut v, k, x.clone()).expect("cell keys are scenario keys");
            }
            v["seed"] = json!(seed);
            let m = run(&v);
            progress();
            m
        })
        .collect();
    let mut rows = Vec::new();
    let mut at = 0;
    for cell in &cells {
        let runs = &metrics[at..at + cell.seeds.len()];
        at += cell.seeds.len();
        for (name, &reference) in &cell.rspsim {
            let values: Vec<f64> = runs.iter().map(|m| metric(m, name)).collect();
            let s = summarize(&values, 0.95);
            let (pass, rule) = tolerance(name, cell.non_stationary, s.mean, reference);
            rows.push(Row {
                against: "rspsim",
                case: cell.name.clone(),
                feature: cell.feature.clone(),
                metric: name.clone(),
                poolsim_mean: s.mean,
                poolsim_spread: s.sd,
                reference: reference.mean,
                reference_sd: reference.sd,
                tolerance: if cell.non_stationary { format!("{rule} (non-stationary)") } else { rule },
                pass,
            });
        }
    }
    let analytic = analytic_cases(quick);
    let analytic_jobs: Vec<(&Analytic, u64)> =
        analytic.iter().flat_map(|case| (1..=ANALYTIC_REPLICATIONS).map(move |seed| (case, seed))).collect();
    let analytic_runs: Vec<f64> = analytic_jobs
        .par_iter()
        .with_max_len(1)
        .map(|&(case, seed)| {
            let mut v = case.scenario.clone();
            v["seed"] = json!(seed);
            let x = named_metric(&run(&v), case.metric);
            progress();
            x
        })
        .collect();
    for (case, values) in analytic.iter().zip(analytic_runs.chunks(ANALYTIC_REPLICATIONS as usize)) {
        let s = summarize(values, 0.99);
        rows.push(Row {
            against: "theory",
            case: case.name.into(),
            feature: case.feature.into(),
            metric: case.metric.into(),
            poolsim_mean: s.mean,
            poolsim_spread: s.ci_half_width,
            reference: case.theory,
            reference_sd: 0.0,
            tolerance: "theory in the 99 % CI".into(),
            pass: (s.mean - case.theory).abs() <= s.ci_half_width,
        });
    }
    rows
}

/// Runs of the suite (for a progress bar).
pub fn run_count(quick: bool) -> usize {
    let cells = cells().into_iter().filter(|c| !quick || QUICK.contains(&c.name.as_str()));
    cells.map(|c| c.seeds.len()).sum::<usize>() + analytic_cases(quick).len() * ANALYTIC_REPLICATIONS as usize
}

/// The table as CSV, one row per case and metric.
pub fn csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "against",
        "case",
        "metric",
        "poolsim_mean",
        "poolsim_spread",
        "reference_mean",
        "reference_sd",
        "tolerance",
        "verdict",
        "feature",
    ];
    w.write_record(header).expect("in-memory CSV");
    for r in rows {
        w.write_record([
            r.against.to_string(),
            r.case.clone(),
            r.metric.clone(),
            r.poolsim_mean.to_string(),
            r.poolsim_spread.to_string(),
            r.reference.to_string(),
            r.reference_sd.to_string(),
            r.tolerance.clone(),
            if r.pass { "pass" } else { "FAIL" }.to_string(),
            r.feature.clone(),
        ])
        .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// The table as text, as `poolsim validate` prints it, with a closing count.
pub fn text(rows: &[Row]) -> String {
    let mut t = format!(
        "{:<7} {:<40} {:<27} {:>12} {:>12}  {:<34} verdict\n",
        "against", "case", "metric", "poolsim", "reference", "tolerance"
    );
    for r in rows {
        t += &format!(
            "{:<7} {:<40} {:<27} {:>12} {:>12}  {:<34} {}\n",
            r.against,
            r.case,
            r.metric,
            short(r.poolsim_mean),
            short(r.reference),
            r.tolerance,
            if r.pass { "pass" } else { "FAIL" }
        );
    }
    let mut cells: Vec<&str> = rows.iter().filter(|r| r.against == "rspsim").map(|r| r.case.as_str()).collect();
    cells.dedup();
    t += &format!(
        "{} reference cells and {} theory cases, {} of {} checks within tolerance\n",
        cells.len(),
        rows.iter().filter(|r| r.against == "theory").count(),
        rows.iter().filter(|r| r.pass).count(),
        rows.len()
    );
    t
}

/// The cases with a check off tolerance, each once, in table order.
pub fn failed(rows: &[Row]) -> Vec<&str> {
    let mut cases: Vec<&str> = rows.iter().filter(|r| !r.pass).map(|r| r.case.as_str()).collect();
    cases.dedup();
    cases
}

/// The table as Markdown (docs/validation.md).
pub fn markdown(rows: &[Row]) -> String {
    let mut t = String::from(
        "| against | case | metric | poolsim | reference | tolerance | verdict |\n|---|---|---|---:|---:|---|---|\n",
    );
    for r in rows {
        t += &format!(
            "| {} | {} | {} | {} ± {} | {} ± {} | {} | {} |\n",
            r.against,
            r.case,
            r.metric,
            short(r.poolsim_mean),
            short(r.poolsim_spread),
            short(r.reference),
            short(r.reference_sd),
            r.tolerance,
            if r.pass { "pass" } else { "**FAIL**" }
        );
    }
    t
}

fn short(v: f64) -> String {
    scenario::short(v)
}
