//! The `network` section: LANs in a chain and their delays.

use serde::{Deserialize, Serialize};

/// How each component's LAN access delay d is drawn.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DelayDistribution {
    /// d = lan_delay_ms for every component.
    #[default]
    Identity,
    /// d ~ uniform(lan_delay_ms / 2, 3 · lan_delay_ms / 2) per component.
    Uniform,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// One-way delay between two components of the LAN [ms].
    pub lan_delay_ms: f64,
    pub lan_delay_distribution: DelayDistribution,
    /// LANs in a chain, each with `registrars.count` registrars, `pool_elements.count`
    /// pool elements and `pool_users.count` pool users.
    pub lans: u32,
    /// One-way delay of the WAN link between neighbouring LANs [ms]: LANs i and j are
    /// |i − j| links apart.
    pub wan_delay_ms: f64,
}

impl Default for Network {
    fn default() -> Self {
        Network { lan_delay_ms: 0.0, lan_delay_distribution: DelayDistribution::Identity, lans: 1, wan_delay_ms: 0.0 }
    }
}
