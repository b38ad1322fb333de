//! Builds the components of a scenario and runs the event loop: registrars start at
//! `registrars.start_s` (+10 s each), pool elements at `pool_elements.start_s`, pool users
//! at `pool_users.start_s`; statistics are reset at `warmup_s` and written at
//! `warmup_s + duration_s`, where the run ends (rspsim-model.md §9.4).

use super::metrics::{Metrics, MetricsInput};
use super::network::Network;
use super::pool_element::{self, PoolElement};
use super::pool_user::{self, PoolUser};
use super::registrar::{self, Registrar};
use super::{Ctx, Event, InFlight, NodeId, PacketCounters, secs};
use crate::engine::rng::{self, Component, Purpose};
use crate::engine::{EventQueue, Fingerprint, SimTime};
use crate::handlespace::PeId;
use crate::scenario::{CapacityDistribution, Scenario};
use rand::RngExt;
use rand_distr::{Distribution, Normal};
use std::rc::Rc;

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub metrics: Metrics,
    /// Events executed.
    pub events: u64,
    /// Simulated time at the end [s].
    pub sim_time_s: f64,
    pub fingerprint: Fingerprint,
}

pub struct Simulation {
    queue: EventQueue<Event>,
    in_flight: InFlight,
    net: Network,
    packets: PacketCounters,
    registrars: Vec<Registrar>,
    pool_elements: Vec<PoolElement>,
    pool_users: Vec<PoolUser>,
    nominal_capacity: f64,
    duration_s: f64,
    now: SimTime,
    events: u64,
    fingerprint: Fingerprint,
}

/// Runs a scenario to the end of its measurement window.
pub fn run(scenario: &Scenario) -> RunOutput {
    Simulation::new(scenario).run()
}

/// Capacities of the pool elements (rspsim-model.md §9.3) [calculations/s].
pub fn capacities(s: &Scenario) -> Vec<f64> {
    let n = s.pool_elements.count as usize;
    let c = s.pool_elements.capacity;
    let nf = n as f64;
    let mut rng = rng::stream(s.seed, Component::Scenario, 0, Purpose::Capacity);
    match &s.pool_elements.capacity_distribution {
        CapacityDistribution::Identity => vec![c; n],
        CapacityDistribution::FastServers { gamma, lambda } => {
            let fast = (lambda * nf).round_ties_even() as usize;
            let slow = n - fast.min(n);
            let total = c * nf;
            let denom = fast as f64 * gamma + slow as f64;
            let fast_cap = (total * fast as f64 * gamma / denom).round_ties_even() / fast as f64;
            let slow_cap = (total * slow as f64 / denom).round_ties_even() / slow as f64;
            (0..n).map(|j| if j < fast { fast_cap } else { slow_cap }).collect()
        }
        CapacityDistribution::Linear { gamma } => {
            if n == 1 {
                return vec![c];
            }
            let min = c / (1.0 + (gamma - 1.0) / nf);
            let step = (c * nf - min * nf) / (nf * (nf - 1.0) / 2.0);
            (0..n).map(|j| min + j as f64 * step).collect()
        }
        CapacityDistribution::Uniform { gamma } => {
            let min = c / (1.0 + (gamma - 1.0) / 2.0);
            (0..n).map(|_| if *gamma > 1.0 { rng.random_range(min..gamma * min) } else { c }).collect()
        }
        CapacityDistribution::Truncnormal { gamma } => {
            let normal = Normal::new(c, gamma * c).expect("sd >= 0");
            // Redrawn until usable (the reference redraws below 0 and aborts below 1).
            (0..n).map(|_| std::iter::repeat_with(|| normal.sample(&mut rng)).find(|&x| x >= 1.0).unwrap()).collect()
        }
        CapacityDistribution::List { capacities } => capacities.clone(),
    }
}

/// Unique random PE identifiers in 1..=0x7FFFFFFF, one stream per PE.
fn pool_element_ids(seed: u64, n: usize) -> Vec<PeId> {
    let mut ids: Vec<PeId> = Vec::with_capacity(n);
    for i in 0..n {
        let mut rng = rng::stream(seed, Component::PoolElement, i as u64, Purpose::Identifier);
        let id = std::iter::repeat_with(|| PeId(rng.random_range(1..=0x7FFF_FFFF)))
            .find(|id| !ids.contains(id))
            .expect("infinite draws");
        ids.push(id);
    }
    ids
}

impl Simulation {
    pub fn new(s: &Scenario) -> Simulation {
        let n_pr = s.registrars.count as usize;
        let n_pe = s.pool_elements.count as usize;
        let n_pu = s.pool_user_count() as usize;
        let pr_nodes: Vec<NodeId> = (0..n_pr).map(|i| NodeId(i as u32)).collect();
        let pe_node = |i: usize| NodeId((n_pr + i) as u32);
        let pu_node = |i: usize| NodeId((n_pr + n_pe + i) as u32);

        // Components create their timers in the queue.
        let mut queue = EventQueue::default();
        let pr_config = Rc::new(registrar::config_from(s));
        let registrars = (0..n_pr)
            .map(|i| {
                let peers = pr_nodes.iter().copied().filter(|&p| p != pr_nodes[i]).collect();
                Registrar::new(i as u32, pr_nodes[i], peers, pr_config.clone(), s.seed, &mut queue)
            })
            .collect();
        let pe_config = Rc::new(pool_element::config_from(s, pr_nodes.clone()));
        let ids = pool_element_ids(s.seed, n_pe);
        let pool_elements = capacities(s)
            .into_iter()
            .enumerate()
            .map(|(i, cap)| PoolElement::new(i as u32, pe_node(i), ids[i], cap, pe_config.clone(), s.seed, &mut queue))
            .collect();
        let pu_config = Rc::new(pool_user::config_from(s, pr_nodes.clone()));
        let pool_users =
            (0..n_pu).map(|i| PoolUser::new(i as u32, pu_node(i), pu_config.clone(), s.seed, &mut queue)).collect();

        for i in 0..n_pr {
            let at = SimTime::from_secs_f64(s.registrars.start_s + 10.0 * i as f64);
            queue.schedule(at, Event::Registrar(i as u32, registrar::Timer::Startup));
        }
        for i in 0..n_pe {
            queue.schedule(
                SimTime::from_secs_f64(s.pool_elements.start_s),
                Event::PoolElement(i as u32, pool_element::Timer::Startup),
            );
        }
        for i in 0..n_pu {
            queue.schedule(SimTime::ZERO + pu_config.start, Event::PoolUser(i as u32, pool_user::Timer::Start));
        }
        queue.schedule(SimTime::from_secs_f64(s.warmup_s), Event::StatisticsReset);
        queue.schedule(SimTime::ZERO + secs(s.end_s()), Event::StatisticsWrite);

        Simulation {
            queue,
            in_flight: InFlight::default(),
            net: Network::new(&s.network, n_pr + n_pe + n_pu, s.seed),
            packets: PacketCounters::default(),
            registrars,
            pool_elements,
            pool_users,
            nominal_capacity: s.pool_elements.capacity,
            duration_s: s.duration_s,
            now: SimTime::ZERO,
            events: 0,
            fingerprint: Fingerprint::default(),
        }
    }

    pub fn pool_elements(&self) -> &[PoolElement] {
        &self.pool_elements
    }

    /// Runs until the statistics are written; returns the metrics.
    pub fn run(mut self) -> RunOutput {
        loop {
            if let Some(metrics) = self.step() {
                return RunOutput {
                    metrics,
                    events: self.events,
                    sim_time_s: self.now.as_secs_f64(),
                    fingerprint: self.fingerprint,
                };
            }
        }
    }

    /// Executes one event; returns the metrics when it was the statistics write.
    pub fn step(&mut self) -> Option<Metrics> {
        let (now, event) = self.queue.pop().expect("the statistics write is always pending");
        self.now = now;
        self.events += 1;
        let n_pr = self.registrars.len() as u32;
        let n_pe = self.pool_elements.len() as u32;
        macro_rules! ctx {
            ($me:expr) => {
                Ctx {
                    now,
                    me: $me,
                    queue: &mut self.queue,
                    in_flight: &mut self.in_flight,
                    net: &self.net,
                    packets: &mut self.packets,
                }
            };
        }
        match event {
            Event::Deliver(i) => {
                let d = self.in_flight.take(i);
                let to = d.to.0;
                self.fingerprint.add(now, (1 << 56) ^ ((to as u64) << 16) ^ d.msg.tag());
                if to < n_pr {
                    let r = &mut self.registrars[to as usize];
                    let mut c = ctx!(r.node);
                    r.on_message(d.from, d.sent, d.msg, &mut c);
                } else if to < n_pr + n_pe {
                    let pe = &mut self.pool_elements[(to - n_pr) as usize];
                    let mut c = ctx!(pe.node);
                    pe.on_message(d.from, d.msg, &mut c);
                } else {
                    let pu = &mut self.pool_users[(to - n_pr - n_pe) as usize];
                    let mut c = ctx!(pu.node);
                    pu.on_message(d.from, d.msg, &mut c);
                }
                return None;
            }
            _ => self.fingerprint.add(now, event_tag(&event)),
        }
        match event {
            Event::Deliver(_) => unreachable!("handled above"),
            Event::Registrar(i, t) => {
                let r = &mut self.registrars[i as usize];
                let mut c = ctx!(r.node);
                r.on_timer(t, &mut c);
            }
            Event::PoolElement(i, t) => {
                let pe = &mut self.pool_elements[i as usize];
                let mut c = ctx!(pe.node);
                pe.on_timer(t, &mut c);
            }
            Event::PoolUser(i, t) => {
                let pu = &mut self.pool_users[i as usize];
                let mut c = ctx!(pu.node);
                pu.on_timer(t, &mut c);
            }
            Event::StatisticsReset => {
                self.packets = PacketCounters::default();
                self.registrars.iter_mut().for_each(Registrar::reset_statistics);
                self.pool_elements.iter_mut().for_each(|pe| pe.reset_statistics(now));
                self.pool_users.iter_mut().for_each(PoolUser::reset_statistics);
            }
            Event::StatisticsWrite => return Some(self.write_statistics()),
        }
        None
    }

    fn write_statistics(&mut self) -> Metrics {
        let now = self.now;
        self.pool_elements.iter_mut().for_each(|pe| pe.finish_statistics(now));
        let pes: Vec<_> = self.pool_elements.iter().map(|pe| (pe.stats, pe.capacity)).collect();
        let pus: Vec<_> = self.pool_users.iter().map(|pu| (pu.stats, pu.queue_length())).collect();
        let prs: Vec<_> = self.registrars.iter().map(|r| r.stats).collect();
        Metrics::compute(MetricsInput {
            pool_elements: &pes,
            pool_users: &pus,
            registrars: &prs,
            packets: self.packets,
            nominal_capacity: self.nominal_capacity,
            duration_s: self.duration_s,
        })
    }
}

/// A stable tag of an event (kind, destination, message or timer) for the fingerprint.
fn event_tag(event: &Event) -> u64 {
    let (kind, node, what): (u64, u64, u64) = match event {
        Event::Deliver(_) => unreachable!("deliveries are tagged by their message"),
        Event::Registrar(i, t) => (2, *i as u64, registrar_timer_tag(t)),
        Event::PoolElement(i, t) => (3, *i as u64, pool_element_timer_tag(t)),
        Event::PoolUser(i, t) => (4, *i as u64, pool_user_timer_tag(t)),
        Event::StatisticsReset => (5, 0, 0),
        Event::StatisticsWrite => (6, 0, 0),
    };
    (kind << 56) ^ (node << 16) ^ what
}

fn registrar_timer_tag(t: &registrar::Timer) -> u64 {
    use registrar::Timer::*;
    match t {
        Startup => 1,
        MentorDiscovery => 2,
        Heartbeat => 3,
        Handlespace => 4,
        PeerLastHeard(i) => 5 | ((*i as u64) << 8),
        PeerNoResponse(i) => 6 | ((*i as u64) << 8),
    }
}

fn pool_element_timer_tag(t: &pool_element::Timer) -> u64 {
    use pool_element::Timer::*;
    match t {
        Startup => 1,
        RegistrationTimeout => 2,
        Reregistration => 3,
        HuntRetry => 4,
        Service => 5,
        JobKeepAlive(k) => 6 | ((*k as u64) << 8),
        JobKeepAliveTimeout(k) => 7 | ((*k as u64) << 8),
    }
}

fn pool_user_timer_tag(t: &pool_user::Timer) -> u64 {
    use pool_user::Timer::*;
    match t {
        Start => 1,
        JobArrival => 2,
        HandleResolutionTimeout => 3,
        HuntRetry => 4,
        SelectionRetry => 5,
        RequestTimeout => 6,
        KeepAlive => 7,
        KeepAliveTimeout => 8,
    }
}
