//! Precision-driven replications (sequential stopping, as Akaroa gives OMNeT++): instead of
//! a fixed count, each point runs replications until the Student-t 95 % confidence
//! half-width of every named metric is within its target, or a maximum is reached.
//!
//! A point starts with `min_replications`; once all its runs are known it is judged, and
//! if a metric is off target it gets more: as many as the observed spread says it needs
//! (n·(half-width / target)², at least `min_replications` more), up to the maximum. Each
//! decision depends only on the point's own stored results, so the outcome is the same for
//! any thread count, after any interruption, and for slices run as Slurm arrays in rounds
//! (each round runs the replications that the store's results ask for next).

use crate::error::InputError;
use crate::report::stats::summarize;
use serde::{Deserialize, Serialize};
use std::ops::Range;

fn five() -> u32 {
    5
}

fn two_hundred() -> u32 {
    200
}

/// Most replications a point may ask for.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// The `precision` of a sweep file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Precision {
    /// Metrics whose intervals must be within the target (columns of runs.csv).
    pub metrics: Vec<String>,
    /// Target half-width relative to the mean (0.02 = ±2 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_half_width: Option<f64>,
    /// Target half-width in the metric's unit; with both, either suffices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_half_width: Option<f64>,
    #[serde(default = "five")]
    pub min_replications: u32,
    #[serde(default = "two_hundred")]
    pub max_replications: u32,
}

impl Precision {
    /// Range checks; `metrics` are the names runs.csv has.
    pub fn check(&self, metrics: &[String]) -> Result<(), InputError> {
        if self.metrics.is_empty() {
            return Err(InputError::new("precision.metrics", "is empty; allowed: one or more metric names"));
        }
        for (i, m) in self.metrics.iter().enumerate() {
            if !metrics.contains(m) {
                let message = format!("`{m}` is not a metric; allowed: {}", metrics.join(", "));
                return Err(InputError::new(format!("precision.metrics[{i}]"), message));
            }
        }
        let targets =
            [("relative_half_width", self.relative_half_width), ("absolute_half_width", self.absolute_half_width)];
        if targets.iter().all(|(_, t)| t.is_none()) {
            let message = "needs a target; allowed: relative_half_width, absolute_half_width or both";
            return Err(InputError::new("precision", message));
        }
        for (key, t) in targets {
            if let Some(t) = t.filter(|t| !(t.is_finite() && *t > 0.0)) {
                return Err(InputError::new(format!("precision.{key}"), format!("{t} is out of range; allowed: > 0")));
            }
        }
        let (min, max) = (self.min_replications, self.max_replications);
        if !(2..=MAX_REPLICATIONS).contains(&min) {
            let message = format!("{min} is out of range; allowed: 2 to {MAX_REPLICATIONS} (an interval needs two)");
            return Err(InputError::new("precision.min_replications", message));
        }
        if !(min..=MAX_REPLICATIONS).contains(&max) {
            let message = format!("{max} is out of range; allowed: min_replications ({min}) to {MAX_REPLICATIONS}");
            return Err(InputError::new("precision.max_replications", message));
        }
        Ok(())
    }

    /// The half-width a metric with this mean must reach.
    fn target(&self, mean: f64) -> f64 {
        let relative = self.relative_half_width.map_or(0.0, |r| r * mean.abs());
        relative.max(self.absolute_half_width.unwrap_or(0.0))
    }

    /// The half-width of each metric and its target (metrics that are the same in every
    /// run, sd 0, or undefined throughout count as on target: half-width 0).
    fn widths(&self, per_metric: &[Vec<f64>]) -> Vec<(f64, f64)> {
        per_metric
            .iter()
            .map(|values| {
                let s = summarize(values, 0.95);
                let width = if s.ci_half_width.is_nan() { 0.0 } else { s.ci_half_width };
                (width, self.target(s.mean))
            })
            .collect()
    }

    /// Replications a point with these per-metric values (n each) needs: n when every
    /// metric is on target, else as many as the observed spread says (n·(width /
    /// target)²), at least `min_replications` more, at most the maximum.
    fn needed(&self, per_metric: &[Vec<f64>]) -> u32 {
        let n = per_metric.first().map_or(0, Vec::len) as u32;
        let mut needed = n;
        for (width, target) in self.widths(per_metric) {
            if width > target {
                let estimate = if target > 0.0 { (n as f64 * (width / target).powi(2)).ceil() } else { f64::INFINITY };
                let more = estimate.max((n + self.min_replications) as f64).min(self.max_replications as f64);
                needed = needed.max(more as u32);
            }
        }
        needed
    }

    fn on_target(&self, per_metric: &[Vec<f64>]) -> bool {
        self.widths(per_metric).iter().all(|(width, target)| width <= target)
    }
}

/// Where a sweep stands: which planned runs are wanted so far, and each point's state.
#[derive(Clone, Debug)]
pub struct Standing {
    /// Per planned run: wanted (within its point's current replication count).
    pub wanted: Vec<bool>,
    /// Per point: replications wanted so far.
    pub replications: Vec<u32>,
    /// Per point: the target is met (every wanted run known and on target).
    pub met: Vec<bool>,
    /// Per point: still open (runs missing, or more to come).
    pub open: Vec<bool>,
}

/// The standing of a sweep whose point p holds the planned runs `points[p]` (replication
/// k at `points[p].start + k`), given the metric values of the runs known so far
/// (`known(i)`: the named metrics of run i, if it is stored). Without precision every
/// planned run is wanted.
pub fn standing<'a>(
    points: &[Range<usize>],
    precision: Option<&Precision>,
    known: impl Fn(usize) -> Option<Vec<f64>> + 'a,
) -> Standing {
    let runs = points.last().map_or(0, |p| p.end);
    let Some(precision) = precision else {
        return Standing {
            wanted: vec![true; runs],
            replications: points.iter().map(|p| p.len() as u32).collect(),
            met: vec![true; points.len()],
            open: vec![false; points.len()],
        };
    };
    let mut s = Standing {
        wanted: vec![false; runs],
        replications: vec![0; points.len()],
        met: vec![false; points.len()],
        open: vec![true; points.len()],
    };
    for (p, range) in points.iter().enumerate() {
        let mut n = precision.min_replications.min(range.len() as u32);
        loop {
            let values: Option<Vec<Vec<f64>>> = (range.start..range.start + n as usize).map(&known).collect();
            let Some(values) = values else { break }; // runs of this round are missing
            // Per metric, its values over the replications.
            let per_metric: Vec<Vec<f64>> =
                (0..precision.metrics.len()).map(|m| values.iter().map(|v| v[m]).collect()).collect();
            if precision.on_target(&per_metric) {
                s.met[p] = true;
                s.open[p] = false;
                break;
            }
            let needed = precision.needed(&per_metric).min(range.len() as u32);
            if needed <= n {
                s.open[p] = false; // at the maximum, off target
                break;
            }
            n = needed;
        }
        s.replications[p] = n;
        for i in range.start..range.start + n as usize {
            s.wanted[i] = true;
        }
    }
    s
}

#[cfg(test)]
mod test {
    use super::*;

    fn precision(relative: f64) -> Precision {
        Precision {
            metrics: vec!["x".into()],
            relative_half_width: Some(relative),
            absolute_half_width: None,
            min_replications: 4,
            max_replications: 64,
        }
    }

    #[test]
    fn points_run_until_their_interval_is_on_target() {
        // Point 0: constant (met at once); point 1: noisy (needs more); 64 planned each.
        let points = [0..64, 64..128];
        let value = |i: usize| if i < 64 { 10.0 } else { 10.0 + if i.is_multiple_of(2) { 1.0 } else { -1.0 } };
        let p = precision(0.02);
        // Nothing known yet: the first round of each point is wanted.
        let s = standing(&points, Some(&p), |_| None);
        assert_eq!(s.replications, [4, 4]);
        assert_eq!(s.wanted.iter().filter(|&&w| w).count(), 8);
        // Everything known: point 0 stops at 4, point 1 grows until its half-width is
        // within 2 % of 10 (sd ≈ 1: t·1/√n <= 0.2 needs n ≈ 100 > 64, so it ends unmet).
        let s = standing(&points, Some(&p), |i| Some(vec![value(i)]));
        assert_eq!((s.replications[0], s.met[0], s.open[0]), (4, true, false));
        assert_eq!((s.replications[1], s.met[1], s.open[1]), (64, false, false));
        // With 10 %, point 1 is met after about n·(hw/target)² replications.
        let s = standing(&points, Some(&precision(0.1)), |i| Some(vec![value(i)]));
        assert!(s.met[1] && (5..64).contains(&s.replications[1]), "{:?}", s.replications);
        let hw = summarize(&(64..64 + s.replications[1] as usize).map(value).collect::<Vec<_>>(), 0.95).ci_half_width;
        assert!(hw <= 1.0, "{hw}");
    }

    #[test]
    fn without_precision_every_planned_run_is_wanted() {
        let s = standing(&[0..3, 3..6], None, |_| None);
        assert!(s.wanted.iter().all(|&w| w) && s.met.iter().all(|&m| m));
    }

    #[test]
    fn bad_settings_name_their_key() {
        let names = vec!["x".to_string()];
        let mut p = precision(0.02);
        p.metrics = vec!["y".into()];
        assert!(p.check(&names).unwrap_err().to_string().contains("precision.metrics[0]"));
        let mut p = precision(0.02);
        p.relative_half_width = None;
        assert!(p.check(&names).unwrap_err().to_string().contains("needs a target"));
        let mut p = precision(-1.0);
        assert!(p.check(&names).unwrap_err().to_string().contains("relative_half_width"));
        p = precision(0.02);
        p.min_replications = 1;
        assert!(p.check(&names).unwrap_err().to_string().contains("min_replications"));
        p = precision(0.02);
        p.max_replications = 3;
        assert!(p.check(&names).unwrap_err().to_string().contains("max_replications"));
    }
}
