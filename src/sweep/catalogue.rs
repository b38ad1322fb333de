//! The catalogue of studies: every sweep file under `scenarios/studies/<family>/`, in the
//! order of the reference's chapters (wp1, het, dpf, wp2, tos, attack, lud), then poolsim's own (new, trace) and
//! any other family. `poolsim reproduce` lists and runs them by name.

use super::Sweep;
use crate::error::InputError;
use crate::scenario::SECONDS_PER_COST;
use std::collections::BTreeMap;
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

const FAMILY_ORDER: [&str; 9] = ["wp1", "het", "dpf", "wp2", "tos", "attack", "lud", "new", "trace"];

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
    let cost: f64 = sweep.runs.iter().map(|r| r.scenario.estimated_cost()).sum();
    cost * SECONDS_PER_COST / cores.max(1) as f64
}

/// Cores of the machine that measured `times.csv`.
pub const MEASURED_CORES: usize = 2;

/// The measured wall time of each study on `MEASURED_CORES` cores [s], from `times.csv`
/// beside the families (`study,wall_s`): a cost model cannot see a retry storm such as
/// wp1-pr-selectionI's (40x its estimate), a measurement can. Empty when there is no file.
pub fn measured_times(root: &Path) -> anyhow::Result<BTreeMap<String, f64>> {
    let path = root.join("times.csv");
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(BTreeMap::new()) };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut times = BTreeMap::new();
    for (i, record) in reader.deserialize::<(String, f64)>().enumerate() {
        let (study, wall_s) = record.map_err(|e| InputError::new(path.display().to_string(), e.to_string()))?;
        if !(wall_s.is_finite() && wall_s > 0.0) {
            let message = format!("line {}: wall_s {wall_s}; allowed: a time > 0 [s]", i + 2);
            return Err(InputError::new(path.display().to_string(), message).into());
        }
        times.insert(study, wall_s);
    }
    Ok(times)
}

/// A study's wall time on `cores` cores.
pub struct WallTime {
    pub seconds: f64,
    /// Measured (scaled from `MEASURED_CORES` cores), not estimated from the event counts.
    pub measured: bool,
}

impl Study {
    /// Its runs, question and wall time on `cores` cores: measured when `times` has it,
    /// otherwise estimated from one replication per point (replications differ only in
    /// their seeds).
    pub fn outline(&self, cores: usize, times: &BTreeMap<String, f64>) -> anyhow::Result<(usize, String, WallTime)> {
        let (sweep, replications) = super::outline(&self.path)?;
        let question = sweep.file.question.clone().unwrap_or_default();
        let n = replications as usize;
        let time = match times.get(&self.name) {
            Some(wall_s) => WallTime { seconds: wall_s * MEASURED_CORES as f64 / cores.max(1) as f64, measured: true },
            None => WallTime { seconds: estimated_seconds(&sweep, cores) * n as f64, measured: false },
        };
        Ok((sweep.runs.len() * n, question, time))
    }
}
