//! One piece of the job a PU has in service: a CalcApp session of its own, with its own
//! pool element, cookie and failover. Its own file, below the context, so that the
//! components' shared buffers ([`super::context::Scratch`]) can keep piece vectors for reuse.

use super::NodeId;
use super::message::Cookie;
use crate::engine::SimTime;
use crate::handlespace::PeId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiecePhase {
    /// Waiting for a pool element (server selection).
    Selecting,
    WaitingForResponse,
    Processing,
    Completed,
}

/// One piece of the job in service.
pub struct Piece {
    pub size: f64,
    /// The selected pool element: (user transport, identifier).
    pub pe: Option<(NodeId, PeId)>,
    pub phase: PiecePhase,
    pub cookie: Option<Cookie>,
    pub accepted_at: Option<SimTime>,
    pub last_goodput_at: SimTime,
    pub last_goodput_calcs: f64,
    /// Completion - first accept [s], once completed.
    pub processing_time_s: f64,
}
