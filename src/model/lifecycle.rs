//! The life cycle every component kind shares (docs/model.md §2.1): start, run for an
//! uptime, stop (cleanly with some probability, otherwise silently), stay down for a
//! downtime, restart. [`UpDown`] draws the alternating spans, and is also what network
//! interfaces follow (§1.4); [`LifeCycle`] adds the clean/unclean decision and the
//! statistics of a component's runs. What a start or a stop means is the component's
//! business: a pool element starts its uptime clock at its first successful registration,
//! a registrar at its startup.
//!
//! A [`Script`] (scripted status changes, or an availability trace) takes precedence over
//! the drawn spans, as the reference's status-change lists (docs/model.md §2.2): when the
//! component needs its next up or down span, the head of the script gives it (the time
//! until the scripted instant, or 0 if that has passed).

use super::stats::Samples;
use crate::engine::SimDuration;
use crate::engine::SimTime;
use crate::engine::rng::{LazyStream, Purpose, StreamOwner, StreamRng};
use crate::scenario::{MAX_TIME_S, StatusChange, StatusEvent, TimeDistribution};
use crate::trace::fta::Availability;
use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use std::collections::VecDeque;

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

/// How a scripted stop ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Clean with the kind's `clean_shutdown_probability`.
    ByProbability,
    Clean,
    Silent,
}

/// One scripted change: at `at`, up (a start) or down (a stop).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Change {
    at: SimTime,
    up: bool,
    stop: StopKind,
}

/// Scripted up and down instants of a component or of its interface.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    changes: VecDeque<Change>,
    /// After the last change the state lasts (a trace), rather than the drawn spans
    /// resuming (a status-change list).
    then_lasts: bool,
    /// Down from the start to the end (a trace node that is never available).
    never_up: bool,
}

impl Script {
    /// The life-cycle events (`interface`: false) or the interface events of a list.
    pub fn from_status_changes(list: &[StatusChange], interface: bool) -> Script {
        let changes = list
            .iter()
            .filter(|c| c.event.is_life_cycle() != interface)
            .map(|c| Change {
                at: SimTime::from_secs_f64(c.at_s),
                up: c.event.is_up(),
                stop: match c.event {
                    StatusEvent::CleanStop => StopKind::Clean,
                    StatusEvent::SilentStop => StopKind::Silent,
                    _ => StopKind::ByProbability,
                },
            })
            .collect();
        Script { changes, then_lasts: false, never_up: false }
    }

    /// A node's availability: a component that is down at time 0 starts with the first
    /// `start` (never, if there is none); changes past any run's end (warm-up and duration
    /// of at most [`MAX_TIME_S`] each) are left out.
    pub fn from_availability(a: &Availability) -> Script {
        let changes: VecDeque<Change> = a
            .changes
            .iter()
            .take_while(|(at, _)| *at <= 2.0 * MAX_TIME_S)
            .map(|&(at, up)| Change { at: SimTime::from_secs_f64(at), up, stop: StopKind::ByProbability })
            .collect();
        let never_up = !a.up_at_start && changes.is_empty();
        Script { changes, then_lasts: true, never_up }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The scripted first start, when the script begins with a start (the component is
    /// down until then); consumes it.
    pub fn first_start(&mut self) -> Option<SimTime> {
        if self.changes.front()?.up { self.changes.pop_front().map(|c| c.at) } else { None }
    }

    /// The head, if it is a change to `up`; consumes it.
    fn next(&mut self, up: bool) -> Option<Change> {
        if self.changes.front()?.up == up { self.changes.pop_front() } else { None }
    }
}

/// Alternating up and down spans, each from its own random stream, unless scripted.
pub struct UpDown {
    uptime: TimeDistribution,
    downtime: TimeDistribution,
    /// Whose streams these are; they are derived on the first draw (most components
    /// never fail).
    owner: StreamOwner,
    /// The interface's streams rather than the component's own.
    interface: bool,
    up_rng: LazyStream,
    down_rng: LazyStream,
    script: Script,
    /// How the stop that the last scripted up span ends is to end.
    scripted_stop: Option<StopKind>,
}

impl UpDown {
    /// `interface` selects the interface streams of the component rather than its own.
    pub fn new(uptime: TimeDistribution, downtime: TimeDistribution, owner: StreamOwner, interface: bool) -> UpDown {
        UpDown {
            uptime,
            downtime,
            owner,
            interface,
            up_rng: LazyStream::default(),
            down_rng: LazyStream::default(),
            script: Script::default(),
            scripted_stop: None,
        }
    }

    /// The spans follow `script` first.
    pub fn with_script(mut self, script: Script) -> UpDown {
        self.script = script;
        self
    }

    /// Whether it ever goes down.
    pub fn fails(&self) -> bool {
        self.uptime.is_finite() || !self.script.is_empty()
    }

    /// The scripted first start, if the script begins with one.
    pub fn first_start(&mut self) -> Option<SimTime> {
        self.script.first_start()
    }

    /// The up span that begins at `now`; None = up for ever.
    pub fn uptime(&mut self, now: SimTime) -> Option<SimDuration> {
        if let Some(c) = self.script.next(false) {
            self.scripted_stop = Some(c.stop);
            return Some(c.at.since(now));
        }
        self.scripted_stop = None;
        self.drawn(true)
    }

    /// The down span that begins at `now`; None = down for ever.
    pub fn downtime(&mut self, now: SimTime) -> Option<SimDuration> {
        if let Some(c) = self.script.next(true) {
            return Some(c.at.since(now));
        }
        self.drawn(false)
    }

    /// A drawn up (or down) span, unless a trace's last state lasts. A span that is never
    /// drawn (`Never`) derives no stream.
    fn drawn(&mut self, up: bool) -> Option<SimDuration> {
        let (d, rng, purpose) = match (up, self.interface) {
            (true, false) => (&self.uptime, &mut self.up_rng, Purpose::Uptime),
            (true, true) => (&self.uptime, &mut self.up_rng, Purpose::InterfaceUptime),
            (false, false) => (&self.downtime, &mut self.down_rng, Purpose::Downtime),
            (false, true) => (&self.downtime, &mut self.down_rng, Purpose::InterfaceDowntime),
        };
        if self.script.then_lasts || *d == TimeDistribution::Never {
            return None;
        }
        draw(d, rng.get(self.owner, purpose))
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

/// What a component's life cycle is drawn from: its kind's configuration and its streams.
/// Built by the component when its life cycle needs it, so that it is stored only by the
/// components that stop.
#[derive(Clone, Copy)]
pub struct LifeCycleConfig {
    pub uptime: TimeDistribution,
    pub downtime: TimeDistribution,
    pub clean_probability: f64,
    pub owner: StreamOwner,
}

/// A component's life cycle: its up/down spans, how it stops and how many runs it has.
/// Its state is created on first need (a script, a run limit, a drawn uptime, a stop):
/// most components never stop and carry 8 bytes for it, not 216.
#[derive(Default)]
pub struct LifeCycle(Option<Box<Runs>>);

struct Runs {
    spans: UpDown,
    shutdown_rng: LazyStream,
    /// Runs ended since the start of the simulation, and the most it may have.
    runs: u64,
    max_runs: u64,
    stats: LifeCycleStats,
}

impl LifeCycle {
    fn runs(&mut self, config: &LifeCycleConfig) -> &mut Runs {
        self.0.get_or_insert_with(|| {
            Box::new(Runs {
                spans: UpDown::new(config.uptime, config.downtime, config.owner, false),
                shutdown_rng: LazyStream::default(),
                runs: 0,
                max_runs: u64::MAX,
                stats: LifeCycleStats::default(),
            })
        })
    }

    /// Runs follow `script` first and end for good after `max_runs`; returns when the
    /// component first starts: None = never (no runs, or a trace that keeps it down),
    /// otherwise the scripted start, or `default`.
    pub fn script(
        &mut self,
        config: &LifeCycleConfig,
        mut script: Script,
        max_runs: u64,
        default: SimTime,
    ) -> Option<SimTime> {
        if max_runs == 0 || script.never_up {
            return None;
        }
        let first = script.first_start().unwrap_or(default);
        // Without a drawn uptime or a script it never stops, so `max_runs` cannot matter.
        if config.uptime != TimeDistribution::Never || !script.is_empty() || script.then_lasts {
            let runs = self.runs(config);
            runs.spans.script = script;
            runs.max_runs = max_runs;
        }
        Some(first)
    }

    /// The length of the run that starts now; None = it never ends.
    pub fn uptime(&mut self, config: &LifeCycleConfig, now: SimTime) -> Option<SimDuration> {
        if self.0.is_none() && config.uptime == TimeDistribution::Never {
            return None; // as UpDown::uptime without a script, with no state to create
        }
        self.runs(config).spans.uptime(now)
    }

    /// A run of `length` ends: whether cleanly, as scripted or with the configured
    /// probability (one uniform draw, as the reference; `<` so that 0 and 1 are exact).
    pub fn stop(&mut self, config: &LifeCycleConfig, length: SimDuration) -> bool {
        let r = self.runs(config);
        let clean = match r.spans.scripted_stop.take() {
            Some(StopKind::Clean) => true,
            Some(StopKind::Silent) => false,
            Some(StopKind::ByProbability) | None => {
                r.shutdown_rng.get(config.owner, Purpose::Shutdown).random::<f64>() < config.clean_probability
            }
        };
        r.runs += 1;
        r.stats.stops += 1;
        r.stats.clean_stops += clean as u64;
        r.stats.run_length.add(length.as_secs_f64());
        clean
    }

    /// How long to stay down before the restart; None = never restart (also after the
    /// last of `max_runs`).
    pub fn downtime(&mut self, config: &LifeCycleConfig, now: SimTime) -> Option<SimDuration> {
        let r = self.runs(config);
        if r.runs >= r.max_runs { None } else { r.spans.downtime(now) }
    }

    /// Counts a restart.
    pub fn restarted(&mut self, config: &LifeCycleConfig) {
        self.runs(config).stats.restarts += 1;
    }

    /// Runs, stops and restarts in the window.
    pub fn stats(&self) -> LifeCycleStats {
        self.0.as_ref().map_or_else(LifeCycleStats::default, |r| r.stats)
    }

    pub fn reset_statistics(&mut self) {
        if let Some(r) = &mut self.0 {
            r.stats = LifeCycleStats::default();
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::rng::{self, Component};

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
        let owner = StreamOwner { seed: 7, component: Component::Registrar, index: 1 };
        let config = |clean_probability| LifeCycleConfig {
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            clean_probability,
            owner,
        };
        let mut lc = LifeCycle::default();
        let clean = (0..10_000).filter(|_| lc.stop(&config(0.25), SimDuration::from_secs(1))).count();
        assert!((2300..2700).contains(&clean), "{clean} clean of 10000");
        assert_eq!(lc.stats().stops, 10_000);
        let mut never = LifeCycle::default();
        assert!(!(0..1000).any(|_| never.stop(&config(0.0), SimDuration::ZERO)));
    }
}
