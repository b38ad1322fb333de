//! Partitionable jobs (`workload.pieces`): pieces run in parallel on PEs of their own, fail
//! over on their own, and the job completes with its last piece; one piece is the
//! reference model exactly (the committed reproduction comes out of it byte for byte).

use poolsim::model::{self, Metrics, Simulation};
use poolsim::scenario::{self, Scenario};
use poolsim::sweep;
use serde_json::{Value, json};

fn scenario(v: Value) -> Scenario {
    scenario::from_value(v).unwrap()
}

#[test]
fn one_piece_reproduces_the_committed_study() {
    // Runs of the committed wp1-hom-puToPERatio-jobSizeI, with `workload.pieces` set to 1
    // explicitly: every column of runs.csv the same, events and fingerprint included.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/wp1-hom-puToPERatio-jobSizeI/runs.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let planned = sweep::load(None).unwrap();
    assert_eq!(planned.runs.len(), rows.len());
    // The cheap points (S = 10^6), a few replications each.
    for (run, row) in planned.runs.iter().zip(&rows).filter(|(r, _)| r.point[0] == "1000000.0" && r.replication < 2) {
        let mut v = serde_json::to_value(&run.scenario).unwrap();
        v["workload"]["pieces"] = json!(1);
        let out = model::run(&scenario(v));
        let metrics: std::collections::BTreeMap<String, f64> = out.metrics.fields().into_iter().collect();
        for (name, cell) in header.iter().zip(row.iter()) {
            let expected = match name.as_str() {
                "events" => out.events.to_string(),
                "fingerprint" => out.fingerprint.hex(),
                m => match metrics.get(m) {
                    Some(v) if v.is_nan() => String::new(),
                    Some(v) => format!("{v}"),
                    None => continue, // a parameter, replication or seed column
                },
            };
            assert_eq!(cell, expected, "{name} of run {:?} #{}", run.point, run.replication);
        }
    }
}

#[test]
fn k_pieces_on_an_idle_pool_of_k_pes_take_one_kth_of_the_time() {
    // One PU with rare jobs on 4 idle, identical PEs: each piece runs alone on its PE.
    let run = |pieces: u32| {
        model::run(&scenario(json!({
            "duration_s": 200_000,
            "workload": {"job_interval": 5000, "pieces": pieces},
            "pool_users": {"count": 1},
            "pool_elements": {"count": 4}
        })))
        .metrics
    };
    let (whole, split) = (run(1), run(4));
    assert!(whole.jobs_completed > 20);
    assert_eq!(whole.jobs_completed, split.jobs_completed, "the same jobs (common random numbers)");
    let ratio = split.processing_time_mean_s / whole.processing_time_mean_s;
    assert!((ratio - 0.25).abs() < 1e-6, "split/whole processing time {ratio}");
    assert!((split.handling_speed / whole.handling_speed - 4.0).abs() < 1e-4);
    assert_eq!((split.pieces_per_job, split.straggler_ratio_mean), (4.0, 1.0), "equal pieces, no straggler");
}

/// Every piece started is completed or still open; the pieces of completed jobs are their
/// pieces exactly (no job completes early, none twice); calculations are conserved.
fn assert_pieces_conserved(v: Value) -> Metrics {
    let mut v = v;
    v["warmup_s"] = json!(0);
    let mut sim = Simulation::new(&scenario(v));
    let out = loop {
        if let Some(out) = sim.step() {
            break out;
        }
    };
    // The PUs count by LAN, so the balances are taken over all PUs together.
    let lans = sim.lan_counters();
    let count = |f: fn(&poolsim::model::stats::PoolUserCounters) -> u64| lans.iter().map(f).sum::<u64>();
    let pus = sim.pool_users();
    let open: u64 = pus.iter().map(|pu| pu.open_pieces() as u64).sum();
    let done_in_service: u64 = pus.iter().map(|pu| (pu.pieces_in_service() - pu.open_pieces()) as u64).sum();
    let pieces_completed = count(|c| c.pieces_completed);
    assert_eq!(count(|c| c.pieces_started), pieces_completed + open, "pieces");
    assert_eq!(count(|c| c.pieces_of_jobs_completed) + done_in_service, pieces_completed, "pieces of jobs");
    let m = out.metrics;
    assert_eq!(m.jobs_queued, m.jobs_completed + m.jobs_in_service_end + m.pu_queue_length_end);
    let accounted = m.goodput_calculations + m.lost_calculations + m.unsaved_calculations_end;
    assert!((m.used_capacity - accounted).abs() <= 0.5 * pieces_completed as f64 + 1e-9 * m.used_capacity, "{m:?}");
    m
}

#[test]
fn pieces_are_conserved_with_and_without_churn() {
    let m = assert_pieces_conserved(
        json!({"duration_s": 3600, "workload": {"pieces": {"type": "uniform", "min": 1, "max": 6}}}),
    );
    assert!(m.pieces_per_job > 3.0 && m.pieces_per_job < 4.0, "{}", m.pieces_per_job);
    let m = assert_pieces_conserved(json!({
        "duration_s": 3600,
        "workload": {"pieces": 5, "target_utilization": 0.6},
        "network": {"lan_delay_ms": 10},
        "registrars": {"endpoint_keep_alive_interval_s": 1, "endpoint_keep_alive_timeout_s": 1, "max_bad_pe_reports": 1},
        "calcapp": {"keep_alive_interval_s": 1, "keep_alive_timeout_s": 1},
        "pool_elements": {"uptime": {"type": "exponential", "mean_s": 30}, "clean_shutdown_probability": 0.5,
                          "cookie_max_calculations": 1e6}
    }));
    assert!(m.failovers > 100 && m.lost_calculations > 0.0, "pieces failed over: {m:?}");
    assert!(m.straggler_ratio_mean > 1.0, "failovers make stragglers");
}

#[test]
fn several_items_per_handle_resolution_place_several_pieces_at_once() {
    let run = |items: u32| {
        model::run(&scenario(json!({
            "duration_s": 1800,
            "workload": {"pieces": 4},
            "registrars": {"max_handle_resolution_items": items}
        })))
        .metrics
    };
    let (one, four) = (run(1), run(4));
    // One resolution per piece, or one per job (as many PEs as pieces come back).
    assert!(one.handle_resolutions >= 4 * one.jobs_started - 4, "{}", one.handle_resolutions);
    assert!(four.handle_resolutions <= four.jobs_started + 10, "{}", four.handle_resolutions);
}
