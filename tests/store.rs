//! The results store never serves a stale or damaged run: a record of another model
//! revision, with a missing or an extra metric column, or with an edited value is rerun,
//! the sweep says how many and why, and the tables end byte-identical to a fresh sweep's.
//! `--no-rerun` refuses instead.

use poolsim::sweep::store::{Stale, StoredRun};
use poolsim::sweep::{self, Mode, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SWEEP: &str = r#"{"set": {"duration_s": 600, "pool_elements": {"count": 4}},
    "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 3]},
                   {"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}],
    "replications": 2}"#;

fn execute(out: &Path, no_rerun: bool) -> anyhow::Result<sweep::Outcome> {
    let s = sweep::parse(SWEEP, "store.json", Path::new(".")).unwrap();
    let options = Options { jobs: 2, force: false, quiet: true, no_rerun, command: Vec::new(), mode: Mode::All };
    sweep::execute(&s, "store.json", out, &options)
}

/// The store's records, sorted by file name.
fn records(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("store")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn edit(path: &Path, change: impl FnOnce(&mut StoredRun), reseal: bool) {
    let mut run: StoredRun = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(&mut run);
    let run = if reseal { run.with_checksum() } else { run };
    std::fs::write(path, serde_json::to_vec(&run).unwrap()).unwrap();
}

fn tables(out: &Path) -> Vec<Vec<u8>> {
    ["runs.csv", "summary.csv"].iter().map(|t| std::fs::read(out.join(t)).unwrap()).collect()
}

#[test]
fn stale_and_damaged_records_are_rerun_and_never_reach_the_tables() {
    let dir = temp_dir("stale");
    let fresh = dir.join("fresh");
    execute(&fresh, false).unwrap();
    let out = dir.join("out");
    let first = execute(&out, false).unwrap();
    assert_eq!((first.total, first.executed), (8, 8));
    assert_eq!(tables(&out), tables(&fresh));

    let files = records(&out);
    assert_eq!(files.len(), 8);
    // Another revision (a consistent record of an older model), a missing and an extra
    // column (both consistent too), an edited value, a torn file.
    edit(&files[0], |r| r.model_revision = "0123456789abcdef".into(), true);
    edit(&files[1], |r| drop(r.metrics.shift_remove("handling_speed_pct")), true);
    edit(&files[2], |r| drop(r.metrics.insert("speed_of_light".into(), 1.into())), true);
    edit(&files[3], |r| r.metrics["handling_speed_pct"] = 12345.into(), false);
    let text = std::fs::read_to_string(&files[4]).unwrap();
    std::fs::write(&files[4], &text[..text.len() / 2]).unwrap();

    let refused = execute(&out, true).unwrap_err();
    let text = refused.to_string();
    assert!(text.contains("5 stored runs") && text.contains("--no-rerun"), "{text}");
    assert_eq!(tables(&out), tables(&fresh), "a refused sweep leaves the tables alone");

    let second = execute(&out, false).unwrap();
    let expected = BTreeMap::from([
        (Stale::Unreadable, 1),
        (Stale::OtherRevision, 1),
        (Stale::OtherColumns, 2),
        (Stale::Checksum, 1),
    ]);
    assert_eq!(second.reran, expected);
    assert_eq!(second.executed, 5);
    assert_eq!(tables(&out), tables(&fresh), "the tables are those of a fresh sweep");
    assert_eq!(execute(&out, false).unwrap().executed, 0, "the reruns are stored");

    // A new model revision in every record: the next sweep reruns them all.
    for f in records(&out) {
        edit(&f, |r| r.model_revision = "fedcba9876543210".into(), true);
    }
    let third = execute(&out, false).unwrap();
    assert_eq!((third.executed, third.reran.get(&Stale::OtherRevision).copied()), (8, Some(8)));
    assert_eq!(tables(&out), tables(&fresh));
}

#[test]
fn the_manifest_names_the_build_model_and_sweep() {
    let out = temp_dir("manifest");
    execute(&out, false).unwrap();
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["build"]["model_revision"], poolsim::provenance::MODEL_REVISION);
    assert_eq!(m["build"]["poolsim"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["sweep_file_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["runs"], 8);
    assert_eq!(m["base_scenario"]["pool_elements"]["count"], 4);
    // Nothing of the machine or the moment: a rerun writes the same manifest.
    execute(&out, false).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("manifest.json")).unwrap(), text);
}
