//! Churn: components that stop, vanish and restart, interfaces that fail, and the
//! failure detection and failover that keep the pool working (docs/model.md §2, §4.5,
//! §4.6, §5.5-5.8, §6.3). Nothing may be lost: every job is accounted for, and every
//! calculation a PE does is credited, lost, or still unsaved at the end.

use poolsim::engine::SimTime;
use poolsim::model::{self, Metrics, Simulation};
use poolsim::scenario::{self, Scenario};
use serde_json::{Value, json};

mod common;

fn scenario(v: Value) -> Scenario {
    scenario::from_value(v).unwrap()
}

/// Merges `extra` into `base` (objects key by key).
fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra.clone()) {
        for (k, v) in e {
            let merged = match b.remove(&k) {
                Some(old) => merge(old, v),
                None => v,
            };
            b.insert(k, merged);
        }
        base
    } else {
        extra
    }
}

fn run(v: Value) -> Metrics {
    model::run(&scenario(v)).metrics
}

/// The wp2 setting: θ 0.6, r 10, LAN 10 ms, EKA and JKA 1/1 s, MaxBadPEReports 1,
/// exponential PE uptimes of `mtbf_s`.
fn wp2(mtbf_s: f64, extra: Value) -> Value {
    merge(
        json!({
            "duration_s": 1800,
            "workload": {"target_utilization": 0.6},
            "network": {"lan_delay_ms": 10},
            "registrars": {"endpoint_keep_alive_interval_s": 1, "endpoint_keep_alive_timeout_s": 1,
                           "max_bad_pe_reports": 1},
            "calcapp": {"keep_alive_interval_s": 1, "keep_alive_timeout_s": 1},
            "pool_elements": {"uptime": {"type": "exponential", "mean_s": mtbf_s}}
        }),
        extra,
    )
}

/// Mean of a metric over seeds 1..=n.
fn mean_over_seeds(v: &Value, n: u64, metric: impl Fn(&Metrics) -> f64) -> f64 {
    (1..=n).map(|seed| metric(&run(merge(v.clone(), json!({"seed": seed}))))).sum::<f64>() / n as f64
}

/// From time 0 (no warm-up), so that the window holds every job and calculation.
fn assert_conserved(what: &str, v: Value) -> Metrics {
    let m = run(merge(v, json!({"warmup_s": 0})));
    common::assert_conserved(what, &m);
    assert!(m.jobs_completed > 100, "{what}: the pool works ({} jobs)", m.jobs_completed);
    m
}

#[test]
fn nothing_is_lost_under_unclean_churn() {
    let m = assert_conserved("unclean", wp2(20.0, json!({"pool_elements": {"clean_shutdown_probability": 0}})));
    assert!(m.pe_stops > 500 && m.pe_clean_stops == 0 && m.failovers > 100, "{m:?}");
    assert!(m.lost_calculations > 0.0, "unclean stops lose the work since the last cookie");
}

#[test]
fn clean_shutdowns_lose_nothing() {
    let m = assert_conserved("clean", wp2(20.0, json!({})));
    assert_eq!(m.pe_clean_stops, m.pe_stops);
    assert!(m.failovers > 100);
    assert!(m.lost_calculations < 0.5 * m.jobs_completed as f64, "lost {}", m.lost_calculations);
}

#[test]
fn nothing_is_lost_under_interface_and_registrar_failures() {
    let every_kind = json!({
        "pool_elements": {"clean_shutdown_probability": 0.5, "cookie_max_calculations": 2e6,
                          "interface_uptime": {"type": "exponential", "mean_s": 200},
                          "interface_downtime": {"type": "uniform", "min_s": 0.5, "max_s": 5}},
        "pool_users": {"interface_uptime": {"type": "exponential", "mean_s": 300},
                       "interface_downtime": 3},
        "registrars": {"count": 3, "uptime": {"type": "exponential", "mean_s": 400},
                       "downtime": {"type": "exponential", "mean_s": 20},
                       "interface_uptime": {"type": "exponential", "mean_s": 500}, "interface_downtime": 2,
                       "overrides": [{"index": 0, "uptime": "never"}]}
    });
    let m = assert_conserved("interfaces and registrars", wp2(60.0, every_kind));
    assert!(m.dropped_packets > 100, "interfaces went down: {m:?}");
    assert!(m.registrar_stops > 2, "registrars failed: {m:?}");
}

#[test]
fn a_pool_element_restarts_with_a_new_identity() {
    let s =
        scenario(wp2(30.0, json!({"duration_s": 600, "pool_elements": {"count": 1, "clean_shutdown_probability": 0}})));
    let mut sim = Simulation::new(&s);
    let mut ids = vec![sim.pool_elements()[0].id];
    while sim.step().is_none() {
        let id = sim.pool_elements()[0].id;
        if *ids.last().unwrap() != id {
            assert!(!ids.contains(&id), "identifiers are fresh");
            ids.push(id);
        }
    }
    assert!(ids.len() > 10, "{} incarnations", ids.len());
}

/// Steps until `done` holds; returns the time.
fn step_until(sim: &mut Simulation, mut done: impl FnMut(&Simulation) -> bool) -> SimTime {
    loop {
        assert!(sim.step().is_none(), "the run ended first");
        if done(sim) {
            return sim.now();
        }
    }
}

#[test]
fn a_registrar_removes_a_silently_dead_pool_element_within_interval_plus_timeout() {
    for (interval, timeout) in [(7.0, 3.0), (1.0, 1.0), (50.0, 50.0)] {
        let s = scenario(json!({
            "pool_users": {"count": 0},
            "registrars": {"endpoint_keep_alive_interval_s": interval, "endpoint_keep_alive_timeout_s": timeout},
            "pool_elements": {"count": 1, "uptime": 123.4, "downtime": "never", "clean_shutdown_probability": 0}
        }));
        let mut sim = Simulation::new(&s);
        let died = step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1);
        let pe = sim.pool_elements()[0].id;
        assert!(sim.registrars()[0].knows(pe), "still listed at the crash");
        let removed = step_until(&mut sim, |sim| !sim.registrars()[0].knows(pe));
        let bound = died.as_secs_f64() + interval + timeout;
        assert!(removed > died && removed.as_secs_f64() <= bound + 1e-9, "removed at {removed}, died at {died}");
        assert_eq!(sim.registrars()[0].stats.endpoint_keep_alive_timeouts, 1);
    }
}

#[test]
fn a_registrar_removes_a_dead_pool_element_after_max_bad_pe_reports() {
    let s = scenario(json!({
        "warmup_s": 0,
        "workload": {"job_size": 1e6, "pu_pe_ratio": 5},
        "calcapp": {"request_timeout_s": 2},
        "registrars": {"endpoint_keep_alive_interval_s": 1e6, "max_bad_pe_reports": 3},
        "pool_elements": {"count": 1, "uptime": 500, "downtime": "never", "clean_shutdown_probability": 0}
    }));
    let mut sim = Simulation::new(&s);
    step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1);
    let pe = sim.pool_elements()[0].id;
    let reports_before = sim.registrars()[0].stats.endpoint_unreachables;
    step_until(&mut sim, |sim| {
        let reports = sim.registrars()[0].stats.endpoint_unreachables - reports_before;
        let known = sim.registrars()[0].knows(pe);
        assert!(known || reports == 3, "removed after {reports} reports");
        assert!(!known || reports < 3, "still listed after {reports} reports");
        !known
    });
}

#[test]
fn a_pool_user_notices_a_dead_session_within_the_keep_alive_bounds() {
    for (interval, timeout) in [(5.0, 2.0), (1.0, 1.0), (20.0, 10.0)] {
        // One PU with one long job on one PE that crashes in the middle of it.
        let s = scenario(json!({
            "warmup_s": 0,
            "workload": {"job_size": 1e12, "job_interval": 1},
            "pool_users": {"count": 1},
            "calcapp": {"keep_alive_interval_s": interval, "keep_alive_timeout_s": timeout},
            "pool_elements": {"count": 1, "uptime": 1000, "downtime": "never", "clean_shutdown_probability": 0}
        }));
        let mut sim = Simulation::new(&s);
        let died = step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1);
        assert!(sim.pool_users()[0].has_job_in_service() && sim.lan_counters()[0].failovers == 0);
        let noticed = step_until(&mut sim, |sim| sim.lan_counters()[0].failovers == 1);
        let bound = died.as_secs_f64() + interval + timeout;
        assert!(noticed > died && noticed.as_secs_f64() <= bound + 1e-9, "noticed at {noticed}, died at {died}");
    }
}

#[test]
fn cookies_bound_the_work_lost_per_failover() {
    let lost_per_session = |cookie: f64| {
        let m = run(wp2(
            20.0,
            json!({"pool_elements": {"clean_shutdown_probability": 0, "cookie_max_calculations": cookie}}),
        ));
        assert!(m.failovers > 100);
        m.lost_calculations / m.failovers as f64
    };
    // Without interface failures, an unclean stop loses at most one cookie interval per
    // session; a session the PU left loses nothing else.
    for cookie in [1e5, 1e6, 5e6] {
        let lost = lost_per_session(cookie);
        assert!(lost > 0.0 && lost <= cookie, "cookie {cookie}: {lost} lost per failover");
    }
}

#[test]
fn a_session_sends_a_cookie_every_cookie_max_time_s_of_service() {
    // One PU, so one session at a time, on one PE of 10^6 calculations/s; cookies by
    // time only (the calculation limit out of reach).
    let run = |cookie_max_time_s: f64| {
        model::run(&scenario(json!({
            "warmup_s": 0, "duration_s": 5000,
            "workload": {"job_size": 1e9, "job_interval": 1},
            "pool_users": {"count": 1},
            "pool_elements": {"count": 1, "cookie_max_calculations": 9.9e99, "cookie_max_time_s": cookie_max_time_s}
        })))
    };
    assert_eq!(run(1e7).metrics.cookies, 0);
    for interval_s in [25.0, 50.0, 100.0] {
        let out = run(interval_s);
        // Each cookie follows `interval_s` of service since the session's last one; each
        // of the 5 sessions begun ends with less than an interval since its last cookie.
        let intervals = out.pool_elements[0].used_calculations / (interval_s * 1e6);
        let cookies = out.metrics.cookies as f64;
        assert!(
            cookies <= intervals && cookies > intervals - 5.0,
            "{interval_s} s: {cookies} cookies, {intervals} intervals"
        );
    }
    // The event trace of the PEs' rescheduling before it skipped the search for the
    // earliest cookie by time where none can come first (a3b7b8d).
    assert_eq!(run(50.0).fingerprint.hex(), "7b7fce74864c412c");
}

#[test]
fn without_cookies_a_failover_restarts_the_job_from_zero() {
    // One PU; PE 0 serves its first job and crashes at 700 s; PE 1 comes up at 800 s.
    let s = scenario(json!({
        "warmup_s": 0, "duration_s": 5000,
        "workload": {"job_size": 1e8, "job_interval": 1},
        "pool_users": {"count": 1},
        "calcapp": {"keep_alive_interval_s": 5, "keep_alive_timeout_s": 5},
        "pool_elements": {"count": 2, "cookie_max_calculations": 9.9e99, "clean_shutdown_probability": 0,
                          "overrides": [{"index": 0, "uptime": 400, "downtime": "never"},
                                        {"index": 1, "start_s": 800}]}
    }));
    let mut sim = Simulation::new(&s);
    step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1);
    let lost = sim.pool_elements()[0].stats.lost_calculations;
    let done_on_pe0 = sim.pool_elements()[0].stats.used_calculations;
    let (completed_before, credited_before) =
        (sim.lan_counters()[0].jobs_completed, sim.pool_users()[0].stats.job_size_completed);
    // Everything PE 0 did for the job in service is lost (the rest completed earlier jobs).
    assert!(lost > 0.0);
    assert!((done_on_pe0 - credited_before - lost).abs() <= 0.5 * completed_before as f64, "{lost} of {done_on_pe0}");
    let resumed = step_until(&mut sim, |sim| sim.pool_elements()[1].stats.jobs_accepted == 1);
    let completed = step_until(&mut sim, |sim| sim.lan_counters()[0].jobs_completed == completed_before + 1);
    // The one PU's counts are its LAN's.
    let counted = &sim.lan_counters()[0];
    assert_eq!(counted.cookie_echoes, 0, "no cookie to resume from");
    assert!(counted.requests >= completed_before + 2 && counted.failovers == 1, "{counted:?}");
    // The whole job again, at the full capacity of PE 1.
    let size = sim.pool_users()[0].stats.job_size_completed - credited_before;
    let took = (completed.0 - resumed.0) as f64 * 1e-9;
    assert!((took - size / 1e6).abs() < 1e-6, "took {took} s for {size} calculations");
}

#[test]
fn measured_uptimes_follow_the_configured_distribution() {
    for (uptime, mean, sd) in [
        (json!({"type": "exponential", "mean_s": 30}), 30.0, 30.0),
        (json!({"type": "uniform", "min_s": 10, "max_s": 50}), 30.0, 40.0 / 12f64.sqrt()),
        (json!(25), 25.0, 0.0),
    ] {
        let m = run(json!({"duration_s": 7200, "pool_elements": {"uptime": uptime}}));
        let n = m.pe_stops as f64;
        assert!(n > 1500.0, "{n} runs");
        let tolerance = 4.0 * sd / n.sqrt() + 1e-6;
        assert!((m.pe_uptime_mean_s - mean).abs() <= tolerance, "{uptime}: mean {} not {mean}", m.pe_uptime_mean_s);
        assert_eq!(m.pe_restarts, m.pe_stops, "downtime 0: every stop restarts at once");
    }
}

#[test]
fn wp2_frequent_cookies_raise_the_handling_speed_under_unclean_failures() {
    let hs = |cookie: f64| {
        let v =
            wp2(20.0, json!({"pool_elements": {"clean_shutdown_probability": 0, "cookie_max_calculations": cookie}}));
        mean_over_seeds(&v, 3, |m| m.handling_speed_pct)
    };
    let (often, rarely) = (hs(5e5), hs(1e7));
    assert!(often > rarely + 20.0, "cookies every 5e5: {often} %, every 1e7: {rarely} %");
}

#[test]
fn wp2_the_handling_speed_falls_with_the_mtbf() {
    // wp2-dynpool-mtbfI: clean shutdowns, the default keep-alives.
    let dynpool = |mtbf: f64| {
        json!({"duration_s": 1800, "workload": {"target_utilization": 0.6}, "network": {"lan_delay_ms": 10},
               "pool_elements": {"uptime": {"type": "exponential", "mean_s": mtbf}}})
    };
    let hs = |mtbf: f64| mean_over_seeds(&dynpool(mtbf), 3, |m| m.handling_speed_pct);
    let (long, short) = (hs(50.0), hs(5.0));
    assert!(long > short + 5.0, "MTBF 50 s: {long} %, 5 s: {short} %");
}

#[test]
fn wp2_faster_keep_alives_detect_failures_sooner_at_a_higher_packet_rate() {
    // Session keep-alives: the failover time shrinks with the interval.
    let unclean = json!({"pool_elements": {"clean_shutdown_probability": 0}});
    let jka = |interval: f64| {
        let v = merge(wp2(50.0, unclean.clone()), json!({"calcapp": {"keep_alive_interval_s": interval}}));
        mean_over_seeds(&v, 2, |m| m.failover_time_mean_s)
    };
    let (fast, slow) = (jka(1.0), jka(30.0));
    assert!(fast < 0.5 * slow, "failover time with JKA 1 s: {fast} s, 30 s: {slow} s");
    // Endpoint keep-alives, with unreachability reports ignored: dead PEs leave the
    // handlespace sooner, PUs pick them less often, at the cost of more keep-alives.
    let eka = |interval: f64| {
        let v = json!({
            "duration_s": 1800,
            "workload": {"target_utilization": 0.25, "job_size": 1e6},
            "network": {"lan_delay_ms": 10},
            "registrars": {"endpoint_keep_alive_interval_s": interval, "endpoint_keep_alive_timeout_s": 1},
            "calcapp": {"keep_alive_interval_s": 1, "keep_alive_timeout_s": 1},
            "pool_elements": {"uptime": {"type": "exponential", "mean_s": 5}, "clean_shutdown_probability": 0}
        });
        let m = run(v);
        (m.unreachables as f64, m.endpoint_keep_alives as f64, m.handling_speed_pct)
    };
    let ((fast_unreachables, fast_ekas, fast_hs), (slow_unreachables, slow_ekas, slow_hs)) = (eka(1.0), eka(30.0));
    assert!(fast_unreachables < 0.5 * slow_unreachables, "{fast_unreachables} vs {slow_unreachables}");
    assert!(fast_ekas > 5.0 * slow_ekas, "{fast_ekas} vs {slow_ekas} keep-alives");
    assert!(fast_hs > slow_hs, "{fast_hs} % vs {slow_hs} %");
}

#[test]
fn wp2_clean_shutdowns_beat_unclean_ones() {
    let hs = |clean: f64| {
        let v = wp2(
            50.0,
            json!({"pool_elements": {"clean_shutdown_probability": clean},
                                  "calcapp": {"keep_alive_interval_s": 10}}),
        );
        mean_over_seeds(&v, 2, |m| m.handling_speed_pct)
    };
    let (clean, unclean) = (hs(1.0), hs(0.0));
    assert!(clean > unclean + 10.0, "clean {clean} %, unclean {unclean} %");
}

#[test]
fn churn_is_deterministic() {
    let v = wp2(
        30.0,
        json!({"duration_s": 900, "pool_elements": {"clean_shutdown_probability": 0.5},
               "pool_users": {"interface_uptime": {"type": "exponential", "mean_s": 100}, "interface_downtime": 1}}),
    );
    let (a, b) = (model::run(&scenario(v.clone())), model::run(&scenario(v)));
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(a.pool_elements, b.pool_elements);
}

#[test]
fn never_failing_components_leave_the_run_unchanged() {
    // Explicit "never" and zero downtimes are the defaults: same events, same fingerprint.
    let explicit = json!({"duration_s": 1800,
        "pool_elements": {"uptime": "never", "downtime": 0, "interface_uptime": "never"},
        "registrars": {"uptime": "never", "clean_shutdown_probability": 0.3},
        "pool_users": {"interface_uptime": "never"}});
    let a = model::run(&scenario(json!({"duration_s": 1800})));
    let b = model::run(&scenario(explicit));
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.metrics.pe_stops + b.metrics.pe_stops + b.metrics.dropped_packets, 0);
}

#[test]
fn a_registrar_expires_a_learned_pool_element_after_its_registration_life() {
    // Two registrars; the PE and its home registrar die for good at the same instant, so
    // nobody deregisters the PE or announces its removal: the other registrar keeps the
    // entry it learned over ENRP until its registration life ends. A first run finds the
    // PE's home registrar and the time it dies; a second one stops that registrar then.
    let scenario_with = |registrars: Value| {
        scenario(json!({
            "warmup_s": 0,
            "pool_users": {"count": 0},
            "registrars": registrars,
            "pool_elements": {"count": 1, "registration_life_s": 30, "uptime": 200, "downtime": "never",
                              "clean_shutdown_probability": 0}
        }))
    };
    let mut sim = Simulation::new(&scenario_with(json!({"count": 2})));
    let died = step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1).as_secs_f64();
    let home = sim.registrars().iter().position(|r| r.owned_pool_elements() == 1).unwrap();
    let other = 1 - home;
    let pe = sim.pool_elements()[0].id;
    // Registrar j starts at 10 s + 10 s·j; its uptime counts from there.
    let stop = json!([{"index": home, "uptime": died - 10.0 - 10.0 * home as f64, "downtime": "never"}]);
    let s2 = scenario_with(json!({"count": 2, "overrides": stop}));
    let mut sim = Simulation::new(&s2);
    step_until(&mut sim, |sim| sim.pool_elements()[0].lifecycle_stats().stops == 1);
    assert!(!sim.registrars()[home].is_up() && sim.registrars()[other].knows(pe));
    let expired = step_until(&mut sim, |sim| !sim.registrars()[other].knows(pe)).as_secs_f64();
    assert_eq!(sim.registrars()[other].stats.lifetime_expiries, 1);
    // Refreshed by the PE's last re-registration (every T4 = 10 s) before it died.
    assert!(
        expired > died + 30.0 - 10.0 - 1e-9 && expired <= died + 30.0 + 1e-9,
        "expired at {expired}, died at {died}"
    );
}

#[test]
fn when_a_registrar_dies_pool_elements_and_users_hunt_the_other_one() {
    let s = scenario(json!({
        "warmup_s": 0, "duration_s": 3600,
        "registrars": {"count": 2, "overrides": [{"index": 0, "uptime": 1200, "downtime": "never"}]}
    }));
    let mut sim = Simulation::new(&s);
    step_until(&mut sim, |sim| !sim.registrars()[0].is_up());
    let completed_at_death: u64 = sim.lan_counters().iter().map(|c| c.jobs_completed).sum();
    let out = loop {
        if let Some(out) = sim.step() {
            break out;
        }
    };
    assert_eq!(out.registrars[1].owned_pes_end, 10, "every PE re-registered at registrar 1");
    assert_eq!(out.registrars[0].owned_pes_end, 0);
    let m = &out.metrics;
    assert!(
        m.jobs_completed > completed_at_death + 1000,
        "jobs still placed: {} of {}",
        m.jobs_completed,
        m.jobs_queued
    );
    assert!(m.pu_queue_length_end < 20, "no backlog: {}", m.pu_queue_length_end);
}
