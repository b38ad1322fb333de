//! Identifiers of the handlespace: pool element and registrar identifiers, pool handles.

use super::error::HandlespaceError;
use std::cmp::Ordering;
use std::fmt;

/// Pool element identifier (u32, 0 is invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeId(pub u32);

/// Registrar identifier (u32, 0 = none / undefined).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrarId(pub u32);

/// Longest pool handle [bytes] (`MAX_POOLHANDLESIZE`).
pub const MAX_POOL_HANDLE_SIZE: usize = 32;

/// A pool handle: 1 to 32 bytes. Shorter handles sort first, equal lengths by bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolHandle {
    len: u8,
    bytes: [u8; MAX_POOL_HANDLE_SIZE],
}

impl PoolHandle {
    pub fn new(bytes: &[u8]) -> Result<PoolHandle, HandlespaceError> {
        if bytes.is_empty() || bytes.len() > MAX_POOL_HANDLE_SIZE {
            return Err(HandlespaceError::InvalidPoolHandle { len: bytes.len() });
        }
        let mut b = [0u8; MAX_POOL_HANDLE_SIZE];
        b[..bytes.len()].copy_from_slice(bytes);
        Ok(PoolHandle { len: bytes.len() as u8, bytes: b })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl PoolHandle {
    /// The bytes as four big-endian words: their order is the bytes' `memcmp` order
    /// (unused bytes are zero), so comparisons need no library call.
    fn words(&self) -> [u64; 4] {
        std::array::from_fn(|i| u64::from_be_bytes(self.bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")))
    }
}

impl Ord for PoolHandle {
    fn cmp(&self, other: &Self) -> Ordering {
        // Most comparisons find the one pool there is: equality is a plain byte compare.
        if self == other {
            return Ordering::Equal;
        }
        (self.len, self.words()).cmp(&(other.len, other.words()))
    }
}

impl PartialOrd for PoolHandle {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for PoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PoolHandle({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}
