//! What a handlespace operation can refuse, with RSPLIB's error codes.

use super::policy::PolicyType;

/// Handlespace errors, with the RSPLIB error codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandlespaceError {
    #[error("invalid pool handle: {len} bytes, allowed 1 to 32")]
    InvalidPoolHandle { len: usize },
    #[error("invalid pool element identifier 0")]
    InvalidId,
    #[error("incompatible policy {requested} for a pool of policy {pool}")]
    IncompatiblePolicy { requested: PolicyType, pool: PolicyType },
    #[error("pool not found")]
    NotFound,
    #[error("no selectable pool element: every selection weight is 0")]
    NoSelectablePoolElement,
}

impl HandlespaceError {
    /// The RSPLIB error code (`RSPERR_*`).
    pub fn code(&self) -> u16 {
        match self {
            HandlespaceError::InvalidPoolHandle { .. } => 0xF004,
            HandlespaceError::InvalidId => 0xF000,
            HandlespaceError::IncompatiblePolicy { .. } => 0x0005,
            HandlespaceError::NotFound => 0x0009,
            HandlespaceError::NoSelectablePoolElement => 0x0009,
        }
    }
}
