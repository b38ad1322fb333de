//! The protocol sections: ASAP and CalcApp timers, and the handlespace's reference quirks.

use super::Auto;
use serde::{Deserialize, Serialize};

/// ASAP timers of pool elements and pool users.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Asap {
    /// Registration / handle-resolution timeout [s].
    pub request_timeout_s: f64,
    /// Retransmissions before hunting another registrar.
    pub max_request_retransmit: u32,
    /// Wait uniform(0, this) after a registrar's reject [s].
    pub server_hunt_retry_delay_max_s: f64,
}

/// CalcApp session protocol timers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CalcApp {
    pub keep_alive_interval_s: f64,
    pub keep_alive_timeout_s: f64,
    /// Wait for ACCEPT/REJECT [s]; auto = the keep-alive timeout.
    pub request_timeout_s: Auto<f64>,
}

/// Reference quirks of the handlespace (docs/model.md §3.6).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HandlespaceQuirks {
    /// Q1: update hook on selection and on re-link (reference); false = once (RFC).
    pub double_update: bool,
    /// Q2: registration life never updated by re-registrations (reference).
    pub keep_first_registration_life: bool,
}

impl Default for Asap {
    fn default() -> Self {
        Asap { request_timeout_s: 5.0, max_request_retransmit: 3, server_hunt_retry_delay_max_s: 0.2 }
    }
}

impl Default for CalcApp {
    fn default() -> Self {
        CalcApp { keep_alive_interval_s: 50.0, keep_alive_timeout_s: 50.0, request_timeout_s: Auto::Auto }
    }
}

impl Default for HandlespaceQuirks {
    fn default() -> Self {
        HandlespaceQuirks { double_update: true, keep_first_registration_life: true }
    }
}
