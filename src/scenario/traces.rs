//! Trace input in scenarios: the job trace that replaces the generated arrivals
//! (`workload.trace`, SWF), the availability traces that PEs and registrars follow
//! (`<kind>.availability_trace`, FTA), and scripted status changes (`status_changes`).
//! Trace paths are relative to the scenario (or sweep) file that names them ([`anchor_paths`]);
//! results are keyed by the traces' content, not their paths ([`content_addressed`]).

use super::check::{At, check, positive};
use super::{MAX_PIECES, MAX_TIME_S, ScenarioError, short};
use crate::trace::fta::Availability;
use crate::trace::{self, TraceError};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::path::Path;

/// The keys that name trace files (dotted, from the top level).
const TRACE_KEYS: [[&str; 2]; 3] =
    [["workload", "trace"], ["pool_elements", "availability_trace"], ["registrars", "availability_trace"]];

/// Makes the relative trace paths of a scenario value absolute, relative to `dir` (the
/// folder of the file that names them). Absolute paths stay, so a value can be anchored
/// again after more keys are set.
pub fn anchor_paths(value: &mut Value, dir: &Path) {
    for [section, key] in TRACE_KEYS {
        if let Some(Value::String(p)) = value.get_mut(section).and_then(|s| s.get_mut(key))
            && Path::new(p.as_str()).is_relative()
        {
            let joined = dir.join(&*p);
            *p = std::path::absolute(&joined).unwrap_or(joined).display().to_string();
        }
    }
}

/// The scenario value with each trace path replaced by `sha256:<digest of its bytes>`: the
/// same traces give the same run key wherever the files lie. Only for validated scenarios.
pub fn content_addressed(value: &Value) -> Value {
    let mut value = value.clone();
    for [section, key] in TRACE_KEYS {
        if let Some(v) = value.get_mut(section).and_then(|s| s.get_mut(key))
            && let Value::String(p) = v
        {
            let path = Path::new(p.as_str());
            let digest = if section == "workload" {
                trace::swf_trace(path).as_ref().as_ref().map(|l| l.sha256.clone()).map_err(|e| e.to_string())
            } else {
                trace::fta_trace(path).as_ref().as_ref().map(|l| l.sha256.clone()).map_err(|e| e.to_string())
            };
            *v = Value::from(format!("sha256:{}", digest.expect("validated traces load")));
        }
    }
    value
}

/// How trace jobs are split (`workload.trace_pieces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TracePieces {
    /// One piece per allocated processor (at most [`MAX_PIECES`]).
    Processors,
    Fixed(u32),
}

impl Default for TracePieces {
    fn default() -> Self {
        TracePieces::Fixed(1)
    }
}

impl Serialize for TracePieces {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            TracePieces::Processors => s.serialize_str("processors"),
            TracePieces::Fixed(n) => s.serialize_u32(n),
        }
    }
}

impl<'de> Deserialize<'de> for TracePieces {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s == "processors" => Ok(TracePieces::Processors),
            Value::Number(n) if n.as_u64().is_some_and(|n| (1..=MAX_PIECES as u64).contains(&n)) => {
                Ok(TracePieces::Fixed(n.as_u64().expect("checked") as u32))
            }
            other => Err(de::Error::custom(format!(
                "{other} is not allowed; allowed: \"processors\" (one piece per allocated processor) or a whole number from 1 to {MAX_PIECES}"
            ))),
        }
    }
}

/// Which pool user a trace job goes to (`workload.trace_assignment`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum TraceAssignment {
    /// PU (user id mod PUs): a user's jobs queue at one PU.
    #[default]
    User,
    /// PUs in turn, in arrival order.
    RoundRobin,
}

/// Where an availability trace's clock starts (`<kind>.availability_trace_start`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum TraceStart {
    /// The earliest event of the trace.
    #[default]
    First,
    /// An absolute time of the trace's clock [s] (Unix time for FTA traces).
    At(f64),
}

impl Serialize for TraceStart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            TraceStart::First => s.serialize_str("first"),
            TraceStart::At(t) => s.serialize_f64(t),
        }
    }
}

impl<'de> Deserialize<'de> for TraceStart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s == "first" => Ok(TraceStart::First),
            Value::Number(n) if n.as_f64().is_some_and(|t| t >= 0.0) => {
                Ok(TraceStart::At(n.as_f64().expect("checked")))
            }
            other => Err(de::Error::custom(format!(
                "{other} is not allowed; allowed: \"first\" (the earliest event) or a time of the trace's clock >= 0 [s]"
            ))),
        }
    }
}

/// Relative piece sizes of a partitioned job (`workload.piece_sizes`), normalised so that
/// the pieces add up to the job.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PieceSizes {
    #[default]
    Equal,
    /// Weights uniform on (0, 1], drawn per piece.
    Uniform,
}

/// The availability-trace keys of a kind (PEs, registrars).
pub struct AvailabilityKeys<'a> {
    pub trace: &'a Option<String>,
    pub nodes: &'a [u64],
    pub start: TraceStart,
    pub time_scale: f64,
}

impl AvailabilityKeys<'_> {
    /// The availability of each of `count` components (None without a trace). Errors
    /// name the keys under `at`.
    pub fn of(&self, count: u32, at: &str) -> Result<Option<Vec<Availability>>, ScenarioError> {
        let Some(path) = self.trace else { return Ok(None) };
        let key = format!("{at}.availability_trace");
        positive(self.time_scale, &format!("{at}.availability_trace_time_scale"))?;
        let loaded = trace::fta_trace(Path::new(path));
        let t = &loaded.as_ref().as_ref().map_err(|e| trace_error(&key, e))?.trace;
        let start = match self.start {
            TraceStart::First => t.first_s,
            TraceStart::At(s) => s,
        };
        let nodes: Vec<&trace::fta::FtaNode> = if self.nodes.is_empty() {
            if t.nodes.len() < count as usize {
                return Err(ScenarioError::invalid(
                    &key,
                    format!(
                        "has {} nodes for {count} components ({at}.count in all LANs); allowed: a trace with a node for every component, or fewer components",
                        t.nodes.len()
                    ),
                ));
            }
            t.nodes.iter().take(count as usize).collect()
        } else {
            let nodes_key = format!("{at}.availability_nodes");
            if self.nodes.len() != count as usize {
                let message = format!(
                    "lists {} nodes for {count} components; allowed: one node id per component ({at}.count in all LANs)",
                    self.nodes.len()
                );
                return Err(ScenarioError::invalid(&nodes_key, message));
            }
            let mut chosen = Vec::with_capacity(self.nodes.len());
            for (i, id) in self.nodes.iter().enumerate() {
                let node = t.nodes.iter().find(|n| n.id == *id).ok_or_else(|| {
                    ScenarioError::invalid(
                        &format!("{nodes_key}[{i}]"),
                        format!("node {id} is not in {path}; allowed: the node ids of the trace"),
                    )
                })?;
                chosen.push(node);
            }
            chosen
        };
        Ok(Some(nodes.iter().map(|n| n.availability(start, self.time_scale)).collect()))
    }
}

/// A trace error under a scenario key.
pub(super) fn trace_error(key: &str, e: &TraceError) -> ScenarioError {
    ScenarioError::invalid(key, e.to_string())
}

/// What a scripted status change does (`status_changes[i].event`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StatusEvent {
    Start,
    /// Clean with the kind's `clean_shutdown_probability`.
    Stop,
    CleanStop,
    SilentStop,
    InterfaceDown,
    InterfaceUp,
}

impl StatusEvent {
    /// Whether it changes the component's life cycle (rather than its interface).
    pub fn is_life_cycle(self) -> bool {
        !matches!(self, StatusEvent::InterfaceDown | StatusEvent::InterfaceUp)
    }

    /// Whether the component (or interface) is up after it.
    pub fn is_up(self) -> bool {
        matches!(self, StatusEvent::Start | StatusEvent::InterfaceUp)
    }
}

/// One entry of a status-change list (the reference's `componentStatusChanges`, with
/// absolute times).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// Simulated time [s].
    pub at_s: f64,
    pub event: StatusEvent,
}

/// A status-change list: times in range and in order, the life-cycle events alternating
/// (a first `start` replaces the start time), the interface events alternating from
/// `interface_down`. `life_cycle`: whether the kind has a life cycle (PUs have none).
pub(super) fn check_status_changes(list: &[StatusChange], life_cycle: bool, at: &At) -> Result<(), ScenarioError> {
    let key = at.key("status_changes");
    let mut last_at = 0.0;
    let mut up: Option<bool> = None;
    let mut interface_up = true;
    for (i, c) in list.iter().enumerate() {
        let here = format!("{key}[{i}]");
        let allowed = format!("a time from {} to {MAX_TIME_S:e} s, not before the previous entry", short(last_at));
        check(
            c.at_s.is_finite() && c.at_s >= last_at && c.at_s <= MAX_TIME_S,
            &format!("{here}.at_s"),
            &allowed,
            c.at_s,
        )?;
        last_at = c.at_s;
        let wrong = |expected: &str| {
            let name = serde_json::to_value(c.event).expect("events serialise");
            let message = format!("{name} is out of order; allowed here: {expected}");
            Err(ScenarioError::invalid(&format!("{here}.event"), message))
        };
        if c.event.is_life_cycle() {
            if !life_cycle {
                return wrong("interface_down or interface_up (pool users have no life cycle)");
            }
            match up {
                Some(true) if c.event.is_up() => return wrong("stop, clean_stop or silent_stop (it is running)"),
                Some(false) if !c.event.is_up() => return wrong("start (it is down)"),
                _ => up = Some(c.event.is_up()),
            }
        } else if c.event.is_up() == interface_up {
            return wrong(if interface_up { "interface_down (the interface is up)" } else { "interface_up" });
        } else {
            interface_up = c.event.is_up();
        }
    }
    Ok(())
}
