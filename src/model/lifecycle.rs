//! The life cycle every component kind shares (rspsim-model.md §2.1): start, run for an
//! uptime, stop (cleanly with some probability, otherwise silently), stay down for a
//! downtime, restart. [`UpDown`] draws the alternating spans, and is also what network
//! interfaces follow (§1.4); [`LifeCycle`] adds the clean/unclean decision and the
//! statistics of a component's runs. What a start or a stop means is the component's
//! business: a pool element starts its uptime clock at its first successful registration,
//! a registrar at its startup.

use super::metrics::Samples;
use crate::engine::SimDuration;
use crate::engine::rng::{self, Component, Purpose, StreamRng};
use crate::scenario::TimeDistribution;
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

/// One draw of a time distribution; None = never.
pub fn draw(d: &TimeDistribution, rng: &mut StreamRng) -> Option<SimDuration> {
    let s = match *d {
        TimeDistribution::Never => return None,
        TimeDistribution::Constant { value_s } => value_s,
        TimeDistribution::Exponential { mean_s } => mean_s * Distribution::<f64>::sample(&Exp1, rng),
        TimeDistribution::Uniform { min_s, max_s } if max_s > min_s => rng.random_range(min_s..max_s),
        TimeDistribution::Uniform { min_s, .. } => min_s,
    };
    Some(SimDuration::from_secs_f64(s))
}

/// Alternating up and down spans, each from its own random stream.
pub struct UpDown {
    uptime: TimeDistribution,
    downtime: TimeDistribution,
    up_rng: StreamRng,
    down_rng: StreamRng,
}

impl UpDown {
    /// `interface` selects the interface streams of the component rather than its own.
    pub fn new(
        uptime: TimeDistribution,
        downtime: TimeDistribution,
        seed: u64,
        component: Component,
        index: u32,
        interface: bool,
    ) -> UpDown {
        let (up, down) = if interface {
            (Purpose::InterfaceUptime, Purpose::InterfaceDowntime)
        } else {
            (Purpose::Uptime, Purpose::Downtime)
        };
        UpDown {
            uptime,
            downtime,
            up_rng: rng::stream(seed, component, index as u64, up),
            down_rng: rng::stream(seed, component, index as u64, down),
        }
    }

    /// Whether it ever goes down.
    pub fn fails(&self) -> bool {
        self.uptime.is_finite()
    }

    /// The next up span; None = up for ever.
    pub fn uptime(&mut self) -> Option<SimDuration> {
        draw(&self.uptime, &mut self.up_rng)
    }

    /// The next down span; None = down for ever.
    pub fn downtime(&mut self) -> Option<SimDuration> {
        draw(&self.downtime, &mut self.down_rng)
    }
}

/// What a component's runs looked like in the measurement window.
#[derive(Clone, Copy, Debug, Default)]
pub struct LifeCycleStats {
    /// Stops (clean and unclean).
    pub stops: u64,
    pub clean_stops: u64,
    /// Restarts after a downtime (the first start is not one).
    pub restarts: u64,
    /// Lengths of the runs that ended [s].
    pub run_length: Samples,
}

/// A component's life cycle: its up/down spans and how it stops.
pub struct LifeCycle {
    spans: UpDown,
    clean_probability: f64,
    shutdown_rng: StreamRng,
    pub stats: LifeCycleStats,
}

impl LifeCycle {
    pub fn new(
        uptime: TimeDistribution,
        downtime: TimeDistribution,
        clean_probability: f64,
        seed: u64,
        component: Component,
        index: u32,
    ) -> LifeCycle {
        LifeCycle {
            spans: UpDown::new(uptime, downtime, seed, component, index, false),
            clean_probability,
            shutdown_rng: rng::stream(seed, component, index as u64, Purpose::Shutdown),
            stats: LifeCycleStats::default(),
        }
    }

    /// The length of the run that starts now; None = it never ends.
    pub fn uptime(&mut self) -> Option<SimDuration> {
        self.spans.uptime()
    }

    /// A run of `length` ends: whether cleanly, with the configured probability (one
    /// uniform draw, as the reference; `<` so that 0 and 1 are exact).
    pub fn stop(&mut self, length: SimDuration) -> bool {
        let clean = self.shutdown_rng.random::<f64>() < self.clean_probability;
        self.stats.stops += 1;
        self.stats.clean_stops += clean as u64;
        self.stats.run_length.add(length.as_secs_f64());
        clean
    }

    /// How long to stay down before the restart; None = never restart.
    pub fn downtime(&mut self) -> Option<SimDuration> {
        self.spans.downtime()
    }

    /// Counts a restart.
    pub fn restarted(&mut self) {
        self.stats.restarts += 1;
    }

    pub fn reset_statistics(&mut self) {
        self.stats = LifeCycleStats::default();
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn draws_follow_the_distribution() {
        let mut rng = rng::stream(1, Component::PoolElement, 0, Purpose::Uptime);
        let n = 20_000;
        let mean = |d: TimeDistribution, rng: &mut StreamRng| {
            (0..n).map(|_| draw(&d, rng).unwrap().as_secs_f64()).sum::<f64>() / n as f64
        };
        let exp = mean(TimeDistribution::Exponential { mean_s: 50.0 }, &mut rng);
        assert!((exp - 50.0).abs() < 50.0 * 4.0 / (n as f64).sqrt(), "exponential mean {exp}");
        let uni = mean(TimeDistribution::Uniform { min_s: 10.0, max_s: 20.0 }, &mut rng);
        assert!((uni - 15.0).abs() < 0.1, "uniform mean {uni}");
        assert_eq!(draw(&TimeDistribution::Constant { value_s: 2.5 }, &mut rng), Some(SimDuration::from_millis(2500)));
        assert_eq!(draw(&TimeDistribution::Never, &mut rng), None);
    }

    #[test]
    fn clean_stops_follow_the_probability() {
        let mut lc = LifeCycle::new(TimeDistribution::Never, TimeDistribution::ZERO, 0.25, 7, Component::Registrar, 1);
        let clean = (0..10_000).filter(|_| lc.stop(SimDuration::from_secs(1))).count();
        assert!((2300..2700).contains(&clean), "{clean} clean of 10000");
        assert_eq!(lc.stats.stops, 10_000);
        let mut never =
            LifeCycle::new(TimeDistribution::Never, TimeDistribution::ZERO, 0.0, 7, Component::Registrar, 1);
        assert!(!(0..1000).any(|_| never.stop(SimDuration::ZERO)));
    }
}
