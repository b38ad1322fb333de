//! The `registrars` section: handle resolution, rate limits, keep-alives, ENRP and takeover
//! timers, life cycle, and its range checks.

use super::check::{At, check, fraction, non_negative, positive, time_distribution};
use super::{AvailabilityKeys, ComponentOverride, DEFAULT_MAX_RUNS, ScenarioError, StatusChange};
use super::{TimeDistribution, TraceStart, traces};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Registrars {
    /// Registrars per LAN.
    pub count: u32,
    /// First registrar's start time [s]; registrar j of LAN i starts 30 s·i + 10 s·j later.
    pub start_s: f64,
    /// Pool elements returned per handle resolution (at most the pool; the reference's
    /// studies ask for 999, i.e. all).
    pub max_handle_resolution_items: u32,
    /// Draw the number of items per handle resolution (docs/model.md §4.4).
    pub randomize_max_handle_resolution_items: bool,
    /// How many returned PEs advance their selection state; 0 = policy default.
    pub max_increment: u32,
    /// Endpoint-unreachable reports before a PE is removed.
    pub max_bad_pe_reports: u32,
    /// Handle resolutions a pool user may ask per second before it is refused (the
    /// request dropped silently); 0 = no limit (docs/model.md §4.4) [1/s].
    pub max_handle_resolution_rate: f64,
    /// Hash buckets and timestamps kept per pool user of the handle-resolution rate
    /// estimator.
    pub handle_resolution_rate_buckets: u32,
    pub handle_resolution_rate_max_entries: u32,
    /// Endpoint-unreachable reports a pool user may send per second before they are
    /// ignored; 0 = no limit (§4.6) [1/s].
    pub max_endpoint_unreachable_rate: f64,
    pub endpoint_unreachable_rate_buckets: u32,
    pub endpoint_unreachable_rate_max_entries: u32,
    pub endpoint_keep_alive_interval_s: f64,
    pub endpoint_keep_alive_timeout_s: f64,
    /// Reject registrations and handle resolutions during the startup phase.
    pub no_service_during_startup: bool,
    pub mentor_discovery_timeout_s: f64,
    pub peer_heartbeat_cycle_s: f64,
    pub max_time_last_heard_s: f64,
    pub max_time_no_response_s: f64,
    /// A takeover completes at the latest this long after it started [s].
    pub takeover_expiry_s: f64,
    /// Suggest PEs to re-register at the peer of the highest id XOR PE id
    /// (draft-dreibholz-rserpool-enrp-takeover), spreading ownership.
    pub takeover_suggestion: bool,
    /// Run length from startup to the stop [s].
    pub uptime: TimeDistribution,
    /// Time down before the restart (with an empty handlespace) [s].
    pub downtime: TimeDistribution,
    /// Probability that a stop is clean; a registrar's stop is silent either way (RFC 5353
    /// has no farewell message, nor has the reference).
    pub clean_shutdown_probability: f64,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// Probability that a received ENRP handle update is lost (the reference's
    /// `registrarUpdateLossProbability`).
    pub update_loss_probability: f64,
    /// The availability and status-change keys, as [`PoolElements::availability_trace`]
    /// and the keys after it.
    pub availability_trace: Option<String>,
    pub availability_nodes: Vec<u64>,
    pub availability_trace_start: TraceStart,
    pub availability_trace_time_scale: f64,
    pub status_changes: Vec<StatusChange>,
    pub max_runs: u64,
    /// Per-registrar exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for
    /// registrar i, e.g. `{"index": 0, "uptime": "never"}`.
    pub overrides: Vec<ComponentOverride>,
}

impl Default for Registrars {
    fn default() -> Self {
        Registrars {
            count: 1,
            start_s: 10.0,
            max_handle_resolution_items: 1,
            randomize_max_handle_resolution_items: false,
            max_increment: 0,
            max_bad_pe_reports: 1_000_000_000,
            max_handle_resolution_rate: 0.0,
            handle_resolution_rate_buckets: 64,
            handle_resolution_rate_max_entries: 16,
            max_endpoint_unreachable_rate: 0.0,
            endpoint_unreachable_rate_buckets: 64,
            endpoint_unreachable_rate_max_entries: 16,
            endpoint_keep_alive_interval_s: 50.0,
            endpoint_keep_alive_timeout_s: 50.0,
            no_service_during_startup: true,
            mentor_discovery_timeout_s: 30.0,
            peer_heartbeat_cycle_s: 30.0,
            max_time_last_heard_s: 61.0,
            max_time_no_response_s: 5.0,
            takeover_expiry_s: 30.0,
            takeover_suggestion: false,
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            clean_shutdown_probability: 1.0,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            update_loss_probability: 0.0,
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

impl Registrars {
    pub(super) fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        check((1..=1000).contains(&self.count), &at.key("count"), "an integer from 1 to 1000", self.count)?;
        non_negative(self.start_s, &at.key("start_s"))?;
        check(
            (1..=1_000_000).contains(&self.max_handle_resolution_items),
            &at.key("max_handle_resolution_items"),
            "an integer from 1 to 1000000 (more than the pool returns every PE)",
            self.max_handle_resolution_items,
        )?;
        check(self.max_bad_pe_reports >= 1, &at.key("max_bad_pe_reports"), "an integer >= 1", self.max_bad_pe_reports)?;
        let rate_limit = "0 (no limit) or a rate > 0 [1/s]";
        let r = self.max_handle_resolution_rate;
        check(r.is_finite() && r >= 0.0, &at.key("max_handle_resolution_rate"), rate_limit, r)?;
        let r = self.max_endpoint_unreachable_rate;
        check(r.is_finite() && r >= 0.0, &at.key("max_endpoint_unreachable_rate"), rate_limit, r)?;
        let estimators = [
            ("handle_resolution_rate", self.handle_resolution_rate_buckets, self.handle_resolution_rate_max_entries),
            (
                "endpoint_unreachable_rate",
                self.endpoint_unreachable_rate_buckets,
                self.endpoint_unreachable_rate_max_entries,
            ),
        ];
        for (name, buckets, entries) in estimators {
            let allowed = "an integer from 1 to 65536";
            check((1..=65536).contains(&buckets), &at.key(&format!("{name}_buckets")), allowed, buckets)?;
            check((1..=65536).contains(&entries), &at.key(&format!("{name}_max_entries")), allowed, entries)?;
        }
        positive(self.endpoint_keep_alive_interval_s, &at.key("endpoint_keep_alive_interval_s"))?;
        positive(self.endpoint_keep_alive_timeout_s, &at.key("endpoint_keep_alive_timeout_s"))?;
        non_negative(self.mentor_discovery_timeout_s, &at.key("mentor_discovery_timeout_s"))?;
        positive(self.peer_heartbeat_cycle_s, &at.key("peer_heartbeat_cycle_s"))?;
        positive(self.max_time_last_heard_s, &at.key("max_time_last_heard_s"))?;
        positive(self.max_time_no_response_s, &at.key("max_time_no_response_s"))?;
        positive(self.takeover_expiry_s, &at.key("takeover_expiry_s"))?;
        time_distribution(&self.uptime, true, &at.key("uptime"))?;
        time_distribution(&self.downtime, false, &at.key("downtime"))?;
        fraction(self.clean_shutdown_probability, &at.key("clean_shutdown_probability"))?;
        fraction(self.update_loss_probability, &at.key("update_loss_probability"))?;
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
}
