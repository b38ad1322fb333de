//! What a run will cost before it runs: an estimate of its events, from which sweeps
//! balance their slices, the catalogue estimates its times, and heavy runs are announced.

use super::{Pieces, Scenario, TimeDistribution, short};

/// Seconds of one core per unit of [`Scenario::estimated_cost`], fitted to the wall times
/// of the committed studies (release build, 2 cores): within a factor of 2 for most, but
/// pools of thousands of PEs run slower per event than the model says (cache misses).
pub const SECONDS_PER_COST: f64 = 9.0e-8;

/// Estimated cost from which a run is announced with a warning (about 90 s of one core).
const HEAVY_COST: f64 = 1e9;

impl Scenario {
    /// A run's cost in arbitrary units (about one per event): its jobs (× pieces, about ten
    /// events each, more with load updates to several registrars), the components' periodic timers, session keep-alives while jobs run,
    /// endpoint keep-alives, the restarts of failing PEs and registrars (each a burst of
    /// registrations, resolutions and failovers), and the attacks (each a request, its answer
    /// and its reports or handle updates).
    pub fn estimated_cost(&self) -> f64 {
        let s = self;
        let layout = s.layout();
        let (registrars, pes, pus) = (
            layout.registrar_lans.len() as f64,
            layout.pool_element_lans.len() as f64,
            layout.pool_user_lans.len() as f64,
        );
        let end_s = s.end_s();
        let busy_s = (end_s - s.pool_users.start_s).max(0.0);
        let pieces = match s.workload.pieces {
            Pieces::Fixed(n) => n as f64,
            Pieces::Uniform { min, max } => (min + max) as f64 / 2.0,
        };
        let jobs = pus * busy_s / s.job_interval_s();
        let session_keep_alives = pus * pieces * busy_s / s.calcapp.keep_alive_interval_s;
        let endpoint_keep_alives = pes * end_s / s.registrars.endpoint_keep_alive_interval_s;
        let restarts = |n: f64, up: &TimeDistribution| {
            if up.is_finite() { n * end_s / up.mean_s().max(1e-3) } else { 0.0 }
        };
        let churn = restarts(pes, &s.pool_elements.uptime) + restarts(registrars, &s.registrars.uptime) * pes;
        // An adaptive policy re-registers at each accept and completion; every registration
        // is a handle update to each peer registrar.
        let per_job = if s.pool_elements.policy.is_adaptive() { 14.0 + 2.0 * (registrars - 1.0) } else { 10.0 };
        let attackers = layout.attacker_lans.len() as f64;
        let attacks = attackers * (end_s - s.attackers.start_s).max(0.0) / s.attackers.interval_s;
        per_job * jobs * pieces
            + attacks * (3.0 + registrars)
            + (registrars + pes + pus) * end_s / 30.0
            + 2.0 * session_keep_alives
            + 2.0 * endpoint_keep_alives * registrars
            + 40.0 * churn
    }

    /// A warning for a run whose estimated cost is heavy: the estimate, its time on one
    /// core and the keys that set it.
    pub fn cost_warning(&self) -> Option<String> {
        let cost = self.estimated_cost();
        (cost > HEAVY_COST).then(|| {
            format!(
                "this run takes about {} events, roughly {} of one core; its length is set by warmup_s, duration_s, the job interval (workload.job_interval) and the PU count",
                short(cost),
                human_duration(cost * SECONDS_PER_COST)
            )
        })
    }
}

/// A duration for people: "< 1 s", "45 s", "2.3 min", "12 min", "3.5 h", "2.1 days".
pub fn human_duration(seconds: f64) -> String {
    match seconds {
        s if s < 0.5 => "< 1 s".to_string(),
        s if s < 90.0 => format!("{s:.0} s"),
        s if s < 595.0 => format!("{} min", short((s / 6.0).round() / 10.0)),
        s if s < 5400.0 => format!("{:.0} min", s / 60.0),
        s if s < 2.0 * 86400.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{} days", short((s / 86400.0 * 10.0).round() / 10.0)),
    }
}
