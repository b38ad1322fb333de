//! Tidy CSV tables of a sweep: `runs.csv` (one row per run) and `summary.csv` (one row
//! per parameter point and metric, with mean, standard deviation, n and the Student-t
//! 95 % confidence half-width). Both are byte-identical for any thread count.

use super::stats::summarize;

/// One finished run as the tables see it.
#[derive(Clone, Debug)]
pub struct RunRow {
    /// Swept parameter values as text, in sweep-parameter order.
    pub point: Vec<String>,
    pub replication: u32,
    pub seed: u64,
    /// Metric values, in [`crate::model::Metrics::names`] order (NaN = undefined).
    pub metrics: Vec<f64>,
    pub events: u64,
    pub fingerprint: String,
}

/// Formats a value for CSV: shortest round-trip form, empty for NaN.
fn num(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v}") }
}

fn to_bytes(header: Vec<String>, rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory CSV");
    for row in rows {
        w.write_record(&row).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// `runs.csv`: parameters, replication, seed, every metric, events, fingerprint.
pub fn runs_csv(params: &[String], metric_names: &[String], rows: &[RunRow]) -> Vec<u8> {
    table_csv(params, metric_names, rows, true)
}

/// A per-component table (`registrars.csv`): the point (parameters and the component's
/// index), replication, seed, every figure.
pub fn components_csv(params: &[String], names: &[String], rows: &[RunRow]) -> Vec<u8> {
    table_csv(params, names, rows, false)
}

fn table_csv(params: &[String], metric_names: &[String], rows: &[RunRow], run_columns: bool) -> Vec<u8> {
    let mut header: Vec<String> = params.to_vec();
    header.extend(["replication".into(), "seed".into()]);
    header.extend(metric_names.iter().cloned());
    if run_columns {
        header.extend(["events".into(), "fingerprint".into()]);
    }
    to_bytes(
        header,
        rows.iter().map(|r| {
            let mut row = r.point.clone();
            row.extend([r.replication.to_string(), r.seed.to_string()]);
            row.extend(r.metrics.iter().map(|&v| num(v)));
            if run_columns {
                row.extend([r.events.to_string(), r.fingerprint.clone()]);
            }
            row
        }),
    )
}

/// `summary.csv`: per parameter point (in run order) and metric: mean, sd, n, CI, and
/// with `met` (per point, of a precision-driven sweep) whether the point met its target.
/// Rows of a point must be contiguous in `rows` (replications of one point together).
pub fn summary_csv(params: &[String], metric_names: &[String], rows: &[RunRow], met: Option<&[bool]>) -> Vec<u8> {
    let mut header: Vec<String> = params.to_vec();
    header.extend(["metric", "mean", "sd", "n", "ci95_half_width"].map(String::from));
    if met.is_some() {
        header.push("precision_met".into());
    }
    let mut out = Vec::new();
    for (p, group) in rows.chunk_by(|a, b| a.point == b.point).enumerate() {
        for (m, name) in metric_names.iter().enumerate() {
            let values: Vec<f64> = group.iter().map(|r| r.metrics[m]).collect();
            let s = summarize(&values, 0.95);
            let mut row = group[0].point.clone();
            row.extend([name.clone(), num(s.mean), num(s.sd), s.n.to_string(), num(s.ci_half_width)]);
            if let Some(met) = met {
                row.push(met[p].to_string());
            }
            out.push(row);
        }
    }
    to_bytes(header, out)
}

/// Wall-clock times of runs (`timing.csv`): measurements of the machine, kept apart from
/// the results so that those stay byte-identical across reruns and thread counts.
pub fn timing_csv(params: &[String], rows: &[(Vec<String>, u32, f64, u64)]) -> Vec<u8> {
    let mut header: Vec<String> = params.to_vec();
    header.extend(["replication", "wall_s", "events_per_s"].map(String::from));
    to_bytes(
        header,
        rows.iter().map(|(point, rep, wall, events)| {
            let mut row = point.clone();
            row.extend([rep.to_string(), num(*wall), num(*events as f64 / wall)]);
            row
        }),
    )
}
