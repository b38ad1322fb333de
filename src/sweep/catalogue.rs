//! The catalogue of studies: every sweep file under `scenarios/studies/<family>/`, in the
//! order of the reference's chapters (wp1, het, dpf, wp2, tos, attack, lud), then poolsim's own (new) and
//! any other family. `poolsim reproduce` lists and runs them by name.

use super::{Sweep, shard::estimated_cost};
use crate::error::InputError;
use std::path::{Path, PathBuf};

/// One study of the catalogue.
pub struct Study {
    pub family: String,
    /// The sweep file's stem, e.g. `wp1-hom-lu-dpfI`; also its results folder's name.
    pub name: String,
    pub path: PathBuf,
}

impl Study {
    /// Reads and plans the study's sweep file.
    pub fn plan(&self) -> anyhow::Result<Sweep> {
        super::load(Some(&self.path))
    }
}

/// Seconds of one core per unit of [`estimated_cost`], fitted to the wall times of the
/// committed studies (release build, 2 cores): within a factor of 2 for most, but pools of
/// thousands of PEs run slower per event than the model says (cache misses).
const SECONDS_PER_COST: f64 = 9.0e-8;

const FAMILY_ORDER: [&str; 8] = ["wp1", "het", "dpf", "wp2", "tos", "attack", "lud", "new"];

/// The folder of the shipped studies: `scenarios/studies` below the working directory, or
/// below the source tree the binary was built from.
pub fn default_root() -> PathBuf {
    let here = PathBuf::from("scenarios/studies");
    if here.is_dir() { here } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/studies") }
}

/// Every study below `root` (the sweep files are read when planned).
pub fn studies(root: &Path) -> anyhow::Result<Vec<Study>> {
    let read = |dir: &Path| -> anyhow::Result<Vec<PathBuf>> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| InputError::new(dir.display().to_string(), format!("cannot read the studies: {e}")))?;
        let mut paths: Vec<PathBuf> = entries.map(|e| Ok(e?.path())).collect::<std::io::Result<_>>()?;
        paths.sort();
        Ok(paths)
    };
    let mut families: Vec<PathBuf> = read(root)?.into_iter().filter(|p| p.is_dir()).collect();
    let rank = |p: &PathBuf| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        FAMILY_ORDER.iter().position(|&f| f == name).unwrap_or(FAMILY_ORDER.len())
    };
    families.sort_by_key(|p| rank(p));
    let mut out = Vec::new();
    for family in families {
        for path in read(&family)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            let family = family.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            out.push(Study { family, name, path });
        }
    }
    Ok(out)
}

/// Estimated wall time of a whole study on `cores` cores [s].
pub fn estimated_seconds(sweep: &Sweep, cores: usize) -> f64 {
    let cost: f64 = sweep.runs.iter().map(|r| estimated_cost(&r.scenario)).sum();
    cost * SECONDS_PER_COST / cores.max(1) as f64
}

/// A duration for people: "40 s", "12 min", "3.5 h".
pub fn human(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 5400.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}
