//! Reporting: the result of one run as JSON or a readable table, statistics over
//! replications, CSV tables and SVG plots.

pub mod csv;
pub mod plot;
pub mod stats;
pub mod timeline;
pub mod warmup;

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
    /// The build and model revision that ran it.
    pub build: crate::provenance::Identity,
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
            run: RunInfo {
                events: out.events,
                sim_time_s: out.sim_time_s,
                wall_s,
                fingerprint: out.fingerprint.hex(),
                build: crate::provenance::identity(),
            },
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
    // A job trace replaces the generated workload (θ, r and S).
    let workload = match &s.workload.trace {
        Some(path) => format!(
            "jobs from {} (time scale {})",
            std::path::Path::new(path).file_name().map_or(path.into(), |f| f.to_string_lossy()),
            s.workload.trace_time_scale
        ),
        None => {
            format!("θ = {}, r = {}, S = {:.3e} calc", s.workload.target_utilization, s.pu_pe_ratio(), s.job_size())
        }
    };
    let _ = writeln!(
        t,
        "scenario: {} PEs x {:.0} calc/s, {} PUs, {} registrar(s) in {} LAN(s), policy {}, {workload}, seed {}",
        layout.pool_element_lans.len(),
        s.pool_elements.capacity,
        layout.pool_user_lans.len(),
        layout.registrar_lans.len(),
        s.network.lans,
        s.pool_elements.policy,
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

/// `manifest.json` in an output folder: the build that wrote it, the command, then
/// `details` (an object: what the folder holds and from which input). No dates or host
/// names, so that the same command on the same build writes the same manifest.
pub fn write_manifest(
    dir: &Path,
    command: &[String],
    details: serde_json::Value,
) -> std::io::Result<std::path::PathBuf> {
    let mut manifest = serde_json::json!({"build": crate::provenance::identity(), "command": command});
    if let (Some(m), serde_json::Value::Object(d)) = (manifest.as_object_mut(), details) {
        m.extend(d);
    }
    let path = dir.join("manifest.json");
    let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
    text.push('\n');
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// Marks poolsim's temporary files: `.<file>~poolsim~<host>~<pid>~<n>.tmp`.
const TEMP_MARK: &str = "~poolsim~";

/// This machine's name, as temporary files record it (empty where unknown: such files are
/// never taken for dead ones).
fn host_name() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        name.trim().replace(['~', '/'], "_")
    })
}

/// A temporary file beside `path` that no other writer uses: this host, process and a
/// per-process counter (threads of one sweep that write the same file included).
fn temporary_path(path: &Path) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    path.with_file_name(format!(".{name}{TEMP_MARK}{}~{}~{n}.tmp", host_name(), std::process::id()))
}

/// Whether `name` is a temporary file of a poolsim process on this host that no longer
/// runs: only such files are provably abandoned (another process's, a running one's or a
/// user's own `.tmp` files are never touched).
fn is_abandoned_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_suffix(".tmp").and_then(|n| n.rsplit_once(TEMP_MARK)).map(|(_, rest)| rest) else {
        return false;
    };
    let mut parts = rest.rsplitn(3, '~');
    let (Some(_counter), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let host_known = !host.is_empty() && host == host_name();
    let pid = pid.parse::<u32>().ok().filter(|&p| p != std::process::id());
    // A process that runs has /proc/<pid>; without /proc nothing is provably dead.
    host_known && pid.is_some_and(|p| Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{p}")).exists())
}

/// Removes the temporary files that poolsim processes killed on this host left in `dir`.
pub fn remove_abandoned_temporaries(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(is_abandoned_temporary) && entry.file_type()?.is_file() {
            // Another process may have removed it meanwhile.
            match std::fs::remove_file(entry.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Writes a file atomically: to a temporary file of its own beside it, then renamed over
/// it, so a reader (or an interrupted run) never sees a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary_path(path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn only_temporaries_of_dead_poolsim_processes_on_this_host_are_abandoned() {
        let mine = temporary_path(Path::new("/x/runs.csv"));
        let mine = mine.file_name().unwrap().to_str().unwrap().to_string();
        assert!(mine.starts_with(".runs.csv~poolsim~") && mine.ends_with(".tmp"), "{mine}");
        assert!(!is_abandoned_temporary(&mine), "this process runs");
        assert_ne!(mine, temporary_path(Path::new("/x/runs.csv")).file_name().unwrap().to_str().unwrap());
        let host = host_name();
        // pid 0x7FFFFFFF+ does not exist on Linux (pid_max <= 2^22).
        let dead = format!(".a.json{TEMP_MARK}{host}~4294967295~3.tmp");
        assert_eq!(is_abandoned_temporary(&dead), !host.is_empty() && Path::new("/proc/self").exists());
        for kept in [
            "draft.tmp".to_string(),
            ".a.json.1234.tmp".to_string(),
            format!(".a.json{TEMP_MARK}other-host~4294967295~3.tmp"),
            format!(".a.json{TEMP_MARK}{host}~1~3.tmp"), // pid 1 runs
            format!(".a.json{TEMP_MARK}{host}~x~3.tmp"),
        ] {
            assert!(!is_abandoned_temporary(&kept), "{kept}");
        }
    }
}
