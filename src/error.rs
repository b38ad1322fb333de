//! Bad input to sweeps and plots (exit code 2 on the command line): the message names the
//! offending key or file and what is allowed. Scenario errors have their own type,
//! [`crate::scenario::ScenarioError`].

/// A user-input error: `key` names the sweep key, plot option or file.
#[derive(Debug, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct InputError {
    pub key: String,
    pub message: String,
}

impl InputError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError { key: key.into(), message: message.into() }
    }
}
