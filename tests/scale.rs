//! Large pools: the protocol work per job that any speed-up must keep, and a pool of
//! 10 000 PEs and 100 000 PUs that must behave like the small ones and be deterministic.
//! No timing is asserted here; speed is measured by `poolsim bench scale`.

use poolsim::model::{self, Metrics};
use poolsim::scenario;
use serde_json::{Value, json};

mod common;

fn run(v: Value) -> model::RunOutput {
    model::run(&scenario::from_value(v).unwrap())
}

#[test]
fn the_protocol_work_per_job_is_fixed() {
    // The default scenario with three registrars (ENRP updates to two peers): the counts
    // of every kind of protocol message, exactly. Faster engines and layouts must send the
    // same messages; only a documented model change may change these numbers.
    let m = run(json!({"registrars": {"count": 3}})).metrics;
    let counts = [
        ("jobs_completed", m.jobs_completed),
        ("registrations", m.registrations),
        ("handle_resolutions", m.handle_resolutions),
        ("endpoint_keep_alives", m.endpoint_keep_alives),
        ("handle_updates", m.handle_updates),
        ("asap_packets", m.asap_packets),
        ("enrp_packets", m.enrp_packets),
        ("cookies", m.cookies),
    ];
    let expected = [
        ("jobs_completed", 5745),
        ("registrations", 11487),
        ("handle_resolutions", 5742),
        ("endpoint_keep_alives", 1440),
        ("handle_updates", 22974),
        ("asap_packets", 37338),
        ("enrp_packets", 24414),
        ("cookies", 3259),
    ];
    assert_eq!(counts, expected);
    // What they mean per job: LeastUsed re-registers at each accept and completion (rspsim-
    // model.md §12), each registration is one handle update per peer, one handle
    // resolution per job.
    let per_job = |n: u64| n as f64 / m.jobs_completed as f64;
    assert!((per_job(m.registrations) - 2.0).abs() < 0.01);
    assert_eq!(m.handle_updates, 2 * m.registrations);
    assert!((per_job(m.handle_resolutions) - 1.0).abs() < 0.01);
}

fn large(extra: Value) -> Value {
    // PUs start at 600 s; 100 s of jobs (12.5 s each on average) reach the steady state.
    let mut v = json!({"warmup_s": 700, "duration_s": 60, "pool_elements": {"count": 10_000}});
    if let (Value::Object(base), Value::Object(extra)) = (&mut v, extra) {
        base.extend(extra);
    }
    v
}

#[test]
fn a_pool_of_ten_thousand_pes_is_sane_and_deterministic() {
    let (a, b, from_zero) = std::thread::scope(|s| {
        let a = s.spawn(|| run(large(json!({}))));
        let b = s.spawn(|| run(large(json!({}))));
        let from_zero = run(large(json!({"warmup_s": 0, "duration_s": 700})));
        (a.join().unwrap(), b.join().unwrap(), from_zero)
    });
    assert_eq!(a.fingerprint, b.fingerprint, "same scenario, same run");
    assert_eq!(a.events, b.events);
    let m: &Metrics = &a.metrics;
    assert_eq!(a.pool_elements.len(), 10_000);
    // 100 000 PUs offer θ = 0.8 of the pool's capacity.
    assert!((m.system_utilization - 0.8).abs() < 0.04, "utilization {}", m.system_utilization);
    assert!(m.jobs_completed > 30_000, "{} jobs in 60 s", m.jobs_completed);
    assert!(m.handling_speed_pct > 50.0, "LeastUsed with r = 10: {}", m.handling_speed_pct);
    // From time 0, nothing is lost.
    common::assert_conserved("10 000 PEs", &from_zero.metrics);
}
