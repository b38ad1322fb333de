//! The network: LANs in a chain joined by WAN links of delay D; every component host hangs
//! off its LAN's switch by two links of delay d/2, so the one-way delay A -> B is
//! d_A/2 + d_B/2 + |lan_A − lan_B|·D (docs/model.md §1.2). No queueing; the only loss
//! is at a host whose interface is down (§1.4): every packet it sends or that arrives for
//! it is discarded.

use super::NodeId;
use crate::engine::SimDuration;
use crate::engine::rng::{self, Component, Purpose};
use crate::scenario::{DelayDistribution, Network as NetworkConfig};
use rand::RngExt;

pub struct Network {
    /// d/2 of each node [ns].
    half_delay_ns: Vec<u64>,
    /// LAN of each node.
    lan: Vec<u32>,
    /// D [ns].
    wan_delay_ns: u64,
    /// Whether each node's interface is up.
    up: Vec<bool>,
    /// Nodes from this one on are attackers' hosts.
    first_attacker: u32,
}

impl Network {
    /// Draws each node's access delay; `lans` holds the LAN of every component host, the
    /// attackers' hosts last, from node `first_attacker` on.
    pub fn new(config: &NetworkConfig, lans: Vec<u32>, first_attacker: u32, seed: u64) -> Network {
        let mut rng = rng::stream(seed, Component::Scenario, 0, Purpose::Network);
        let half_delay_ns = (0..lans.len())
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
        let up = vec![true; lans.len()];
        Network {
            half_delay_ns,
            lan: lans,
            wan_delay_ns: SimDuration::from_secs_f64(config.wan_delay_ms / 1000.0).0,
            up,
            first_attacker,
        }
    }

    /// Whether `node` is an attacker's host.
    pub fn is_attacker(&self, node: NodeId) -> bool {
        node.0 >= self.first_attacker
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
        let (a, b) = (from.0 as usize, to.0 as usize);
        let hops = self.lan[a].abs_diff(self.lan[b]) as u64;
        SimDuration(self.half_delay_ns[a] + self.half_delay_ns[b] + hops * self.wan_delay_ns)
    }

    /// The LAN a node sits in.
    #[inline]
    pub fn lan(&self, node: NodeId) -> u32 {
        self.lan[node.0 as usize]
    }
}
