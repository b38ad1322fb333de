//! Sweeps that are killed: SIGKILL at random points (while runs execute, and while the
//! tables and plots are written), resumed each time. No finished run is lost or run
//! again, no store file is torn, and the tables end byte-identical to an uninterrupted
//! sweep. (The same for a Slurm task killed with scancel: scripts/slurm/test-slurm.sh.)

use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOTAL_RUNS: usize = 48;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("poolsim-killed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sweep(file: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_poolsim"));
    c.args(["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet", "--jobs", "2"]);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Store files by name with their inode (a rewritten file gets a new inode: runs are
/// stored by writing a temporary file and renaming it). Every `.json` must parse.
fn store_files(out: &Path) -> BTreeMap<String, u64> {
    let Ok(entries) = std::fs::read_dir(out.join("store")) else { return BTreeMap::new() };
    let mut files = BTreeMap::new();
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.ends_with(".tmp") {
            continue; // an interrupted write; removed when the store is opened again
        }
        assert!(name.ends_with(".json"), "unexpected file in the store: {name}");
        let text = std::fs::read_to_string(entry.path()).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("torn store file {name}: {e}"));
        files.insert(name, entry.metadata().unwrap().ino());
    }
    files
}

const TABLES: [&str; 3] = ["runs.csv", "summary.csv", "handling_speed_pct.svg"];

#[test]
fn sweeps_killed_at_random_points_resume_without_losing_or_rerunning_anything() {
    let dir = temp_dir("sweep");
    let file = dir.join("sweep.json");
    std::fs::write(
        &file,
        r#"{"set": {"duration_s": 3600, "workload.job_size": 1e6},
            "parameters": [{"key": "workload.pu_pe_ratio", "values": [1, 2, 3, 5, 7, 10]},
                           {"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}],
            "replications": 4,
            "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "curves": "pool_elements.policy"}]}"#,
    )
    .unwrap();
    let reference = dir.join("reference");
    let started = Instant::now();
    assert!(sweep(&file, &reference).status().unwrap().success());
    let full = started.elapsed();
    assert_eq!(store_files(&reference).len(), TOTAL_RUNS);

    let out = dir.join("killed");
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(2026);
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let (mut kills, mut kills_after_all_runs) = (0, 0);
    while kills - kills_after_all_runs < 8 || kills_after_all_runs < 4 {
        assert!(kills < 200, "the sweep never got far enough between kills");
        let complete = seen.len() == TOTAL_RUNS;
        // While runs are missing, kill within a small part of a full sweep's time; once all are
        // stored, within the first tens of ms: planning, loading and writing the tables.
        let delay = if complete {
            Duration::from_millis(rng.random_range(0..60))
        } else {
            full.mul_f64(rng.random_range(0.02..0.15))
        };
        let mut child = sweep(&file, &out).spawn().unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if !finished {
            kills += 1;
            kills_after_all_runs += complete as usize;
        }
        let now = store_files(&out);
        for (name, inode) in &seen {
            assert_eq!(now.get(name), Some(inode), "store file {name} was lost or rewritten after kill {kills}");
        }
        // Tables are written atomically: any that exists after a kill is complete.
        if complete {
            for t in TABLES {
                if let Ok(bytes) = std::fs::read(out.join(t)) {
                    assert_eq!(bytes, std::fs::read(reference.join(t)).unwrap(), "{t} torn by kill {kills}");
                }
            }
        }
        seen = now;
    }
    assert!(sweep(&file, &out).status().unwrap().success());
    let last = store_files(&out);
    assert_eq!(last.len(), TOTAL_RUNS);
    for (name, inode) in &seen {
        assert_eq!(last.get(name), Some(inode), "store file {name} was rewritten by the final resume");
    }
    for t in TABLES {
        assert_eq!(std::fs::read(out.join(t)).unwrap(), std::fs::read(reference.join(t)).unwrap(), "{t}");
    }
    for d in [out.join("store"), out.clone()] {
        let leftovers =
            std::fs::read_dir(&d).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"));
        assert!(!leftovers, "temporary files left in {}", d.display());
    }
    eprintln!("{kills} kills, {kills_after_all_runs} of them after every run was stored");
}
