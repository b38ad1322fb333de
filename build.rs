//! Build identity: the model revision (a hash of every source file that decides what a
//! run simulates and reports) and the git commit the binary is built from.
//!
//! The model revision keys the results store, so that a sweep never reuses a run of
//! another model. It is computed from the sources themselves, so no one has to remember
//! to bump it: any change to src/model, src/handlespace, src/engine, src/scenario or src/trace
//! (comments included; reruns are the safe side) gives a new revision.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The folders whose sources decide a run's behaviour and its metric columns.
const MODEL_SOURCES: [&str; 5] = ["src/model", "src/handlespace", "src/engine", "src/scenario", "src/trace"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("source entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    for dir in MODEL_SOURCES {
        println!("cargo:rerun-if-changed={dir}");
        rust_files(Path::new(dir), &mut files);
    }
    files.sort();
    let mut hash = Sha256::new();
    for f in &files {
        // Paths with '/' on every platform, then the bytes: the same tree hashes the same.
        hash.update(f.to_string_lossy().replace('\\', "/").as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(f).expect("source file"));
        hash.update([0]);
    }
    let revision: String = hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=POOLSIM_MODEL_REVISION={revision}");

    // The commit, when built from a git checkout (rebuilt when HEAD moves).
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=POOLSIM_COMMIT={commit}");
    if let Ok(head) = std::fs::read_to_string(".git/HEAD") {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed=.git/{reference}");
        }
    }
}
