//! poolsim: a deterministic discrete-event simulator of RSerPool computing pools.
//!
//! * [`engine`]: integer time, the future event list, random streams, fingerprints.
//! * [`handlespace`]: the RSerPool handlespace and its 18 selection policies, free of
//!   simulator types (a real registrar could use it).
//! * [`model`]: registrar, pool element (CalcApp server), pool user (CalcApp client),
//!   network and metrics, as specified by the RSPSIM model.
//! * [`scenario`]: the scenario file format, its defaults and validation.
//! * [`sweep`]: parameter sweeps run in parallel, resumable.
//! * [`report`]: statistics, CSV tables and SVG plots.
//! * [`validation`]: poolsim against the reference simulator's cells and queueing theory.
//! * [`trace`]: real job (SWF) and availability (FTA) traces as input.
//! * [`provenance`]: the build and model identity that outputs record.

pub mod bench;
pub mod engine;
pub mod error;
pub mod handlespace;
pub mod model;
pub mod provenance;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod trace;
pub mod validation;
