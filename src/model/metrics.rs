//! The metrics of the policy-evaluation papers over the measurement window, defined
//! exactly as the RSPSIM controller computes them (rspsim-model.md §8).

use super::PacketCounters;
use super::pool_element::PoolElementStats;
use super::pool_user::PoolUserStats;
use super::registrar::RegistrarStats;
use serde::Serialize;

/// One run's results. Times in seconds, speeds in calculations/s, counts over the window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Metrics {
    /// Σ calculations done / Σ (uptime · capacity) over PEs (provider's view; counts
    /// wasted work).
    pub system_utilization: f64,
    /// Σ job size completed / Σ handling time (user's view) [calculations/s].
    pub handling_speed: f64,
    /// Handling speed in % of the nominal PE capacity `pool_elements.capacity`.
    pub handling_speed_pct: f64,
    /// Σ job size completed / Σ processing time [calculations/s].
    pub processing_speed: f64,
    /// Processing speed in % of the nominal PE capacity.
    pub processing_speed_pct: f64,
    /// Mean time a job waits in its PU's queue [s].
    pub queuing_delay_mean_s: f64,
    /// Mean time from job start to the first accept [s].
    pub startup_delay_mean_s: f64,
    /// Mean time from first accept to completion [s].
    pub processing_time_mean_s: f64,
    /// Mean time from queuing to completion [s].
    pub handling_time_mean_s: f64,
    pub jobs_queued: u64,
    pub jobs_started: u64,
    pub jobs_completed: u64,
    /// Jobs waiting in PU queues at the end of the window.
    pub pu_queue_length_end: u64,
    pub accepts: u64,
    pub rejects: u64,
    pub server_selections: u64,
    pub unreachables: u64,
    pub failovers: u64,
    pub handle_resolutions: u64,
    pub registrations: u64,
    pub policy_updates: u64,
    pub endpoint_keep_alives: u64,
    /// ASAP packets originated by all nodes (cookies excluded).
    pub asap_packets: u64,
    pub enrp_packets: u64,
    pub cookies: u64,
    /// ASAP packets per second of the window [1/s].
    pub asap_packets_per_s: f64,
    /// ENRP packets per second of the window [1/s].
    pub enrp_packets_per_s: f64,
}

/// Sums component statistics into the metrics.
pub struct MetricsInput<'a> {
    pub pool_elements: &'a [(PoolElementStats, f64)],
    pub pool_users: &'a [(PoolUserStats, usize)],
    pub registrars: &'a [RegistrarStats],
    pub packets: PacketCounters,
    pub nominal_capacity: f64,
    pub duration_s: f64,
}

/// `a / b`, NaN when b is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

impl Metrics {
    pub fn compute(input: MetricsInput) -> Metrics {
        let used: f64 = input.pool_elements.iter().map(|(s, _)| s.used_calculations).sum();
        let offered: f64 = input.pool_elements.iter().map(|(s, cap)| s.uptime_ns as f64 * 1e-9 * cap).sum();
        let policy_updates = input.pool_elements.iter().map(|(s, _)| s.policy_updates).sum();

        let mut pu = PoolUserStats::default();
        let mut queued_end = 0;
        for (s, queue) in input.pool_users {
            pu.jobs_queued += s.jobs_queued;
            pu.jobs_started += s.jobs_started;
            pu.jobs_completed += s.jobs_completed;
            pu.job_size_completed += s.job_size_completed;
            pu.queuing_delay.merge(&s.queuing_delay);
            pu.startup_delay.merge(&s.startup_delay);
            pu.processing_time.merge(&s.processing_time);
            pu.handling_time.merge(&s.handling_time);
            pu.accepts += s.accepts;
            pu.rejects += s.rejects;
            pu.server_selections += s.server_selections;
            pu.unreachables += s.unreachables;
            pu.failovers += s.failovers;
            queued_end += *queue as u64;
        }
        let pr = |f: fn(&RegistrarStats) -> u64| input.registrars.iter().map(f).sum::<u64>();
        let handling_speed = ratio(pu.job_size_completed, pu.handling_time.sum);
        let processing_speed = ratio(pu.job_size_completed, pu.processing_time.sum);
        Metrics {
            system_utilization: ratio(used, offered),
            handling_speed,
            handling_speed_pct: 100.0 * handling_speed / input.nominal_capacity,
            processing_speed,
            processing_speed_pct: 100.0 * processing_speed / input.nominal_capacity,
            queuing_delay_mean_s: pu.queuing_delay.mean(),
            startup_delay_mean_s: pu.startup_delay.mean(),
            processing_time_mean_s: pu.processing_time.mean(),
            handling_time_mean_s: pu.handling_time.mean(),
            jobs_queued: pu.jobs_queued,
            jobs_started: pu.jobs_started,
            jobs_completed: pu.jobs_completed,
            pu_queue_length_end: queued_end,
            accepts: pu.accepts,
            rejects: pu.rejects,
            server_selections: pu.server_selections,
            unreachables: pu.unreachables,
            failovers: pu.failovers,
            handle_resolutions: pr(|s| s.handle_resolutions),
            registrations: pr(|s| s.registrations),
            policy_updates,
            endpoint_keep_alives: pr(|s| s.endpoint_keep_alives_sent),
            asap_packets: input.packets.asap,
            enrp_packets: input.packets.enrp,
            cookies: input.packets.cookies,
            asap_packets_per_s: input.packets.asap as f64 / input.duration_s,
            enrp_packets_per_s: input.packets.enrp as f64 / input.duration_s,
        }
    }

    /// (name, value) of every metric, in declaration order (CSV columns).
    pub fn fields(&self) -> Vec<(String, f64)> {
        let serde_json::Value::Object(map) = serde_json::to_value(self).expect("metrics serialise") else {
            unreachable!("metrics is a struct")
        };
        map.into_iter().map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN))).collect()
    }

    /// Names of every metric, in declaration order.
    pub fn names() -> Vec<String> {
        Metrics::default().fields().into_iter().map(|(k, _)| k).collect()
    }
}
