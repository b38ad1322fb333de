//! Several registrars peered over ENRP: PEs register at a random registrar of the LAN,
//! handle updates spread them to the peers, PUs resolve at any registrar, and the pool
//! serves the offered load as with one registrar. Registrars that fail are taken over by
//! one peer, the handlespaces stay consistent through churn, and takeover suggestion
//! spreads PE ownership (docs/model.md §4.7, §4.8).

use poolsim::engine::SimTime;
use poolsim::handlespace::PeId;
use poolsim::model::{self, Simulation};
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

/// Steps until `done` holds or the run ends; returns whether it held.
fn step_until(sim: &mut Simulation, mut done: impl FnMut(&Simulation) -> bool) -> bool {
    loop {
        if sim.step().is_some() {
            return false;
        }
        if done(sim) {
            return true;
        }
    }
}

/// Every live registrar holds exactly the live PEs (equal handlespace checksums, the audit
/// of RSPLIB's handlespace (docs/model.md §3)).
fn assert_consistent(sim: &Simulation, what: &str) {
    let live: Vec<PeId> = sim.pool_elements().iter().filter(|pe| pe.is_up()).map(|pe| pe.id).collect();
    for (i, r) in sim.registrars().iter().enumerate().filter(|(_, r)| r.is_up()) {
        assert_eq!(r.pool_size(), live.len(), "{what}: registrar {i} holds {} PEs", r.pool_size());
        assert!(live.iter().all(|&pe| r.knows(pe)), "{what}: registrar {i} misses a live PE");
    }
    let sums: Vec<u16> = sim.registrars().iter().filter(|r| r.is_up()).map(|r| r.checksum()).collect();
    assert!(sums.windows(2).all(|w| w[0] == w[1]), "{what}: checksums {sums:x?}");
}

#[test]
fn registrars_agree_on_the_pool_before_and_after_churn() {
    let s = scenario::from_value(json!({
        "warmup_s": 0, "duration_s": 4000,
        "registrars": {"count": 3, "overrides": [{"index": 1, "uptime": 1000, "downtime": 200}]},
        "pool_elements": {"overrides": [
            {"index": 2, "uptime": 500, "clean_shutdown_probability": 0, "downtime": "never"},
            {"index": 5, "uptime": 1600, "clean_shutdown_probability": 1, "downtime": 30},
            {"index": 7, "uptime": 1400, "clean_shutdown_probability": 0, "downtime": 100}]}
    }))
    .unwrap();
    let mut sim = Simulation::new(&s);
    assert!(step_until(&mut sim, |sim| sim.now() >= SimTime::from_secs(450)));
    assert_consistent(&sim, "after the registrations");
    // Registrar 1 is down from 1030 s to 1230 s (and again from 2230 s), PE 2 dies for good
    // at ~800 s, PE 5 stops cleanly at ~1900 s, PE 7 silently at ~1700 s and restarts at
    // ~1800 s: keep-alive timeouts, takeovers and the restarted registrar's
    // synchronisation are over well before 2200 s.
    assert!(step_until(&mut sim, |sim| sim.now() >= SimTime::from_secs(2200)));
    assert_consistent(&sim, "after the churn");
    assert_eq!(sim.registrars().iter().filter(|r| r.is_up()).count(), 3);
}

#[test]
fn one_registrar_takes_over_a_dead_peer_and_the_lower_identifier_wins_the_tie() {
    // Random: PEs re-register only every T4 (580 s), so the dead registrar still owns
    // its PEs when its peers notice (61 s + 5 s).
    let s = scenario::from_value(json!({
        "warmup_s": 0, "duration_s": 2000,
        "pool_elements": {"policy": "Random", "registration_life_s": 600, "home_registrars": [1]},
        "registrars": {"count": 3, "overrides": [{"index": 1, "uptime": 400, "downtime": "never"}]}
    }))
    .unwrap();
    let mut sim = Simulation::new(&s);
    assert!(step_until(&mut sim, |sim| sim.registrars()[1].lifecycle_stats().stops == 1));
    let pes: Vec<PeId> = sim.pool_elements().iter().map(|pe| pe.id).collect();
    let dead = sim.registrars()[1].id;
    let owners: Vec<_> = pes.iter().map(|&pe| sim.registrars()[0].owner_of(pe)).collect();
    assert!(owners.iter().all(|&o| o == Some(dead)), "registrar 1 owned every PE: {owners:?}, {dead:?}");
    let taken = step_until(&mut sim, |sim| pes.iter().all(|&pe| sim.registrars()[0].owner_of(pe) != Some(dead)));
    assert!(taken, "the PEs were taken over");
    let (a, b) = (&sim.registrars()[0], &sim.registrars()[2]);
    let winner = if a.id < b.id { a.id } else { b.id };
    for r in [a, b] {
        assert!(pes.iter().all(|&pe| r.owner_of(pe) == Some(winner)), "both agree the lower id owns them");
        assert_eq!(r.stats.takeovers_started, 1, "both noticed the failure and started a takeover");
    }
    let completed =
        |r: &poolsim::model::registrar::Registrar| r.stats.takeovers_by_consent + r.stats.takeovers_by_timeout;
    assert_eq!((completed(a), completed(b)), if a.id < b.id { (1, 0) } else { (0, 1) });
    let winner_index = if a.id < b.id { 0 } else { 2 };
    // The PEs stay in the pool: jobs keep completing through both registrars.
    let out = loop {
        if let Some(out) = sim.step() {
            break out;
        }
    };
    assert_eq!(out.registrars[winner_index].owned_pes_end, 10);
    assert_eq!(out.metrics.takeovers_started, 2);
    // As many jobs complete as without the failure: no PE left the pool.
    let mut v = serde_json::to_value(&s).unwrap();
    v["registrars"]["overrides"] = json!([]);
    let healthy = model::run(&scenario::from_value(v).unwrap()).metrics;
    let (got, expected) = (out.metrics.jobs_completed as f64, healthy.jobs_completed as f64);
    assert!(got > 0.97 * expected, "{got} jobs completed, {expected} without the failure");
}

#[test]
fn takeover_suggestion_spreads_ownership_by_identifier_distance() {
    let run = |suggestion: bool| {
        let s = scenario::from_value(json!({
            "duration_s": 600,
            "pool_elements": {"count": 25, "home_registrars": [0]},
            "registrars": {"count": 5, "takeover_suggestion": suggestion}
        }))
        .unwrap();
        let mut sim = Simulation::new(&s);
        while sim.step().is_none() {}
        sim
    };
    let plain = run(false);
    assert_eq!(plain.registrars()[0].owned_pool_elements(), 25, "without suggestion every PE stays at registrar 0");
    let spread = run(true);
    let owned: Vec<usize> = spread.registrars().iter().map(|r| r.owned_pool_elements()).collect();
    assert_eq!(owned.iter().sum::<usize>(), 25, "{owned:?}");
    assert!(owned[0] < 13 && owned.iter().filter(|&&n| n > 0).count() >= 3, "ownership spreads: {owned:?}");
    // Each PE ends at the registrar whose identifier is farthest from its own (XOR).
    for pe in spread.pool_elements() {
        let best = spread.registrars().iter().map(|r| r.id).max_by_key(|id| id.0 ^ pe.id.0).unwrap();
        for r in spread.registrars() {
            assert_eq!(r.owner_of(pe.id), Some(best), "PE {:?}", pe.id);
        }
    }
}

#[test]
fn pool_users_fail_over_along_their_home_registrar_list() {
    let s = scenario::from_value(json!({
        "duration_s": 2400,
        "pool_users": {"home_registrars": [1, 0]},
        "registrars": {"count": 2, "overrides": [{"index": 1, "uptime": 1500, "downtime": "never"}]}
    }))
    .unwrap();
    let mut sim = Simulation::new(&s);
    assert!(step_until(&mut sim, |sim| sim.registrars()[1].lifecycle_stats().stops == 1));
    let before = sim.registrars()[0].stats.handle_resolutions;
    assert_eq!(before, 0, "every PU resolved at registrar 1 first");
    let out = loop {
        if let Some(out) = sim.step() {
            break out;
        }
    };
    assert!(out.registrars[0].handle_resolutions > 500, "then at registrar 0");
    assert!(out.metrics.pu_queue_length_end < 20);
    let again = model::run(&s);
    assert_eq!(again.fingerprint, out.fingerprint, "deterministic with a registrar failure");
}
