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
    /// The PE's timer ([`Self::timer`]) as two fields: an `Option` of the pair takes 16
    /// bytes, and the entry 96 bytes instead of 88.
    pub(super) timer_code: Option<TimerCode>,
    pub(super) timer_at: u64,
    /// Set by [`Handlespace::mark_owned_by`], cleared by any re-registration.
    pub marked: bool,
}

impl<T> PoolElement<T> {
    /// The PE's timer: (code, clock value it fires at).
    pub fn timer(&self) -> Option<(TimerCode, u64)> {
        self.timer_code.map(|code| (code, self.timer_at))
    }

    /// Sets or stops the timer; returns the one it replaces.
    pub(super) fn replace_timer(&mut self, timer: Option<(TimerCode, u64)>) -> Option<(TimerCode, u64)> {
        let old = self.timer();
        (self.timer_code, self.timer_at) = timer.map_or((None, 0), |(code, at)| (Some(code), at));
        old
    }
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
