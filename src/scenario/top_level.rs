//! The whole scenario: its top-level keys, the sections as one component sees them (its
//! overrides applied), and the quantities derived from several sections (r, S, the job
//! interval: docs/model.md §9.1).

use super::component;
use super::layout::spread;
use super::{
    Asap, Attackers, Auto, CalcApp, HandlespaceQuirks, Layout, Network, PoolElements, PoolUsers, Registrars, Workload,
};
use serde::{Deserialize, Serialize};

/// One simulation run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Run seed; every random stream derives from it.
    pub seed: u64,
    /// Statistics are reset at this time [s] (end of warm-up).
    pub warmup_s: f64,
    /// Measured time after the warm-up [s].
    pub duration_s: f64,
    pub workload: Workload,
    pub pool_elements: PoolElements,
    pub pool_users: PoolUsers,
    pub registrars: Registrars,
    pub asap: Asap,
    pub calcapp: CalcApp,
    pub network: Network,
    pub handlespace: HandlespaceQuirks,
    pub attackers: Attackers,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            warmup_s: 900.0,
            duration_s: 7200.0,
            workload: Workload::default(),
            pool_elements: PoolElements::default(),
            pool_users: PoolUsers::default(),
            registrars: Registrars::default(),
            asap: Asap::default(),
            calcapp: CalcApp::default(),
            network: Network::default(),
            handlespace: HandlespaceQuirks::default(),
            attackers: Attackers::default(),
        }
    }
}

impl Scenario {
    /// Where the components sit.
    pub fn layout(&self) -> Layout {
        let lans = self.network.lans;
        let per_lan = |n: u32| spread(std::iter::repeat_n(n, lans as usize));
        let pe = &self.pool_elements;
        Layout {
            lans,
            registrar_lans: per_lan(self.registrars.count),
            pool_element_lans: spread(pe.count_distribution.counts(pe.count, lans)),
            pool_user_lans: per_lan(self.pool_user_count()),
            attacker_lans: per_lan(self.attackers.count),
        }
    }

    /// The `pool_elements` section as PE `i` sees it (its overrides applied).
    pub fn pool_element(&self, i: u32) -> std::borrow::Cow<'_, PoolElements> {
        component::section(&self.pool_elements, &self.pool_elements.overrides, i)
    }

    /// The `pool_users` section as PU `i` sees it.
    pub fn pool_user(&self, i: u32) -> std::borrow::Cow<'_, PoolUsers> {
        component::section(&self.pool_users, &self.pool_users.overrides, i)
    }

    /// The `attackers` section as attacker `i` sees it.
    pub fn attacker(&self, i: u32) -> std::borrow::Cow<'_, Attackers> {
        component::section(&self.attackers, &self.attackers.overrides, i)
    }

    /// The `registrars` section as registrar `i` sees it.
    pub fn registrar(&self, i: u32) -> std::borrow::Cow<'_, Registrars> {
        component::section(&self.registrars, &self.registrars.overrides, i)
    }

    /// Pool users per LAN: explicit, or round(r · pool elements per LAN).
    pub fn pool_user_count(&self) -> u32 {
        self.pool_users.count.or_else(|| (self.pu_pe_ratio() * self.pool_elements.count as f64).round() as u32)
    }

    /// θ·C: the work a PE is offered per second [calculations/s].
    fn offered_per_pe(&self) -> f64 {
        self.workload.target_utilization * self.pool_elements.capacity
    }

    /// r: explicit, or interval·θ·C / S (docs/model.md §9.1).
    pub fn pu_pe_ratio(&self) -> f64 {
        let w = &self.workload;
        w.pu_pe_ratio.or_else(|| match (w.job_interval, w.job_size) {
            (Auto::Value(interval), Auto::Value(size)) => interval * self.offered_per_pe() / size,
            _ => f64::NAN, // rejected by validate: two autos
        })
    }

    /// S: explicit, or interval·θ·C / max(1, r) [calculations].
    pub fn job_size(&self) -> f64 {
        let w = &self.workload;
        w.job_size.or_else(|| match (w.job_interval, w.pu_pe_ratio) {
            (Auto::Value(interval), Auto::Value(r)) => interval * self.offered_per_pe() / r.max(1.0),
            _ => f64::NAN,
        })
    }

    /// Mean job interval [s]: explicit, or max(1, r)·S / (θ·C) (docs/model.md §9.1).
    pub fn job_interval_s(&self) -> f64 {
        let w = &self.workload;
        w.job_interval.or_else(|| self.pu_pe_ratio().max(1.0) * self.job_size() / self.offered_per_pe())
    }

    /// CalcApp request timeout [s]: explicit, or the keep-alive timeout.
    pub fn request_timeout_s(&self) -> f64 {
        self.calcapp.request_timeout_s.or_else(|| self.calcapp.keep_alive_timeout_s)
    }

    /// The scenario with every scenario-level auto-parameter filled in. Per-PE values
    /// (weight, load degradation: they depend on each PE's capacity) stay "auto".
    pub fn resolve(&self) -> Scenario {
        let mut s = self.clone();
        s.workload.job_interval = Auto::Value(self.job_interval_s());
        s.workload.pu_pe_ratio = Auto::Value(self.pu_pe_ratio());
        s.workload.job_size = Auto::Value(self.job_size());
        s.pool_users.count = Auto::Value(self.pool_user_count());
        s.calcapp.request_timeout_s = Auto::Value(self.request_timeout_s());
        s
    }

    /// Simulated end of the measurement window [s].
    pub fn end_s(&self) -> f64 {
        self.warmup_s + self.duration_s
    }
}
