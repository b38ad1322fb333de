//! Reporting: the result of one run as JSON or a readable table, statistics over
//! replications, CSV tables and SVG plots.

pub mod csv;
pub mod plot;
pub mod stats;
pub mod timeline;

use crate::model::metrics::{LanReport, PoolElementReport, RegistrarReport};
use crate::model::{self, Metrics, RunOutput};
use crate::scenario::Scenario;
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

/// `run` section of a report.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// Events executed.
    pub events: u64,
    /// Simulated time [s].
    pub sim_time_s: f64,
    /// Wall-clock time of the simulation [s]; the only field that varies between reruns.
    pub wall_s: f64,
    /// Hash over the ordered event trace (hex).
    pub fingerprint: String,
}

/// Everything `poolsim run --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub scenario: Scenario,
    pub metrics: Metrics,
    /// Per-PE figures over the window.
    pub pool_elements: Vec<PoolElementReport>,
    /// Per-registrar figures over the window.
    pub registrars: Vec<RegistrarReport>,
    /// Per-LAN figures over the window.
    pub lans: Vec<LanReport>,
    pub run: RunInfo,
}

impl RunReport {
    /// The report of a finished run that took `wall_s`.
    pub fn new(s: &Scenario, out: RunOutput, wall_s: f64) -> RunReport {
        RunReport {
            scenario: s.resolve(),
            metrics: out.metrics,
            pool_elements: out.pool_elements,
            registrars: out.registrars,
            lans: out.lans,
            run: RunInfo { events: out.events, sim_time_s: out.sim_time_s, wall_s, fingerprint: out.fingerprint.hex() },
        }
    }
}

/// Runs a scenario and collects the report.
pub fn run_report(s: &Scenario) -> RunReport {
    let start = Instant::now();
    let out = model::run(s);
    RunReport::new(s, out, start.elapsed().as_secs_f64())
}

/// A readable two-column table of a report.
pub fn table(r: &RunReport) -> String {
    let mut t = String::new();
    let s = &r.scenario;
    let layout = s.layout();
    let _ = writeln!(
        t,
        "scenario: {} PEs x {:.0} calc/s, {} PUs, {} registrar(s) in {} LAN(s), policy {}, θ = {}, r = {}, S = {:.3e} calc, seed {}",
        layout.pool_element_lans.len(),
        s.pool_elements.capacity,
        layout.pool_user_lans.len(),
        layout.registrar_lans.len(),
        s.network.lans,
        s.pool_elements.policy,
        s.workload.target_utilization,
        s.pu_pe_ratio(),
        s.job_size(),
        s.seed
    );
    let attackers = layout.attacker_lans.len();
    if attackers > 0 {
        let kind = match s.attackers.kind {
            crate::scenario::AttackType::HandleResolution => "handle-resolution",
            crate::scenario::AttackType::Registration => "registration",
        };
        let overrides = if s.attackers.overrides.is_empty() { "" } else { " (some overridden)" };
        let interval = s.attackers.interval_s;
        let _ = writeln!(t, "attack:   {attackers} {kind} attacker(s), one attack per {interval} s each{overrides}");
    }
    let _ = writeln!(t, "window:   {} s warm-up, {} s measured\n", s.warmup_s, s.duration_s);
    let fields = r.metrics.fields();
    let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, value) in fields {
        let shown =
            if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.0}") } else { format!("{value:.6}") };
        let _ = writeln!(t, "  {name:<width$} {shown:>18}");
    }
    if r.lans.len() > 1 {
        let _ = writeln!(
            t,
            "\n  {:>4} {:>5} {:>5} {:>11} {:>18} {:>13} {:>13}",
            "LAN", "PEs", "PUs", "utilization", "handling speed %", "distance ms", "local share"
        );
        for l in &r.lans {
            let _ = writeln!(
                t,
                "  {:>4} {:>5} {:>5} {:>11.4} {:>18.2} {:>13.2} {:>13.4}",
                l.lan,
                l.pool_elements,
                l.pool_users,
                l.utilization,
                l.handling_speed_pct,
                l.distance_mean_ms,
                l.local_service_share
            );
        }
    }
    let _ = writeln!(
        t,
        "\nrun:      {} events, {:.0} s simulated, {:.3} s wall ({:.2} M events/s), fingerprint {}",
        r.run.events,
        r.run.sim_time_s,
        r.run.wall_s,
        r.run.events as f64 / r.run.wall_s / 1e6,
        r.run.fingerprint
    );
    t
}

/// Removes the temporary files that writes interrupted by a kill left in `dir`.
pub fn remove_temporaries(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tmp") && path.is_file() {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// Writes a file atomically: to a temporary file beside it, then renamed over it, so a
/// reader (or an interrupted run) never sees a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
