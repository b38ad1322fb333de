//! The results store of a sweep: one JSON file per finished run, named by a hash of the
//! model revision and the run's resolved scenario (seed included), written atomically. A
//! rerun finds what is done and runs only what is missing; an interrupted sweep loses no
//! finished run.
//!
//! A stored run is used only when it is provably a run of this model: it records the
//! model revision (see [`crate::provenance`]), its metric and per-registrar column names
//! and a checksum over all of it. A record of another revision, with other columns, or
//! whose checksum fails (an edited or damaged file) is stale: it is rerun, never read into
//! a table.

use crate::model::Metrics;
use crate::model::metrics::RegistrarReport;
use crate::provenance::MODEL_REVISION;
use crate::report::{remove_abandoned_temporaries, write_atomic};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What the store keeps of one run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredRun {
    /// The model revision that ran it (older records have none).
    #[serde(default)]
    pub model_revision: String,
    /// The resolved scenario that was run.
    pub scenario: serde_json::Value,
    /// Metric values by name (null = undefined).
    pub metrics: serde_json::Map<String, serde_json::Value>,
    /// Per-registrar figures by name, one map per registrar.
    pub registrars: Vec<serde_json::Map<String, serde_json::Value>>,
    pub events: u64,
    pub fingerprint: String,
    pub wall_s: f64,
    /// MSER-5 truncation point of the run [s from time 0] (see report::warmup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_truncation_s: Option<f64>,
    /// SHA-256 of the record with this field empty (hex).
    #[serde(default)]
    pub checksum: String,
}

/// Why a stored record is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stale {
    /// Not a record at all (unreadable, not JSON, fields missing).
    Unreadable,
    /// Made by another model revision (an older or newer poolsim).
    OtherRevision,
    /// Its metric or per-registrar columns are not this model's.
    OtherColumns,
    /// Its checksum fails: the file was edited or damaged.
    Checksum,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Stale::Unreadable => "unreadable",
            Stale::OtherRevision => "from another model revision",
            Stale::OtherColumns => "with other metric columns",
            Stale::Checksum => "failing their checksum (edited or damaged)",
        })
    }
}

/// A run as the store holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Missing,
    Stale(Stale),
    Found(Box<StoredRun>),
}

pub struct Store {
    dir: PathBuf,
}

/// Stable key of a run: SHA-256 of the model revision and the run's resolved scenario as
/// JSON (hex), so that a new model never reuses results of an older one.
pub fn run_key(resolved: &serde_json::Value) -> String {
    let text = format!("poolsim model {MODEL_REVISION}\n{}", serde_json::to_string(resolved).expect("JSON"));
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable 64-bit hash of a text (the first 8 bytes of its SHA-256).
pub fn hash64(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

impl StoredRun {
    /// The checksum of the record's content (its `checksum` field left out).
    fn content_checksum(&self) -> String {
        let bytes = serde_json::to_vec(&StoredRun { checksum: String::new(), ..self.clone() }).expect("serialises");
        hex(&Sha256::digest(&bytes))
    }

    /// The record with the checksum of its content.
    pub fn with_checksum(mut self) -> StoredRun {
        self.checksum = self.content_checksum();
        self
    }

    /// The record as saved: this model's revision and its checksum filled in.
    fn sealed(mut self) -> StoredRun {
        self.model_revision = MODEL_REVISION.to_string();
        self.with_checksum()
    }

    /// Why this record may not be used, if it may not.
    fn stale(&self) -> Option<Stale> {
        if self.checksum != self.content_checksum() {
            return Some(Stale::Checksum);
        }
        if self.model_revision != MODEL_REVISION {
            return Some(Stale::OtherRevision);
        }
        let registrar_names = RegistrarReport::names();
        let same = |map: &serde_json::Map<String, serde_json::Value>, names: &[String]| map.keys().eq(names.iter());
        // (Runs with a job trace have its columns too.)
        let metrics_ok = same(&self.metrics, &Metrics::names()) || same(&self.metrics, &Metrics::names_with_trace());
        if !metrics_ok || !self.registrars.iter().all(|r| same(r, &registrar_names)) {
            return Some(Stale::OtherColumns);
        }
        None
    }
}

impl Store {
    /// Opens (creating) the store folder and removes the temporary files of writes that a
    /// kill interrupted.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        remove_abandoned_temporaries(dir)?;
        Ok(Store { dir: dir.to_path_buf() })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The stored run under `key`, if present and valid.
    pub fn lookup(&self, key: &str) -> Lookup {
        let Ok(text) = std::fs::read_to_string(self.path(key)) else { return Lookup::Missing };
        match serde_json::from_str::<StoredRun>(&text) {
            Err(_) => Lookup::Stale(Stale::Unreadable),
            Ok(run) => match run.stale() {
                Some(why) => Lookup::Stale(why),
                None => Lookup::Found(Box::new(run)),
            },
        }
    }

    /// The stored run under `key` if it may be used.
    pub fn load(&self, key: &str) -> Option<StoredRun> {
        match self.lookup(key) {
            Lookup::Found(run) => Some(*run),
            _ => None,
        }
    }

    /// Saves a run, sealed with this model's revision and its checksum.
    pub fn save(&self, key: &str, run: StoredRun) -> std::io::Result<StoredRun> {
        let run = run.sealed();
        let bytes = serde_json::to_vec(&run).expect("stored run serialises");
        write_atomic(&self.path(key), &bytes)?;
        Ok(run)
    }
}
