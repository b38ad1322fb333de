//! Scenario files: JSON, every key optional with the RSPSIM tool-chain default
//! (docs/model.md §9.2), unknown keys rejected. [`load`] reads a file (or the built-in
//! default), applies `--set` overrides by dotted path, checks types and ranges and names
//! the offending key in every error. [`Scenario::resolve`] fills in the auto-parameters.

mod attackers;
mod auto;
mod component;
mod cost;
mod home;
pub mod json;
mod layout;
mod overrides;
mod pieces;
mod time;
mod traces;
mod work;

pub use attackers::{AttackType, Attackers};
pub use auto::Auto;
pub use component::ComponentOverride;
pub use cost::{SECONDS_PER_COST, human_duration};
pub use home::HomeRegistrars;
pub use layout::{CountDistribution, Layout, index_in_lan};
pub use overrides::{apply_override, parse_override};
pub use pieces::{MAX_PIECES, Pieces};
pub use time::TimeDistribution;
pub use traces::{
    AvailabilityKeys, PieceSizes, StatusChange, StatusEvent, TraceAssignment, TraceJob, TraceJobs, TracePieces,
    TraceStart, anchor_paths, content_addressed,
};
pub use work::{MAX_CAPACITY, MAX_JOB_SIZE, MAX_TARGET_UTILIZATION, MIN_SERVICE_S, capacity_bounds, short};

use crate::handlespace::{PolicyType, U32MAX};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A bad scenario: every message names the key (dotted path) and what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// (The causes are part of the message, not a chained source, so that they print once.)
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: malformed JSON: {cause}")]
    Syntax { file: String, cause: serde_json::Error },
    #[error("`{key}`: {message}")]
    Invalid { key: String, message: String },
    /// A valid setting that describes no run (auto r < 1); sweeps leave such runs out.
    #[error("`{key}`: {message}")]
    Skipped { key: String, message: String },
}

impl ScenarioError {
    pub fn invalid(key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid { key: key.to_string(), message: message.into() }
    }
}

/// One simulation run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Run seed; every random stream derives from it.
    pub seed: u64,
    /// Statistics are reset at this time [s] (end of warm-up).
    pub warmup_s: f64,
    /// Measured time after the warm-up [s].
    pub duration_s: f64,
    pub workload: Workload,
    pub pool_elements: PoolElements,
    pub pool_users: PoolUsers,
    pub registrars: Registrars,
    pub asap: Asap,
    pub calcapp: CalcApp,
    pub network: Network,
    pub handlespace: HandlespaceQuirks,
    pub attackers: Attackers,
}

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

/// Heterogeneous capacities (docs/model.md §9.3); the mean stays `pool_elements.capacity`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CapacityDistribution {
    /// Every PE has capacity C.
    #[default]
    Identity,
    /// round(λ·n) fast PEs with γ times the capacity of the slow ones, total n·C.
    FastServers { gamma: f64, lambda: f64 },
    /// Linearly increasing capacities from C / (1 + (γ-1)/n), total n·C.
    Linear { gamma: f64 },
    /// Uniform(min, γ·min) per PE with min = C / (1 + (γ-1)/2).
    Uniform { gamma: f64 },
    /// Normal(C, γ·C) per PE, redrawn until >= 0.
    Truncnormal { gamma: f64 },
    /// Explicit capacities [calculations/s], one per PE of all LANs.
    List { capacities: Vec<f64> },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PoolElements {
    /// Pool elements per LAN (nominal, see `count_distribution`).
    pub count: u32,
    /// How the pool elements are spread over the LANs: "identity" (`count` each) or a
    /// localized disaster.
    pub count_distribution: CountDistribution,
    /// C: nominal (mean) capacity [calculations/s].
    pub capacity: f64,
    pub capacity_distribution: CapacityDistribution,
    /// MaxJobs = round(capacity / this), unless `max_jobs` > 0 [calculations/s].
    pub min_capacity_per_job: f64,
    /// Maximum concurrent jobs; 0 = derive from `min_capacity_per_job`.
    pub max_jobs: u32,
    pub policy: PolicyType,
    /// PowerOfDChoices: pool elements sampled per selection (d).
    pub choices: u32,
    /// Policy weight; auto = capacity (WeightedRoundRobin: capacity / 1e5, at least 1).
    pub weight: Auto<f64>,
    /// Load degradation as a fraction 0..1; auto = 1 / MaxJobs.
    pub load_degradation: Auto<f64>,
    /// Load penalty per ms of distance, fraction 0..1.
    pub load_dpf: f64,
    /// Weight penalty per ms of distance, fraction 0..1.
    pub weight_dpf: f64,
    /// Minimum load change that triggers a re-registration (fraction 0..1).
    pub update_threshold: f64,
    pub reregister_immediately: bool,
    pub registration_life_s: f64,
    /// Probability of rejecting an otherwise acceptable request.
    pub reject_probability: f64,
    /// Cookie after this many calculations since the last one.
    pub cookie_max_calculations: f64,
    /// Cookie at the latest this long after the last one [s].
    pub cookie_max_time_s: f64,
    /// Start time [s].
    pub start_s: f64,
    /// Registrars the PE registers at: "auto" (all, hunted at random) or indices in order.
    pub home_registrars: HomeRegistrars,
    /// Run length from the first successful registration to the stop [s].
    pub uptime: TimeDistribution,
    /// Time down before the restart with a new identifier [s].
    pub downtime: TimeDistribution,
    /// Probability that a stop is clean (deregister, last cookie and abort to every PU)
    /// rather than a silent crash.
    pub clean_shutdown_probability: f64,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// An FTA availability trace (`event_trace` table; path relative to the scenario file):
    /// component i follows the i-th node in node-id order, or the nodes listed in
    /// `availability_nodes`; down over unavailable intervals, up from the next available
    /// one. Replaces uptime and downtime.
    pub availability_trace: Option<String>,
    /// Trace node ids, one per component; empty = the first nodes in id order.
    pub availability_nodes: Vec<u64>,
    /// Trace time that becomes time 0: "first" (the earliest event) or a time of the
    /// trace's clock [s].
    pub availability_trace_start: TraceStart,
    /// (Trace time − start) × this = simulated time.
    pub availability_trace_time_scale: f64,
    /// Scripted status changes, e.g. `[{"at_s": 1800, "event": "stop"}, {"at_s": 2400,
    /// "event": "start"}]`: start, stop (clean by `clean_shutdown_probability`),
    /// clean_stop, silent_stop, interface_down, interface_up. A first `start` replaces
    /// `start_s`; when the list is used up, uptime and downtime apply again.
    pub status_changes: Vec<StatusChange>,
    /// Runs (up periods) before the component stays down for good; 0 = it never starts.
    pub max_runs: u64,
    /// Per-PE exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for PE i.
    pub overrides: Vec<ComponentOverride>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PoolUsers {
    /// Pool users per LAN; auto = round(r · pool_elements.count).
    pub count: Auto<u32>,
    /// Start time [s]; the first job arrives one interval later.
    pub start_s: f64,
    /// Retry after a reject after uniform(0, this) [s].
    pub job_retry_delay_max_s: f64,
    /// Wait after "no pool element available" [s].
    pub handle_resolution_retry_delay_s: f64,
    /// PU cache lifetime [s]; 0 = an answer is used for one selection only.
    pub stale_cache_s: f64,
    /// Registrars the PU resolves at: "auto" (all, hunted at random) or indices in order.
    pub home_registrars: HomeRegistrars,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// Scripted interface changes: `[{"at_s": 3000, "event": "interface_down"}, ...]`.
    pub status_changes: Vec<StatusChange>,
    /// Per-PU exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for PU i.
    pub overrides: Vec<ComponentOverride>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Registrars {
    /// Registrars per LAN.
    pub count: u32,
    /// First registrar's start time [s]; registrar j of LAN i starts 30 s·i + 10 s·j later.
    pub start_s: f64,
    /// Pool elements returned per handle resolution (at most the pool; the reference's
    /// studies ask for 999, i.e. all).
    pub max_handle_resolution_items: u32,
    /// Draw the number of items per handle resolution (docs/model.md §4.4).
    pub randomize_max_handle_resolution_items: bool,
    /// How many returned PEs advance their selection state; 0 = policy default.
    pub max_increment: u32,
    /// Endpoint-unreachable reports before a PE is removed.
    pub max_bad_pe_reports: u32,
    /// Handle resolutions a pool user may ask per second before it is refused (the
    /// request dropped silently); 0 = no limit (docs/model.md §4.4) [1/s].
    pub max_handle_resolution_rate: f64,
    /// Hash buckets and timestamps kept per pool user of the handle-resolution rate
    /// estimator.
    pub handle_resolution_rate_buckets: u32,
    pub handle_resolution_rate_max_entries: u32,
    /// Endpoint-unreachable reports a pool user may send per second before they are
    /// ignored; 0 = no limit (§4.6) [1/s].
    pub max_endpoint_unreachable_rate: f64,
    pub endpoint_unreachable_rate_buckets: u32,
    pub endpoint_unreachable_rate_max_entries: u32,
    pub endpoint_keep_alive_interval_s: f64,
    pub endpoint_keep_alive_timeout_s: f64,
    /// Reject registrations and handle resolutions during the startup phase.
    pub no_service_during_startup: bool,
    pub mentor_discovery_timeout_s: f64,
    pub peer_heartbeat_cycle_s: f64,
    pub max_time_last_heard_s: f64,
    pub max_time_no_response_s: f64,
    /// A takeover completes at the latest this long after it started [s].
    pub takeover_expiry_s: f64,
    /// Suggest PEs to re-register at the peer of the highest id XOR PE id
    /// (draft-dreibholz-rserpool-enrp-takeover), spreading ownership.
    pub takeover_suggestion: bool,
    /// Run length from startup to the stop [s].
    pub uptime: TimeDistribution,
    /// Time down before the restart (with an empty handlespace) [s].
    pub downtime: TimeDistribution,
    /// Probability that a stop is clean; a registrar's stop is silent either way (RFC 5353
    /// has no farewell message, nor has the reference).
    pub clean_shutdown_probability: f64,
    /// Network interface up time [s]; while down, every packet to or from the host is lost.
    pub interface_uptime: TimeDistribution,
    pub interface_downtime: TimeDistribution,
    /// Probability that a received ENRP handle update is lost (the reference's
    /// `registrarUpdateLossProbability`).
    pub update_loss_probability: f64,
    /// The availability and status-change keys, as [`PoolElements::availability_trace`]
    /// and the keys after it.
    pub availability_trace: Option<String>,
    pub availability_nodes: Vec<u64>,
    pub availability_trace_start: TraceStart,
    pub availability_trace_time_scale: f64,
    pub status_changes: Vec<StatusChange>,
    pub max_runs: u64,
    /// Per-registrar exceptions: `{"index": i, KEY: VALUE, ...}` overrides keys for
    /// registrar i, e.g. `{"index": 0, "uptime": "never"}`.
    pub overrides: Vec<ComponentOverride>,
}

/// ASAP timers of pool elements and pool users.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Asap {
    /// Registration / handle-resolution timeout [s].
    pub request_timeout_s: f64,
    /// Retransmissions before hunting another registrar.
    pub max_request_retransmit: u32,
    /// Wait uniform(0, this) after a registrar's reject [s].
    pub server_hunt_retry_delay_max_s: f64,
}

/// CalcApp session protocol timers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CalcApp {
    pub keep_alive_interval_s: f64,
    pub keep_alive_timeout_s: f64,
    /// Wait for ACCEPT/REJECT [s]; auto = the keep-alive timeout.
    pub request_timeout_s: Auto<f64>,
}

/// How each component's LAN access delay d is drawn.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DelayDistribution {
    /// d = lan_delay_ms for every component.
    #[default]
    Identity,
    /// d ~ uniform(lan_delay_ms / 2, 3 · lan_delay_ms / 2) per component.
    Uniform,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// One-way delay between two components of the LAN [ms].
    pub lan_delay_ms: f64,
    pub lan_delay_distribution: DelayDistribution,
    /// LANs in a chain, each with `registrars.count` registrars, `pool_elements.count`
    /// pool elements and `pool_users.count` pool users.
    pub lans: u32,
    /// One-way delay of the WAN link between neighbouring LANs [ms]: LANs i and j are
    /// |i − j| links apart.
    pub wan_delay_ms: f64,
}

/// Reference quirks of the handlespace (docs/model.md §3.6).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HandlespaceQuirks {
    /// Q1: update hook on selection and on re-link (reference); false = once (RFC).
    pub double_update: bool,
    /// Q2: registration life never updated by re-registrations (reference).
    pub keep_first_registration_life: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            warmup_s: 900.0,
            duration_s: 7200.0,
            workload: Workload::default(),
            pool_elements: PoolElements::default(),
            pool_users: PoolUsers::default(),
            registrars: Registrars::default(),
            asap: Asap::default(),
            calcapp: CalcApp::default(),
            network: Network::default(),
            handlespace: HandlespaceQuirks::default(),
            attackers: Attackers::default(),
        }
    }
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

impl Default for PoolElements {
    fn default() -> Self {
        PoolElements {
            count: 10,
            count_distribution: CountDistribution::Identity,
            capacity: 1e6,
            capacity_distribution: CapacityDistribution::Identity,
            min_capacity_per_job: 1e4,
            max_jobs: 0,
            policy: PolicyType::LeastUsed,
            choices: 2,
            weight: Auto::Auto,
            load_degradation: Auto::Auto,
            load_dpf: 0.0,
            weight_dpf: 0.0,
            update_threshold: 0.0,
            reregister_immediately: true,
            registration_life_s: 300.0,
            reject_probability: 0.0,
            cookie_max_calculations: 1e7,
            cookie_max_time_s: 100.0 * 86400.0,
            start_s: 300.0,
            home_registrars: HomeRegistrars::Auto,
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            clean_shutdown_probability: 1.0,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            availability_trace: None,
            availability_nodes: Vec::new(),
            availability_trace_start: TraceStart::First,
            availability_trace_time_scale: 1.0,
            status_changes: Vec::new(),
            max_runs: DEFAULT_MAX_RUNS,
            overrides: Vec::new(),
        }
    }
}

impl Default for PoolUsers {
    fn default() -> Self {
        PoolUsers {
            count: Auto::Auto,
            start_s: 600.0,
            job_retry_delay_max_s: 0.2,
            handle_resolution_retry_delay_s: 30.0,
            stale_cache_s: 0.0,
            home_registrars: HomeRegistrars::Auto,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            status_changes: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

impl Default for Registrars {
    fn default() -> Self {
        Registrars {
            count: 1,
            start_s: 10.0,
            max_handle_resolution_items: 1,
            randomize_max_handle_resolution_items: false,
            max_increment: 0,
            max_bad_pe_reports: 1_000_000_000,
            max_handle_resolution_rate: 0.0,
            handle_resolution_rate_buckets: 64,
            handle_resolution_rate_max_entries: 16,
            max_endpoint_unreachable_rate: 0.0,
            endpoint_unreachable_rate_buckets: 64,
            endpoint_unreachable_rate_max_entries: 16,
            endpoint_keep_alive_interval_s: 50.0,
            endpoint_keep_alive_timeout_s: 50.0,
            no_service_during_startup: true,
            mentor_discovery_timeout_s: 30.0,
            peer_heartbeat_cycle_s: 30.0,
            max_time_last_heard_s: 61.0,
            max_time_no_response_s: 5.0,
            takeover_expiry_s: 30.0,
            takeover_suggestion: false,
            uptime: TimeDistribution::Never,
            downtime: TimeDistribution::ZERO,
            clean_shutdown_probability: 1.0,
            interface_uptime: TimeDistribution::Never,
            interface_downtime: TimeDistribution::ZERO,
            update_loss_probability: 0.0,
            availability_trace: None,
            availability_nodes: Vec::new(),
            availability_trace_start: TraceStart::First,
            availability_trace_time_scale: 1.0,
            status_changes: Vec::new(),
            max_runs: DEFAULT_MAX_RUNS,
            overrides: Vec::new(),
        }
    }
}

impl Default for Asap {
    fn default() -> Self {
        Asap { request_timeout_s: 5.0, max_request_retransmit: 3, server_hunt_retry_delay_max_s: 0.2 }
    }
}

impl Default for CalcApp {
    fn default() -> Self {
        CalcApp { keep_alive_interval_s: 50.0, keep_alive_timeout_s: 50.0, request_timeout_s: Auto::Auto }
    }
}

impl Default for Network {
    fn default() -> Self {
        Network { lan_delay_ms: 0.0, lan_delay_distribution: DelayDistribution::Identity, lans: 1, wan_delay_ms: 0.0 }
    }
}

impl Default for HandlespaceQuirks {
    fn default() -> Self {
        HandlespaceQuirks { double_update: true, keep_first_registration_life: true }
    }
}

/// Name used for the built-in default scenario in messages.
pub const DEFAULT_SCENARIO_NAME: &str = "<built-in default>";

/// Reads a scenario file (or the default when `None`), applies `KEY=VALUE` overrides,
/// type-checks and validates it. Auto-parameters are left for [`Scenario::resolve`].
pub fn load(file: Option<&Path>, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let mut value = read_json(file)?;
    anchor_paths(&mut value, file.and_then(Path::parent).unwrap_or(Path::new(".")));
    for ov in overrides {
        let (key, v) = parse_override(ov)?;
        apply_override(&mut value, &key, v)?;
    }
    // Paths given on the command line are relative to the working directory.
    anchor_paths(&mut value, Path::new("."));
    from_value(value)
}

/// Parses a JSON file into a value (`{}` for the built-in default).
pub fn read_json(file: Option<&Path>) -> Result<serde_json::Value, ScenarioError> {
    let Some(path) = file else {
        return Ok(serde_json::Value::Object(Default::default()));
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| ScenarioError::Read { file: name.clone(), cause })?;
    parse_json(&text, &name)
}

/// Parses the text of a scenario file named `name` (in messages) into a JSON value.
pub fn parse_json(text: &str, name: &str) -> Result<serde_json::Value, ScenarioError> {
    json::parse_strict(text).map_err(|cause| ScenarioError::Syntax { file: name.to_string(), cause })
}

/// Deserialises and validates a scenario from a JSON value; errors name the dotted key.
pub fn from_value(value: serde_json::Value) -> Result<Scenario, ScenarioError> {
    let defaults = serde_json::to_value(Scenario::default()).expect("scenarios serialise");
    if let Some(path) = json::list_where_object(&value, &defaults, "") {
        let key = if path.is_empty() { "<top level>" } else { path.as_str() };
        let message = "is a list; allowed: an object of named keys (a list is not read by position)";
        return Err(ScenarioError::invalid(key, message));
    }
    let scenario: Scenario = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { "<top level>".to_string() } else { key };
        ScenarioError::Invalid { key, message: plain_types(&e.into_inner().to_string()) }
    })?;
    scenario.validate()?;
    Ok(scenario)
}

/// Replaces Rust type names in serde messages by words a user knows, and suggests the
/// name meant for an unknown one.
fn plain_types(message: &str) -> String {
    crate::error::with_suggestion(message)
        .replace("expected u32", "expected a non-negative integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected f64", "expected a number")
        .replace("expected a boolean", "expected true or false")
}

/// A value as messages show it: numbers short (see [`short`]), no binary noise.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for f64 {
    fn shown(&self) -> String {
        short(*self)
    }
}

impl Shown for &f64 {
    fn shown(&self) -> String {
        short(**self)
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for &str {
    fn shown(&self) -> String {
        self.to_string()
    }
}

fn check(ok: bool, key: &str, allowed: &str, value: impl Shown) -> Result<(), ScenarioError> {
    if ok {
        Ok(())
    } else {
        Err(ScenarioError::invalid(key, format!("{} is out of range; allowed: {allowed}", value.shown())))
    }
}

fn positive(v: f64, key: &str) -> Result<(), ScenarioError> {
    check(v.is_finite() && v > 0.0, key, "a number > 0", v)
}

fn non_negative(v: f64, key: &str) -> Result<(), ScenarioError> {
    check(v.is_finite() && v >= 0.0, key, "a number >= 0", v)
}

fn fraction(v: f64, key: &str) -> Result<(), ScenarioError> {
    check((0.0..=1.0).contains(&v), key, "a number from 0 to 1", v)
}

/// An uptime (`positive`: never 0) or downtime distribution.
fn time_distribution(d: &TimeDistribution, positive: bool, key: &str) -> Result<(), ScenarioError> {
    d.check(positive).map_err(|m| ScenarioError::invalid(key, m))
}

/// A registrar list (`name`: home or target registrars): non-empty, every index a
/// registrar (of any LAN).
fn registrar_list(list: &HomeRegistrars, count: u32, at: &At, name: &str) -> Result<(), ScenarioError> {
    let HomeRegistrars::List(list) = list else { return Ok(()) };
    let key = at.key(name);
    if list.is_empty() {
        return Err(ScenarioError::invalid(
            &key,
            "is empty; allowed: \"auto\" or a non-empty list of registrar indices",
        ));
    }
    for (i, &r) in list.iter().enumerate() {
        let allowed = format!("0 to {} (registrars: {count} in all LANs)", count - 1);
        check(r < count, &format!("{key}[{i}]"), &allowed, r)?;
    }
    Ok(())
}

/// Dotted keys below a section prefix (`pool_elements`, `pool_elements.overrides[2]`).
struct At<'a>(&'a str);

impl At<'_> {
    fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.0)
    }
}

/// Longest time a scenario may name [s] (about 31.7 years): times are integer
/// nanoseconds, and sums of a few such times must stay below 2^64 ns (584 years).
pub const MAX_TIME_S: f64 = 1e9;

/// Most components (registrars, PEs, PUs) a scenario may have in all LANs.
pub const MAX_COMPONENTS: u64 = 10_000_000;

/// Shortest mean job interval [s]: the time resolution.
const MIN_JOB_INTERVAL_S: f64 = 1e-9;

/// Every time in the scenario (keys ending in `_s`, delays in `_ms`, time distributions and
/// overrides included) within what the integer time base represents.
fn representable_times(value: &serde_json::Value, path: &str) -> Result<(), ScenarioError> {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                // (unit, nanoseconds per unit)
                let unit = if k.ends_with("_ms") {
                    Some(("ms", 1e6))
                } else if k.ends_with("_s") {
                    Some(("s", 1e9))
                } else {
                    None
                };
                match (v.as_f64(), unit) {
                    (Some(x), Some((unit, ns))) if x > MAX_TIME_S * 1e9 / ns => {
                        let max = MAX_TIME_S * 1e9 / ns;
                        let allowed = format!("at most {max:e} {unit} (about 31 years: times are integer nanoseconds)");
                        return Err(ScenarioError::invalid(&key, format!("{x:e} is out of range; allowed: {allowed}")));
                    }
                    // A positive time below the resolution would round to 0: a periodic timer
                    // of period 0 never lets time advance.
                    (Some(x), Some((unit, ns))) if x > 0.0 && x * ns < 1.0 => {
                        let allowed = format!("0 or at least {:e} {unit} (the 1 ns time resolution)", 1.0 / ns);
                        return Err(ScenarioError::invalid(&key, format!("{x:e} is out of range; allowed: {allowed}")));
                    }
                    _ => representable_times(v, &key)?,
                }
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| representable_times(v, &format!("{path}[{i}]")))
        }
        _ => Ok(()),
    }
}

/// Keys that describe a whole kind and cannot be set for one component.
const KIND_ONLY_KEYS: &[&str] = &[
    "count",
    "count_distribution",
    "overrides",
    "capacity_distribution",
    "availability_trace",
    "availability_nodes",
    "availability_trace_start",
    "availability_trace_time_scale",
];

/// Runs of a component unless `max_runs` says otherwise (the reference tool-chain's
/// `componentRuns`).
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000_000;

impl PoolElements {
    fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        check(self.count >= 1, &at.key("count"), "an integer >= 1", self.count)?;
        check(self.capacity.is_finite() && self.capacity >= 1.0, &at.key("capacity"), "a number >= 1", self.capacity)?;
        check(self.choices >= 1, &at.key("choices"), "an integer >= 1", self.choices)?;
        non_negative(self.min_capacity_per_job, &at.key("min_capacity_per_job"))?;
        if self.max_jobs == 0 && self.min_capacity_per_job < 1.0 {
            return Err(ScenarioError::invalid(
                &at.key("min_capacity_per_job"),
                format!(
                    "{} is out of range; allowed: a number >= 1 when pool_elements.max_jobs is 0",
                    self.min_capacity_per_job
                ),
            ));
        }
        if let Auto::Value(v) = self.weight {
            check((0.0..=U32MAX as f64).contains(&v), &at.key("weight"), "0 to 4294967295 or \"auto\"", v)?;
        }
        if let Auto::Value(v) = self.load_degradation {
            fraction(v, &at.key("load_degradation"))?;
        }
        fraction(self.load_dpf, &at.key("load_dpf"))?;
        fraction(self.weight_dpf, &at.key("weight_dpf"))?;
        fraction(self.update_threshold, &at.key("update_threshold"))?;
        check(
            self.registration_life_s.is_finite()
                && self.registration_life_s >= 0.001
                && self.registration_life_s * 1000.0 <= U32MAX as f64,
            &at.key("registration_life_s"),
            "0.001 to 4294967.295",
            self.registration_life_s,
        )?;
        fraction(self.reject_probability, &at.key("reject_probability"))?;
        positive(self.cookie_max_calculations, &at.key("cookie_max_calculations"))?;
        positive(self.cookie_max_time_s, &at.key("cookie_max_time_s"))?;
        non_negative(self.start_s, &at.key("start_s"))?;
        time_distribution(&self.uptime, true, &at.key("uptime"))?;
        time_distribution(&self.downtime, false, &at.key("downtime"))?;
        fraction(self.clean_shutdown_probability, &at.key("clean_shutdown_probability"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        traces::check_status_changes(&self.status_changes, true, at)
    }

    /// The availability-trace keys.
    pub fn availability(&self) -> AvailabilityKeys<'_> {
        AvailabilityKeys {
            trace: &self.availability_trace,
            nodes: &self.availability_nodes,
            start: self.availability_trace_start,
            time_scale: self.availability_trace_time_scale,
        }
    }

    fn validate_count_distribution(&self, lans: u32) -> Result<(), ScenarioError> {
        let CountDistribution::LocalizedDisaster { lambda, lan } = self.count_distribution else {
            return Ok(());
        };
        let key = "pool_elements.count_distribution";
        check(lans >= 2, &format!("{key}.type"), "\"identity\" when network.lans is 1", "localized_disaster")?;
        check(lambda > 0.0 && lambda <= 1.0, &format!("{key}.lambda"), "a number > 0 and <= 1", lambda)?;
        check(lan < lans, &format!("{key}.lan"), &format!("0 to {} (network.lans is {lans})", lans - 1), lan)
    }

    /// `total`: pool elements of all LANs.
    fn validate_capacity_distribution(&self, total: u32) -> Result<(), ScenarioError> {
        let key = "pool_elements.capacity_distribution";
        match &self.capacity_distribution {
            CapacityDistribution::Identity => Ok(()),
            CapacityDistribution::FastServers { gamma, lambda } => {
                check(*gamma >= 1.0, &format!("{key}.gamma"), "a number >= 1", gamma)?;
                fraction(*lambda, &format!("{key}.lambda"))
            }
            CapacityDistribution::Linear { gamma } | CapacityDistribution::Uniform { gamma } => {
                check(*gamma >= 1.0, &format!("{key}.gamma"), "a number >= 1", gamma)
            }
            CapacityDistribution::Truncnormal { gamma } => non_negative(*gamma, &format!("{key}.gamma")),
            CapacityDistribution::List { capacities } => {
                let n = total as usize;
                if capacities.len() != n {
                    return Err(ScenarioError::invalid(
                        &format!("{key}.capacities"),
                        format!("has {} entries; allowed: exactly one per pool element, {n}", capacities.len()),
                    ));
                }
                for (i, c) in capacities.iter().enumerate() {
                    check(c.is_finite() && *c >= 1.0, &format!("{key}.capacities[{i}]"), "a number >= 1", c)?;
                }
                Ok(())
            }
        }
    }
}

impl PoolUsers {
    fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        non_negative(self.start_s, &at.key("start_s"))?;
        // Retries after 0 s would repeat within one instant forever (a PE that rejects
        // everything, a pool without PEs), so these waits are positive.
        positive(self.job_retry_delay_max_s, &at.key("job_retry_delay_max_s"))?;
        positive(self.handle_resolution_retry_delay_s, &at.key("handle_resolution_retry_delay_s"))?;
        non_negative(self.stale_cache_s, &at.key("stale_cache_s"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        traces::check_status_changes(&self.status_changes, false, at)
    }
}

impl Registrars {
    fn validate(&self, at: &At) -> Result<(), ScenarioError> {
        check((1..=1000).contains(&self.count), &at.key("count"), "an integer from 1 to 1000", self.count)?;
        non_negative(self.start_s, &at.key("start_s"))?;
        check(
            (1..=1_000_000).contains(&self.max_handle_resolution_items),
            &at.key("max_handle_resolution_items"),
            "an integer from 1 to 1000000 (more than the pool returns every PE)",
            self.max_handle_resolution_items,
        )?;
        check(self.max_bad_pe_reports >= 1, &at.key("max_bad_pe_reports"), "an integer >= 1", self.max_bad_pe_reports)?;
        let rate_limit = "0 (no limit) or a rate > 0 [1/s]";
        let r = self.max_handle_resolution_rate;
        check(r.is_finite() && r >= 0.0, &at.key("max_handle_resolution_rate"), rate_limit, r)?;
        let r = self.max_endpoint_unreachable_rate;
        check(r.is_finite() && r >= 0.0, &at.key("max_endpoint_unreachable_rate"), rate_limit, r)?;
        let estimators = [
            ("handle_resolution_rate", self.handle_resolution_rate_buckets, self.handle_resolution_rate_max_entries),
            (
                "endpoint_unreachable_rate",
                self.endpoint_unreachable_rate_buckets,
                self.endpoint_unreachable_rate_max_entries,
            ),
        ];
        for (name, buckets, entries) in estimators {
            let allowed = "an integer from 1 to 65536";
            check((1..=65536).contains(&buckets), &at.key(&format!("{name}_buckets")), allowed, buckets)?;
            check((1..=65536).contains(&entries), &at.key(&format!("{name}_max_entries")), allowed, entries)?;
        }
        positive(self.endpoint_keep_alive_interval_s, &at.key("endpoint_keep_alive_interval_s"))?;
        positive(self.endpoint_keep_alive_timeout_s, &at.key("endpoint_keep_alive_timeout_s"))?;
        non_negative(self.mentor_discovery_timeout_s, &at.key("mentor_discovery_timeout_s"))?;
        positive(self.peer_heartbeat_cycle_s, &at.key("peer_heartbeat_cycle_s"))?;
        positive(self.max_time_last_heard_s, &at.key("max_time_last_heard_s"))?;
        positive(self.max_time_no_response_s, &at.key("max_time_no_response_s"))?;
        positive(self.takeover_expiry_s, &at.key("takeover_expiry_s"))?;
        time_distribution(&self.uptime, true, &at.key("uptime"))?;
        time_distribution(&self.downtime, false, &at.key("downtime"))?;
        fraction(self.clean_shutdown_probability, &at.key("clean_shutdown_probability"))?;
        fraction(self.update_loss_probability, &at.key("update_loss_probability"))?;
        time_distribution(&self.interface_uptime, true, &at.key("interface_uptime"))?;
        time_distribution(&self.interface_downtime, false, &at.key("interface_downtime"))?;
        traces::check_status_changes(&self.status_changes, true, at)
    }

    /// The availability-trace keys.
    pub fn availability(&self) -> AvailabilityKeys<'_> {
        AvailabilityKeys {
            trace: &self.availability_trace,
            nodes: &self.availability_nodes,
            start: self.availability_trace_start,
            time_scale: self.availability_trace_time_scale,
        }
    }
}

/// A kind's availability trace replaces its scripted and drawn life cycle: both set is an
/// error rather than a silent choice.
fn one_life_cycle(keys: &AvailabilityKeys, status_changes: &[StatusChange], kind: &str) -> Result<(), ScenarioError> {
    if keys.trace.is_some() && status_changes.iter().any(|c| c.event.is_life_cycle()) {
        return Err(ScenarioError::invalid(
            &format!("{kind}.status_changes"),
            format!(
                "has start/stop events together with {kind}.availability_trace; allowed: one of them (interface events may stay)"
            ),
        ));
    }
    Ok(())
}

impl Scenario {
    /// Range checks of every key, the per-component overrides included.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        non_negative(self.warmup_s, "warmup_s")?;
        positive(self.duration_s, "duration_s")?;
        let w = &self.workload;
        positive(w.target_utilization, "workload.target_utilization")?;
        let allowed = format!("a number > 0 and <= {MAX_TARGET_UTILIZATION} (times the pool's capacity)");
        check(
            w.target_utilization <= MAX_TARGET_UTILIZATION,
            "workload.target_utilization",
            &allowed,
            w.target_utilization,
        )?;
        let autos = [("job_interval", w.job_interval), ("pu_pe_ratio", w.pu_pe_ratio), ("job_size", w.job_size)];
        for (name, v) in autos {
            if let Auto::Value(v) = v {
                positive(v, &format!("workload.{name}"))?;
            }
        }
        let auto: Vec<&str> = autos.iter().filter(|(_, v)| *v == Auto::Auto).map(|(n, _)| *n).collect();
        if auto.len() > 1 {
            return Err(ScenarioError::invalid(
                &format!("workload.{}", auto[1]),
                format!(
                    "\"auto\" together with workload.{}; allowed: at most one of job_interval, pu_pe_ratio and job_size auto (job_interval is auto unless set)",
                    auto[0]
                ),
            ));
        }
        let r = self.pu_pe_ratio();
        if w.pu_pe_ratio == Auto::Auto && r < 1.0 {
            return Err(ScenarioError::Skipped {
                key: "workload.pu_pe_ratio".into(),
                message: format!("auto gives r = interval·θ·C / S = {r} < 1; the reference tool-chain skips such runs"),
            });
        }
        w.pieces.check().map_err(|m| ScenarioError::invalid("workload.pieces", m))?;
        w.validate_trace()?;
        let n = &self.network;
        check((1..=1000).contains(&n.lans), "network.lans", "an integer from 1 to 1000", n.lans)?;
        non_negative(n.lan_delay_ms, "network.lan_delay_ms")?;
        non_negative(n.wan_delay_ms, "network.wan_delay_ms")?;
        self.pool_elements.validate(&At("pool_elements"))?;
        self.pool_elements.validate_count_distribution(n.lans)?;
        self.validate_size()?;
        representable_times(&serde_json::to_value(self).expect("scenarios serialise"), "")?;
        let farthest_ms = 1.5 * n.lan_delay_ms + (n.lans - 1) as f64 * n.wan_delay_ms;
        let allowed = format!("LAN and WAN delays of at most {:e} ms end to end", MAX_TIME_S * 1e3);
        check(farthest_ms <= MAX_TIME_S * 1e3, "network.wan_delay_ms", &allowed, n.wan_delay_ms)?;
        let interval = self.job_interval_s();
        if interval < MIN_JOB_INTERVAL_S {
            let how = match self.workload.job_interval {
                Auto::Auto => "max(1, r)·S / (θ·C) = ",
                Auto::Value(_) => "",
            };
            return Err(ScenarioError::invalid(
                "workload.job_interval",
                format!(
                    "{how}{interval:e} s is shorter than the 1 ns time resolution; allowed: a mean job interval >= 1e-9 s (raise workload.job_size or lower workload.target_utilization or pool_elements.capacity)"
                ),
            ));
        }
        let layout = self.layout();
        let total = |lans: &[u32]| lans.len() as u32;
        self.pool_elements.validate_capacity_distribution(total(&layout.pool_element_lans))?;
        self.pool_users.validate(&At("pool_users"))?;
        self.registrars.validate(&At("registrars"))?;
        positive(self.asap.request_timeout_s, "asap.request_timeout_s")?;
        positive(self.asap.server_hunt_retry_delay_max_s, "asap.server_hunt_retry_delay_max_s")?;
        positive(self.calcapp.keep_alive_interval_s, "calcapp.keep_alive_interval_s")?;
        positive(self.calcapp.keep_alive_timeout_s, "calcapp.keep_alive_timeout_s")?;
        if let Auto::Value(v) = self.calcapp.request_timeout_s {
            positive(v, "calcapp.request_timeout_s")?;
        }
        let registrars = total(&layout.registrar_lans);
        let pe = &self.pool_elements;
        registrar_list(&pe.home_registrars, registrars, &At("pool_elements"), "home_registrars")?;
        component::validate(pe, &pe.overrides, total(&layout.pool_element_lans), "pool_elements", |s, at| {
            s.validate(at)?;
            registrar_list(&s.home_registrars, registrars, at, "home_registrars")
        })?;
        let pu = &self.pool_users;
        registrar_list(&pu.home_registrars, registrars, &At("pool_users"), "home_registrars")?;
        component::validate(pu, &pu.overrides, total(&layout.pool_user_lans), "pool_users", |s, at| {
            s.validate(at)?;
            registrar_list(&s.home_registrars, registrars, at, "home_registrars")
        })?;
        let pr = &self.registrars;
        component::validate(pr, &pr.overrides, registrars, "registrars", |s, at| s.validate(at))?;
        let a = &self.attackers;
        a.validate(&At("attackers"))?;
        registrar_list(&a.target_registrars, registrars, &At("attackers"), "target_registrars")?;
        component::validate(a, &a.overrides, total(&layout.attacker_lans), "attackers", |s, at| {
            s.validate(at)?;
            registrar_list(&s.target_registrars, registrars, at, "target_registrars")
        })?;
        self.validate_work()?;
        self.validate_traces()
    }

    /// The trace files: readable, well-formed, enough nodes, trace jobs within the
    /// representable range of work.
    fn validate_traces(&self) -> Result<(), ScenarioError> {
        let layout = self.layout();
        let pe = &self.pool_elements;
        one_life_cycle(&pe.availability(), &pe.status_changes, "pool_elements")?;
        pe.availability().of(layout.pool_element_lans.len() as u32, "pool_elements")?;
        let pr = &self.registrars;
        one_life_cycle(&pr.availability(), &pr.status_changes, "registrars")?;
        pr.availability().of(layout.registrar_lans.len() as u32, "registrars")?;
        let Some(jobs) = self.workload.trace_jobs(pe.capacity)? else { return Ok(()) };
        if let Some(big) = jobs.jobs.iter().find(|j| j.size > MAX_JOB_SIZE) {
            let message = format!(
                "a job of {} calculations (run time × processors × workload.trace_capacity_per_processor) is out of range; allowed: jobs of at most {MAX_JOB_SIZE:e} calculations (lower workload.trace_capacity_per_processor)",
                short(big.size)
            );
            return Err(ScenarioError::invalid("workload.trace_capacity_per_processor", message));
        }
        if let Some(small) = jobs.jobs.iter().find(|j| j.size < j.pieces as f64) {
            let message = format!(
                "a job of {} calculations in {} pieces is out of range; allowed: pieces of at least one calculation (raise workload.trace_capacity_per_processor)",
                short(small.size),
                small.pieces
            );
            return Err(ScenarioError::invalid("workload.trace_capacity_per_processor", message));
        }
        Ok(())
    }

    /// The `pool_elements` section as PE `i` sees it (its overrides applied).
    pub fn pool_element(&self, i: u32) -> std::borrow::Cow<'_, PoolElements> {
        component::section(&self.pool_elements, &self.pool_elements.overrides, i)
    }

    /// The `pool_users` section as PU `i` sees it.
    pub fn pool_user(&self, i: u32) -> std::borrow::Cow<'_, PoolUsers> {
        component::section(&self.pool_users, &self.pool_users.overrides, i)
    }

    /// The `attackers` section as attacker `i` sees it.
    pub fn attacker(&self, i: u32) -> std::borrow::Cow<'_, Attackers> {
        component::section(&self.attackers, &self.attackers.overrides, i)
    }

    /// The `registrars` section as registrar `i` sees it.
    pub fn registrar(&self, i: u32) -> std::borrow::Cow<'_, Registrars> {
        component::section(&self.registrars, &self.registrars.overrides, i)
    }

    /// Component totals within [`MAX_COMPONENTS`] (and registrars within 1000), checked
    /// before anything is allocated for them.
    fn validate_size(&self) -> Result<(), ScenarioError> {
        let lans = self.network.lans as u64;
        let registrars = self.registrars.count as u64 * lans;
        let allowed = format!("at most 1000 registrars in all LANs (network.lans is {lans})");
        check(registrars <= 1000, "registrars.count", &allowed, self.registrars.count)?;
        let pes = self.pool_elements.count as u64 * lans;
        let pus = self.pool_user_count() as u64 * lans;
        let attackers = self.attackers.count as u64 * lans;
        if registrars + pes + pus + attackers > MAX_COMPONENTS {
            let pu_count = self.pool_user_count();
            let (key, per_lan) = match self.pool_users.count {
                _ if attackers > 0 && registrars + pes + pus <= MAX_COMPONENTS => {
                    ("attackers.count", format!("{} attackers", self.attackers.count))
                }
                _ if registrars + pes > MAX_COMPONENTS => {
                    ("pool_elements.count", format!("{} PEs", self.pool_elements.count))
                }
                Auto::Value(n) => ("pool_users.count", format!("{n} PUs")),
                Auto::Auto => ("workload.pu_pe_ratio", format!("{pu_count} PUs (r · pool_elements.count)")),
            };
            let message = format!(
                "{per_lan} per LAN make {} components in all; allowed: at most {MAX_COMPONENTS} registrars, PEs, PUs and attackers together",
                registrars + pes + pus + attackers
            );
            return Err(ScenarioError::invalid(key, message));
        }
        Ok(())
    }

    /// Where the components sit.
    pub fn layout(&self) -> Layout {
        Layout::of(self)
    }

    /// Pool users per LAN: explicit, or round(r · pool elements per LAN).
    pub fn pool_user_count(&self) -> u32 {
        self.pool_users.count.or_else(|| (self.pu_pe_ratio() * self.pool_elements.count as f64).round() as u32)
    }

    /// θ·C: the work a PE is offered per second [calculations/s].
    fn offered_per_pe(&self) -> f64 {
        self.workload.target_utilization * self.pool_elements.capacity
    }

    /// r: explicit, or interval·θ·C / S (docs/model.md §9.1).
    pub fn pu_pe_ratio(&self) -> f64 {
        let w = &self.workload;
        w.pu_pe_ratio.or_else(|| match (w.job_interval, w.job_size) {
            (Auto::Value(interval), Auto::Value(size)) => interval * self.offered_per_pe() / size,
            _ => f64::NAN, // rejected by validate: two autos
        })
    }

    /// S: explicit, or interval·θ·C / max(1, r) [calculations].
    pub fn job_size(&self) -> f64 {
        let w = &self.workload;
        w.job_size.or_else(|| match (w.job_interval, w.pu_pe_ratio) {
            (Auto::Value(interval), Auto::Value(r)) => interval * self.offered_per_pe() / r.max(1.0),
            _ => f64::NAN,
        })
    }

    /// Mean job interval [s]: explicit, or max(1, r)·S / (θ·C) (docs/model.md §9.1).
    pub fn job_interval_s(&self) -> f64 {
        let w = &self.workload;
        w.job_interval.or_else(|| self.pu_pe_ratio().max(1.0) * self.job_size() / self.offered_per_pe())
    }

    /// CalcApp request timeout [s]: explicit, or the keep-alive timeout.
    pub fn request_timeout_s(&self) -> f64 {
        self.calcapp.request_timeout_s.or_else(|| self.calcapp.keep_alive_timeout_s)
    }

    /// The scenario with every scenario-level auto-parameter filled in. Per-PE values
    /// (weight, load degradation: they depend on each PE's capacity) stay "auto".
    pub fn resolve(&self) -> Scenario {
        let mut s = self.clone();
        s.workload.job_interval = Auto::Value(self.job_interval_s());
        s.workload.pu_pe_ratio = Auto::Value(self.pu_pe_ratio());
        s.workload.job_size = Auto::Value(self.job_size());
        s.pool_users.count = Auto::Value(self.pool_user_count());
        s.calcapp.request_timeout_s = Auto::Value(self.request_timeout_s());
        s
    }

    /// Simulated end of the measurement window [s].
    pub fn end_s(&self) -> f64 {
        self.warmup_s + self.duration_s
    }
}

#[cfg(test)]
mod test;
