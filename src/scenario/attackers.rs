//! The `attackers` section: denial-of-service attackers on the pool (docs/model.md §7,
//! RFC 5355's threats), either flooding registrars with handle resolutions and fake
//! unreachability reports, or registering fake pool elements that accept no work.

use super::check::{At, fraction, non_negative, positive, time_distribution};
use super::{Auto, ComponentOverride, DEFAULT_MAX_RUNS, HomeRegistrars, ScenarioError, StatusChange, TimeDistribution};
use crate::handlespace::PolicyType;
use serde::{Deserialize, Serialize};

/// What an attacker floods the registrars with.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AttackType {
    /// Handle resolutions, and fake endpoint-unreachable reports for the PEs it is handed.
    #[default]
    HandleResolution,
    /// Registrations of fake pool elements that never answer a CalcApp request.
    Registration,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Attackers {
    /// Attackers per LAN (0: none).
    pub count: u32,
    #[serde(rename = "type")]
    pub kind: AttackType,
    /// Time between two attacks [s].
    pub interval_s: f64,
    /// Start time [s] (as the pool users).
    pub start_s: f64,
    /// Registrars attacked, one picked at random per attack: "auto" (the registrars of the
    /// attacker's LAN) or registrar indices.
    pub target_registrars: HomeRegistrars,
    /// Handle-resolution attack: probability of reporting the PEs it is handed as
    /// unreachable (one draw per answer, and per unanswered attack for the last ones).
    pub report_unreachable_probability: f64,
    /// Registration attack: the fake PEs' policy; auto = `pool_elements.policy`.
    pub policy: Auto<PolicyType>,
    /// Registration attack: the fake PEs' policy weight.
    pub weight: u32,
    /// Registration attack: the fake PEs' load degradation, fraction 0..1.
    pub load_degradation: f64,
    /// Registration attack: a new random PE identifier per registration (true), or one
    /// identity per attacker whose re-registrations only update it (false).
    pub randomize_identifier: bool,
    /// Registration attack: answer the registrars' endpoint keep-alives, so that the fake
    /// PEs are not removed by keep-alive monitoring.
    pub answer_keep_alives: bool,
    /// Run length from the start to the stop [s].
    pub uptime: TimeDistribution,
    /// Time down before the attacks resume [s].
    pub downtime: TimeDistribution,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// Scripted status changes (see `pool_elements.status_changes`).
    pub status_changes: Vec<StatusChange>,
    /// Runs (up periods) before the attacker stays down for good; 0 = it never starts.
    pub max_runs: u64,
    /// Per-attacker exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for attacker i.
    pub overrides: Vec<ComponentOverride>,
}

impl Default for Attackers {
    fn default() -> Self {
        Attackers {
            count: 0,
            kind: AttackType::HandleResolution,
            interval_s: 1.0,
            start_s: 600.0,
            target_registrars: HomeRegistrars::Auto,
            report_unreachable_probability: 0.0,
            policy: Auto::Auto,
            weight: u32::MAX,
            load_degradation: 0.0,
            randomize_identifier: false,
            answer_keep_alives: false,
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            status_changes: Vec::new(),
            max_runs: DEFAULT_MAX_RUNS,
            overrides: Vec::new(),
        }
    }
}

impl Attackers {
    pub(super) fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        positive(self.interval_s, &at.key("interval_s"))?;
        non_negative(self.start_s, &at.key("start_s"))?;
        fraction(self.report_unreachable_probability, &at.key("report_unreachable_probability"))?;
        fraction(self.load_degradation, &at.key("load_degradation"))?;
        time_distribution(&self.uptime, true, &at.key("uptime"))?;
        time_distribution(&self.downtime, false, &at.key("downtime"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        super::traces::check_status_changes(&self.status_changes, true, at)
    }
}
