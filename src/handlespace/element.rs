//! A pool element's entry in the handlespace, what it registers with, and its one timer.

use super::ids::{PeId, RegistrarId};
use super::policy::PolicySettings;

/// The one timer a pool element can have (`TimerCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerCode {
    /// Registration life of a PE learned from a peer, or of a PU cache entry.
    Expiry,
    /// Next endpoint keep-alive to an owned PE.
    KeepAliveTransmission,
    /// Waiting for an endpoint keep-alive ack.
    KeepAliveTimeout,
}

/// A pool element entry and its static data.
#[derive(Clone, Debug)]
pub struct PoolElement<T> {
    pub id: PeId,
    /// Owning (home) registrar; `RegistrarId(0)` = none.
    pub home: RegistrarId,
    /// Registration life [ms].
    pub registration_life_ms: u32,
    pub settings: PolicySettings,
    /// Transport data of the caller (addresses of the PE's user and ASAP endpoints).
    pub transport: T,
    /// Selections counted (statistics only).
    pub selection_counter: u64,
    /// Endpoint-unreachable reports received; never reset (quirk Q8).
    pub unreachability_reports: u32,
    /// Clock value of the last (re-)registration.
    pub last_update: u64,
    /// The PE's timer: (code, clock value it fires at).
    pub timer: Option<(TimerCode, u64)>,
    /// Set by [`Handlespace::mark_owned_by`], cleared by any re-registration.
    pub marked: bool,
}

/// What a pool element registers with.
#[derive(Clone, Debug)]
pub struct Registration<T> {
    pub id: PeId,
    pub home: RegistrarId,
    pub registration_life_ms: u32,
    pub settings: PolicySettings,
    pub transport: T,
}
