//! Identifiers: the transport address of a host, the well-known port, the CalcApp pool's
//! handle and fresh pool element identifiers.

use crate::engine::rng::StreamRng;
use crate::handlespace::{PeId, PoolHandle};
use rand::RngExt;

/// Address of a component host (a transport node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Destination port of the hosts' well-known services (registrar, PE ASAP, PU).
pub const WELL_KNOWN_PORT: u32 = 0;

/// The pool handle of the CalcApp pool.
pub fn calcapp_pool() -> PoolHandle {
    PoolHandle::new(b"CalcAppPool").expect("valid pool handle")
}

/// A PE identifier in 1..=0x7FFFFFFF (the tool-chain's `intuniform(1, 0x7FFFFFFF)`).
pub fn fresh_identifier(rng: &mut StreamRng) -> PeId {
    PeId(rng.random_range(1..=0x7FFF_FFFF))
}
