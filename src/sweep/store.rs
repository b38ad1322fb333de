//! The results store of a sweep: one JSON file per finished run, named by a hash of the
//! run's resolved scenario (seed included), written atomically. A rerun finds what is
//! done and runs only what is missing; an interrupted sweep loses no finished run.

use crate::report::{remove_temporaries, write_atomic};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What the store keeps of one run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredRun {
    /// The resolved scenario that was run.
    pub scenario: serde_json::Value,
    /// Metric values by name (null = undefined).
    pub metrics: serde_json::Map<String, serde_json::Value>,
    /// Per-registrar figures by name, one map per registrar.
    pub registrars: Vec<serde_json::Map<String, serde_json::Value>>,
    pub events: u64,
    pub fingerprint: String,
    pub wall_s: f64,
}

pub struct Store {
    dir: PathBuf,
}

/// Stable key of a run: SHA-256 of the poolsim version and the run's resolved scenario as
/// JSON (hex), so that a new release never reuses results of an older model.
pub fn run_key(resolved: &serde_json::Value) -> String {
    let text = format!("poolsim {}\n{}", env!("CARGO_PKG_VERSION"), serde_json::to_string(resolved).expect("JSON"));
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable 64-bit hash of a text (the first 8 bytes of its SHA-256).
pub fn hash64(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

impl Store {
    /// Opens (creating) the store folder and removes temporary files of interrupted writes.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        remove_temporaries(dir)?;
        Ok(Store { dir: dir.to_path_buf() })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The stored run, if present and readable (an unreadable file counts as missing).
    pub fn load(&self, key: &str) -> Option<StoredRun> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn save(&self, key: &str, run: &StoredRun) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(run).expect("stored run serialises");
        write_atomic(&self.path(key), &bytes)
    }
}
