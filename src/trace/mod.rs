//! Real traces as scenario input: job traces in the Standard Workload Format of the
//! Parallel Workloads Archive ([`swf`]) and node availability in the `event_trace` table of
//! the Failure Trace Archive ([`fta`]). Plain data, free of simulator types: the scenario
//! checks them, the model turns them into arrivals and status changes.
//!
//! A trace is read once per process and shared ([`swf_trace`], [`fta_trace`]): a sweep of
//! a thousand runs parses its files once.

pub mod fta;
pub mod swf;

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A bad trace file: where (file, line, field) and what is wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", line.map_or_else(String::new, |l| format!(":{l}")))]
pub struct TraceError {
    pub file: String,
    /// 1-based line number, if the error is on a line.
    pub line: Option<usize>,
    pub message: String,
}

impl TraceError {
    fn at(file: &str, line: usize, message: impl Into<String>) -> TraceError {
        TraceError { file: file.to_string(), line: Some(line), message: message.into() }
    }

    fn file(file: &str, message: impl Into<String>) -> TraceError {
        TraceError { file: file.to_string(), line: None, message: message.into() }
    }
}

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

/// The whitespace-separated fields of a line.
fn fields(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Field `i` (0-based) of a line as a number; errors name the field by number and name.
fn number(fields: &[&str], i: usize, name: &str, file: &str, line: usize) -> Result<f64, TraceError> {
    let text = fields[i];
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(TraceError::at(file, line, format!("field {} ({name}): `{text}` is not a number", i + 1))),
    }
}
