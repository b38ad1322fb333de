//! SVG plots of a sweep's `summary.csv`: a metric against one swept parameter, one curve
//! per value of a second, optional small multiples per value of a third; mean with
//! Student-t 95 % confidence error bars, the legend beside the data area. plotters' SVG
//! backend with no font library, so text is emitted as SVG `<text>` and nothing depends on
//! system fonts.

use crate::error::InputError;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Axis labels by column, for columns whose label a sweep file gives.
pub type Labels = BTreeMap<String, String>;

/// Largest magnitude of a plotted value (x, mean or interval).
pub const MAX_AXIS_VALUE: f64 = 1e100;

/// Least width of the figure's legend [px]; longer labels widen it.
const LEGEND_WIDTH: u32 = 150;
/// Default size of one panel [px].
const PANEL_WIDTH: u32 = 520;
const PANEL_HEIGHT: u32 = 420;
/// Font sizes [px] before `font_scale`: readable when a figure is printed one column wide.
const CAPTION_FONT: f64 = 18.0;
const AXIS_FONT: f64 = 15.0;
const TICK_FONT: f64 = 14.0;
const LEGEND_FONT: f64 = 14.0;

/// What to plot.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Metric name (a column of runs.csv, e.g. "handling_speed_pct").
    pub metric: String,
    /// Swept parameter on the x axis (must be numeric).
    pub x: String,
    /// Swept parameter whose values become separate curves.
    #[serde(default)]
    pub curves: Option<String>,
    /// Swept parameter whose values become side-by-side panels.
    #[serde(default)]
    pub panels: Option<String>,
    /// Output file name (default: `<metric>.svg`).
    #[serde(default)]
    pub file: Option<String>,
    /// A logarithmic x axis (for parameters that span orders of magnitude).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub x_log: bool,
    /// Only the rows whose columns have these values, or one of a list of values (e.g. one
    /// plot per takeover suggestion setting when the sweep varies more factors than a plot
    /// shows).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub filter: serde_json::Map<String, serde_json::Value>,
    /// Which summary: the runs' metrics, or the per-registrar figures (whose `registrar`
    /// column can be an axis, the curves or the panels).
    #[serde(default, skip_serializing_if = "Table::is_runs")]
    pub table: Table,
    /// The figure's size [px]; default: 520 per panel plus the legend, by 420.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Factor on every font size (1.5 for slides, or a figure printed small).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_scale: Option<f64>,
}

/// The summary a plot reads.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// `summary.csv`
    #[default]
    Runs,
    /// `registrars_summary.csv`
    Registrars,
}

impl Table {
    fn is_runs(&self) -> bool {
        *self == Table::Runs
    }

    /// How messages name the table.
    pub fn name(self) -> &'static str {
        match self {
            Table::Runs => "runs",
            Table::Registrars => "per-registrar",
        }
    }

    /// The summary file of this table in a sweep's results folder.
    pub fn summary_file(self) -> &'static str {
        match self {
            Table::Runs => "summary.csv",
            Table::Registrars => "registrars_summary.csv",
        }
    }
}

impl PlotSpec {
    pub fn file_name(&self) -> String {
        self.file.clone().unwrap_or_else(|| format!("{}.svg", self.metric))
    }
}

/// A plot's file inside a sweep's output folder: a plain file name (no folder, not
/// hidden) ending in `.svg`.
pub fn check_file_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && std::path::Path::new(name).file_name().is_some_and(|f| f == name);
    if plain && name.ends_with(".svg") && name.len() > 4 {
        Ok(())
    } else {
        Err(format!("`{name}` is not a plot file name; allowed: a plain file name ending in .svg, e.g. speed.svg"))
    }
}

/// Axis label and scale of a metric (utilization is shown in %).
pub fn metric_axis(metric: &str) -> (String, f64) {
    match metric {
        "system_utilization" => ("System utilization [%]".into(), 100.0),
        "handling_speed_pct" => ("Handling speed [% of PE capacity]".into(), 1.0),
        "processing_speed_pct" => ("Processing speed [% of PE capacity]".into(), 1.0),
        "owned_pes_mean" => ("Owned PEs (time-averaged)".into(), 1.0),
        "owned_pes_end" => ("Owned PEs at the end".into(), 1.0),
        "distance_mean_ms" => ("Mean delay PU to chosen PE [ms]".into(), 1.0),
        "local_service_share" => ("Jobs served in the PU's LAN [%]".into(), 100.0),
        "handling_speed" | "processing_speed" => (format!("{} [calculations/s]", humanize(metric)), 1.0),
        m if m.ends_with("_per_s") => (format!("{} [1/s]", humanize(m.trim_end_matches("_per_s"))), 1.0),
        m if m.ends_with("_s") => (format!("{} [s]", humanize(m.trim_end_matches("_s"))), 1.0),
        m if m.ends_with("_ms") => (format!("{} [ms]", humanize(m.trim_end_matches("_ms"))), 1.0),
        m if m.ends_with("_calculations") || m.ends_with("_capacity") => {
            (format!("{} [calculations]", humanize(m)), 1.0)
        }
        m if m.ends_with("_share") => (format!("{} [%]", humanize(m)), 100.0),
        m if is_count(m) => (format!("{} [per run]", humanize(m)), 1.0),
        m => (humanize(m), 1.0),
    }
}

/// Axis label of a scenario key.
pub fn parameter_label(key: &str) -> String {
    match key {
        "workload.pu_pe_ratio" => "PU:PE ratio r".into(),
        "workload.job_size" => "Mean job size S [calculations]".into(),
        "workload.target_utilization" => "Target utilization θ".into(),
        "workload.job_interval" => "Job interval [s]".into(),
        "pool_elements.policy" => "Policy".into(),
        "pool_elements.count" => "Pool elements".into(),
        "pool_elements.capacity" => "PE capacity [calculations/s]".into(),
        "network.lan_delay_ms" => "LAN delay [ms]".into(),
        "network.wan_delay_ms" => "WAN delay [ms]".into(),
        "network.lans" => "LANs".into(),
        "pool_elements.load_dpf" => "LoadDPF [per ms]".into(),
        "pool_elements.weight_dpf" => "WeightDPF [per ms]".into(),
        "registrars.count" => "Registrars".into(),
        "registrars.max_increment" => "MaxIncrement".into(),
        "registrars.max_bad_pe_reports" => "MaxBadPEReports".into(),
        "registrars.takeover_suggestion" => "Takeover suggestion".into(),
        "registrar" => "Registrar".into(),
        "registrars.endpoint_keep_alive_interval_s" => "Endpoint keep-alive interval [s]".into(),
        "calcapp.keep_alive_interval_s" => "Session keep-alive interval [s]".into(),
        k => {
            let last = k.rsplit('.').next().unwrap_or(k);
            match last.rsplit_once('_') {
                Some((name, "s")) => format!("{} [s]", humanize(name)),
                Some((name, "ms")) => format!("{} [ms]", humanize(name)),
                _ => humanize(last),
            }
        }
    }
}

/// A number as a short label: integers without ".0", large round values as "1e6", others
/// to 6 significant digits (no binary-fraction noise such as 2.4999999999999996).
/// Tick labels of one axis in one style: with ticks beyond 10^5 (or below 10^-3) in
/// magnitude every tick in e-notation (0, 5e7, 1e8, 1.5e8), otherwise plain; on a count
/// axis, whole numbers only.
pub(crate) fn tick_label(v: f64, axis_max: f64, whole_only: bool) -> String {
    if whole_only && (v - v.round()).abs() > 1e-9 {
        return String::new();
    }
    let v = if v.abs() < axis_max * 1e-12 { 0.0 } else { v };
    if v == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&axis_max) {
        let exp = v.abs().log10().floor() as i32;
        let mantissa: f64 = format!("{:.3}", v / 10f64.powi(exp)).parse().expect("formatted float parses");
        return format!("{mantissa}e{exp}");
    }
    let rounded: f64 = format!("{v:.5e}").parse().expect("formatted float parses");
    format!("{rounded}")
}

/// Metrics that count things (integers in a run; their axes get whole-number ticks).
fn is_count(metric: &str) -> bool {
    static COUNTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let counts = COUNTS.get_or_init(|| {
        let runs = serde_json::to_value(crate::model::metrics::Metrics::default()).expect("metrics serialise");
        runs.as_object()
            .map_or_else(Vec::new, |m| m.iter().filter(|(_, v)| v.is_u64()).map(|(k, _)| k.clone()).collect())
    });
    counts.iter().any(|c| c == metric)
}

pub fn short_number(v: f64) -> String {
    if v != 0.0 && v.fract() == 0.0 && v.abs() >= 1e4 {
        let exp = v.abs().log10().floor() as i32;
        let mantissa = v / 10f64.powi(exp);
        if mantissa.fract() == 0.0 {
            return format!("{mantissa}e{exp}");
        }
    }
    if !v.is_finite() || v == 0.0 {
        return format!("{v}");
    }
    let rounded: f64 = format!("{v:.5e}").parse().expect("formatted float parses");
    // Small values as 2e-5 rather than 0.00002, so that ticks stay short.
    if rounded.abs() < 1e-3 { format!("{rounded:e}") } else { format!("{rounded}") }
}

/// Whether a table cell holds a filter's value, or one of a list of values: numbers
/// compared as numbers (1e7 matches 10000000.0), anything else as text (true matches
/// "true").
/// Every filter value names a value of its column (a misspelt "Randm" is an error, not an
/// empty plot).
fn check_filters(
    records: &[csv::StringRecord],
    filters: &[(usize, &serde_json::Value)],
    spec: &PlotSpec,
) -> Result<(), InputError> {
    for ((key, _), &(c, value)) in spec.filter.iter().zip(filters) {
        let wanted: Vec<&serde_json::Value> = match value {
            serde_json::Value::Array(values) => values.iter().collect(),
            v => vec![v],
        };
        for v in wanted {
            if !records.iter().any(|r| cell_matches(&r[c], v)) {
                let mut values: Vec<&str> = records.iter().map(|r| &r[c]).collect();
                values.dedup();
                values.sort_unstable();
                values.dedup();
                let message = format!("{v} is not a value of `{key}`; allowed: {}", values.join(", "));
                return Err(InputError::new(format!("filter.{key}"), message));
            }
        }
    }
    Ok(())
}

/// A plot shows one configuration per point: a parameter that varies while x, curve and
/// panel stay put would be drawn as one zig-zag line through several configurations.
fn check_one_configuration_per_point(
    records: &[csv::StringRecord],
    params: &[String],
    metric_col: usize,
    spec: &PlotSpec,
    roles: [Option<usize>; 3],
) -> Result<(), InputError> {
    let filters: Vec<usize> = spec.filter.keys().filter_map(|k| params.iter().position(|p| p == k)).collect();
    let key = |r: &csv::StringRecord| roles.map(|c| c.map_or(String::new(), |c| r[c].to_string()));
    let mut groups: BTreeMap<[String; 3], Vec<&csv::StringRecord>> = BTreeMap::new();
    for r in records {
        let kept =
            spec.filter.iter().all(|(k, v)| params.iter().position(|p| p == k).is_none_or(|c| cell_matches(&r[c], v)));
        if r[metric_col] == *spec.metric && kept {
            groups.entry(key(r)).or_default().push(r);
        }
    }
    let mut varying: Vec<(String, Vec<String>)> = Vec::new();
    for rows in groups.values().filter(|rows| rows.len() > 1) {
        for (c, name) in params.iter().enumerate() {
            if roles.contains(&Some(c)) || filters.contains(&c) {
                continue;
            }
            if rows.iter().all(|r| r[c] == rows[0][c]) {
                continue;
            }
            let i = varying.iter().position(|(n, _)| n == name).unwrap_or_else(|| {
                varying.push((name.clone(), Vec::new()));
                varying.len() - 1
            });
            for r in rows {
                if !varying[i].1.iter().any(|v| *v == r[c]) {
                    varying[i].1.push(r[c].to_string());
                }
            }
        }
    }
    if varying.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = varying.iter().map(|(n, v)| format!("{n} ({})", v.join(", "))).collect();
    let message = format!(
        "each point of the plot would mix several configurations: {} also vary; allowed: put each on the curves or panels, or fix it with a filter (--filter KEY=VALUE)",
        listed.join(", ")
    );
    Err(InputError::new("plot", message))
}

fn cell_matches(cell: &str, value: &serde_json::Value) -> bool {
    if let serde_json::Value::Array(values) = value {
        return values.iter().any(|v| cell_matches(cell, v));
    }
    match (cell.parse::<f64>(), value.as_f64()) {
        (Ok(a), Some(b)) => a == b,
        _ => match value {
            serde_json::Value::String(text) => cell == text,
            serde_json::Value::Bool(b) => cell == if *b { "true" } else { "false" },
            _ => false,
        },
    }
}

/// A parameter value as a label (numbers shortened).
fn short_value(text: &str) -> String {
    text.parse::<f64>().map_or_else(|_| text.to_string(), short_number)
}

fn humanize(name: &str) -> String {
    let s = name.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// One point of a curve.
#[derive(Clone, Copy, Debug)]
struct Point {
    x: f64,
    mean: f64,
    ci: f64,
    /// Under half of the point's queued jobs completed: a mean over completed jobs then
    /// describes the few that got through (a collapsed pool shows 95 % handling speed);
    /// drawn hollow, joined by dashes.
    sparse: bool,
}

/// Metrics averaged over the jobs completed in the window; their points mean little when
/// most jobs never complete.
const PER_COMPLETED_JOB: [&str; 10] = [
    "handling_speed",
    "handling_speed_pct",
    "processing_speed",
    "processing_speed_pct",
    "queuing_delay_mean_s",
    "startup_delay_mean_s",
    "processing_time_mean_s",
    "handling_time_mean_s",
    "piece_processing_time_mean_s",
    "straggler_ratio_mean",
];

/// Least share of the queued jobs that must complete for a per-job mean to be drawn as a
/// result.
pub const LEAST_COMPLETED_SHARE: f64 = 0.5;

/// The figure's note on hollow points, one line each.
const SPARSE_NOTE: [&str; 3] = ["Hollow, dashed: under half", "of the jobs completed; the", "mean covers only those."];

/// The parameter cells of every point whose completed jobs are under
/// `LEAST_COMPLETED_SHARE` of its queued jobs (from the jobs_completed and jobs_queued
/// rows; none when the summary has no such rows).
fn sparse_points(records: &[csv::StringRecord], m: usize, mean_col: usize) -> Vec<Vec<String>> {
    let params = |r: &csv::StringRecord| r.iter().take(m).map(String::from).collect::<Vec<_>>();
    let mean_of = |metric: &str| -> BTreeMap<Vec<String>, f64> {
        let rows = records.iter().filter(|r| &r[m] == metric);
        rows.filter_map(|r| Some((params(r), r[mean_col].parse::<f64>().ok()?))).collect()
    };
    let completed = mean_of("jobs_completed");
    mean_of("jobs_queued")
        .into_iter()
        .filter(|(key, queued)| completed.get(key).is_some_and(|c| *c < LEAST_COMPLETED_SHARE * queued))
        .map(|(key, _)| key)
        .collect()
}

/// A named curve, and a named panel of curves.
type Curve = (String, Vec<Point>);
type Panel = (String, Vec<Curve>);

const COLORS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
];

/// Offset between the curves' points at one category of a categorical x axis.
const DODGE: f64 = 0.12;

/// Renders `spec` from the bytes of a summary.csv into an SVG document; `labels` name
/// columns whose axis label is not derived from the key.
pub fn plot_summary(summary_csv: &[u8], spec: &PlotSpec, labels: &Labels) -> Result<String, InputError> {
    for (key, size) in [("width", spec.width), ("height", spec.height)] {
        if let Some(v) = size.filter(|v| !(200..=20_000).contains(v)) {
            return Err(InputError::new(key, format!("{v} is out of range; allowed: 200 to 20000 [px]")));
        }
    }
    if let Some(f) = spec.font_scale.filter(|f| !(*f >= 0.25 && *f <= 8.0)) {
        return Err(InputError::new("font_scale", format!("{f} is out of range; allowed: 0.25 to 8")));
    }
    let label = |key: &str| labels.get(key).cloned().unwrap_or_else(|| parameter_label(key));
    let mut reader = csv::Reader::from_reader(summary_csv);
    let header: Vec<String> =
        reader.headers().map_err(|e| InputError::new("summary.csv", e.to_string()))?.iter().map(String::from).collect();
    let position = |name: &str| header.iter().position(|h| h == name);
    let (Some(m), Some(mean_col), Some(ci_col)) = (position("metric"), position("mean"), position("ci95_half_width"))
    else {
        let message = format!(
            "has the columns {}; allowed: a sweep's summary, with the columns metric, mean and ci95_half_width after the parameters",
            header.join(", ")
        );
        return Err(InputError::new("summary.csv", message));
    };
    let params: Vec<&String> = header[..m].iter().collect();
    let col = |key: &str, what: &str| {
        header.iter().position(|h| h == key).filter(|&i| i < params.len()).ok_or_else(|| {
            let names: Vec<&str> = params.iter().map(|p| p.as_str()).collect();
            InputError::new(what, format!("`{key}` is not a swept parameter; swept: {}", names.join(", ")))
        })
    };
    let roles = [("x", Some(&spec.x)), ("curves", spec.curves.as_ref()), ("panels", spec.panels.as_ref())];
    for (i, (role, column)) in roles.iter().enumerate() {
        if let Some((other, _)) = roles[..i].iter().find(|(_, c)| c.is_some() && c == column) {
            let message =
                format!("`{}` is the {other} already; allowed: a column in one role only", column.expect("some"));
            return Err(InputError::new(*role, message));
        }
    }
    let x_col = col(&spec.x, "x")?;
    let curve_col = spec.curves.as_deref().map(|k| col(k, "curves")).transpose()?;
    let panel_col = spec.panels.as_deref().map(|k| col(k, "panels")).transpose()?;
    let filters: Vec<(usize, &serde_json::Value)> =
        spec.filter.iter().map(|(k, v)| Ok((col(k, "filter")?, v))).collect::<Result<_, InputError>>()?;
    let (y_label, scale) = metric_axis(&spec.metric);

    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|e| InputError::new("summary.csv", e.to_string()))?;
    // A categorical x axis (names such as policies): the categories in first-seen order,
    // at 0, 1, 2, ...; each curve's points side by side around them, without lines.
    let mut categories: Vec<String> = Vec::new();
    if records.iter().any(|r| r[x_col].parse::<f64>().is_err()) {
        if spec.x_log {
            let message = format!("`{}` has names, not numbers; allowed on a log axis: numbers > 0", spec.x);
            return Err(InputError::new("x_log", message));
        }
        for r in &records {
            if !categories.iter().any(|c| *c == r[x_col]) {
                categories.push(r[x_col].to_string());
            }
        }
    }
    // The curves' names, sorted: each curve's place beside a category.
    let mut curve_names: Vec<&str> = curve_col.map_or_else(Vec::new, |c| records.iter().map(|r| &r[c]).collect());
    curve_names.sort_unstable();
    curve_names.dedup();
    let curve_count = curve_names.len().max(1);

    check_filters(&records, &filters, spec)?;
    check_one_configuration_per_point(&records, &header[..m], m, spec, [Some(x_col), curve_col, panel_col])?;

    let sparse = if PER_COMPLETED_JOB.contains(&spec.metric.as_str()) {
        sparse_points(&records, m, mean_col)
    } else {
        Vec::new()
    };
    // panel -> curve -> points, in first-seen order of the summary's rows.
    let mut panels: Vec<Panel> = Vec::new();
    let mut metrics_seen = BTreeMap::new();
    for r in &records {
        metrics_seen.insert(r[m].to_string(), ());
        if r[m] != *spec.metric || !filters.iter().all(|&(c, v)| cell_matches(&r[c], v)) {
            continue;
        }
        let x: f64 = match categories.iter().position(|c| *c == r[x_col]) {
            Some(i) => {
                let curve = curve_col.map_or(0, |c| curve_names.iter().position(|s| *s == &r[c]).unwrap_or(0));
                i as f64 + DODGE * (curve as f64 - (curve_count as f64 - 1.0) / 2.0)
            }
            None => r[x_col]
                .parse()
                .map_err(|_| InputError::new("x", format!("`{}` has non-numeric value `{}`", spec.x, &r[x_col])))?,
        };
        if spec.x_log && x <= 0.0 {
            return Err(InputError::new(
                "x_log",
                format!("`{}` has the value {x}; allowed on a log axis: > 0", spec.x),
            ));
        }
        // A log axis plots log10(x) and labels it 10^v.
        let x = if spec.x_log { x.log10() } else { x };
        let parse = |s: &str| if s.is_empty() { f64::NAN } else { s.parse().unwrap_or(f64::NAN) };
        let is_sparse = sparse.iter().any(|key| key.iter().zip(r.iter()).all(|(a, b)| a == b));
        let point = Point { x, mean: parse(&r[mean_col]) * scale, ci: parse(&r[ci_col]) * scale, sparse: is_sparse };
        // Beyond this plotters' tick search does not end (and no axis shows such values).
        if x.is_nan()
            || x.abs() > MAX_AXIS_VALUE
            || point.mean.abs() > MAX_AXIS_VALUE
            || point.ci.abs() > MAX_AXIS_VALUE
        {
            let message = format!(
                "a point at {} = {} has mean {} ± {}; allowed: finite values within ±{MAX_AXIS_VALUE:e}{}",
                spec.x,
                &r[x_col],
                &r[mean_col],
                &r[ci_col],
                if spec.x_log { "" } else { " (a log x axis, x_log, takes any positive x)" }
            );
            return Err(InputError::new("plot", message));
        }
        let panel = panel_col.map_or(String::new(), |c| r[c].to_string());
        let curve = curve_col.map_or(String::new(), |c| r[c].to_string());
        let pi = panels.iter().position(|p| p.0 == panel).unwrap_or_else(|| {
            panels.push((panel, Vec::new()));
            panels.len() - 1
        });
        let curves = &mut panels[pi].1;
        match curves.iter_mut().find(|c| c.0 == curve) {
            Some(c) => c.1.push(point),
            None => curves.push((curve, vec![point])),
        }
    }
    if panels.is_empty() {
        let names: Vec<String> = metrics_seen.into_keys().collect();
        return Err(InputError::new("metric", format!("no rows for `{}`; metrics: {}", spec.metric, names.join(", "))));
    }
    let all: Vec<Point> = panels.iter().flat_map(|p| p.1.iter().flat_map(|c| c.1.iter().copied())).collect();
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let x_min = all.iter().map(|p| p.x).fold(f64::INFINITY, f64::min);
    let x_max = all.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
    let y_hi = all.iter().map(|p| finite(p.mean) + finite(p.ci)).fold(f64::NEG_INFINITY, f64::max);
    let y_lo = all.iter().map(|p| finite(p.mean) - finite(p.ci)).fold(0.0, f64::min);
    let (x_min, x_max, x_pad) = if categories.is_empty() {
        (x_min, x_max, ((x_max - x_min) * 0.03).max(1e-9))
    } else {
        (0.0, categories.len() as f64 - 1.0, 0.5)
    };
    // A flat line (ENRP packets with one registrar: all 0) gets an axis of ±1, not ±1e-9.
    let y_pad = if y_hi > y_lo { (y_hi - y_lo) * 0.05 } else { 1.0 };

    // One colour per curve across the panels, and one legend for the figure.
    let mut curve_order: Vec<String> = Vec::new();
    for (_, curves) in &panels {
        for (name, _) in curves {
            if !curve_order.contains(name) {
                curve_order.push(name.clone());
            }
        }
    }
    let color_of = |name: &str| COLORS[curve_order.iter().position(|c| c == name).unwrap_or(0) % COLORS.len()];
    let font = spec.font_scale.unwrap_or(1.0);
    let px = |size: f64| (size * font).round();
    // About 0.55 of the font size per character of a sans-serif label, after the line sample.
    let char_px = px(LEGEND_FONT) * 0.55;
    let longest = curve_order.iter().map(|c| short_value(c).chars().count()).max();
    let legend_width = match (&spec.curves, longest) {
        (Some(key), Some(n)) => {
            let by_label = 16.0 + char_px * label(key).chars().count() as f64;
            LEGEND_WIDTH.max((44.0 + char_px * n as f64).max(by_label).ceil() as u32)
        }
        _ => 0,
    };
    let any_sparse = all.iter().any(|p| p.sparse);
    let note_width = 16.0 + char_px * SPARSE_NOTE.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let legend_width =
        if any_sparse { legend_width.max(LEGEND_WIDTH).max(note_width.ceil() as u32) } else { legend_width };
    let x_whole =
        categories.is_empty() && !spec.x_log && all.iter().all(|p| p.x.fract() == 0.0) && x_max - x_min <= 20.0;
    let y_whole = is_count(&spec.metric);
    let y_max_abs = (y_hi + y_pad).abs().max((y_lo - y_pad).abs());
    let x_max_abs = if spec.x_log { 0.0 } else { (x_max + x_pad).abs().max((x_min - x_pad).abs()) };
    // Room for the longest y tick label (e-notation keeps them short).
    let y_label_area = (px(TICK_FONT) * 0.6 * 7.0 + px(AXIS_FONT) * 1.6 + 8.0).ceil() as u32;
    let width = spec.width.unwrap_or(PANEL_WIDTH * panels.len() as u32 + legend_width);
    let height = spec.height.unwrap_or(PANEL_HEIGHT);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let draw_err = |e: String| InputError::new("plot", e);
        root.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
        let (plots, legend_area) = root.split_horizontally(width.saturating_sub(legend_width));
        let areas = plots.split_evenly((1, panels.len()));
        for (area, (panel, curves)) in areas.iter().zip(&panels) {
            let title = y_label.split(" [").next().unwrap_or(&y_label);
            let caption = match &spec.panels {
                Some(k) => format!("{title}: {} = {}", label(k), short_value(panel)),
                None => title.to_string(),
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption, ("sans-serif", px(CAPTION_FONT)))
                .margin(12)
                .x_label_area_size((px(TICK_FONT) + px(AXIS_FONT) * 1.8 + 8.0) as u32)
                .y_label_area_size(y_label_area)
                .build_cartesian_2d(x_min - x_pad..x_max + x_pad, y_lo - y_pad..y_hi + y_pad)
                .map_err(|e| draw_err(e.to_string()))?;
            let mut mesh = chart.configure_mesh();
            if !categories.is_empty() {
                // A label position at every category and between them (left blank).
                mesh.x_labels(2 * categories.len() + 1);
            }
            mesh.x_label_formatter(&|v| match spec.x_log {
                // Categories at whole positions only.
                _ if !categories.is_empty() => categories
                    .get(v.round() as usize)
                    .filter(|_| (v - v.round()).abs() < 1e-9 && *v >= 0.0)
                    .cloned()
                    .unwrap_or_default(),
                // Decades only: 10, 100, 1000, ...
                true if (v - v.round()).abs() > 1e-9 => String::new(),
                true => {
                    let decade = 10f64.powf(v.round());
                    tick_label(decade, if v.round().abs() >= 5.0 || v.round() < -3.0 { 1e5 } else { 1.0 }, false)
                }
                false => tick_label(*v, x_max_abs, x_whole),
            })
            .y_label_formatter(&|v| tick_label(*v, y_max_abs, y_whole))
            .x_label_style(("sans-serif", px(TICK_FONT)))
            .y_label_style(("sans-serif", px(TICK_FONT)))
            .axis_desc_style(("sans-serif", px(AXIS_FONT)))
            .light_line_style(BLACK.mix(0.04))
            .x_desc(label(&spec.x))
            .y_desc(y_label.as_str())
            .draw()
            .map_err(|e| draw_err(e.to_string()))?;
            for (name, points) in curves {
                let color = color_of(name);
                let mut pts = points.clone();
                pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                // (Categories are not a sequence: no line between them.)
                let line = if categories.is_empty() { pts.as_slice() } else { &[] };
                // Solid through runs of representative points, dashed to and from sparse ones.
                for run in line.split(|p| p.sparse) {
                    chart
                        .draw_series(LineSeries::new(run.iter().map(|p| (p.x, p.mean)), color.stroke_width(2)))
                        .map_err(|e| draw_err(e.to_string()))?;
                }
                for pair in line.windows(2).filter(|pair| pair.iter().any(|p| p.sparse)) {
                    let ends = pair.iter().map(|p| (p.x, p.mean));
                    chart
                        .draw_series(DashedLineSeries::new(ends, 4, 4, color.stroke_width(1)))
                        .map_err(|e| draw_err(e.to_string()))?;
                }
                chart
                    .draw_series(
                        pts.iter().filter(|p| p.ci.is_finite() && p.ci > 0.0).map(|p| {
                            ErrorBar::new_vertical(p.x, p.mean - p.ci, p.mean, p.mean + p.ci, color.filled(), 8)
                        }),
                    )
                    .map_err(|e| draw_err(e.to_string()))?;
                chart
                    .draw_series(
                        pts.iter().filter(|p| !p.sparse).map(|p| Circle::new((p.x, p.mean), 3, color.filled())),
                    )
                    .map_err(|e| draw_err(e.to_string()))?;
                // A ring, white inside.
                for (radius, style) in [(5, WHITE.filled()), (5, color.stroke_width(2))] {
                    chart
                        .draw_series(pts.iter().filter(|p| p.sparse).map(|p| Circle::new((p.x, p.mean), radius, style)))
                        .map_err(|e| draw_err(e.to_string()))?;
                }
            }
        }
        let mut note_top = 40;
        if let Some(key) = &spec.curves {
            let entries: Vec<(String, RGBColor)> = curve_order.iter().map(|c| (short_value(c), color_of(c))).collect();
            note_top = draw_legend(&legend_area, &label(key), &entries, px(LEGEND_FONT))
                .map_err(|e| draw_err(e.to_string()))?
                + 2 * px(LEGEND_FONT) as i32;
        }
        if any_sparse {
            let text = ("sans-serif", px(LEGEND_FONT)).into_font();
            for (i, line) in SPARSE_NOTE.iter().enumerate() {
                let y = note_top + i as i32 * (px(LEGEND_FONT) * 1.3) as i32;
                legend_area
                    .draw(&Text::new(line.to_string(), (4, y), text.clone()))
                    .map_err(|e| draw_err(e.to_string()))?;
            }
        }
        root.present().map_err(|e| draw_err(e.to_string()))?;
    }
    Ok(svg)
}

/// One panel of a log-log chart: its title, y label and points (x, y), all positive.
pub struct LogLogPanel {
    pub title: String,
    pub y_label: String,
    pub points: Vec<(f64, f64)>,
}

/// Side-by-side log-log panels over the same x (e.g. wall time and memory against pool
/// size), one line with markers each.
pub fn log_log_chart(x_label: &str, panels: &[LogLogPanel]) -> Result<String, InputError> {
    let draw_err = |e: String| InputError::new("plot", e);
    let range = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        (lo / 1.5)..(hi * 1.5)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520 * panels.len() as u32, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
        for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
            let xs = range(&mut panel.points.iter().map(|p| p.0));
            let ys = range(&mut panel.points.iter().map(|p| p.1));
            let (x_max, y_max) = (xs.end, ys.end);
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(xs.log_scale(), ys.log_scale())
                .map_err(|e| draw_err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_label_formatter(&|v| tick_label(*v, x_max, false))
                .y_label_formatter(&|v| tick_label(*v, y_max, false))
                .x_desc(x_label)
                .y_desc(panel.y_label.as_str())
                .draw()
                .map_err(|e| draw_err(e.to_string()))?;
            let color = COLORS[0];
            chart
                .draw_series(LineSeries::new(panel.points.iter().copied(), color.stroke_width(2)))
                .map_err(|e| draw_err(e.to_string()))?;
            chart
                .draw_series(panel.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| draw_err(e.to_string()))?;
        }
        root.present().map_err(|e| draw_err(e.to_string()))?;
    }
    Ok(svg)
}

/// The legend beside the data area: the curve parameter, then a line and a label per curve.
/// Returns the y of its last entry [px].
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    entries: &[(String, RGBColor)],
    font_px: f64,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let text = ("sans-serif", font_px).into_font();
    let step = (font_px * 1.5).round() as i32;
    area.draw(&Text::new(title.to_string(), (4, 40), text.clone()))?;
    let mut y = 40;
    for (i, (name, color)) in entries.iter().enumerate() {
        y = 40 + step + step * i as i32 + step / 3;
        area.draw(&PathElement::new(vec![(6, y), (28, y)], color.stroke_width(2)))?;
        area.draw(&Circle::new((17, y), 3, color.filled()))?;
        area.draw(&Text::new(name.clone(), (34, y - (font_px / 2.0) as i32), text.clone()))?;
    }
    Ok(y)
}

#[cfg(test)]
mod test {
    use super::*;

    const SUMMARY: &str = "workload.pu_pe_ratio,pool_elements.policy,metric,mean,sd,n,ci95_half_width
1,LeastUsed,handling_speed_pct,50,2,3,4.9
3,LeastUsed,handling_speed_pct,60,1,3,2.4
1,Random,handling_speed_pct,20,2,3,4.9
3,Random,handling_speed_pct,30,1,3,2.4
1,LeastUsed,jobs_completed,5,0,3,
";

    fn spec(metric: &str, x: &str, curves: Option<&str>) -> PlotSpec {
        PlotSpec {
            metric: metric.into(),
            x: x.into(),
            curves: curves.map(String::from),
            panels: None,
            file: None,
            x_log: false,
            filter: Default::default(),
            table: Table::Runs,
            width: None,
            height: None,
            font_scale: None,
        }
    }

    #[test]
    fn per_job_means_of_points_where_most_jobs_never_completed_are_marked() {
        // At r = 3 Random completed 10 of 100 jobs: its handling speed is drawn as a ring,
        // joined by dashes, and the figure says why; LeastUsed's points stay solid.
        let summary = format!(
            "{SUMMARY}1,LeastUsed,jobs_queued,5,0,3,\n3,LeastUsed,jobs_queued,100,0,3,\n3,LeastUsed,jobs_completed,60,0,3,\n\
             1,Random,jobs_queued,100,0,3,\n1,Random,jobs_completed,99,0,3,\n3,Random,jobs_queued,100,0,3,\n3,Random,jobs_completed,10,0,3,\n"
        );
        let draw = |metric: &str| {
            plot_summary(
                summary.as_bytes(),
                &spec(metric, "workload.pu_pe_ratio", Some("pool_elements.policy")),
                &Labels::new(),
            )
            .unwrap()
        };
        let svg = draw("handling_speed_pct");
        assert!(svg.contains(SPARSE_NOTE[0]), "no note");
        // Random is the second curve: the second colour.
        let dashes = |svg: &str| {
            let dash = "stroke=\"#D62728\" stroke-width=\"1\"";
            svg.lines().filter(|l| l.contains("<polyline") && l.contains(dash)).count()
        };
        assert!(dashes(&svg) > 0, "no dashes to the ring");
        let rings = svg.lines().filter(|l| l.contains("<circle") && l.contains("fill=\"none\"")).count();
        assert_eq!(rings, 1, "one sparse point, one ring");
        // Counts are not per-job means: no ring, no note.
        let svg = plot_summary(
            summary.replace("handling_speed_pct", "failovers").as_bytes(),
            &spec("failovers", "workload.pu_pe_ratio", Some("pool_elements.policy")),
            &Labels::new(),
        )
        .unwrap();
        assert!(!svg.contains(SPARSE_NOTE[0]));
        assert!(!svg.lines().any(|l| l.contains("<circle") && l.contains("fill=\"none\"")));
        assert_eq!(dashes(&svg), 0);
    }

    #[test]
    fn renders_curves_with_legend_and_error_bars() {
        let svg = plot_summary(
            SUMMARY.as_bytes(),
            &spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy")),
            &Labels::new(),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        for text in ["LeastUsed", "Random", "PU:PE ratio r", "Handling speed [% of PE capacity]"] {
            assert!(svg.contains(text), "missing {text}");
        }
    }

    #[test]
    fn filters_keep_the_matching_rows_only() {
        let mut s = spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy"));
        s.filter.insert("pool_elements.policy".into(), serde_json::json!("Random"));
        let points = |svg: &str| svg.matches("<circle").count();
        let both = spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy"));
        let all = plot_summary(SUMMARY.as_bytes(), &both, &Labels::new());
        let svg = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap();
        assert_eq!(points(&all.unwrap()), 2 * points(&svg), "Random's two points of four");
        let mut typo = s.clone();
        typo.filter.insert("pool_elements.policy".into(), serde_json::json!("Randm"));
        let e = plot_summary(SUMMARY.as_bytes(), &typo, &Labels::new()).unwrap_err().to_string();
        assert!(e.contains("\"Randm\" is not a value") && e.contains("allowed: LeastUsed, Random"), "{e}");
        // Without curves (or a filter), each point would mix both policies: refused.
        let mixed = spec("handling_speed_pct", "workload.pu_pe_ratio", None);
        let e = plot_summary(SUMMARY.as_bytes(), &mixed, &Labels::new()).unwrap_err().to_string();
        assert!(e.contains("pool_elements.policy (LeastUsed, Random) also vary"), "{e}");
        s.filter.insert("nothing".into(), serde_json::json!(1));
        let e = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap_err();
        assert!(e.to_string().contains("filter") && e.to_string().contains("nothing"), "{e}");
        assert!(cell_matches("10000000.0", &serde_json::json!(1e7)) && cell_matches("true", &serde_json::json!(true)));
        let some = serde_json::json!(["Random", "RoundRobin"]);
        assert!(cell_matches("RoundRobin", &some) && !cell_matches("LeastUsed", &some));
    }

    #[test]
    fn log_log_charts_draw_every_point_of_every_panel() {
        let panel = |title: &str, points: Vec<(f64, f64)>| LogLogPanel {
            title: title.to_string(),
            y_label: format!("{title} [s]"),
            points,
        };
        let svg = log_log_chart(
            "Pool elements",
            &[
                panel("Wall", vec![(10.0, 0.001), (1e3, 0.3), (1e5, 99.0)]),
                panel("Memory", vec![(10.0, 12.0), (1e5, 6e3)]),
            ],
        )
        .unwrap();
        assert_eq!(svg.matches("<circle").count(), 5);
        assert!(svg.contains("Wall [s]") && svg.contains("Memory [s]") && svg.contains("Pool elements"));
        assert!(svg.contains("1e5"), "decade labels");
    }

    #[test]
    fn log_axes_take_positive_values_only() {
        let mut s = spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy"));
        s.x_log = true;
        let svg = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap();
        assert!(svg.contains("<svg"));
        let bad = SUMMARY.replace("\n1,LeastUsed,handling_speed_pct", "\n0,LeastUsed,handling_speed_pct");
        let e = plot_summary(bad.as_bytes(), &s, &Labels::new()).unwrap_err();
        assert!(e.to_string().contains("x_log") && e.to_string().contains("> 0"), "{e}");
    }

    #[test]
    fn numbers_are_labelled_short() {
        assert_eq!(short_number(1e6), "1e6");
        assert_eq!(short_number(2.5e7), "25000000");
        assert_eq!(short_number(20.0), "20");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(2.4999999999999996), "2.5");
        assert_eq!(short_number(-0.1 * 3.0), "-0.3");
        assert_eq!(short_number(0.00002), "2e-5");
        assert_eq!(short_number(0.00015), "1.5e-4");
        assert_eq!(short_number(0.002), "0.002");
        assert_eq!(short_value("LeastUsed"), "LeastUsed");
    }

    #[test]
    fn unknown_columns_are_input_errors() {
        let e =
            plot_summary(SUMMARY.as_bytes(), &spec("handling_speed_pct", "workload.job_size", None), &Labels::new())
                .unwrap_err();
        assert!(e.to_string().contains("workload.pu_pe_ratio"), "{e}");
        let e =
            plot_summary(SUMMARY.as_bytes(), &spec("speed", "workload.pu_pe_ratio", None), &Labels::new()).unwrap_err();
        assert!(e.to_string().contains("handling_speed_pct"), "{e}");
    }

    #[test]
    fn ticks_of_one_axis_share_one_style() {
        // The axis of lost work that mixed "4e8 / 350000000 / 3e8" and cut "25000000000".
        let axis: Vec<String> = [0.0, 3e8, 3.5e8, 4e8, 2.5e10].iter().map(|&v| tick_label(v, 2.6e10, false)).collect();
        assert_eq!(axis, ["0", "3e8", "3.5e8", "4e8", "2.5e10"]);
        assert_eq!(tick_label(50_000.0, 1.5e5, false), "5e4");
        assert_eq!(tick_label(62.5, 100.0, false), "62.5");
        assert_eq!(tick_label(2e-5, 5e-5, false), "2e-5");
        // Counts: whole ticks only.
        assert_eq!((tick_label(0.5, 3.0, true), tick_label(2.0, 3.0, true)), (String::new(), "2".to_string()));
        assert!(is_count("jobs_completed") && is_count("failovers") && !is_count("handling_speed_pct"));
    }

    #[test]
    fn one_legend_per_figure_and_sizes_on_request() {
        let mut s = spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy"));
        s.panels = Some("workload.pu_pe_ratio".into());
        s.x = "pool_elements.policy".into();
        s.curves = None;
        let panels = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap();
        assert!(panels.contains("PU:PE ratio r = 1") && panels.contains("PU:PE ratio r = 3"));
        let mut s = spec("handling_speed_pct", "workload.pu_pe_ratio", Some("pool_elements.policy"));
        s.panels = None;
        let svg = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap();
        assert_eq!(svg.matches(">\nPolicy\n<").count() + svg.matches(">Policy<").count(), 1, "{svg}");
        (s.width, s.height, s.font_scale) = (Some(1000), Some(300), Some(2.0));
        let big = plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap();
        assert!(big.starts_with("<svg width=\"1000\" height=\"300\""), "{}", &big[..80]);
        s.font_scale = Some(0.0);
        assert!(plot_summary(SUMMARY.as_bytes(), &s, &Labels::new()).unwrap_err().to_string().contains("font_scale"));
    }

    #[test]
    fn names_on_the_x_axis_are_categories() {
        let svg = plot_summary(
            SUMMARY.as_bytes(),
            &spec("handling_speed_pct", "pool_elements.policy", Some("workload.pu_pe_ratio")),
            &Labels::new(),
        )
        .unwrap();
        assert!(svg.contains("LeastUsed") && svg.contains("Random"), "{svg}");
        let mut log = spec("handling_speed_pct", "pool_elements.policy", None);
        log.x_log = true;
        let e = plot_summary(SUMMARY.as_bytes(), &log, &Labels::new()).unwrap_err();
        assert!(e.to_string().contains("has names, not numbers"), "{e}");
    }
}
