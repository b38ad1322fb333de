//! The registrars a PE or PU may use and how it hunts among them (the reference's
//! `registrarTable`, docs/model.md §5.1, §6.4): at random among all (the reference), or
//! a home-registrar list tried in order, the next one at each hunt.

use super::NodeId;
use crate::engine::rng::StreamRng;
use crate::scenario::HomeRegistrars;
use rand::RngExt;

#[derive(Clone, Debug)]
pub struct RegistrarTable {
    registrars: Vec<NodeId>,
    in_order: bool,
}

impl RegistrarTable {
    /// `all` are the registrars' nodes, by index; "auto" hunts among `local`, those of the
    /// component's own LAN (the tool-chain's default static list).
    pub fn new(all: &[NodeId], local: &[NodeId], home: &HomeRegistrars) -> RegistrarTable {
        match home {
            HomeRegistrars::Auto => RegistrarTable { registrars: local.to_vec(), in_order: false },
            HomeRegistrars::List(list) => {
                RegistrarTable { registrars: list.iter().map(|&i| all[i as usize]).collect(), in_order: true }
            }
        }
    }

    /// The registrar to try next. `cursor` is the hunter's position in an ordered list.
    pub fn hunt(&self, cursor: &mut u32, rng: &mut StreamRng) -> NodeId {
        if self.in_order {
            let next = self.registrars[*cursor as usize % self.registrars.len()];
            *cursor = cursor.wrapping_add(1);
            next
        } else {
            self.registrars[rng.random_range(0..self.registrars.len())]
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::rng::{self, Component, Purpose};

    #[test]
    fn lists_are_tried_in_order_and_auto_at_random() {
        let all = [NodeId(0), NodeId(1), NodeId(2)];
        let mut rng = rng::stream(1, Component::PoolUser, 0, Purpose::Hunt);
        let ordered = RegistrarTable::new(&all, &all[..1], &HomeRegistrars::List(vec![2, 0]));
        let mut cursor = 0;
        let hunts: Vec<NodeId> = (0..5).map(|_| ordered.hunt(&mut cursor, &mut rng)).collect();
        assert_eq!(hunts, [NodeId(2), NodeId(0), NodeId(2), NodeId(0), NodeId(2)]);
        let random = RegistrarTable::new(&all, &all, &HomeRegistrars::Auto);
        let mut seen = [0; 3];
        for _ in 0..300 {
            seen[random.hunt(&mut cursor, &mut rng).0 as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 70), "{seen:?}");
    }
}
