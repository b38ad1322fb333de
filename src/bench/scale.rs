//! `poolsim bench scale`: the default workload (θ 0.8, r 10, S 10^7, LeastUsed) at 10 to
//! 100 000 PEs (10 PUs per PE), each for the same simulated time, with wall time, events
//! per second, ns per event and peak memory per component (the median of repeated runs
//! where a run takes less than a second). Sizes run in ascending order
//! in this process; the kernel's peak-RSS mark is reset before each (Linux
//! `/proc/self/clear_refs`), so each row's peak is its own run's.

use super::peak_memory_mib;
use crate::model;
use crate::report::plot::{LogLogPanel, log_log_chart};
use crate::report::write_atomic;
use crate::scenario::{self, Scenario};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Pool sizes of the benchmark [PEs].
pub const SIZES: [u32; 5] = [10, 100, 1_000, 10_000, 100_000];

#[derive(Clone, Debug, Serialize)]
pub struct ScaleRow {
    pub pool_elements: u32,
    pub pool_users: u32,
    /// Simulated time, warm-up included [s].
    pub sim_time_s: f64,
    pub events: u64,
    pub wall_s: f64,
    pub events_per_s: f64,
    pub ns_per_event: f64,
    /// Peak resident memory of the run [MiB].
    pub peak_mib: f64,
    /// (peak − resident before the run) / (registrars + PEs + PUs) [bytes].
    pub bytes_per_component: f64,
}

/// The default scenario with `pool_elements` PEs and `duration_s` measured after the
/// usual 900 s warm-up.
pub fn scenario(pool_elements: u32, duration_s: f64) -> Scenario {
    scenario::from_value(json!({"duration_s": duration_s, "pool_elements": {"count": pool_elements}}))
        .expect("valid scale scenario")
}

/// Resident memory now [MiB] (Linux `VmRSS`).
fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse::<f64>().ok().map(|kib| kib / 1024.0)
}

/// Runs one size and measures it.
pub fn measure(pool_elements: u32, duration_s: f64) -> ScaleRow {
    let s = scenario(pool_elements, duration_s);
    // Resets the peak-RSS mark to the current RSS (Linux >= 4.0); harmless elsewhere.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = resident_mib().unwrap_or(0.0);
    // Small pools are repeated (up to 1 s in all, at most 21 runs) and the median taken.
    let mut walls = Vec::new();
    let (out, peak_mib) = loop {
        let start = Instant::now();
        let out = model::run(&s);
        walls.push(start.elapsed().as_secs_f64());
        if walls.iter().sum::<f64>() >= 1.0 || walls.len() >= 21 {
            break (out, peak_memory_mib().unwrap_or(f64::NAN));
        }
    };
    walls.sort_by(f64::total_cmp);
    let wall_s = walls[walls.len() / 2];
    let layout = s.layout();
    let components =
        (layout.registrar_lans.len() + layout.pool_element_lans.len() + layout.pool_user_lans.len()) as f64;
    ScaleRow {
        pool_elements,
        pool_users: layout.pool_user_lans.len() as u32,
        sim_time_s: out.sim_time_s,
        events: out.events,
        wall_s,
        events_per_s: out.events as f64 / wall_s,
        ns_per_event: wall_s * 1e9 / out.events as f64,
        peak_mib,
        bytes_per_component: (peak_mib - before).max(0.0) * 1024.0 * 1024.0 / components,
    }
}

/// Writes `scale.csv` (one row per size) and `scale.svg` (wall time, ns per event and peak
/// memory against the pool size, log-log) into `dir`.
pub fn write(rows: &[ScaleRow], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    rows.iter().try_for_each(|r| csv.serialize(r))?;
    let (csv_path, svg_path) = (dir.join("scale.csv"), dir.join("scale.svg"));
    write_atomic(&csv_path, &csv.into_inner().map_err(|e| e.into_error())?)?;
    let panel = |title: &str, y_label: &str, y: fn(&ScaleRow) -> f64| LogLogPanel {
        title: title.to_string(),
        y_label: y_label.to_string(),
        points: rows.iter().map(|r| (r.pool_elements as f64, y(r))).collect(),
    };
    let svg = log_log_chart(
        "Pool elements (10 pool users each)",
        &[
            panel("Wall time", "Wall time [s]", |r| r.wall_s),
            panel("Cost per event", "ns per event", |r| r.ns_per_event),
            panel("Peak memory", "Peak memory [MiB]", |r| r.peak_mib),
        ],
    )?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![csv_path, svg_path])
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_scale_row_is_consistent_and_written_as_csv_and_svg() {
        let row = measure(10, 60.0);
        assert_eq!((row.pool_elements, row.pool_users), (10, 100));
        assert_eq!(row.sim_time_s, 960.0);
        assert!(row.events > 1000);
        assert!((row.ns_per_event * row.events as f64 / 1e9 - row.wall_s).abs() < 1e-9 * row.wall_s.max(1.0));
        let dir = std::env::temp_dir().join(format!("poolsim-scale-{}", std::process::id()));
        let files = write(&[row.clone(), ScaleRow { pool_elements: 100, ..row }], &dir).unwrap();
        let csv = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.starts_with("pool_elements,pool_users,sim_time_s,events,wall_s"));
        assert_eq!(std::fs::read_to_string(&files[1]).unwrap().matches("<circle").count(), 6);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
