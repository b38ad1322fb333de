//! Pools spread over LANs (docs/model.md §1.1-1.3, §9.3, §10.3): the chain topology and
//! its delays, the registrars' distance measurement (§4.3, §4.8, quirk 11.4), the
//! distance-sensitive policies on measured distances, and localized disasters. (The DPF
//! policies' selection on given distances: tests/handlespace_distributions.rs.)

use poolsim::engine::SimTime;
use poolsim::model::{self, Simulation};
use poolsim::scenario::{self, Scenario};
use serde_json::{Value, json};

fn scenario(v: Value) -> Scenario {
    scenario::from_value(v).unwrap()
}

/// Runs until every PE has registered and its handle updates have arrived everywhere.
fn registered(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s);
    while sim.now() < SimTime::from_secs_f64(s.pool_elements.start_s + 10.0) {
        assert!(sim.step().is_none());
    }
    sim
}

/// Registrars measure the one-way delay of a registration and add that of each handle
/// update, each rounded up to the ms: the distance of a PE in LAN b seen at the registrar
/// of LAN a is ceil(d) + ceil(d + |a − b|·D) for a LAN delay d and a WAN delay D.
#[test]
fn measured_distances_follow_the_chain_delays_rounded_up_to_the_ms() {
    for (lan_delay_ms, wan_delay_ms) in [(10.0, 150.0), (10.4, 37.25), (0.0, 0.0)] {
        let s = scenario(json!({"network": {"lans": 3, "lan_delay_ms": lan_delay_ms, "wan_delay_ms": wan_delay_ms},
                                "pool_elements": {"count": 2}}));
        let sim = registered(&s);
        let ceil = |ms: f64| (ms - 1e-9).ceil().max(0.0) as u32;
        for (a, registrar) in sim.registrars().iter().enumerate() {
            assert_eq!(registrar.pool_size(), 6, "every registrar holds every PE");
            for (i, pe) in sim.pool_elements().iter().enumerate() {
                let b = i / 2;
                let hops = a.abs_diff(b) as f64;
                let mut expected = ceil(lan_delay_ms);
                if a != b {
                    expected += ceil(lan_delay_ms + hops * wan_delay_ms);
                }
                assert_eq!(registrar.distance_to(pe.id), Some(expected), "PE {i} at registrar {a}, d {lan_delay_ms}");
            }
        }
    }
}

/// A message between LANs i and j takes d_A/2 + d_B/2 + |i − j|·D: with the only live PE
/// in LAN 2 (those of LANs 0 and 1 start after the end), the PUs of LANs 0, 1 and 2 see it
/// 207.5, 107.5 and 7.5 ms away (d = 7.5 ms, D = 100 ms).
#[test]
fn a_message_between_lans_i_and_j_takes_the_lan_delays_plus_the_wan_hops() {
    let s = scenario(json!({
        "duration_s": 600,
        "workload": {"target_utilization": 0.2, "pu_pe_ratio": 1, "job_size": 1e6},
        "network": {"lans": 3, "lan_delay_ms": 7.5, "wan_delay_ms": 100},
        "pool_elements": {"count": 1, "overrides": [{"index": 0, "start_s": 1e6}, {"index": 1, "start_s": 1e6}]},
        "pool_users": {"count": 1}
    }));
    let out = model::run(&s);
    for (l, expected) in out.lans.iter().zip([207.5, 107.5, 7.5]) {
        assert!(l.jobs_completed > 0, "{l:?}");
        assert!((l.distance_mean_ms - expected).abs() < 1e-9, "LAN {}: {} ms", l.lan, l.distance_mean_ms);
        assert_eq!(l.local_service_share, if l.lan == 2 { 1.0 } else { 0.0 });
    }
}

/// The committed three-site example, with a policy, LoadDPF and WAN delay.
fn three_sites(policy: &str, load_dpf: f64, wan_delay_ms: f64, seed: u64) -> model::RunOutput {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/three-sites.json");
    let overrides = [
        format!("seed={seed}"),
        format!("pool_elements.policy={policy}"),
        format!("pool_elements.load_dpf={load_dpf}"),
        format!("network.wan_delay_ms={wan_delay_ms}"),
        "duration_s=1800".to_string(),
    ];
    model::run(&scenario::load(Some(std::path::Path::new(path)), &overrides).unwrap())
}

#[test]
fn with_load_dpf_0_least_used_dpf_is_least_used() {
    let lu = three_sites("LeastUsed", 0.0, 150.0, 1);
    let dpf = three_sites("LeastUsedDPF", 0.0, 150.0, 1);
    assert_eq!(lu.fingerprint, dpf.fingerprint);
    assert_eq!(format!("{:?}", lu.metrics), format!("{:?}", dpf.metrics), "NaN-aware: compared as text");
}

/// The published finding of wp1-hom-lu-dpfI: as the WAN delay grows, LeastUsed sends
/// ever more jobs across slow links while LeastUsedDPF keeps them local, so its handling
/// time stays low.
#[test]
fn least_used_dpf_beats_least_used_as_the_wan_delay_grows() {
    let handling = |policy: &str, dpf: f64, wan: f64| {
        (1..=3).map(|seed| three_sites(policy, dpf, wan, seed).metrics.handling_time_mean_s).sum::<f64>() / 3.0
    };
    let gap = |wan: f64| handling("LeastUsed", 0.0, wan) - handling("LeastUsedDPF", 1e-5, wan);
    let (near, far) = (gap(0.0), gap(300.0));
    assert!(far > 0.5, "LeastUsedDPF saves {far} s per job at 300 ms WAN delay");
    assert!(far > 5.0 * near.abs(), "the gain grows with the WAN delay: {near} s at 0 ms, {far} s at 300 ms");
    let far_dpf = three_sites("LeastUsedDPF", 1e-5, 300.0, 1).metrics;
    assert!(far_dpf.local_service_share > 0.9, "local share {}", far_dpf.local_service_share);
}

/// A localized disaster (docs/model.md §9.3): LAN 0 keeps 3 of its 12 PEs, LANs 1 and 2
/// get 17 and 16. The pool absorbs it: utilization stays at the target, LAN 0's PUs are
/// served remotely at full throughput, and no job is lost.
#[test]
fn a_localized_disaster_is_absorbed() {
    let s = scenario(json!({
        "duration_s": 1800,
        "workload": {"target_utilization": 0.6, "pu_pe_ratio": 3, "job_size": 1e6},
        "network": {"lans": 3, "lan_delay_ms": 10, "wan_delay_ms": 150},
        "pool_elements": {"count": 12, "policy": "LeastUsedDPF", "load_dpf": 1e-5,
                          "count_distribution": {"type": "localized_disaster", "lambda": 0.25}}
    }));
    let layout = s.layout();
    let per_lan = |lan: u32| layout.pool_element_lans.iter().filter(|&&l| l == lan).count();
    assert_eq!([per_lan(0), per_lan(1), per_lan(2)], [3, 17, 16]);
    assert_eq!(layout.pool_user_lans.len(), 108, "PUs stay 36 per LAN");
    let out = model::run(&s);
    let m = &out.metrics;
    assert!((m.system_utilization - 0.6).abs() < 0.03, "utilization {}", m.system_utilization);
    let lan0 = &out.lans[0];
    assert!(lan0.local_service_share < 0.5, "LAN 0 is served remotely: {lan0:?}");
    for l in &out.lans[1..] {
        let ratio = lan0.jobs_completed as f64 / l.jobs_completed as f64;
        assert!((ratio - 1.0).abs() < 0.05, "LAN 0 completes as many jobs as LAN {}: {ratio}", l.lan);
    }
    assert_eq!(m.lost_calculations, 0.0);
    assert_eq!((m.failovers, m.unreachables, m.rejects), (0, 0, 0));
    assert!(m.pu_queue_length_end < 20, "queues stay short: {}", m.pu_queue_length_end);
}

#[test]
fn one_lan_is_the_old_single_lan_model() {
    let plain = model::run(&Scenario::default());
    let explicit = model::run(&scenario(json!({"network": {"lans": 1, "wan_delay_ms": 500},
                                                   "pool_elements": {"count_distribution": "identity"}})));
    assert_eq!(plain.fingerprint, explicit.fingerprint, "the WAN delay does not matter within one LAN");
    assert_eq!(plain.fingerprint.hex(), "c4695d3a41578dcf", "the default scenario's event trace since release 1");
    assert_eq!(plain.lans.len(), 1);
    assert_eq!(plain.lans[0].local_service_share, 1.0);
    assert_eq!(plain.lans[0].utilization, plain.metrics.system_utilization);
    assert_eq!(plain.lans[0].handling_speed, plain.metrics.handling_speed);
}
