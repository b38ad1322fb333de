//! Scenario files: JSON, every key optional with the RSPSIM tool-chain default
//! (docs/model.md §9.2), unknown keys rejected. [`load`] reads a file (or the built-in
//! default), applies `--set` overrides by dotted path, checks types and ranges and names
//! the offending key in every error. [`Scenario::resolve`] fills in the auto-parameters.
//!
//! One file per section (workload, pool_elements, pool_users, registrars, attackers,
//! network, protocols) or value type (auto, home, pieces, time, layout, traces), each
//! with its range checks; beneath them check.rs (the error type and message helpers);
//! above them top_level.rs (the `Scenario` struct and the quantities derived from several
//! sections), then what reads a whole scenario: job_trace, work, cost, validate, load.

mod attackers;
mod auto;
mod check;
mod component;
mod cost;
mod home;
mod job_trace;
pub mod json;
mod layout;
mod load;
mod network;
mod overrides;
mod pieces;
mod pool_elements;
mod pool_users;
mod protocols;
mod registrars;
mod time;
mod top_level;
mod traces;
mod validate;
mod work;
mod workload;

pub use attackers::{AttackType, Attackers};
pub use auto::Auto;
pub use check::{ScenarioError, short};
pub use component::{ComponentOverride, DEFAULT_MAX_RUNS};
pub use cost::{SECONDS_PER_COST, human_duration};
pub use home::HomeRegistrars;
pub use job_trace::{TraceJob, TraceJobs};
pub use layout::{CountDistribution, Layout, index_in_lan};
pub use load::{DEFAULT_SCENARIO_NAME, from_value, load, parse_json, read_json};
pub use network::{DelayDistribution, Network};
pub use overrides::{apply_override, parse_override};
pub use pieces::{MAX_PIECES, Pieces};
pub use pool_elements::{CapacityDistribution, PoolElements};
pub use pool_users::PoolUsers;
pub use protocols::{Asap, CalcApp, HandlespaceQuirks};
pub use registrars::Registrars;
pub use time::{MAX_TIME_S, TimeDistribution};
pub use top_level::Scenario;
pub use traces::{
    AvailabilityKeys, PieceSizes, StatusChange, StatusEvent, TraceAssignment, TracePieces, TraceStart, anchor_paths,
    content_addressed,
};
pub use validate::MAX_COMPONENTS;
pub use work::{MAX_CAPACITY, MAX_JOB_SIZE, MAX_TARGET_UTILIZATION, MIN_SERVICE_S, capacity_bounds};
pub use workload::Workload;

#[cfg(test)]
mod test;
