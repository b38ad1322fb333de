//! The RSPSIM/CalcApp model as message-passing components. Components never touch the
//! event queue directly: they act through a [`Ctx`], which schedules message deliveries
//! (after the network delay) and timers. The files, from the bottom up (each uses only
//! those above it):
//!
//! - [`ids`]: host addresses, the well-known port, the CalcApp pool handle, fresh PE identifiers
//! - [`delay`]: seconds to durations, uniform random waits
//! - [`stats`]: the sample accumulator components keep over the measurement window
//! - [`message`]: every ASAP, ENRP and CalcApp message, and how each is counted
//! - [`network`]: LANs, delays, interfaces up and down
//! - [`timer`]: every timer of every component
//! - [`context`]: the events of a run, and the [`Ctx`] components send and set timers through
//! - [`lifecycle`]: up and down periods, scripted status changes, availability traces, max runs
//! - [`rate_limit`]: a registrar's per-user request rate limits (attack countermeasures)
//! - [`registrar_table`]: the registrars a PE or PU knows, and how it hunts for one
//! - [`registrar`]: ASAP and ENRP server side: registrations, handle resolutions, endpoint
//!   keep-alives and their timeouts, ENRP peers, mentor import, takeover
//! - [`pool_element`]: CalcApp server with its ASAP layer: registration, service, cookies,
//!   job keep-alives, shutdown
//! - [`pool_user`]: CalcApp queuing client with its ASAP layer and cache: jobs, pieces,
//!   server selection, request timeouts, failover
//! - [`attacker`]: denial of service on the registrars
//! - [`metrics`]: the published metrics over the measurement window (lost work, speeds, delays)
//! - [`simulation`]: builds a scenario's components and runs them

pub mod attacker;
pub mod context;
pub mod delay;
pub mod ids;
pub mod lifecycle;
pub mod message;
pub mod metrics;
pub mod network;
pub mod piece;
pub mod pool_element;
pub mod pool_user;
pub mod rate_limit;
pub mod registrar;
pub mod registrar_table;
pub mod simulation;
pub mod stats;
pub mod timer;

pub use context::{Counters, Ctx, Delivery, Event, InFlight, NetworkCounters};
pub use delay::{secs, uniform_delay};
pub use ids::{NodeId, WELL_KNOWN_PORT, calcapp_pool, fresh_identifier};
pub use message::{Message, PeRecord};
pub use metrics::Metrics;
pub use simulation::{RunOutput, Simulation, run};
