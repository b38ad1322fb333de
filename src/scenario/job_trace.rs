//! The job trace as the workload (`workload.trace`, SWF): which of its jobs a run replays
//! (window, statuses, processors), their sizes and pieces, the checks of the trace keys,
//! and the warnings for traces that barely reach the run.

use super::check::{check, positive};
use super::traces::trace_error;
use super::{MAX_PIECES, MAX_TIME_S, Pieces, Scenario, ScenarioError, TraceAssignment, TracePieces, Workload};
use super::{human_duration, short};
use crate::trace;
use crate::trace::fta::Availability;
use crate::trace::swf::SwfTrace;
use std::path::Path;

/// One job of the job trace, as the run sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceJob {
    /// Arrival [s] of simulated time.
    pub arrival_s: f64,
    /// [calculations]
    pub size: f64,
    pub pieces: u32,
    /// The trace's user id (0 when unknown and not needed).
    pub user: u64,
}

/// The jobs of a job trace that a run replays, with the counts of those it does not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceJobs {
    /// In arrival order (the file's order among equal submit times).
    pub jobs: Vec<TraceJob>,
    /// Job lines in the file.
    pub read: u64,
    /// Lines with -1 in a needed field, or no work (run time or processors 0).
    pub skipped: u64,
    /// Jobs left out by the window, status or processor filters.
    pub filtered: u64,
}

impl Workload {
    /// The trace jobs of `workload.trace` (None without one). `capacity`: the nominal PE
    /// capacity, the default of `trace_capacity_per_processor` [calculations/s].
    pub fn trace_jobs(&self, capacity: f64) -> Result<Option<TraceJobs>, ScenarioError> {
        let Some(path) = &self.trace else { return Ok(None) };
        let loaded = trace::swf_trace(Path::new(path));
        let t = &loaded.as_ref().as_ref().map_err(|e| trace_error("workload.trace", e))?.trace;
        Ok(Some(self.select(t, capacity)))
    }

    fn select(&self, t: &SwfTrace, capacity: f64) -> TraceJobs {
        let per_processor = self.trace_capacity_per_processor.or_else(|| capacity);
        let mut out = TraceJobs { read: t.jobs.len() as u64, ..TraceJobs::default() };
        let first = t.jobs.iter().filter_map(|j| j.submit_s).fold(f64::INFINITY, f64::min);
        let (from, to) = match self.trace_window_s {
            Some([a, b]) => (first + a, first + b),
            None => (first, f64::INFINITY),
        };
        let mut kept = Vec::new();
        for j in &t.jobs {
            let user = match (self.trace_assignment, j.user) {
                (TraceAssignment::User, None) => None,
                (_, u) => Some(u.unwrap_or(0)),
            };
            let (Some(submit), Some(run), Some(processors), Some(user)) =
                (j.submit_s, j.run_time_s, j.processors, user)
            else {
                out.skipped += 1;
                continue;
            };
            if run == 0.0 || processors == 0 {
                out.skipped += 1;
                continue;
            }
            let status_ok = self.trace_statuses.is_empty() || self.trace_statuses.contains(&j.status);
            let size_ok = self.trace_max_processors == 0 || processors <= self.trace_max_processors;
            if submit < from || submit >= to || !status_ok || !size_ok {
                out.filtered += 1;
                continue;
            }
            let pieces = match self.trace_pieces {
                TracePieces::Processors => processors.min(MAX_PIECES),
                TracePieces::Fixed(n) => n,
            };
            let size = run * processors as f64 * per_processor;
            kept.push(TraceJob { arrival_s: (submit - from) * self.trace_time_scale, size, pieces, user });
        }
        kept.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
        out.jobs = kept;
        out
    }

    /// Range checks of the trace keys (the file itself is checked by [`Self::trace_jobs`]).
    pub(super) fn validate_trace(&self) -> Result<(), ScenarioError> {
        positive(self.trace_time_scale, "workload.trace_time_scale")?;
        if let Some(v) = self.trace_capacity_per_processor.value() {
            positive(v, "workload.trace_capacity_per_processor")?;
        }
        if let Some([a, b]) = self.trace_window_s {
            let ok = a.is_finite() && b.is_finite() && 0.0 <= a && a < b && b <= MAX_TIME_S * 1e3;
            check(
                ok,
                "workload.trace_window_s",
                "[from, to] with 0 <= from < to [s of the trace from its first job]",
                a,
            )?;
        }
        if self.trace.is_some() && self.pieces != Pieces::Fixed(1) {
            return Err(ScenarioError::invalid(
                "workload.pieces",
                "is set together with workload.trace; allowed: workload.trace_pieces for trace jobs (\"processors\" or a number)",
            ));
        }
        Ok(())
    }
}

impl Scenario {
    /// Warnings about traces that are valid but barely reach the run: most trace jobs
    /// due after its end, or availability traces whose outages all fall outside it (both
    /// typical of real traces replayed at their real time scale in a run of hours).
    pub fn trace_warnings(&self) -> Vec<String> {
        let end_s = self.warmup_s + self.duration_s;
        let mut warnings = Vec::new();
        if let Ok(Some(jobs)) = self.workload.trace_jobs(self.pool_elements.capacity) {
            let late = jobs.jobs.iter().filter(|j| j.arrival_s > end_s).count();
            if 2 * late > jobs.jobs.len() {
                let span_s = jobs.jobs.last().map_or(0.0, |j| j.arrival_s);
                warnings.push(format!(
                    "{late} of {} trace jobs arrive after the run's end at {} s (they span {} at workload.trace_time_scale {}); a longer duration_s or a smaller trace_time_scale replays more of them",
                    jobs.jobs.len(),
                    short(end_s),
                    human_duration(span_s),
                    short(self.workload.trace_time_scale)
                ));
            }
        }
        let layout = self.layout();
        let kinds = [
            ("pool_elements", self.pool_elements.availability(), layout.pool_element_lans.len()),
            ("registrars", self.registrars.availability(), layout.registrar_lans.len()),
        ];
        for (kind, keys, count) in kinds {
            let Ok(Some(all)) = keys.of(count as u32, kind) else { continue };
            let changes_in_run = |a: &&Availability| a.changes.first().is_some_and(|c| c.0 < end_s);
            let down = all.iter().filter(|a| !a.up_at_start && !changes_in_run(a)).count();
            if !all.iter().any(|a| changes_in_run(&a)) {
                warnings.push(format!(
                    "no component of {kind} changes state within the run ({down} of {} stay down throughout): the trace's events fall outside it; another {kind}.availability_trace_start or a smaller availability_trace_time_scale brings them in",
                    all.len()
                ));
            } else if 2 * down > all.len() {
                warnings.push(format!(
                    "{down} of {} {} stay down for the whole run by {kind}.availability_trace (their nodes are unavailable, or not yet in the trace, over it)",
                    all.len(),
                    kind.replace('_', " ")
                ));
            }
        }
        warnings
    }
}
