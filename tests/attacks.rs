//! Attackers and the registrars' countermeasures (docs/model.md §4.4, §4.6, §7): the
//! findings of the attack studies on the small committed scenarios
//! `scenarios/handle-resolution-attack.json` and `scenarios/registration-attack.json`,
//! the rate limit's threshold, and a flood of forged messages of every kind that must
//! neither crash nor stall a run, nor lose a job or a calculation.

use poolsim::engine::SimTime;
use poolsim::engine::rng::{Component, Purpose, stream};
use poolsim::handlespace::{PeId, PolicySettings, PolicyType, RegistrarId};
use poolsim::model::message::Cookie;
use poolsim::model::{self, Message, Metrics, NodeId, PeRecord, Simulation, WELL_KNOWN_PORT};
use poolsim::scenario::{self, Scenario};
use rand::RngExt;
use std::path::Path;

mod common;

fn scenario(file: Option<&str>, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(file.map(Path::new), &sets).unwrap()
}

fn run(file: &str, sets: &[&str]) -> Metrics {
    model::run(&scenario(Some(file), sets)).metrics
}

const HR_ATTACK: &str = "scenarios/handle-resolution-attack.json";
const REGISTRATION_ATTACK: &str = "scenarios/registration-attack.json";

#[test]
fn without_attackers_nothing_changes() {
    // The default scenario's fingerprint of every release before attackers existed.
    let base = model::run(&scenario(None, &[]));
    assert_eq!(base.fingerprint.hex(), "c4695d3a41578dcf");
    // Rate limits far above what a pool user asks (one handle resolution per job, a job
    // every 125 s) never refuse anything, so they change nothing either.
    let limited = model::run(&scenario(
        None,
        &["attackers.count=0", "registrars.max_handle_resolution_rate=1", "registrars.max_endpoint_unreachable_rate=1"],
    ));
    assert_eq!(limited.fingerprint, base.fingerprint);
    assert_eq!(format!("{:?}", limited.metrics), format!("{:?}", base.metrics), "NaN-aware equality");
    let m = &base.metrics;
    let attack = [m.attacker_messages, m.refused_handle_resolutions, m.refused_endpoint_unreachables];
    assert_eq!(attack, [0, 0, 0]);
    assert_eq!((m.ignored_application_messages, m.fake_selection_share), (0, 0.0));
}

#[test]
fn a_flooder_over_the_rate_limit_is_refused_and_one_under_it_never_is() {
    // An attacker asking every 0.5 s: 16 timestamps span 7.5 s, so the estimator sees
    // 16 / 7.5 = 2.133 requests/s (n, not n - 1: quirk 11.3). Refused requests are recorded
    // too, so above the limit every request is refused, below it none.
    let flood = |limit: &str, key: &str| {
        let set = format!("registrars.{key}={limit}");
        let m = run(HR_ATTACK, &["attackers.interval_s=0.5", &set]);
        assert!(m.attacker_handle_resolutions > 3000, "{m:?}");
        m
    };
    let over = flood("2", "max_handle_resolution_rate");
    assert_eq!(over.refused_handle_resolutions, over.attacker_handle_resolutions);
    let under = flood("2.2", "max_handle_resolution_rate");
    assert_eq!(under.refused_handle_resolutions, 0);
    // The same estimator for unreachability reports, one rate per pool user: the attacker
    // reports one PE per answer, one effective report per 0.5 s.
    let over = flood("2", "max_endpoint_unreachable_rate");
    assert!(over.attacker_failure_reports > 3000);
    assert!(over.refused_endpoint_unreachables >= over.attacker_failure_reports);
    let under = flood("2.2", "max_endpoint_unreachable_rate");
    assert_eq!(under.refused_endpoint_unreachables, 0);
}

#[test]
fn rate_limits_restore_the_pool_under_a_handle_resolution_flood() {
    let baseline = run(HR_ATTACK, &["attackers.count=0"]);
    let attacked = run(HR_ATTACK, &[]);
    let limited =
        run(HR_ATTACK, &["registrars.max_handle_resolution_rate=1", "registrars.max_endpoint_unreachable_rate=1"]);
    // Fake failure reports remove every PE the attacker is handed (MaxBadPEReports 3):
    // pool users find few PEs and wait; handling speed collapses.
    assert!(attacked.attacker_failure_reports > 5000, "{attacked:?}");
    assert!(
        attacked.handling_speed < 0.2 * baseline.handling_speed,
        "attacked {} vs {}",
        attacked.handling_speed,
        baseline.handling_speed
    );
    // Limited to 1/s per pool user, the attacker's requests and reports are refused.
    assert!(limited.refused_handle_resolutions > 10_000 && limited.refused_endpoint_unreachables > 10_000);
    assert!(
        limited.handling_speed > 0.95 * baseline.handling_speed,
        "limited {} vs {}",
        limited.handling_speed,
        baseline.handling_speed
    );
}

/// Mean handling speed and fake-PE share of a scenario over seeds 1 and 2.
fn over_seeds(file: &str, sets: &[&str]) -> (f64, f64) {
    let runs: Vec<Metrics> = ["seed=1", "seed=2"].iter().map(|seed| run(file, &[sets, &[*seed]].concat())).collect();
    let mean = |f: fn(&Metrics) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    (mean(|m| m.handling_speed), mean(|m| m.fake_selection_share))
}

#[test]
fn a_registration_flood_hurts_least_used_more_than_round_robin() {
    // Fake PEs report load 0: LeastUsed prefers them over every busy PE, RoundRobin gives
    // them only their turn.
    let retained = |policy: &str| {
        let policy = format!("pool_elements.policy={policy}");
        let (baseline, _) = over_seeds(REGISTRATION_ATTACK, &[&policy, "attackers.count=0"]);
        let (attacked, fake_share) = over_seeds(REGISTRATION_ATTACK, &[&policy]);
        (attacked / baseline, fake_share)
    };
    let (lu, lu_fake) = retained("LeastUsed");
    let (rr, rr_fake) = retained("RoundRobin");
    assert!(lu_fake > rr_fake + 0.05, "fake selections: LU {lu_fake}, RR {rr_fake}");
    assert!(lu < rr - 0.05, "handling speed retained: LU {lu}, RR {rr}");
}

#[test]
fn a_fixed_identity_bounds_the_damage_of_a_registration_flood() {
    let (baseline, _) = over_seeds(REGISTRATION_ATTACK, &["attackers.count=0"]);
    for interval in ["attackers.interval_s=0.1", "attackers.interval_s=1"] {
        // A fresh identifier per registration: fake PEs pile up faster than reports remove them.
        let (fresh, fresh_fake) = over_seeds(REGISTRATION_ATTACK, &[interval]);
        assert!(fresh_fake > 0.8 && fresh < 0.2 * baseline, "{interval}: {fresh} ({fresh_fake} fake)");
        // One identity per attacker: a registration only updates it, one fake PE at most.
        let (fixed, fixed_fake) = over_seeds(REGISTRATION_ATTACK, &[interval, "attackers.randomize_identifier=false"]);
        assert!(fixed_fake < 0.4 && fixed > 0.8 * baseline, "{interval}: {fixed} ({fixed_fake} fake)");
    }
}

#[test]
fn attackers_count_what_they_do_and_what_they_get() {
    let m = run(REGISTRATION_ATTACK, &[]);
    // One registration per 5 s over the 1800 s window, every one accepted.
    assert_eq!(m.attacker_registrations, 360);
    assert!(m.attacker_messages >= m.attacker_registrations);
    // Every request to a fake PE is ignored, and the PU reports the PE after its timeout.
    assert!(m.ignored_application_messages > 1000);
    let out = model::run(&scenario(Some(REGISTRATION_ATTACK), &[]));
    let r = &out.registrars[0];
    assert!(r.fake_share > 0.3 && r.fake_share < 1.0, "{r:?}");
    assert_eq!(r.attacker_messages, m.attacker_messages);
}

/// A forged message of any kind. PE records point at real hosts (never the attacker's, so
/// that no pool user takes the attacker for its PE); calculations in forged cookies and
/// completions are 0 (the simulation's bookkeeping, not on the wire).
fn forged(rng: &mut impl rand::Rng, pes: &[(NodeId, PeId)], registrars: &[RegistrarId]) -> Message {
    let pe = |rng: &mut dyn rand::Rng| {
        if rng.random_bool(0.7) { pes[rng.random_range(0..pes.len())].1 } else { PeId(rng.random_range(1..100)) }
    };
    let registrar = |rng: &mut dyn rand::Rng| {
        if rng.random_bool(0.8) { registrars[rng.random_range(0..registrars.len())] } else { RegistrarId(12345) }
    };
    let record = |rng: &mut dyn rand::Rng| {
        let (node, id) = pes[rng.random_range(0..pes.len())];
        let mut settings = PolicySettings::new(PolicyType::LeastUsed);
        settings.load = rng.random();
        PeRecord {
            id: if rng.random_bool(0.5) { id } else { PeId(rng.random_range(1..100)) },
            home: registrar(rng),
            registration_life_ms: rng.random_range(1..100_000),
            user: node,
            registrator: node,
            settings,
        }
    };
    let job = rng.random_range(0..1u64 << 20);
    let cookie = Cookie { job, total: 1e7, completed: rng.random_range(0.0..1e7) };
    match rng.random_range(0..29) {
        0 => Message::Registration { record: record(rng) },
        1 => Message::RegistrationResponse { pe: pe(rng), reject: rng.random(), error: 0 },
        2 => Message::Deregistration { pe: pe(rng) },
        3 => Message::DeregistrationResponse { pe: pe(rng) },
        4 => Message::EndpointKeepAlive { pe: pe(rng), home: rng.random() },
        5 => Message::EndpointKeepAliveAck { pe: pe(rng) },
        6 => Message::EndpointUnreachable { pe: pe(rng) },
        7 => Message::HandleResolution,
        8 => Message::HandleResolutionResponse {
            items: (0..rng.random_range(0..4)).map(|_| record(rng)).collect(),
            reject: rng.random(),
        },
        9 => Message::Cookie { cookie, newly_saved: 0.0 },
        10 => Message::CookieEcho(cookie),
        11 => Message::Presence { sender: registrar(rng), reply_required: rng.random(), checksum: rng.random() },
        12 => Message::ListRequest { sender: registrar(rng) },
        13 => Message::ListResponse { sender: registrar(rng) },
        14 => Message::HandleTableRequest { sender: registrar(rng), own_children_only: rng.random() },
        15 => Message::HandleTableResponse {
            sender: registrar(rng),
            records: (0..rng.random_range(0..5)).map(|_| record(rng)).collect(),
        },
        16 => Message::HandleUpdate {
            sender: registrar(rng),
            add: rng.random(),
            record: record(rng),
            takeover_suggested: rng.random(),
        },
        17 => Message::InitTakeover { sender: registrar(rng), target: registrar(rng) },
        18 => Message::InitTakeoverAck { sender: registrar(rng), target: registrar(rng) },
        19 => Message::TakeoverServer { sender: registrar(rng), target: registrar(rng) },
        20 => Message::CalcAppRequest { job, size: rng.random_range(1.0..1e7) },
        21 => Message::CalcAppAccept { job },
        22 => Message::CalcAppReject { job },
        23 => Message::CalcAppKeepAlive { job },
        24 => Message::CalcAppKeepAliveAck { job },
        25 => Message::CalcAppComplete { job, newly_saved: 0.0 },
        26 => Message::CalcAppAbort { job },
        // Real attacks mixed in: a handle resolution and reports of real PEs.
        27 => Message::EndpointUnreachable { pe: pes[rng.random_range(0..pes.len())].1 },
        _ => Message::HandleResolution,
    }
}

#[test]
fn forged_messages_of_every_kind_neither_crash_nor_stall_a_run_nor_lose_anything() {
    for case in 0..6u64 {
        // Three registrars (ENRP, takeovers), churning PEs, both attacker kinds, and a
        // forged message every `gap` on average from the attackers' hosts.
        let s = scenario(
            None,
            &[
                &format!("seed={}", case + 1),
                "warmup_s=0",
                "duration_s=1500",
                "registrars.count=3",
                "registrars.max_bad_pe_reports=3",
                "registrars.endpoint_keep_alive_interval_s=5",
                "registrars.endpoint_keep_alive_timeout_s=5",
                "pool_elements.uptime={\"type\": \"exponential\", \"mean_s\": 300}",
                "pool_elements.clean_shutdown_probability=0.5",
                "pool_elements.registration_life_s=30",
                "calcapp.keep_alive_interval_s=10",
                "calcapp.keep_alive_timeout_s=10",
                "attackers.count=2",
                "attackers.interval_s=0.5",
                "attackers.report_unreachable_probability=0.5",
                "attackers.overrides=[{\"index\": 1, \"type\": \"registration\", \"randomize_identifier\": true}]",
            ],
        );
        let mut sim = Simulation::new(&s);
        let mut rng = stream(case, Component::Scenario, 99, Purpose::Network);
        let gap = [0.01, 0.1, 1.0][case as usize % 3];
        let hosts: Vec<NodeId> = sim
            .registrars()
            .iter()
            .map(|r| r.node)
            .chain(sim.pool_elements().iter().map(|p| p.node))
            .chain(sim.pool_users().iter().map(|u| u.node))
            .collect();
        let attackers: Vec<NodeId> = sim.attackers().iter().map(|a| a.node).collect();
        let registrar_ids: Vec<RegistrarId> = sim.registrars().iter().map(|r| r.id).collect();
        let mut next_forgery = SimTime::from_secs_f64(300.0);
        let (mut last, mut same_instant, mut forgeries) = (SimTime::ZERO, 0u64, 0u64);
        let output = loop {
            if let Some(out) = sim.step() {
                break out;
            }
            let now = sim.now();
            assert!(now >= last, "time went back");
            same_instant = if now == last { same_instant + 1 } else { 0 };
            assert!(same_instant < 100_000, "stalled at {now:?}");
            last = now;
            while next_forgery <= now {
                let pes: Vec<(NodeId, PeId)> = sim.pool_elements().iter().map(|p| (p.node, p.id)).collect();
                let msg = forged(&mut rng, &pes, &registrar_ids);
                let to = hosts[rng.random_range(0..hosts.len())];
                let port = if rng.random_bool(0.5) { WELL_KNOWN_PORT } else { pes[rng.random_range(0..pes.len())].1.0 };
                sim.inject(attackers[rng.random_range(0..attackers.len())], to, port, msg);
                forgeries += 1;
                next_forgery += model::secs(rng.random_range(0.0..2.0 * gap));
            }
        };
        let m = &output.metrics;
        assert!(forgeries > 500, "case {case}: {forgeries} forgeries");
        assert!(m.attacker_messages > 1000, "case {case}: {m:?}");
        common::assert_conserved(&format!("case {case}"), m);
    }
}
