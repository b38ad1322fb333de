//! The `workload` section: how much work arrives, in jobs of which size and how many
//! pieces, or which job trace replaces the generated arrivals.

use super::{Auto, PieceSizes, Pieces, TraceAssignment, TracePieces};
use serde::{Deserialize, Serialize};

/// Workload descriptors of the policy papers (docs/model.md §9.1).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    /// θ: offered load / total nominal capacity.
    pub target_utilization: f64,
    /// r: pool users per pool element; auto = interval·θ·C / S (runs with r < 1 are
    /// skipped, as the reference tool-chain does).
    pub pu_pe_ratio: Auto<f64>,
    /// S: mean job size [calculations], exponentially distributed; auto =
    /// interval·θ·C / max(1, r).
    pub job_size: Auto<f64>,
    /// Mean job inter-arrival time per pool user [s], exponential; auto = max(1, r)·S / (θ·C).
    /// At most one of the three is auto (docs/model.md §9.1).
    pub job_interval: Auto<f64>,
    /// Pieces each job is split into, run in parallel on PEs of their own.
    pub pieces: Pieces,
    /// Relative sizes of a job's pieces: "equal" or "uniform" (weights uniform on (0, 1],
    /// normalised to the job's size).
    pub piece_sizes: PieceSizes,
    /// An SWF job trace that replaces the generated arrivals (path relative to the
    /// scenario file); θ, r, S and the interval are then unused.
    pub trace: Option<String>,
    /// Trace time × this = simulated time.
    pub trace_time_scale: f64,
    /// A trace job needs run time × processors × this [calculations/s per processor];
    /// auto = `pool_elements.capacity`.
    pub trace_capacity_per_processor: Auto<f64>,
    /// Pieces of a trace job: "processors" (one per allocated processor) or a number.
    pub trace_pieces: TracePieces,
    /// Which PU a trace job goes to: "user" (user id mod PUs) or "round_robin".
    pub trace_assignment: TraceAssignment,
    /// Only jobs submitted in [from, to) s after the trace's first job; the window's
    /// start is time 0.
    pub trace_window_s: Option<[f64; 2]>,
    /// Only jobs of these SWF statuses (1 completed, 0 failed, 5 cancelled); empty = all.
    pub trace_statuses: Vec<i64>,
    /// Only jobs of at most this many processors; 0 = all.
    pub trace_max_processors: u32,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            target_utilization: 0.8,
            pu_pe_ratio: Auto::Value(10.0),
            job_size: Auto::Value(1e7),
            job_interval: Auto::Auto,
            pieces: Pieces::Fixed(1),
            piece_sizes: PieceSizes::Equal,
            trace: None,
            trace_time_scale: 1.0,
            trace_capacity_per_processor: Auto::Auto,
            trace_pieces: TracePieces::Fixed(1),
            trace_assignment: TraceAssignment::User,
            trace_window_s: None,
            trace_statuses: Vec::new(),
            trace_max_processors: 0,
        }
    }
}
