//! The `pool_elements` section: the servers, their capacities, policy, registration,
//! cookies and life cycle, and its range checks.

use super::check::{At, check, fraction, non_negative, positive, time_distribution};
use super::{Auto, ComponentOverride, CountDistribution, DEFAULT_MAX_RUNS, HomeRegistrars, ScenarioError};
use super::{AvailabilityKeys, StatusChange, TimeDistribution, TraceStart, traces};
use crate::handlespace::{PolicyType, U32MAX};
use serde::{Deserialize, Serialize};

/// Heterogeneous capacities (docs/model.md §9.3); the mean stays `pool_elements.capacity`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CapacityDistribution {
    /// Every PE has capacity C.
    #[default]
    Identity,
    /// round(λ·n) fast PEs with γ times the capacity of the slow ones, total n·C.
    FastServers { gamma: f64, lambda: f64 },
    /// Linearly increasing capacities from C / (1 + (γ-1)/n), total n·C.
    Linear { gamma: f64 },
    /// Uniform(min, γ·min) per PE with min = C / (1 + (γ-1)/2).
    Uniform { gamma: f64 },
    /// Normal(C, γ·C) per PE, redrawn until >= 0.
    Truncnormal { gamma: f64 },
    /// Explicit capacities [calculations/s], one per PE of all LANs.
    List { capacities: Vec<f64> },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PoolElements {
    /// Pool elements per LAN (nominal, see `count_distribution`).
    pub count: u32,
    /// How the pool elements are spread over the LANs: "identity" (`count` each) or a
    /// localized disaster.
    pub count_distribution: CountDistribution,
    /// C: nominal (mean) capacity [calculations/s].
    pub capacity: f64,
    pub capacity_distribution: CapacityDistribution,
    /// MaxJobs = round(capacity / this), unless `max_jobs` > 0 [calculations/s].
    pub min_capacity_per_job: f64,
    /// Maximum concurrent jobs; 0 = derive from `min_capacity_per_job`.
    pub max_jobs: u32,
    pub policy: PolicyType,
    /// PowerOfDChoices: pool elements sampled per selection (d).
    pub choices: u32,
    /// Policy weight; auto = capacity (WeightedRoundRobin: capacity / 1e5, at least 1).
    pub weight: Auto<f64>,
    /// Load degradation as a fraction 0..1; auto = 1 / MaxJobs.
    pub load_degradation: Auto<f64>,
    /// Load penalty per ms of distance, fraction 0..1.
    pub load_dpf: f64,
    /// Weight penalty per ms of distance, fraction 0..1.
    pub weight_dpf: f64,
    /// Minimum load change that triggers a re-registration (fraction 0..1).
    pub update_threshold: f64,
    pub reregister_immediately: bool,
    pub registration_life_s: f64,
    /// Probability of rejecting an otherwise acceptable request.
    pub reject_probability: f64,
    /// Cookie after this many calculations since the last one.
    pub cookie_max_calculations: f64,
    /// Cookie at the latest this long after the last one [s].
    pub cookie_max_time_s: f64,
    /// Start time [s].
    pub start_s: f64,
    /// Registrars the PE registers at: "auto" (all, hunted at random) or indices in order.
    pub home_registrars: HomeRegistrars,
    /// Run length from the first successful registration to the stop [s].
    pub uptime: TimeDistribution,
    /// Time down before the restart with a new identifier [s].
    pub downtime: TimeDistribution,
    /// Probability that a stop is clean (deregister, last cookie and abort to every PU)
    /// rather than a silent crash.
    pub clean_shutdown_probability: f64,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// An FTA availability trace (`event_trace` table; path relative to the scenario file):
    /// component i follows the i-th node in node-id order, or the nodes listed in
    /// `availability_nodes`; down over unavailable intervals, up from the next available
    /// one. Replaces uptime and downtime.
    pub availability_trace: Option<String>,
    /// Trace node ids, one per component; empty = the first nodes in id order.
    pub availability_nodes: Vec<u64>,
    /// Trace time that becomes time 0: "first" (the earliest event) or a time of the
    /// trace's clock [s].
    pub availability_trace_start: TraceStart,
    /// (Trace time − start) × this = simulated time.
    pub availability_trace_time_scale: f64,
    /// Scripted status changes, e.g. `[{"at_s": 1800, "event": "stop"}, {"at_s": 2400,
    /// "event": "start"}]`: start, stop (clean by `clean_shutdown_probability`),
    /// clean_stop, silent_stop, interface_down, interface_up. A first `start` replaces
    /// `start_s`; when the list is used up, uptime and downtime apply again.
    pub status_changes: Vec<StatusChange>,
    /// Runs (up periods) before the component stays down for good; 0 = it never starts.
    pub max_runs: u64,
    /// Per-PE exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for PE i.
    pub overrides: Vec<ComponentOverride>,
}

impl Default for PoolElements {
    fn default() -> Self {
        PoolElements {
            count: 10,
            count_distribution: CountDistribution::Identity,
            capacity: 1e6,
            capacity_distribution: CapacityDistribution::Identity,
            min_capacity_per_job: 1e4,
            max_jobs: 0,
            policy: PolicyType::LeastUsed,
            choices: 2,
            weight: Auto::Auto,
            load_degradation: Auto::Auto,
            load_dpf: 0.0,
            weight_dpf: 0.0,
            update_threshold: 0.0,
            reregister_immediately: true,
            registration_life_s: 300.0,
            reject_probability: 0.0,
            cookie_max_calculations: 1e7,
            cookie_max_time_s: 100.0 * 86400.0,
            start_s: 300.0,
            home_registrars: HomeRegistrars::Auto,
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            clean_shutdown_probability: 1.0,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            availability_trace: None,
            availability_nodes: Vec::new(),
            availability_trace_start: TraceStart::First,
            availability_trace_time_scale: 1.0,
            status_changes: Vec::new(),
            max_runs: DEFAULT_MAX_RUNS,
            overrides: Vec::new(),
        }
    }
}

impl PoolElements {
    pub(super) fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        check(self.count >= 1, &at.key("count"), "an integer >= 1", self.count)?;
        check(self.capacity.is_finite() && self.capacity >= 1.0, &at.key("capacity"), "a number >= 1", self.capacity)?;
        check(self.choices >= 1, &at.key("choices"), "an integer >= 1", self.choices)?;
        non_negative(self.min_capacity_per_job, &at.key("min_capacity_per_job"))?;
        if self.max_jobs == 0 && self.min_capacity_per_job < 1.0 {
            return Err(ScenarioError::invalid(
                &at.key("min_capacity_per_job"),
                format!(
                    "{} is out of range; allowed: a number >= 1 when pool_elements.max_jobs is 0",
                    self.min_capacity_per_job
                ),
            ));
        }
        if let Auto::Value(v) = self.weight {
            check((0.0..=U32MAX as f64).contains(&v), &at.key("weight"), "0 to 4294967295 or \"auto\"", v)?;
        }
        if let Auto::Value(v) = self.load_degradation {
            fraction(v, &at.key("load_degradation"))?;
        }
        fraction(self.load_dpf, &at.key("load_dpf"))?;
        fraction(self.weight_dpf, &at.key("weight_dpf"))?;
        fraction(self.update_threshold, &at.key("update_threshold"))?;
        check(
            self.registration_life_s.is_finite()
                && self.registration_life_s >= 0.001
                && self.registration_life_s * 1000.0 <= U32MAX as f64,
            &at.key("registration_life_s"),
            "0.001 to 4294967.295",
            self.registration_life_s,
        )?;
        fraction(self.reject_probability, &at.key("reject_probability"))?;
        positive(self.cookie_max_calculations, &at.key("cookie_max_calculations"))?;
        positive(self.cookie_max_time_s, &at.key("cookie_max_time_s"))?;
        non_negative(self.start_s, &at.key("start_s"))?;
        time_distribution(&self.uptime, true, &at.key("uptime"))?;
        time_distribution(&self.downtime, false, &at.key("downtime"))?;
        fraction(self.clean_shutdown_probability, &at.key("clean_shutdown_probability"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        traces::check_status_changes(&self.status_changes, true, at)
    }

    /// The availability-trace keys.
    pub fn availability(&self) -> AvailabilityKeys<'_> {
        AvailabilityKeys {
            trace: &self.availability_trace,
            nodes: &self.availability_nodes,
            start: self.availability_trace_start,
            time_scale: self.availability_trace_time_scale,
        }
    }

    pub(super) fn validate_count_distribution(&self, lans: u32) -> Result<(), ScenarioError> {
        let CountDistribution::LocalizedDisaster { lambda, lan } = self.count_distribution else {
            return Ok(());
        };
        let key = "pool_elements.count_distribution";
        check(lans >= 2, &format!("{key}.type"), "\"identity\" when network.lans is 1", "localized_disaster")?;
        check(lambda > 0.0 && lambda <= 1.0, &format!("{key}.lambda"), "a number > 0 and <= 1", lambda)?;
        check(lan < lans, &format!("{key}.lan"), &format!("0 to {} (network.lans is {lans})", lans - 1), lan)
    }

    /// `total`: pool elements of all LANs.
    pub(super) fn validate_capacity_distribution(&self, total: u32) -> Result<(), ScenarioError> {
        let key = "pool_elements.capacity_distribution";
        match &self.capacity_distribution {
            CapacityDistribution::Identity => Ok(()),
            CapacityDistribution::FastServers { gamma, lambda } => {
                check(*gamma >= 1.0, &format!("{key}.gamma"), "a number >= 1", gamma)?;
                fraction(*lambda, &format!("{key}.lambda"))
            }
            CapacityDistribution::Linear { gamma } | CapacityDistribution::Uniform { gamma } => {
                check(*gamma >= 1.0, &format!("{key}.gamma"), "a number >= 1", gamma)
            }
            CapacityDistribution::Truncnormal { gamma } => non_negative(*gamma, &format!("{key}.gamma")),
            CapacityDistribution::List { capacities } => {
                let n = total as usize;
                if capacities.len() != n {
                    return Err(ScenarioError::invalid(
                        &format!("{key}.capacities"),
                        format!("has {} entries; allowed: exactly one per pool element, {n}", capacities.len()),
                    ));
                }
                for (i, c) in capacities.iter().enumerate() {
                    check(c.is_finite() && *c >= 1.0, &format!("{key}.capacities[{i}]"), "a number >= 1", c)?;
                }
                Ok(())
            }
        }
    }
}
