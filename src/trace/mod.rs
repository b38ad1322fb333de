//! Real traces as scenario input: job traces in the Standard Workload Format of the
//! Parallel Workloads Archive ([`swf`]) and node availability in the `event_trace` table of
//! the Failure Trace Archive ([`fta`]). Plain data, free of simulator types: the scenario
//! checks them, the model turns them into arrivals and status changes.
//!
//! A trace is read once per process and shared ([`swf_trace`], [`fta_trace`]): a sweep of
//! a thousand runs parses its files once.

pub mod fta;
mod lines;
pub mod swf;

pub use lines::TraceError;

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A parsed trace with the SHA-256 of its bytes (results are keyed by content, not path).
pub struct Loaded<T> {
    pub trace: T,
    pub sha256: String,
}

type Cache<T> = OnceLock<Mutex<HashMap<PathBuf, Arc<Result<Loaded<T>, TraceError>>>>>;

/// Reads and parses `path` once per process.
fn cached<T>(
    cache: &'static Cache<T>,
    path: &Path,
    parse: fn(&str, &str) -> Result<T, TraceError>,
) -> Arc<Result<Loaded<T>, TraceError>> {
    let map = cache.get_or_init(Default::default);
    if let Some(hit) = map.lock().expect("trace cache").get(path) {
        return hit.clone();
    }
    let name = path.display().to_string();
    let loaded = match std::fs::read(path) {
        Err(e) => Err(TraceError::file(&name, format!("cannot read: {e}"))),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(_) => Err(TraceError::file(&name, "is not text (UTF-8)")),
            Ok(text) => {
                let sha256 = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
                parse(&text, &name).map(|trace| Loaded { trace, sha256 })
            }
        },
    };
    let loaded = Arc::new(loaded);
    map.lock().expect("trace cache").insert(path.to_path_buf(), loaded.clone());
    loaded
}

static SWF: Cache<swf::SwfTrace> = OnceLock::new();
static FTA: Cache<fta::FtaTrace> = OnceLock::new();

/// The SWF job trace at `path`, parsed once per process.
pub fn swf_trace(path: &Path) -> Arc<Result<Loaded<swf::SwfTrace>, TraceError>> {
    cached(&SWF, path, swf::parse)
}

/// The FTA availability trace at `path`, parsed once per process.
pub fn fta_trace(path: &Path) -> Arc<Result<Loaded<fta::FtaTrace>, TraceError>> {
    cached(&FTA, path, fta::parse)
}
