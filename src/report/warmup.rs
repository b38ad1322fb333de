//! Warm-up checks: the MSER-5 truncation point (White 1997) of a run's congestion over
//! time. A run is sampled (sampling schedules no event: the run is unchanged) for two
//! series, the jobs in the system (queued at PUs or in service) and the mean PE load;
//! MSER-5 picks, on batch means of five samples, the truncation d that minimises the
//! squared standard error of the mean of what remains, Σ(Y_i − Ȳ_d)² / (n − d)², over
//! d in the first half of the run. The later of the two series' points is the run's
//! estimate: data before it still carry the initial transient.

use crate::engine::{SimDuration, SimTime};
use crate::model::{RunOutput, Simulation};
use crate::scenario::Scenario;

/// Samples per run for the estimate (400 batch means of five).
const SAMPLES: f64 = 2000.0;

/// MSER-5 on `series` (equally spaced observations): the number of leading observations
/// to delete (a multiple of 5), searched over the first half of the batches.
pub fn mser5(series: &[f64]) -> usize {
    let batches: Vec<f64> = series.chunks_exact(5).map(|b| b.iter().sum::<f64>() / 5.0).collect();
    let n = batches.len();
    if n < 4 {
        return 0;
    }
    // Suffix sums give each candidate's mean and squared deviations in O(n).
    let (mut sum, mut sum_sq) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    for i in (0..n).rev() {
        sum[i] = sum[i + 1] + batches[i];
        sum_sq[i] = sum_sq[i + 1] + batches[i] * batches[i];
    }
    let mut best = (f64::INFINITY, 0);
    for d in 0..=n / 2 {
        let m = (n - d) as f64;
        let squares = (sum_sq[d] - sum[d] * sum[d] / m).max(0.0);
        let statistic = squares / (m * m);
        if statistic < best.0 {
            best = (statistic, d);
        }
    }
    best.1 * 5
}

/// A run with its MSER-5 truncation point [s from time 0].
pub fn truncation(s: &Scenario) -> (RunOutput, f64) {
    let interval = SimDuration::from_secs_f64((s.end_s() / SAMPLES).max(1e-9));
    let (mut jobs, mut load) = (Vec::new(), Vec::new());
    let out = Simulation::new(s).run_sampled(interval, |_: SimTime, sim| {
        let in_system: usize =
            sim.pool_users().iter().map(|pu| pu.queue_length() + pu.has_job_in_service() as usize).sum();
        jobs.push(in_system as f64);
        let pes = sim.pool_elements();
        load.push(pes.iter().map(|pe| pe.job_count() as f64 / pe.max_jobs as f64).sum::<f64>() / pes.len() as f64);
    });
    let d = mser5(&jobs).max(mser5(&load));
    (out, d as f64 * interval.as_secs_f64())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn mser5_cuts_a_transient_and_keeps_a_stationary_series() {
        // A deterministic "noise" around 10, after a ramp from 100 down over 300 samples.
        let noise = |i: usize| ((i * 7919) % 13) as f64 / 13.0 - 0.5;
        let stationary: Vec<f64> = (0..2000).map(|i| 10.0 + noise(i)).collect();
        assert!(mser5(&stationary) < 100, "{}", mser5(&stationary));
        let transient: Vec<f64> =
            (0..2000).map(|i| if i < 300 { 100.0 - 0.3 * i as f64 } else { 10.0 } + noise(i)).collect();
        let d = mser5(&transient);
        assert!((250..=400).contains(&d), "{d}");
        assert_eq!(mser5(&[1.0, 2.0]), 0, "too short to judge");
    }
}
