//! Every timer of every component: what can wake a pool element, a pool user, a
//! registrar or an attacker besides a message. (Each component names its own `Timer`.)

/// Timers of a pool element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolElementTimer {
    /// Start, and restart after a downtime.
    Startup,
    /// The end of the uptime.
    Shutdown,
    /// T2 (registration) or T3 (deregistration) response timeout.
    RegistrationTimeout,
    /// T4: periodic re-registration; also the wait after a registrar's reject before
    /// hunting again (the reference re-uses T4 for it).
    Reregistration,
    /// The next job completion or cookie.
    Service,
    JobKeepAlive(u32),
    JobKeepAliveTimeout(u32),
}

/// Timers of a pool user. Those of a piece carry the piece's index (0 for an unsplit job).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolUserTimer {
    Start,
    JobArrival,
    /// T1: handle resolution timeout.
    HandleResolutionTimeout,
    /// After a registrar's reject: hunt and retry.
    HuntRetry,
    /// The piece goes back to server selection (after a reject or "no pool element").
    SelectionRetry(u16),
    RequestTimeout(u16),
    KeepAlive(u16),
    KeepAliveTimeout(u16),
}

/// Timers of a registrar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrarTimer {
    /// Start, and restart after a downtime.
    Startup,
    /// The end of the uptime.
    Shutdown,
    MentorDiscovery,
    Heartbeat,
    /// The earliest per-PE timer of the handlespace.
    Handlespace,
    PeerLastHeard(u32),
    PeerNoResponse(u32),
    /// The takeover of peer i completes without full consent.
    TakeoverExpiry(u32),
}

/// Timers of an attacker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttackerTimer {
    /// Start, and restart after a downtime.
    Startup,
    Shutdown,
    Attack,
}
