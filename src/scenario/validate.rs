//! Range checks of a whole scenario: each section's own checks, then those that need
//! several sections (sizes, the representable times and work, registrar indices, traces).

use super::check::{At, check, non_negative, positive, registrar_list};
use super::{Auto, AvailabilityKeys, MAX_JOB_SIZE, MAX_TARGET_UTILIZATION, MAX_TIME_S, Scenario, ScenarioError};
use super::{StatusChange, component, short};

/// Most components (registrars, PEs, PUs) a scenario may have in all LANs.
pub const MAX_COMPONENTS: u64 = 10_000_000;

/// Shortest mean job interval [s]: the time resolution.
const MIN_JOB_INTERVAL_S: f64 = 1e-9;

/// Every time in the scenario (keys ending in `_s`, delays in `_ms`, time distributions and
/// overrides included) within what the integer time base represents.
fn representable_times(value: &serde_json::Value, path: &str) -> Result<(), ScenarioError> {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                // (unit, nanoseconds per unit)
                let unit = if k.ends_with("_ms") {
                    Some(("ms", 1e6))
                } else if k.ends_with("_s") {
                    Some(("s", 1e9))
                } else {
                    None
                };
                match (v.as_f64(), unit) {
                    (Some(x), Some((unit, ns))) if x > MAX_TIME_S * 1e9 / ns => {
                        let max = MAX_TIME_S * 1e9 / ns;
                        let allowed = format!("at most {max:e} {unit} (about 31 years: times are integer nanoseconds)");
                        return Err(ScenarioError::invalid(&key, format!("{x:e} is out of range; allowed: {allowed}")));
                    }
                    // A positive time below the resolution would round to 0: a periodic timer
                    // of period 0 never lets time advance.
                    (Some(x), Some((unit, ns))) if x > 0.0 && x * ns < 1.0 => {
                        let allowed = format!("0 or at least {:e} {unit} (the 1 ns time resolution)", 1.0 / ns);
                        return Err(ScenarioError::invalid(&key, format!("{x:e} is out of range; allowed: {allowed}")));
                    }
                    _ => representable_times(v, &key)?,
                }
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| representable_times(v, &format!("{path}[{i}]")))
        }
        _ => Ok(()),
    }
}

/// A kind's availability trace replaces its scripted and drawn life cycle: both set is an
/// error rather than a silent choice.
fn one_life_cycle(keys: &AvailabilityKeys, status_changes: &[StatusChange], kind: &str) -> Result<(), ScenarioError> {
    if keys.trace.is_some() && status_changes.iter().any(|c| c.event.is_life_cycle()) {
        return Err(ScenarioError::invalid(
            &format!("{kind}.status_changes"),
            format!(
                "has start/stop events together with {kind}.availability_trace; allowed: one of them (interface events may stay)"
            ),
        ));
    }
    Ok(())
}

impl Scenario {
    /// Range checks of every key, the per-component overrides included.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        non_negative(self.warmup_s, "warmup_s")?;
        positive(self.duration_s, "duration_s")?;
        let w = &self.workload;
        positive(w.target_utilization, "workload.target_utilization")?;
        let allowed = format!("a number > 0 and <= {MAX_TARGET_UTILIZATION} (times the pool's capacity)");
        check(
            w.target_utilization <= MAX_TARGET_UTILIZATION,
            "workload.target_utilization",
            &allowed,
            w.target_utilization,
        )?;
        let autos = [("job_interval", w.job_interval), ("pu_pe_ratio", w.pu_pe_ratio), ("job_size", w.job_size)];
        for (name, v) in autos {
            if let Auto::Value(v) = v {
                positive(v, &format!("workload.{name}"))?;
            }
        }
        let auto: Vec<&str> = autos.iter().filter(|(_, v)| *v == Auto::Auto).map(|(n, _)| *n).collect();
        if auto.len() > 1 {
            return Err(ScenarioError::invalid(
                &format!("workload.{}", auto[1]),
                format!(
                    "\"auto\" together with workload.{}; allowed: at most one of job_interval, pu_pe_ratio and job_size auto (job_interval is auto unless set)",
                    auto[0]
                ),
            ));
        }
        let r = self.pu_pe_ratio();
        if w.pu_pe_ratio == Auto::Auto && r < 1.0 {
            return Err(ScenarioError::Skipped {
                key: "workload.pu_pe_ratio".into(),
                message: format!("auto gives r = interval·θ·C / S = {r} < 1; the reference tool-chain skips such runs"),
            });
        }
        w.pieces.check().map_err(|m| ScenarioError::invalid("workload.pieces", m))?;
        w.validate_trace()?;
        let n = &self.network;
        check((1..=1000).contains(&n.lans), "network.lans", "an integer from 1 to 1000", n.lans)?;
        non_negative(n.lan_delay_ms, "network.lan_delay_ms")?;
        non_negative(n.wan_delay_ms, "network.wan_delay_ms")?;
        self.pool_elements.validate(&At("pool_elements"))?;
        self.pool_elements.validate_count_distribution(n.lans)?;
        self.validate_size()?;
        representable_times(&serde_json::to_value(self).expect("scenarios serialise"), "")?;
        let farthest_ms = 1.5 * n.lan_delay_ms + (n.lans - 1) as f64 * n.wan_delay_ms;
        let allowed = format!("LAN and WAN delays of at most {:e} ms end to end", MAX_TIME_S * 1e3);
        check(farthest_ms <= MAX_TIME_S * 1e3, "network.wan_delay_ms", &allowed, n.wan_delay_ms)?;
        let interval = self.job_interval_s();
        if interval < MIN_JOB_INTERVAL_S {
            let how = match self.workload.job_interval {
                Auto::Auto => "max(1, r)·S / (θ·C) = ",
                Auto::Value(_) => "",
            };
            return Err(ScenarioError::invalid(
                "workload.job_interval",
                format!(
                    "{how}{interval:e} s is shorter than the 1 ns time resolution; allowed: a mean job interval >= 1e-9 s (raise workload.job_size or lower workload.target_utilization or pool_elements.capacity)"
                ),
            ));
        }
        let layout = self.layout();
        let total = |lans: &[u32]| lans.len() as u32;
        self.pool_elements.validate_capacity_distribution(total(&layout.pool_element_lans))?;
        self.pool_users.validate(&At("pool_users"))?;
        self.registrars.validate(&At("registrars"))?;
        positive(self.asap.request_timeout_s, "asap.request_timeout_s")?;
        positive(self.asap.server_hunt_retry_delay_max_s, "asap.server_hunt_retry_delay_max_s")?;
        positive(self.calcapp.keep_alive_interval_s, "calcapp.keep_alive_interval_s")?;
        positive(self.calcapp.keep_alive_timeout_s, "calcapp.keep_alive_timeout_s")?;
        if let Auto::Value(v) = self.calcapp.request_timeout_s {
            positive(v, "calcapp.request_timeout_s")?;
        }
        let registrars = total(&layout.registrar_lans);
        let pe = &self.pool_elements;
        registrar_list(&pe.home_registrars, registrars, &At("pool_elements"), "home_registrars")?;
        component::validate(pe, &pe.overrides, total(&layout.pool_element_lans), "pool_elements", |s, at| {
            s.validate(at)?;
            registrar_list(&s.home_registrars, registrars, at, "home_registrars")
        })?;
        let pu = &self.pool_users;
        registrar_list(&pu.home_registrars, registrars, &At("pool_users"), "home_registrars")?;
        component::validate(pu, &pu.overrides, total(&layout.pool_user_lans), "pool_users", |s, at| {
            s.validate(at)?;
            registrar_list(&s.home_registrars, registrars, at, "home_registrars")
        })?;
        let pr = &self.registrars;
        component::validate(pr, &pr.overrides, registrars, "registrars", |s, at| s.validate(at))?;
        let a = &self.attackers;
        a.validate(&At("attackers"))?;
        registrar_list(&a.target_registrars, registrars, &At("attackers"), "target_registrars")?;
        component::validate(a, &a.overrides, total(&layout.attacker_lans), "attackers", |s, at| {
            s.validate(at)?;
            registrar_list(&s.target_registrars, registrars, at, "target_registrars")
        })?;
        self.validate_work()?;
        self.validate_traces()
    }

    /// The trace files: readable, well-formed, enough nodes, trace jobs within the
    /// representable range of work.
    fn validate_traces(&self) -> Result<(), ScenarioError> {
        let layout = self.layout();
        let pe = &self.pool_elements;
        one_life_cycle(&pe.availability(), &pe.status_changes, "pool_elements")?;
        pe.availability().of(layout.pool_element_lans.len() as u32, "pool_elements")?;
        let pr = &self.registrars;
        one_life_cycle(&pr.availability(), &pr.status_changes, "registrars")?;
        pr.availability().of(layout.registrar_lans.len() as u32, "registrars")?;
        let Some(jobs) = self.workload.trace_jobs(pe.capacity)? else { return Ok(()) };
        if let Some(big) = jobs.jobs.iter().find(|j| j.size > MAX_JOB_SIZE) {
            let message = format!(
                "a job of {} calculations (run time × processors × workload.trace_capacity_per_processor) is out of range; allowed: jobs of at most {MAX_JOB_SIZE:e} calculations (lower workload.trace_capacity_per_processor)",
                short(big.size)
            );
            return Err(ScenarioError::invalid("workload.trace_capacity_per_processor", message));
        }
        if let Some(small) = jobs.jobs.iter().find(|j| j.size < j.pieces as f64) {
            let message = format!(
                "a job of {} calculations in {} pieces is out of range; allowed: pieces of at least one calculation (raise workload.trace_capacity_per_processor)",
                short(small.size),
                small.pieces
            );
            return Err(ScenarioError::invalid("workload.trace_capacity_per_processor", message));
        }
        Ok(())
    }

    /// Component totals within [`MAX_COMPONENTS`] (and registrars within 1000), checked
    /// before anything is allocated for them.
    fn validate_size(&self) -> Result<(), ScenarioError> {
        let lans = self.network.lans as u64;
        let registrars = self.registrars.count as u64 * lans;
        let allowed = format!("at most 1000 registrars in all LANs (network.lans is {lans})");
        check(registrars <= 1000, "registrars.count", &allowed, self.registrars.count)?;
        let pes = self.pool_elements.count as u64 * lans;
        let pus = self.pool_user_count() as u64 * lans;
        let attackers = self.attackers.count as u64 * lans;
        if registrars + pes + pus + attackers > MAX_COMPONENTS {
            let pu_count = self.pool_user_count();
            let (key, per_lan) = match self.pool_users.count {
                _ if attackers > 0 && registrars + pes + pus <= MAX_COMPONENTS => {
                    ("attackers.count", format!("{} attackers", self.attackers.count))
                }
                _ if registrars + pes > MAX_COMPONENTS => {
                    ("pool_elements.count", format!("{} PEs", self.pool_elements.count))
                }
                Auto::Value(n) => ("pool_users.count", format!("{n} PUs")),
                Auto::Auto => ("workload.pu_pe_ratio", format!("{pu_count} PUs (r · pool_elements.count)")),
            };
            let message = format!(
                "{per_lan} per LAN make {} components in all; allowed: at most {MAX_COMPONENTS} registrars, PEs, PUs and attackers together",
                registrars + pes + pus + attackers
            );
            return Err(ScenarioError::invalid(key, message));
        }
        Ok(())
    }
}
