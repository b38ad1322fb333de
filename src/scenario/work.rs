//! The representable range of work: the limits within which a PE's integer-nanosecond
//! timers and whole-calculation accounting (docs/model.md §5.3, as the reference) give
//! correct numbers and make progress. Outside it a run either never ends (a cookie or a
//! time cookie that comes before a job has done one whole calculation, so the job never
//! advances) or reports nonsense (a job served in less than the time resolution: zero
//! service time, utilization 0, handling speeds above 100 %). Each limit is checked at
//! parse time against the extreme capacities a PE can get from any distribution,
//! override or `min_capacity_per_job`, not against one seed's draws.

use super::{CapacityDistribution, MAX_TIME_S, PoolElements, Scenario, ScenarioError, short};

/// Largest mean job size [calculations]: the accounting adds whole calculations to a
/// job's progress, exact in f64 up to 2^53 ≈ 9e15; an exponential draw exceeds 64 × its
/// mean with probability e^-64, i.e. never.
pub const MAX_JOB_SIZE: f64 = 1e14;

/// Greatest capacity of a PE [calculations/s]: one calculation per nanosecond, so that
/// rounding an event to the nanosecond misplaces at most half a calculation of work (the
/// unit of a calculation is the user's: count larger units for faster servers).
pub const MAX_CAPACITY: f64 = 1e9;

/// Shortest mean service time of a job piece on the fastest PE [s]: 1000 × the 1 ns time
/// resolution, so that rounding each service time to the nanosecond moves it by at most
/// 0.05 % on average.
pub const MIN_SERVICE_S: f64 = 1e-6;

/// Largest target utilization θ: beyond ten times the pool's capacity every queue grows
/// without bound anyway.
pub const MAX_TARGET_UTILIZATION: f64 = 10.0;

/// Largest |z| that rand_distr's normal sampler can return (its ziggurat tail is
/// R − ln(u) / R with u ≥ 2^-53: 3.65 + 10.05 < 14).
const MAX_NORMAL_Z: f64 = 14.0;

/// Least and greatest capacity [calculations/s] that `dist` gives any PE of a pool with
/// nominal capacity `c` (whatever the seed and the pool's size).
pub fn capacity_bounds(c: f64, dist: &CapacityDistribution) -> (f64, f64) {
    match dist {
        CapacityDistribution::Identity => (c, c),
        // Fast PEs get total·γ / (fast·γ + slow) <= c·γ (fast·γ + slow >= n); slow ones
        // total / (fast·γ + slow) >= c / γ.
        CapacityDistribution::FastServers { gamma, .. } => (c / gamma, c * gamma),
        // From c / (1 + (γ-1)/n) >= c / γ up to twice the mean less the least.
        CapacityDistribution::Linear { gamma } => (c / gamma, 2.0 * c),
        CapacityDistribution::Uniform { gamma } => {
            let min = c / (1.0 + (gamma - 1.0) / 2.0);
            (min, gamma * min)
        }
        // Redrawn below 1 (simulation.rs).
        CapacityDistribution::Truncnormal { gamma } => (1.0, c + MAX_NORMAL_Z * gamma * c),
        CapacityDistribution::List { capacities } => {
            let min = capacities.iter().copied().fold(f64::INFINITY, f64::min);
            (min, capacities.iter().copied().fold(0.0, f64::max))
        }
    }
}

/// A PE section (the kind's, or one override's) with the capacities its PEs may have.
struct Section<'a> {
    /// `pool_elements` or `pool_elements.overrides[k]`.
    at: String,
    pe: &'a PoolElements,
    /// Capacity range before the MinCapacityPerJob raise [calculations/s].
    capacity: (f64, f64),
    /// The key that sets that range.
    capacity_key: String,
}

fn out_of_range(key: &str, value: f64, allowed: String) -> ScenarioError {
    ScenarioError::invalid(key, format!("{} is out of range; allowed: {allowed}", short(value)))
}

impl Section<'_> {
    /// Greatest capacity a PE of this section serves with: a capacity below
    /// MinCapacityPerJob is raised to it when MaxJobs is derived (docs/model.md §5.3).
    fn fastest(&self) -> (f64, String) {
        let (_, max) = self.capacity;
        let m = self.pe.min_capacity_per_job;
        if self.pe.max_jobs == 0 && m > max {
            (m, format!("{}.min_capacity_per_job", self.at))
        } else {
            (max, self.capacity_key.clone())
        }
    }

    /// Least rate at which one job of a full PE advances [calculations/s]: capacity /
    /// MaxJobs; with MaxJobs = round(capacity / MinCapacityPerJob) at least 3/4 of
    /// MinCapacityPerJob (capacity 1.5 × it, two jobs).
    fn slowest_job_rate(&self) -> f64 {
        match self.pe.max_jobs {
            0 => 0.75 * self.pe.min_capacity_per_job,
            m => self.capacity.0 / m as f64,
        }
    }

    fn check(&self, s: &Scenario) -> Result<(), ScenarioError> {
        let (fastest, key) = self.fastest();
        if fastest.is_nan() || fastest > MAX_CAPACITY {
            let message = format!(
                "gives PEs up to {} calculations/s; allowed: at most {} calculations/s on any PE (one per nanosecond, the time resolution; count work in larger calculations for faster servers)",
                short(fastest),
                short(MAX_CAPACITY)
            );
            return Err(ScenarioError::invalid(&key, message));
        }
        // The smallest mean piece is the job split into the most pieces.
        let piece = s.job_size() / s.workload.pieces.max() as f64;
        let service_s = piece / fastest;
        if service_s < MIN_SERVICE_S {
            let message = format!(
                "gives PEs up to {} calculations/s, which serve a mean job piece of {} calculations in {} s; allowed: capacities that take at least {} s for it (1000 × the 1 ns time resolution), e.g. a larger workload.job_size",
                short(fastest),
                short(piece),
                short(service_s),
                short(MIN_SERVICE_S)
            );
            return Err(ScenarioError::invalid(&key, message));
        }
        let pe = self.pe;
        let least_cookie = (fastest * 1e-9).max(1.0);
        if pe.cookie_max_calculations < least_cookie {
            let allowed = format!(
                "at least {} calculations (one whole calculation, and 1 ns of work on the fastest PE, {} calculations/s): a job must advance between two cookies",
                short(least_cookie),
                short(fastest)
            );
            return Err(out_of_range(
                &format!("{}.cookie_max_calculations", self.at),
                pe.cookie_max_calculations,
                allowed,
            ));
        }
        let rate = self.slowest_job_rate();
        if pe.cookie_max_time_s * rate < 1.0 {
            let allowed = format!(
                "at least {} s, the time one job of a full PE takes for one whole calculation ({} calculations/s): a job must advance between two cookies",
                short(1.0 / rate),
                short(rate)
            );
            return Err(out_of_range(&format!("{}.cookie_max_time_s", self.at), pe.cookie_max_time_s, allowed));
        }
        Ok(())
    }
}

impl Scenario {
    /// The workload and every PE section within the representable range of work.
    pub(super) fn validate_work(&self) -> Result<(), ScenarioError> {
        let size = self.job_size();
        if size.is_nan() || size > MAX_JOB_SIZE {
            let how = if self.workload.job_size.value().is_none() { "interval·θ·C / max(1, r) = " } else { "" };
            let message = format!(
                "{how}{} calculations is out of range; allowed: a mean job size of at most {} calculations (PEs count whole calculations, exact up to 2^53)",
                short(size),
                short(MAX_JOB_SIZE)
            );
            return Err(ScenarioError::invalid("workload.job_size", message));
        }
        let interval = self.job_interval_s();
        if interval.is_nan() || interval > MAX_TIME_S {
            let how = if self.workload.job_interval.value().is_none() { "max(1, r)·S / (θ·C) = " } else { "" };
            let message = format!(
                "{how}{} s is out of range; allowed: a mean job interval of at most {} s (times are integer nanoseconds)",
                short(interval),
                short(MAX_TIME_S)
            );
            return Err(ScenarioError::invalid("workload.job_interval", message));
        }
        let pe = &self.pool_elements;
        let bounds = capacity_bounds(pe.capacity, &pe.capacity_distribution);
        let key = match pe.capacity_distribution {
            CapacityDistribution::Identity => "pool_elements.capacity",
            _ => "pool_elements.capacity_distribution",
        };
        Section { at: "pool_elements".into(), pe, capacity: bounds, capacity_key: key.into() }.check(self)?;
        for (k, ov) in self.pool_elements.overrides.iter().enumerate() {
            let at = format!("pool_elements.overrides[{k}]");
            let section = self.pool_element(ov.index);
            let (capacity, capacity_key) = if ov.set.contains_key("capacity") {
                ((section.capacity, section.capacity), format!("{at}.capacity"))
            } else {
                (bounds, key.to_string())
            };
            Section { at, pe: &section, capacity, capacity_key }.check(self)?;
        }
        Ok(())
    }
}
