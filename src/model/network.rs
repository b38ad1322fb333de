//! The LAN: every component host hangs off one switch by two links of delay d/2, so the
//! one-way delay A -> B is d_A/2 + d_B/2 (rspsim-model.md §1.2). No queueing; the only
//! loss is at a host whose interface is down (§1.4): every packet it sends or that
//! arrives for it is discarded.

use super::NodeId;
use crate::engine::SimDuration;
use crate::engine::rng::{self, Component, Purpose};
use crate::scenario::{DelayDistribution, Network as NetworkConfig};
use rand::RngExt;

pub struct Network {
    /// d/2 of each node [ns].
    half_delay_ns: Vec<u64>,
    /// Whether each node's interface is up.
    up: Vec<bool>,
}

impl Network {
    /// Draws each node's access delay; `nodes` is the number of component hosts.
    pub fn new(config: &NetworkConfig, nodes: usize, seed: u64) -> Network {
        let mut rng = rng::stream(seed, Component::Scenario, 0, Purpose::Network);
        let half_delay_ns = (0..nodes)
            .map(|_| {
                let d_ms = match config.lan_delay_distribution {
                    DelayDistribution::Identity => config.lan_delay_ms,
                    DelayDistribution::Uniform if config.lan_delay_ms > 0.0 => {
                        rng.random_range(config.lan_delay_ms / 2.0..1.5 * config.lan_delay_ms)
                    }
                    DelayDistribution::Uniform => 0.0,
                };
                SimDuration::from_secs_f64(d_ms / 2000.0).0
            })
            .collect();
        Network { half_delay_ns, up: vec![true; nodes] }
    }

    #[inline]
    pub fn is_up(&self, node: NodeId) -> bool {
        self.up[node.0 as usize]
    }

    pub fn set_up(&mut self, node: NodeId, up: bool) {
        self.up[node.0 as usize] = up;
    }

    /// One-way delay from `from` to `to`.
    #[inline]
    pub fn delay(&self, from: NodeId, to: NodeId) -> SimDuration {
        SimDuration(self.half_delay_ns[from.0 as usize] + self.half_delay_ns[to.0 as usize])
    }
}
