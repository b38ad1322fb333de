//! The metrics of the policy-evaluation papers over the measurement window, defined
//! exactly as the RSPSIM controller computes them (docs/model.md §8).

use super::NetworkCounters;
use super::attacker::{Attacker, AttackerStats};
use super::message::PacketClass;
use super::pool_element::PoolElement;
use super::pool_user::{PoolUser, PoolUserStats};
use super::registrar::{Registrar, RegistrarStats};
use super::stats::{PoolUserCounters, Samples};
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
    /// Σ calculations done by the PEs, work later lost included (the reference's used
    /// capacity) [calculations].
    pub used_capacity: f64,
    /// Σ (uptime · capacity) − used capacity: capacity left idle [calculations].
    pub wasted_capacity: f64,
    /// Calculations credited to jobs by cookies and completions (job size completed)
    /// [calculations].
    pub goodput_calculations: f64,
    /// Calculations done and then lost: since the last cookie of sessions that ended
    /// without completion, and in cookies or completions that never counted [calculations].
    pub lost_calculations: f64,
    /// Calculations done that at the end are neither credited nor lost: since the last
    /// cookie of running sessions, and in cookies in flight [calculations].
    pub unsaved_calculations_end: f64,
    /// Mean time a failover costs a job: from its last goodput (cookie or accept) to the
    /// accept at the new PE [s].
    pub failover_time_mean_s: f64,
    /// Jobs in service (selecting a PE or processing) at the end of the window.
    pub jobs_in_service_end: u64,
    /// PE stops (clean and unclean) and restarts in the window.
    pub pe_stops: u64,
    pub pe_clean_stops: u64,
    pub pe_restarts: u64,
    /// Mean length of the PE runs that ended in the window (first registration to stop) [s].
    pub pe_uptime_mean_s: f64,
    pub registrar_stops: u64,
    /// Endpoint keep-alives that timed out (dead PEs removed by their registrar).
    pub endpoint_keep_alive_timeouts: u64,
    /// Packets lost to down interfaces.
    pub dropped_packets: u64,
    /// ENRP handle updates received by the registrars.
    pub handle_updates: u64,
    /// Takeovers of a dead registrar started, and completed by consent of every peer or
    /// by the takeover expiry.
    pub takeovers_started: u64,
    pub takeovers_by_consent: u64,
    pub takeovers_by_timeout: u64,
    /// Mean pieces per completed job (1 unless jobs are partitioned).
    pub pieces_per_job: f64,
    /// Mean time from a piece's first accept to its completion [s].
    pub piece_processing_time_mean_s: f64,
    /// Mean over completed jobs of slowest piece time / mean piece time (1 = no straggler).
    pub straggler_ratio_mean: f64,
    /// Pieces of jobs in service not completed at the end of the window.
    pub pieces_open_end: u64,
    /// Mean one-way network delay from a PU to the PE it chose, over every request and
    /// cookie echo sent [ms].
    pub distance_mean_ms: f64,
    /// Share of the completed pieces (jobs, unless partitioned) served by a PE in the
    /// PU's own LAN.
    pub local_service_share: f64,
    /// Packets the attackers sent (docs/model.md §7).
    pub attacker_messages: u64,
    pub attacker_handle_resolutions: u64,
    /// Fake unreachability reports the attackers sent to registrars.
    pub attacker_failure_reports: u64,
    /// Fake PE registrations the registrars accepted.
    pub attacker_registrations: u64,
    /// Handle resolutions the registrars' rate limits dropped (any sender's).
    pub refused_handle_resolutions: u64,
    /// Unreachability reports the registrars' rate limits ignored.
    pub refused_endpoint_unreachables: u64,
    /// CalcApp requests and other session messages PUs sent to fake PEs.
    pub ignored_application_messages: u64,
    /// Share of the PUs' server selections (requests and cookie echoes) that went to a
    /// fake PE.
    pub fake_selection_share: f64,
    /// Only in runs with a job trace.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceMetrics>,
}

/// What became of a job trace's jobs over the whole run (warm-up included): each job line
/// is skipped, filtered, due after the end, or arrived; each arrived job is completed,
/// in service or queued at the end.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct TraceMetrics {
    pub trace_jobs_read: u64,
    /// Lines with -1 in a needed field, or no work.
    pub trace_jobs_skipped: u64,
    /// Left out by the window, status or processor filters.
    pub trace_jobs_filtered: u64,
    /// Due after the end of the run.
    pub trace_jobs_after_end: u64,
    pub trace_jobs_arrived: u64,
    pub trace_jobs_completed: u64,
}

/// Per-LAN figures of a run (`--json`'s `lans` array).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LanReport {
    pub lan: u32,
    pub registrars: u32,
    pub pool_elements: u32,
    pub pool_users: u32,
    /// Utilization of the LAN's PEs, defined as `system_utilization`.
    pub utilization: f64,
    /// Handling speed of the jobs of the LAN's PUs [calculations/s], and in % of the
    /// nominal capacity.
    pub handling_speed: f64,
    pub handling_speed_pct: f64,
    pub handling_time_mean_s: f64,
    pub jobs_completed: u64,
    /// Mean one-way delay from the LAN's PUs to the PEs they chose [ms].
    pub distance_mean_ms: f64,
    /// Share of the LAN's PUs' completed pieces served inside the LAN.
    pub local_service_share: f64,
}

impl LanReport {
    /// The figures of LAN `lan` from its components.
    pub fn of(
        lan: u32,
        registrars: u32,
        pes: &[PoolElement],
        pus: &[PoolUser],
        counters: &PoolUserCounters,
        nominal_capacity: f64,
    ) -> LanReport {
        let (used, offered) = capacity_use(pes);
        let pu = PoolUserTotals::of(pus, std::slice::from_ref(counters));
        let handling_speed = ratio(pu.sum.job_size_completed, pu.sum.handling_time_s);
        LanReport {
            lan,
            registrars,
            pool_elements: pes.len() as u32,
            pool_users: pus.len() as u32,
            utilization: ratio(used, offered),
            handling_speed,
            handling_speed_pct: 100.0 * handling_speed / nominal_capacity,
            handling_time_mean_s: pu.handling_time().mean(),
            jobs_completed: pu.count.jobs_completed,
            distance_mean_ms: pu.distance_ms().mean(),
            local_service_share: ratio(pu.count.pieces_completed_locally as f64, pu.count.pieces_completed as f64),
        }
    }
}

/// Σ calculations done and Σ uptime · capacity of some PEs [calculations].
fn capacity_use(pes: &[PoolElement]) -> (f64, f64) {
    let used = pes.iter().map(|pe| pe.stats.used_calculations).sum();
    let offered = pes.iter().map(|pe| pe.stats.uptime_ns as f64 * 1e-9 * pe.capacity).sum();
    (used, offered)
}

/// The statistics of some PUs together: the counters of their LAN (or of all LANs) and
/// their sums, added up in PU order.
struct PoolUserTotals {
    count: PoolUserCounters,
    sum: PoolUserStats,
}

impl PoolUserTotals {
    fn of(pus: &[PoolUser], lans: &[PoolUserCounters]) -> PoolUserTotals {
        let mut count = PoolUserCounters::default();
        lans.iter().for_each(|c| count.merge(c));
        let mut sum = PoolUserStats::default();
        pus.iter().for_each(|u| sum.merge(&u.stats));
        PoolUserTotals { count, sum }
    }

    /// Queuing delay per job started [s].
    fn queuing_delay(&self) -> Samples {
        Samples { count: self.count.jobs_started, sum: self.sum.queuing_delay_s }
    }

    /// Time from a job's start to its first accept [s].
    fn startup_delay(&self) -> Samples {
        Samples { count: self.count.first_accepts, sum: self.sum.startup_delay_s }
    }

    /// Processing time per job completed [s].
    fn processing_time(&self) -> Samples {
        Samples { count: self.count.jobs_completed, sum: self.sum.processing_time_s }
    }

    /// Handling time per job completed [s].
    fn handling_time(&self) -> Samples {
        Samples { count: self.count.jobs_completed, sum: self.sum.handling_time_s }
    }

    /// Time from the last goodput to the accept at the new PE, per failover [s].
    fn failover_time(&self) -> Samples {
        Samples { count: self.count.failover_accepts, sum: self.sum.failover_time_s }
    }

    /// Pieces per job completed.
    fn pieces_per_job(&self) -> Samples {
        Samples { count: self.count.jobs_completed, sum: self.count.pieces_of_jobs_completed as f64 }
    }

    /// Processing time per piece completed [s].
    fn piece_processing_time(&self) -> Samples {
        Samples { count: self.count.pieces_completed, sum: self.sum.piece_processing_time_s }
    }

    /// Straggler ratio per job completed.
    fn straggler_ratio(&self) -> Samples {
        Samples { count: self.count.jobs_completed, sum: self.sum.straggler_ratio_sum }
    }

    /// One-way network delay per PE used (request or cookie echo) [ms].
    fn distance_ms(&self) -> Samples {
        Samples { count: self.count.requests + self.count.cookie_echoes, sum: self.sum.distance_sum_ms }
    }
}

/// Per-PE figures of a run (`--json`'s `pool_elements` array).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PoolElementReport {
    pub index: u32,
    /// [calculations/s]
    pub capacity: f64,
    pub max_jobs: u32,
    /// used / (uptime · capacity)
    pub utilization: f64,
    /// [calculations]
    pub used_calculations: f64,
    /// [calculations]
    pub lost_calculations: f64,
    pub jobs_accepted: u64,
    pub jobs_rejected: u64,
    pub policy_updates: u64,
    /// Time in service in the window [s].
    pub uptime_s: f64,
    pub stops: u64,
    pub restarts: u64,
    pub up_at_end: bool,
}

/// Per-registrar figures of a run (`--json`'s `registrars` array).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct RegistrarReport {
    pub index: u32,
    pub id: u32,
    pub registrations: u64,
    pub deregistrations: u64,
    pub handle_resolutions: u64,
    pub endpoint_unreachables: u64,
    pub endpoint_keep_alives_sent: u64,
    pub endpoint_keep_alive_timeouts: u64,
    pub lifetime_expiries: u64,
    pub handle_updates_received: u64,
    pub handle_updates_sent: u64,
    pub takeovers_started: u64,
    pub takeovers_by_consent: u64,
    pub takeovers_by_timeout: u64,
    /// PEs owned at the end of the window.
    pub owned_pes_end: u64,
    /// Time-weighted mean of the PEs owned in the window.
    pub owned_pes_mean: f64,
    pub stops: u64,
    pub restarts: u64,
    pub up_at_end: bool,
    pub refused_handle_resolutions: u64,
    pub refused_endpoint_unreachables: u64,
    /// Packets it received from attackers.
    pub attacker_messages: u64,
    /// Share of the PEs its handle resolutions handed out that were fake.
    pub fake_share: f64,
}

/// What the metrics are computed from, at the statistics write.
pub struct MetricsInput<'a> {
    pub pool_elements: &'a [PoolElement],
    pub pool_users: &'a [PoolUser],
    /// What the pool users counted, by LAN.
    pub lan_counters: &'a [PoolUserCounters],
    pub registrars: &'a [Registrar],
    pub attackers: &'a [Attacker],
    pub network: NetworkCounters,
    /// Calculations in cookies and completions still in flight.
    pub in_flight_calculations: f64,
    pub nominal_capacity: f64,
    pub duration_s: f64,
    /// The job trace's counts, if it has one.
    pub trace: Option<TraceCounts>,
}

/// A job trace's job lines, as the run was set up.
#[derive(Clone, Copy, Debug)]
pub struct TraceCounts {
    pub read: u64,
    pub skipped: u64,
    pub filtered: u64,
    /// Jobs handed to the PUs to replay.
    pub replayed: u64,
}

/// `a / b`, NaN when b is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

impl Metrics {
    pub fn compute(input: &MetricsInput) -> Metrics {
        let pes = input.pool_elements;
        let (used, offered) = capacity_use(pes);
        let policy_updates = pes.iter().map(|pe| pe.stats.policy_updates).sum();
        let mut run_length = Samples::default();
        let (mut pe_stops, mut pe_clean_stops, mut pe_restarts) = (0, 0, 0);
        for pe in pes {
            let l = pe.lifecycle_stats();
            run_length.merge(&l.run_length);
            pe_stops += l.stops;
            pe_clean_stops += l.clean_stops;
            pe_restarts += l.restarts;
        }

        let pu = PoolUserTotals::of(input.pool_users, input.lan_counters);
        let (mut queued_end, mut in_service_end, mut pieces_open_end) = (0, 0, 0);
        for user in input.pool_users {
            pieces_open_end += user.open_pieces() as u64;
            queued_end += user.queue_length() as u64;
            in_service_end += user.has_job_in_service() as u64;
        }
        let pr = |f: fn(&RegistrarStats) -> u64| input.registrars.iter().map(|r| f(&r.stats)).sum::<u64>();
        let attack = |f: fn(&AttackerStats) -> u64| input.attackers.iter().map(|a| f(&a.stats)).sum::<u64>();
        let handling_speed = ratio(pu.sum.job_size_completed, pu.sum.handling_time_s);
        let processing_speed = ratio(pu.sum.job_size_completed, pu.sum.processing_time_s);
        let net = &input.network;
        let lost_at_pes: f64 = pes.iter().map(|pe| pe.stats.lost_calculations).sum();
        let unsaved_at_pes: f64 = pes.iter().map(|pe| pe.unsaved_calculations()).sum();
        Metrics {
            system_utilization: ratio(used, offered),
            handling_speed,
            handling_speed_pct: 100.0 * handling_speed / input.nominal_capacity,
            processing_speed,
            processing_speed_pct: 100.0 * processing_speed / input.nominal_capacity,
            queuing_delay_mean_s: pu.queuing_delay().mean(),
            startup_delay_mean_s: pu.startup_delay().mean(),
            processing_time_mean_s: pu.processing_time().mean(),
            handling_time_mean_s: pu.handling_time().mean(),
            jobs_queued: pu.count.jobs_queued,
            jobs_started: pu.count.jobs_started,
            jobs_completed: pu.count.jobs_completed,
            pu_queue_length_end: queued_end,
            accepts: pu.count.accepts,
            rejects: pu.count.rejects,
            server_selections: pu.count.server_selections,
            unreachables: pu.count.unreachables,
            failovers: pu.count.failovers,
            handle_resolutions: pr(|s| s.handle_resolutions),
            registrations: pr(|s| s.registrations),
            policy_updates,
            endpoint_keep_alives: pr(|s| s.endpoint_keep_alives_sent),
            asap_packets: net.packets(PacketClass::Asap),
            enrp_packets: net.packets(PacketClass::Enrp),
            cookies: net.packets(PacketClass::Cookie),
            asap_packets_per_s: net.packets(PacketClass::Asap) as f64 / input.duration_s,
            enrp_packets_per_s: net.packets(PacketClass::Enrp) as f64 / input.duration_s,
            used_capacity: used,
            wasted_capacity: offered - used,
            goodput_calculations: pu.sum.job_size_completed,
            lost_calculations: lost_at_pes
                + pu.sum.lost_calculations
                + net.lost_calculations
                + input.attackers.iter().map(|a| a.stats.lost_calculations).sum::<f64>(),
            unsaved_calculations_end: unsaved_at_pes + input.in_flight_calculations,
            failover_time_mean_s: pu.failover_time().mean(),
            jobs_in_service_end: in_service_end,
            pe_stops,
            pe_clean_stops,
            pe_restarts,
            pe_uptime_mean_s: run_length.mean(),
            registrar_stops: input.registrars.iter().map(|r| r.lifecycle_stats().stops).sum(),
            endpoint_keep_alive_timeouts: pr(|s| s.endpoint_keep_alive_timeouts),
            dropped_packets: net.dropped,
            handle_updates: pr(|s| s.handle_updates),
            takeovers_started: pr(|s| s.takeovers_started),
            takeovers_by_consent: pr(|s| s.takeovers_by_consent),
            takeovers_by_timeout: pr(|s| s.takeovers_by_timeout),
            pieces_per_job: pu.pieces_per_job().mean(),
            piece_processing_time_mean_s: pu.piece_processing_time().mean(),
            straggler_ratio_mean: pu.straggler_ratio().mean(),
            pieces_open_end,
            distance_mean_ms: pu.distance_ms().mean(),
            local_service_share: ratio(pu.count.pieces_completed_locally as f64, pu.count.pieces_completed as f64),
            attacker_messages: attack(|s| s.messages),
            attacker_handle_resolutions: attack(|s| s.handle_resolutions),
            attacker_failure_reports: attack(|s| s.failure_reports),
            attacker_registrations: attack(|s| s.registrations_accepted),
            refused_handle_resolutions: pr(|s| s.refused_handle_resolutions),
            refused_endpoint_unreachables: pr(|s| s.refused_endpoint_unreachables),
            ignored_application_messages: attack(|s| s.ignored_application_messages),
            fake_selection_share: ratio(
                pu.count.fake_selections as f64,
                (pu.count.requests + pu.count.cookie_echoes) as f64,
            ),
            trace: input.trace.map(|t| {
                let arrived = pu.count.since_start.jobs_arrived;
                TraceMetrics {
                    trace_jobs_read: t.read,
                    trace_jobs_skipped: t.skipped,
                    trace_jobs_filtered: t.filtered,
                    trace_jobs_after_end: t.replayed - arrived,
                    trace_jobs_arrived: arrived,
                    trace_jobs_completed: pu.count.since_start.jobs_completed,
                }
            }),
        }
    }

    /// (name, value) of every metric, in declaration order (CSV columns).
    pub fn fields(&self) -> Vec<(String, f64)> {
        numeric_fields(self)
    }

    /// Names of every metric, in declaration order.
    pub fn names() -> Vec<String> {
        Metrics::default().fields().into_iter().map(|(k, _)| k).collect()
    }

    /// Names of every metric of a run with a job trace.
    pub fn names_with_trace() -> Vec<String> {
        let traced = Metrics { trace: Some(TraceMetrics::default()), ..Metrics::default() };
        traced.fields().into_iter().map(|(k, _)| k).collect()
    }
}

/// (name, value) of every field of a flat record, in declaration order; true/false as
/// 1/0, anything not a number as NaN.
fn numeric_fields(record: &impl Serialize) -> Vec<(String, f64)> {
    let serde_json::Value::Object(map) = serde_json::to_value(record).expect("records serialise") else {
        unreachable!("records are structs")
    };
    map.into_iter()
        .map(|(k, v)| {
            let x = match v {
                serde_json::Value::Bool(b) => b as u8 as f64,
                v => v.as_f64().unwrap_or(f64::NAN),
            };
            (k, x)
        })
        .collect()
}

impl PoolElementReport {
    pub fn of(index: u32, pe: &PoolElement) -> PoolElementReport {
        let s = &pe.stats;
        let uptime_s = s.uptime_ns as f64 * 1e-9;
        let l = pe.lifecycle_stats();
        PoolElementReport {
            index,
            capacity: pe.capacity,
            max_jobs: pe.max_jobs,
            utilization: ratio(s.used_calculations, uptime_s * pe.capacity),
            used_calculations: s.used_calculations,
            lost_calculations: s.lost_calculations,
            jobs_accepted: s.jobs_accepted,
            jobs_rejected: s.jobs_rejected,
            policy_updates: s.policy_updates,
            uptime_s,
            stops: l.stops,
            restarts: l.restarts,
            up_at_end: pe.is_up(),
        }
    }
}

impl RegistrarReport {
    /// The figures of a sweep's per-registrar table (all but index and id).
    pub fn fields(&self) -> Vec<(String, f64)> {
        numeric_fields(self).into_iter().filter(|(k, _)| k != "index" && k != "id").collect()
    }

    pub fn names() -> Vec<String> {
        RegistrarReport::default().fields().into_iter().map(|(k, _)| k).collect()
    }

    pub fn of(index: u32, r: &Registrar) -> RegistrarReport {
        let s = &r.stats;
        let l = r.lifecycle_stats();
        RegistrarReport {
            index,
            id: r.id.0,
            registrations: s.registrations,
            deregistrations: s.deregistrations,
            handle_resolutions: s.handle_resolutions,
            endpoint_unreachables: s.endpoint_unreachables,
            endpoint_keep_alives_sent: s.endpoint_keep_alives_sent,
            endpoint_keep_alive_timeouts: s.endpoint_keep_alive_timeouts,
            lifetime_expiries: s.lifetime_expiries,
            handle_updates_received: s.handle_updates,
            handle_updates_sent: s.handle_updates_sent,
            takeovers_started: s.takeovers_started,
            takeovers_by_consent: s.takeovers_by_consent,
            takeovers_by_timeout: s.takeovers_by_timeout,
            owned_pes_end: r.owned_pool_elements() as u64,
            owned_pes_mean: r.owned_pool_elements_mean(),
            stops: l.stops,
            restarts: l.restarts,
            up_at_end: r.is_up(),
            refused_handle_resolutions: s.refused_handle_resolutions,
            refused_endpoint_unreachables: s.refused_endpoint_unreachables,
            attacker_messages: s.attacker_messages,
            fake_share: ratio(s.fake_pool_elements_handed_out as f64, s.pool_elements_handed_out as f64),
        }
    }
}
