//! The `pool_users` section: the clients, their retries, cache and interface, and its range
//! checks.

use super::check::{At, non_negative, positive, time_distribution};
use super::{Auto, ComponentOverride, HomeRegistrars, ScenarioError, StatusChange, TimeDistribution, traces};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PoolUsers {
    /// Pool users per LAN; auto = round(r · pool_elements.count).
    pub count: Auto<u32>,
    /// Start time [s]; the first job arrives one interval later.
    pub start_s: f64,
    /// Retry after a reject after uniform(0, this) [s].
    pub job_retry_delay_max_s: f64,
    /// Wait after "no pool element available" [s].
    pub handle_resolution_retry_delay_s: f64,
    /// PU cache lifetime [s]; 0 = an answer is used for one selection only.
    pub stale_cache_s: f64,
    /// Registrars the PU resolves at: "auto" (all, hunted at random) or indices in order.
    pub home_registrars: HomeRegistrars,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// Scripted interface changes: `[{"at_s": 3000, "event": "interface_down"}, ...]`.
    pub status_changes: Vec<StatusChange>,
    /// Per-PU exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for PU i.
    pub overrides: Vec<ComponentOverride>,
}

impl Default for PoolUsers {
    fn default() -> Self {
        PoolUsers {
            count: Auto::Auto,
            start_s: 600.0,
            job_retry_delay_max_s: 0.2,
            handle_resolution_retry_delay_s: 30.0,
            stale_cache_s: 0.0,
            home_registrars: HomeRegistrars::Auto,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            status_changes: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

impl PoolUsers {
    pub(super) fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        non_negative(self.start_s, &at.key("start_s"))?;
        // Retries after 0 s would repeat within one instant forever (a PE that rejects
        // everything, a pool without PEs), so these waits are positive.
        positive(self.job_retry_delay_max_s, &at.key("job_retry_delay_max_s"))?;
        positive(self.handle_resolution_retry_delay_s, &at.key("handle_resolution_retry_delay_s"))?;
        non_negative(self.stale_cache_s, &at.key("stale_cache_s"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        traces::check_status_changes(&self.status_changes, false, at)
    }
}
