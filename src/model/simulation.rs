//! Builds the components of a scenario and runs the event loop: registrars start at
//! `registrars.start_s` (+10 s each), pool elements at `pool_elements.start_s`, pool users
//! at `pool_users.start_s`; statistics are reset at `warmup_s` and written at
//! `warmup_s + duration_s`, where the run ends (docs/model.md §9.4). Hosts whose
//! interface fails alternate up and down from time 0 (§1.4).

use super::attacker::{self, Attacker};
use super::context::Scratch;
use super::ids::fresh_identifier;
use super::lifecycle::{Script, UpDown};
use super::metrics::{LanReport, Metrics, MetricsInput, PoolElementReport, RegistrarReport, TraceCounts};
use super::network::Network;
use super::pool_element::{self, PoolElement};
use super::pool_user::{self, PoolUser, TraceArrival};
use super::registrar::{self, Registrar};
use super::registrar_table::RegistrarTable;
use super::stats::PoolUserCounters;
use super::{Counters, Ctx, Event, InFlight, Message, NetworkCounters, NodeId, WELL_KNOWN_PORT, secs};
use crate::engine::queue::EventListTrace;
use crate::engine::rng::{self, Component, Purpose, StreamOwner};
use crate::engine::{EventQueue, Fingerprint, SimDuration, SimTime};
use crate::handlespace::PeId;
use crate::scenario::{
    CapacityDistribution, HomeRegistrars, Layout, MAX_TIME_S, Scenario, StatusChange, TimeDistribution,
    TraceAssignment, index_in_lan,
};
use rand::RngExt;
use rand_distr::{Distribution, Normal};
use std::borrow::Cow;
use std::collections::HashSet;
use std::rc::Rc;

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub metrics: Metrics,
    pub pool_elements: Vec<PoolElementReport>,
    pub registrars: Vec<RegistrarReport>,
    pub lans: Vec<LanReport>,
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
    counters: Counters,
    /// The PU caches' handle-resolution answers ([`Ctx`]).
    scratch: Scratch,
    registrars: Vec<Registrar>,
    pool_elements: Vec<PoolElement>,
    pool_users: Vec<PoolUser>,
    attackers: Vec<Attacker>,
    layout: Layout,
    /// Up/down spans of each host's interface (None: it never fails), by node.
    /// Boxed: most hosts' interfaces never fail, and a vector of plain UpDowns kept some
    /// 160 bytes per host (every PU's too) for them.
    interfaces: Vec<Option<Box<UpDown>>>,
    nominal_capacity: f64,
    duration_s: f64,
    /// The job trace's counts, if it has one.
    trace: Option<TraceCounts>,
    end: SimTime,
    now: SimTime,
    events: u64,
    fingerprint: Fingerprint,
}

/// Runs a scenario to the end of its measurement window.
pub fn run(scenario: &Scenario) -> RunOutput {
    Simulation::new(scenario).run()
}

/// A configuration shared by the components of a LAN without overrides, an own one for
/// the rest. `lans[i]` is component i's LAN.
fn configs<'s, S: Clone + 's, C>(
    lans: &[u32],
    section: impl Fn(u32) -> Cow<'s, S>,
    make: impl Fn(&S, u32) -> C,
) -> Vec<Rc<C>> {
    let mut shared: Vec<Option<Rc<C>>> = Vec::new();
    (0..)
        .zip(lans)
        .map(|(i, &lan)| match section(i) {
            Cow::Borrowed(s) => {
                if shared.len() <= lan as usize {
                    shared.resize(lan as usize + 1, None);
                }
                shared[lan as usize].get_or_insert_with(|| Rc::new(make(s, lan))).clone()
            }
            Cow::Owned(s) => Rc::new(make(&s, lan)),
        })
        .collect()
}

/// Capacities of the pool elements, LAN by LAN (docs/model.md §9.3): the pool elements
/// of each LAN are distributed like a pool of their own [calculations/s].
pub fn capacities(s: &Scenario) -> Vec<f64> {
    let c = s.pool_elements.capacity;
    let mut rng = rng::stream(s.seed, Component::Scenario, 0, Purpose::Capacity);
    let lans = s.layout().pool_element_lans;
    let mut all = Vec::with_capacity(lans.len());
    for lan in 0..s.network.lans {
        let n = lans.iter().filter(|&&l| l == lan).count();
        let nf = n as f64;
        match &s.pool_elements.capacity_distribution {
            CapacityDistribution::Identity => all.extend(std::iter::repeat_n(c, n)),
            CapacityDistribution::FastServers { gamma, lambda } => {
                let fast = (lambda * nf).round_ties_even() as usize;
                let slow = n - fast.min(n);
                let total = c * nf;
                let denom = fast as f64 * gamma + slow as f64;
                let fast_cap = (total * fast as f64 * gamma / denom).round_ties_even() / fast as f64;
                let slow_cap = (total * slow as f64 / denom).round_ties_even() / slow as f64;
                all.extend((0..n).map(|j| if j < fast { fast_cap } else { slow_cap }));
            }
            CapacityDistribution::Linear { .. } if n == 1 => all.push(c),
            CapacityDistribution::Linear { gamma } => {
                let min = c / (1.0 + (gamma - 1.0) / nf);
                let step = (c * nf - min * nf) / (nf * (nf - 1.0) / 2.0);
                all.extend((0..n).map(|j| min + j as f64 * step));
            }
            CapacityDistribution::Uniform { gamma } => {
                let min = c / (1.0 + (gamma - 1.0) / 2.0);
                all.extend((0..n).map(|_| if *gamma > 1.0 { rng.random_range(min..gamma * min) } else { c }));
            }
            CapacityDistribution::Truncnormal { gamma } => {
                let normal = Normal::new(c, gamma * c).expect("sd >= 0");
                // Redrawn until usable (the reference redraws below 0 and aborts below 1).
                let draw = |_| std::iter::repeat_with(|| normal.sample(&mut rng)).find(|&x| x >= 1.0).unwrap();
                all.extend((0..n).map(draw));
            }
            CapacityDistribution::List { capacities } => return capacities.clone(),
        }
    }
    all
}

/// Unique random PE identifiers in 1..=0x7FFFFFFF, one stream per PE, with the number of
/// identifiers drawn from it (more than one after a collision): a PE that restarts derives
/// its stream again, past those draws, for the identifiers of its restarts.
fn pool_element_ids(seed: u64, n: usize) -> Vec<(PeId, u32)> {
    let mut ids: Vec<(PeId, u32)> = Vec::with_capacity(n);
    // Membership only (no order is read from it): a scan of the ids drawn so far made
    // this quadratic, seconds at 100 000 PEs.
    let mut taken: HashSet<PeId> = HashSet::with_capacity(n);
    for i in 0..n {
        let mut rng = rng::stream(seed, Component::PoolElement, i as u64, Purpose::Identifier);
        let mut draws = 0;
        let id = std::iter::repeat_with(|| {
            draws += 1;
            fresh_identifier(&mut rng)
        })
        .find(|&id| taken.insert(id))
        .expect("infinite draws");
        ids.push((id, draws));
    }
    ids
}

/// Hands the jobs of the scenario's job trace (if any) to the pool users: by user id, or
/// in turn; returns the trace's counts.
fn replay_job_trace(s: &Scenario, pool_users: &mut [PoolUser]) -> Option<TraceCounts> {
    let jobs = s.workload.trace_jobs(s.pool_elements.capacity).expect("validated scenario")?;
    let n = pool_users.len();
    let mut per_user: Vec<Vec<TraceArrival>> = vec![Vec::new(); n];
    // Jobs due after any run's end never arrive (counted as such by the metrics).
    let due = jobs.jobs.iter().take_while(|j| j.arrival_s <= 2.0 * MAX_TIME_S);
    for (k, job) in due.enumerate() {
        let pu = match s.workload.trace_assignment {
            TraceAssignment::User => (job.user % n as u64) as usize,
            TraceAssignment::RoundRobin => k % n,
        };
        let arrival = TraceArrival { at: SimTime::from_secs_f64(job.arrival_s), size: job.size, pieces: job.pieces };
        per_user[pu].push(arrival);
    }
    for (user, arrivals) in pool_users.iter_mut().zip(per_user) {
        user.replay(arrivals);
    }
    Some(TraceCounts {
        read: jobs.read,
        skipped: jobs.skipped,
        filtered: jobs.filtered,
        replayed: jobs.jobs.len() as u64,
    })
}

impl Simulation {
    pub fn new(s: &Scenario) -> Simulation {
        let layout = s.layout();
        let (n_pr, n_pe, n_pu, n_at) = (
            layout.registrar_lans.len(),
            layout.pool_element_lans.len(),
            layout.pool_user_lans.len(),
            layout.attacker_lans.len(),
        );
        let pr_nodes: Vec<NodeId> = (0..n_pr).map(|i| NodeId(i as u32)).collect();
        let pe_node = |i: usize| NodeId((n_pr + i) as u32);
        let pu_node = |i: usize| NodeId((n_pr + n_pe + i) as u32);
        let attacker_node = |i: usize| NodeId((n_pr + n_pe + n_pu + i) as u32);
        let local_prs: Vec<Vec<NodeId>> =
            (0..s.network.lans).map(|lan| layout.registrars_of(lan).map(|i| pr_nodes[i]).collect()).collect();
        let table = |home: &HomeRegistrars, lan: u32| RegistrarTable::new(&pr_nodes, &local_prs[lan as usize], home);

        // Components create their timers in the queue.
        let mut queue = EventQueue::default();
        let pr_configs = configs(&layout.registrar_lans, |i| s.registrar(i), |r, _| registrar::config_from(s, r));
        let mut registrars: Vec<Registrar> = (0..n_pr)
            .map(|i| {
                let peers = pr_nodes.iter().copied().filter(|&p| p != pr_nodes[i]).collect();
                Registrar::new(i as u32, pr_nodes[i], peers, pr_configs[i].clone(), s.seed, &mut queue)
            })
            .collect();
        let pe_configs = configs(
            &layout.pool_element_lans,
            |i| s.pool_element(i),
            |pe, lan| pool_element::config_from(s, pe, table(&pe.home_registrars, lan)),
        );
        let mut capacities = capacities(s);
        for ov in s.pool_elements.overrides.iter().filter(|o| o.set.contains_key("capacity")) {
            capacities[ov.index as usize] = s.pool_element(ov.index).capacity;
        }
        let mut pool_elements: Vec<PoolElement> = pool_element_ids(s.seed, n_pe)
            .into_iter()
            .zip(capacities)
            .enumerate()
            .map(|(i, ((id, id_draws), cap))| {
                PoolElement::new(i as u32, pe_node(i), id, id_draws, cap, pe_configs[i].clone(), &mut queue)
            })
            .collect();
        let pu_configs = configs(
            &layout.pool_user_lans,
            |i| s.pool_user(i),
            |pu, lan| pool_user::config_from(s, pu, table(&pu.home_registrars, lan)),
        );
        let mut pool_users: Vec<PoolUser> = (0..n_pu)
            .map(|i| PoolUser::new(i as u32, pu_node(i), layout.pool_user_lans[i], pu_configs[i].clone(), &mut queue))
            .collect();
        let trace = replay_job_trace(s, &mut pool_users);
        let attacker_configs = configs(
            &layout.attacker_lans,
            |i| s.attacker(i),
            |a, lan| {
                let targets = match &a.target_registrars {
                    HomeRegistrars::Auto => local_prs[lan as usize].clone(),
                    HomeRegistrars::List(list) => list.iter().map(|&i| pr_nodes[i as usize]).collect(),
                };
                attacker::config_from(s, a, targets)
            },
        );
        let mut attackers: Vec<Attacker> = (0..n_at)
            .map(|i| Attacker::new(i as u32, attacker_node(i), attacker_configs[i].clone(), s.seed, &mut queue))
            .collect();

        // Registrar j of LAN i starts 30 s·i + 10 s·j after the first, the PEs of LAN i
        // 0.5 s·i after those of LAN 0 (docs/model.md §9.4).
        // A component with an availability trace follows it; otherwise its status changes.
        let scripts = |trace: Option<Vec<_>>, n: usize, changes: &dyn Fn(u32) -> Script| -> Vec<Script> {
            match trace {
                Some(availability) => availability.iter().map(Script::from_availability).collect(),
                None => (0..n as u32).map(changes).collect(),
            }
        };
        let traced = s.registrars.availability().of(n_pr as u32, "registrars").expect("validated scenario");
        let life = |changes: &[StatusChange]| Script::from_status_changes(changes, false);
        let pr_scripts = scripts(traced, n_pr, &|i| life(&s.registrar(i).status_changes));
        for ((i, &lan), script) in (0..).zip(&layout.registrar_lans).zip(pr_scripts) {
            let j = index_in_lan(&layout.registrar_lans, i as usize);
            let r = s.registrar(i);
            let at = SimTime::from_secs_f64(r.start_s + 30.0 * lan as f64 + 10.0 * j as f64);
            if let Some(at) = registrars[i as usize].script(script, r.max_runs, at) {
                queue.schedule(at, Event::Registrar(i, registrar::Timer::Startup));
            }
        }
        let traced = s.pool_elements.availability().of(n_pe as u32, "pool_elements").expect("validated scenario");
        let pe_scripts = scripts(traced, n_pe, &|i| life(&s.pool_element(i).status_changes));
        for ((i, &lan), script) in (0..).zip(&layout.pool_element_lans).zip(pe_scripts) {
            let pe = s.pool_element(i);
            let at = SimTime::from_secs_f64(pe.start_s + 0.5 * lan as f64);
            if let Some(at) = pool_elements[i as usize].script(script, pe.max_runs, at) {
                queue.schedule(at, Event::PoolElement(i, pool_element::Timer::Startup));
            }
        }
        for (i, config) in pu_configs.iter().enumerate() {
            queue.schedule(SimTime::ZERO + config.start, Event::PoolUser(i as u32, pool_user::Timer::Start));
        }
        for (i, a) in (0..).zip(attackers.iter_mut()) {
            let section = s.attacker(i);
            if let Some(at) = a.script(life(&section.status_changes), section.max_runs) {
                queue.schedule(at, Event::Attacker(i, attacker::Timer::Startup));
            }
        }
        queue.schedule(SimTime::from_secs_f64(s.warmup_s), Event::StatisticsReset);
        let end = SimTime::ZERO + secs(s.end_s());
        queue.schedule(end, Event::StatisticsWrite);

        // Interfaces: every host's, by node (registrars, PEs, PUs, then attackers).
        let interface =
            |(up, down): (TimeDistribution, TimeDistribution), changes: &[StatusChange], component, index: usize| {
                let cycle = UpDown::new(up, down, StreamOwner { seed: s.seed, component, index: index as u32 }, true)
                    .with_script(Script::from_status_changes(changes, true));
                cycle.fails().then(|| Box::new(cycle))
            };
        let mut interfaces: Vec<Option<Box<UpDown>>> = Vec::with_capacity(n_pr + n_pe + n_pu + n_at);
        for i in 0..n_pr {
            let r = s.registrar(i as u32);
            let spans = (r.interface_uptime, r.interface_downtime);
            interfaces.push(interface(spans, &r.status_changes, Component::Registrar, i));
        }
        for i in 0..n_pe {
            let pe = s.pool_element(i as u32);
            let spans = (pe.interface_uptime, pe.interface_downtime);
            interfaces.push(interface(spans, &pe.status_changes, Component::PoolElement, i));
        }
        for i in 0..n_pu {
            let pu = s.pool_user(i as u32);
            let spans = (pu.interface_uptime, pu.interface_downtime);
            interfaces.push(interface(spans, &pu.status_changes, Component::PoolUser, i));
        }
        for i in 0..n_at {
            let a = s.attacker(i as u32);
            interfaces.push(interface(
                (a.interface_uptime, a.interface_downtime),
                &a.status_changes,
                Component::Attacker,
                i,
            ));
        }
        for (node, cycle) in interfaces.iter_mut().enumerate() {
            if let Some(uptime) = cycle.as_mut().and_then(|c| c.uptime(SimTime::ZERO)) {
                queue.schedule(SimTime::ZERO + uptime, Event::Interface(node as u32));
            }
        }

        Simulation {
            queue,
            in_flight: InFlight::default(),
            scratch: Scratch::default(),
            net: Network::new(
                &s.network,
                [&layout.registrar_lans[..], &layout.pool_element_lans, &layout.pool_user_lans, &layout.attacker_lans]
                    .concat(),
                (n_pr + n_pe + n_pu) as u32,
                s.seed,
            ),
            counters: Counters {
                network: NetworkCounters::default(),
                pool_users: vec![PoolUserCounters::default(); layout.lans as usize],
            },
            layout,
            registrars,
            pool_elements,
            pool_users,
            attackers,
            interfaces,
            nominal_capacity: s.pool_elements.capacity,
            duration_s: s.duration_s,
            trace,
            end,
            now: SimTime::ZERO,
            events: 0,
            fingerprint: Fingerprint::default(),
        }
    }

    /// The time of the last event executed.
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn pool_elements(&self) -> &[PoolElement] {
        &self.pool_elements
    }

    pub fn pool_users(&self) -> &[PoolUser] {
        &self.pool_users
    }

    /// What the pool users counted, by LAN.
    pub fn lan_counters(&self) -> &[PoolUserCounters] {
        &self.counters.pool_users
    }

    pub fn registrars(&self) -> &[Registrar] {
        &self.registrars
    }

    pub fn attackers(&self) -> &[Attacker] {
        &self.attackers
    }

    /// Whether a host's interface is up (registrars, PEs, PUs, then attackers).
    pub fn interface_up(&self, node: NodeId) -> bool {
        self.net.is_up(node)
    }

    /// Runs until the statistics are written; returns the metrics.
    pub fn run(self) -> RunOutput {
        self.run_sampled(SimDuration::ZERO, |_, _| {})
    }

    /// Runs like [`Simulation::run`] and returns the operations on the event list's heap
    /// too (for `poolsim bench event-list`).
    pub fn run_traced(mut self) -> (RunOutput, EventListTrace) {
        self.queue.start_trace();
        let output = self.run_loop(SimDuration::ZERO, |_, _| {});
        (output, self.queue.take_trace().expect("recording since the start"))
    }

    /// Runs like [`Simulation::run`], and every `interval` of simulated time (from 0 to the
    /// end) calls `sample` with the state after every event up to that instant. The
    /// samples schedule nothing, so the run is the same as without them.
    pub fn run_sampled(mut self, interval: SimDuration, sample: impl FnMut(SimTime, &Simulation)) -> RunOutput {
        self.run_loop(interval, sample)
    }

    fn run_loop(&mut self, interval: SimDuration, mut sample: impl FnMut(SimTime, &Simulation)) -> RunOutput {
        let mut next_sample = if interval.0 > 0 { Some(SimTime::ZERO) } else { None };
        loop {
            let (now, event) = self.queue.pop().expect("the statistics write is always pending");
            while let Some(at) = next_sample.filter(|&at| at < now) {
                sample(at, self);
                next_sample = Some(at + interval).filter(|&t| t <= self.end);
            }
            if let Some(output) = self.execute(now, event) {
                if let Some(at) = next_sample.filter(|&at| at <= now) {
                    sample(at, self);
                }
                return output;
            }
        }
    }

    /// Fault injection (tests, what-if studies): host `from` sends `msg` to port `port` of
    /// host `to` at the current time, as if one of its components had sent it.
    pub fn inject(&mut self, from: NodeId, to: NodeId, port: u32, msg: Message) {
        let mut ctx = Ctx {
            now: self.now,
            me: from,
            queue: &mut self.queue,
            in_flight: &mut self.in_flight,
            net: &self.net,
            counters: &mut self.counters,
            scratch: &mut self.scratch,
        };
        ctx.send_to_port(to, port, msg);
    }

    /// Executes one event; returns the run's output when it was the statistics write.
    pub fn step(&mut self) -> Option<RunOutput> {
        let (now, event) = self.queue.pop().expect("the statistics write is always pending");
        self.execute(now, event)
    }

    /// Inlined into each loop: the event dispatch is the hottest code of a run.
    #[inline(always)]
    fn execute(&mut self, now: SimTime, event: Event) -> Option<RunOutput> {
        self.now = now;
        self.events += 1;
        let n_pr = self.registrars.len() as u32;
        let n_pe = self.pool_elements.len() as u32;
        let n_pu = self.pool_users.len() as u32;
        macro_rules! ctx {
            ($me:expr) => {
                Ctx {
                    now,
                    me: $me,
                    queue: &mut self.queue,
                    in_flight: &mut self.in_flight,
                    net: &self.net,
                    counters: &mut self.counters,
                    scratch: &mut self.scratch,
                }
            };
        }
        match event {
            Event::Deliver(i) => {
                let d = self.in_flight.take(i);
                let to = d.to.0;
                self.fingerprint.add(now, (1 << 56) ^ ((to as u64) << 16) ^ d.msg.tag());
                if !self.net.is_up(d.to) {
                    self.counters.network.drop(&d.msg);
                } else if to < n_pr {
                    // Registrars serve the well-known port only; elsewhere is unbound.
                    if d.port == WELL_KNOWN_PORT {
                        let r = &mut self.registrars[to as usize];
                        let mut c = ctx!(r.node);
                        r.on_message(d.from, d.sent, d.msg, &mut c);
                    }
                } else if to < n_pr + n_pe {
                    let pe = &mut self.pool_elements[(to - n_pr) as usize];
                    let mut c = ctx!(pe.node);
                    pe.on_message(d.from, d.port, d.msg, &mut c);
                } else if to < n_pr + n_pe + n_pu {
                    let pu = &mut self.pool_users[(to - n_pr - n_pe) as usize];
                    let mut c = ctx!(pu.node);
                    pu.on_message(d.from, d.msg, &mut c);
                } else {
                    let a = &mut self.attackers[(to - n_pr - n_pe - n_pu) as usize];
                    let mut c = ctx!(a.node);
                    a.on_message(d.from, d.msg, &mut c);
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
            Event::Attacker(i, t) => {
                let a = &mut self.attackers[i as usize];
                let mut c = ctx!(a.node);
                a.on_timer(t, &mut c);
            }
            Event::Interface(node) => {
                let was_up = self.net.is_up(NodeId(node));
                self.net.set_up(NodeId(node), !was_up);
                let cycle = self.interfaces[node as usize].as_mut().expect("only failing interfaces toggle");
                if let Some(span) = if was_up { cycle.downtime(now) } else { cycle.uptime(now) } {
                    self.queue.schedule(now + span, Event::Interface(node));
                }
            }
            Event::StatisticsReset => {
                self.counters.network = NetworkCounters::default();
                self.counters.pool_users.iter_mut().for_each(PoolUserCounters::reset);
                self.registrars.iter_mut().for_each(|r| r.reset_statistics(now));
                self.pool_elements.iter_mut().for_each(|pe| pe.reset_statistics(now));
                self.pool_users.iter_mut().for_each(PoolUser::reset_statistics);
                self.attackers.iter_mut().for_each(Attacker::reset_statistics);
            }
            Event::StatisticsWrite => return Some(self.write_statistics()),
        }
        None
    }

    fn write_statistics(&mut self) -> RunOutput {
        let now = self.now;
        self.pool_elements.iter_mut().for_each(|pe| pe.finish_statistics(now));
        let metrics = Metrics::compute(&MetricsInput {
            pool_elements: &self.pool_elements,
            pool_users: &self.pool_users,
            lan_counters: &self.counters.pool_users,
            registrars: &self.registrars,
            attackers: &self.attackers,
            network: self.counters.network,
            in_flight_calculations: self.in_flight.pending().map(|d| d.msg.newly_saved()).sum(),
            nominal_capacity: self.nominal_capacity,
            duration_s: self.duration_s,
            trace: self.trace,
        });
        RunOutput {
            metrics,
            pool_elements: (0..).zip(&self.pool_elements).map(|(i, pe)| PoolElementReport::of(i, pe)).collect(),
            registrars: (0..).zip(&self.registrars).map(|(i, r)| RegistrarReport::of(i, r)).collect(),
            lans: self.lan_reports(),
            events: self.events,
            sim_time_s: now.as_secs_f64(),
            fingerprint: self.fingerprint,
        }
    }
}

impl Simulation {
    /// The figures of every LAN (components are numbered LAN by LAN).
    fn lan_reports(&self) -> Vec<LanReport> {
        let count = |lans: &[u32], lan: u32| lans.iter().filter(|&&l| l == lan).count();
        let (mut pe, mut pu) = (0, 0);
        (0..self.layout.lans)
            .map(|lan| {
                let pes = &self.pool_elements[pe..pe + count(&self.layout.pool_element_lans, lan)];
                let pus = &self.pool_users[pu..pu + count(&self.layout.pool_user_lans, lan)];
                (pe, pu) = (pe + pes.len(), pu + pus.len());
                let registrars = count(&self.layout.registrar_lans, lan) as u32;
                LanReport::of(lan, registrars, pes, pus, &self.counters.pool_users[lan as usize], self.nominal_capacity)
            })
            .collect()
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
        Event::Interface(node) => (7, *node as u64, 0),
        Event::Attacker(i, t) => (8, *i as u64, *t as u64 + 1),
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
        Shutdown => 7,
        TakeoverExpiry(i) => 8 | ((*i as u64) << 8),
    }
}

fn pool_element_timer_tag(t: &pool_element::Timer) -> u64 {
    use pool_element::Timer::*;
    match t {
        Startup => 1,
        RegistrationTimeout => 2,
        Reregistration => 3,
        Shutdown => 4,
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
        SelectionRetry(p) => 5 | ((*p as u64) << 8),
        RequestTimeout(p) => 6 | ((*p as u64) << 8),
        KeepAlive(p) => 7 | ((*p as u64) << 8),
        KeepAliveTimeout(p) => 8 | ((*p as u64) << 8),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// 100 000 identifiers out of 2^31 collide a few times (birthday bound): each
    /// collision is redrawn from the PE's own stream, no identifier repeats, and the count
    /// of draws brings a stream derived again to where the PE left it.
    #[test]
    fn pool_element_ids_are_unique_and_redrawn_on_a_collision() {
        let n = 100_000;
        let ids = pool_element_ids(1, n);
        let unique: HashSet<PeId> = ids.iter().map(|(id, _)| *id).collect();
        assert_eq!(unique.len(), n);
        assert!(ids.iter().any(|&(_, draws)| draws > 1), "no collision among {n}: the test needs another seed");
        for (i, &(id, draws)) in ids.iter().enumerate() {
            let mut again = rng::stream(1, Component::PoolElement, i as u64, Purpose::Identifier);
            let last = (0..draws).map(|_| fresh_identifier(&mut again)).last();
            assert_eq!(last, Some(id));
        }
    }
}
