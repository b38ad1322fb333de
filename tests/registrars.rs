//! Several registrars peered over ENRP: PEs register at a random registrar of the LAN,
//! handle updates spread them to the peers, PUs resolve at any registrar, and the pool
//! serves the offered load as with one registrar.

use poolsim::model;
use poolsim::scenario;
use serde_json::json;

#[test]
fn three_registrars_share_one_handlespace() {
    let run = |registrars: u32| {
        let s = scenario::from_value(json!({"duration_s": 3600, "registrars": {"count": registrars}})).unwrap();
        model::run(&s).metrics
    };
    let one = run(1);
    let three = run(3);
    assert_eq!(one.enrp_packets, 0, "a lone registrar has no peers");
    assert!(three.enrp_packets > three.registrations, "every registration is announced to 2 peers");
    // PUs start at 600 s, after the registrars' startup and the PEs' registration, so no
    // resolution comes back empty and no job waits for a PE.
    assert_eq!(three.unreachables, 0);
    assert!((three.system_utilization - 0.8).abs() < 0.05, "utilization {}", three.system_utilization);
    assert_eq!(three.jobs_queued, one.jobs_queued, "same arrivals (common random numbers)");
    assert!(three.jobs_completed as f64 > 0.97 * one.jobs_completed as f64);
    // Each PU resolves at its own registrar, whose LU order follows the PEs' loads
    // through ENRP handle updates: LU stays far ahead of Random.
    let random = scenario::from_value(json!({"duration_s": 3600, "registrars": {"count": 3},
                                                "pool_elements": {"policy": "Random"}}))
    .unwrap();
    assert!(three.handling_speed_pct > model::run(&random).metrics.handling_speed_pct + 20.0);
}
