//! Heads up: the CalcApp pool element of the RSPSIM model (rspsim-model.md §5): a server
//! that shares its capacity equally among its active jobs (egalitarian processor
//! sharing), rejects requests when MaxJobs jobs run, sends cookies with the job's progress,
//! monitors sessions with keep-alives, and re-registers at its home registrar whenever its
//! load changes (adaptive policies). Its ASAP layer registers, re-registers every
//! T4 = clamp(life - 20 s, 1 s, 600 s), answers endpoint keep-alives and hunts a new
//! registrar on timeouts and rejects (RFC 5352).
//!
//! Not modelled yet: component uptime/downtime (PE churn), deregistration at shutdown.

use super::message::{Cookie, Message, PeRecord};
use super::{Ctx, Event, NodeId, secs};
use crate::engine::rng::{self, Component, Purpose, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{PeId, PolicySettings, PolicyType, RegistrarId, U32MAX};
use rand::RngExt;
use std::rc::Rc;

/// Pool element parameters shared by all PEs of a scenario (rspsim-model.md §5.2).
#[derive(Clone, Debug)]
pub struct PoolElementConfig {
    pub policy: PolicyType,
    /// Explicit weight, or None for auto (capacity).
    pub weight: Option<f64>,
    /// Explicit load degradation fraction, or None for auto (1 / MaxJobs).
    pub load_degradation: Option<f64>,
    pub load_dpf: f64,
    pub weight_dpf: f64,
    pub update_threshold: f64,
    pub reregister_immediately: bool,
    pub min_capacity_per_job: f64,
    pub max_jobs: u32,
    pub registration_life_ms: u32,
    pub reject_probability: f64,
    /// Cookie after this many calculations [calculations].
    pub cookie_max_calculations: f64,
    /// Cookie after at most this time [s].
    pub cookie_max_time_s: f64,
    pub keep_alive_interval: SimDuration,
    pub keep_alive_timeout: SimDuration,
    pub registration_timeout: SimDuration,
    pub max_registration_attempts: u32,
    /// Hunt retry delay after a reject: uniform(0, this) [s].
    pub hunt_retry_delay_max_s: f64,
    /// Registrars of the PE's LAN (the static registrar list).
    pub registrars: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Startup,
    /// T2: registration response timeout.
    RegistrationTimeout,
    /// T4: periodic re-registration.
    Reregistration,
    /// Wait after a registrar's reject before hunting again.
    HuntRetry,
    /// The next job completion or cookie.
    Service,
    JobKeepAlive(u32),
    JobKeepAliveTimeout(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AsapPhase {
    Idle,
    HuntRetry,
    WaitingForResponse,
    Registered,
}

/// What the service timer fires for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServiceEvent {
    Completion,
    Cookie,
}

struct Job {
    /// PE-local serial (wraps after 2^32 jobs), names the job's timers.
    key: u32,
    client: NodeId,
    job: u64,
    /// Size [calculations].
    total: f64,
    /// Done so far [calculations].
    completed: f64,
    last_cookie_at: SimTime,
    last_cookie_completed: f64,
    keep_alive: TimerId,
    keep_alive_timeout: TimerId,
}

/// Per-PE statistics over the measurement window (rspsim-model.md §5.9).
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolElementStats {
    /// Calculations performed (TotalCalculations; includes work later lost).
    pub used_calculations: f64,
    /// Time in service [ns].
    pub uptime_ns: u64,
    pub jobs_accepted: u64,
    pub jobs_rejected: u64,
    pub policy_updates: u64,
}

pub struct PoolElement {
    index: u32,
    pub node: NodeId,
    pub id: PeId,
    /// Service capacity [calculations/s].
    pub capacity: f64,
    pub max_jobs: u32,
    config: Rc<PoolElementConfig>,
    settings: PolicySettings,
    phase: AsapPhase,
    home: Option<NodeId>,
    attempts: u32,
    registration_timeout: TimerId,
    reregistration: TimerId,
    update_pending: bool,
    running: bool,
    jobs: Vec<Job>,
    next_key: u32,
    service_timer: TimerId,
    next_service: Option<(u32, ServiceEvent)>,
    last_accounting: SimTime,
    last_uptime_accounting: SimTime,
    current_load: f64,
    last_reported_load: f64,
    hunt_rng: StreamRng,
    reject_rng: StreamRng,
    pub stats: PoolElementStats,
}

impl PoolElement {
    pub fn new(
        index: u32,
        node: NodeId,
        id: PeId,
        capacity: f64,
        config: Rc<PoolElementConfig>,
        seed: u64,
        queue: &mut EventQueue<Event>,
    ) -> PoolElement {
        let mut timer = |t| queue.add_timer(Event::PoolElement(index, t));
        // MaxJobs and a capacity below MinCapacityPerJob (rspsim-model.md §5.3).
        let (capacity, max_jobs) = if config.max_jobs >= 1 {
            (capacity, config.max_jobs)
        } else {
            let t = capacity / config.min_capacity_per_job;
            if t < 1.0 { (config.min_capacity_per_job, 1) } else { (capacity, t.round_ties_even() as u32) }
        };
        let mut settings = PolicySettings::new(config.policy);
        let weight = config.weight.unwrap_or(if config.policy == PolicyType::WeightedRoundRobin {
            (capacity / 1e5).max(1.0)
        } else {
            capacity
        });
        settings.weight = weight.round_ties_even().min(U32MAX as f64) as u32;
        let ld = config.load_degradation.unwrap_or(1.0 / max_jobs as f64);
        settings.load_degradation = fraction_u32(ld);
        settings.load_dpf = fraction_u32(config.load_dpf);
        settings.weight_dpf = fraction_u32(config.weight_dpf);
        PoolElement {
            index,
            node,
            id,
            capacity,
            max_jobs,
            settings,
            phase: AsapPhase::Idle,
            home: None,
            attempts: 0,
            registration_timeout: timer(Timer::RegistrationTimeout),
            reregistration: timer(Timer::Reregistration),
            update_pending: false,
            running: false,
            jobs: Vec::new(),
            next_key: 0,
            service_timer: timer(Timer::Service),
            next_service: None,
            last_accounting: SimTime::ZERO,
            last_uptime_accounting: SimTime::ZERO,
            current_load: 0.0,
            last_reported_load: 0.0,
            hunt_rng: rng::stream(seed, Component::PoolElement, index as u64, Purpose::Hunt),
            reject_rng: rng::stream(seed, Component::PoolElement, index as u64, Purpose::Reject),
            stats: PoolElementStats::default(),
            config,
        }
    }

    fn timer(&self, t: Timer) -> Event {
        Event::PoolElement(self.index, t)
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        match timer {
            Timer::Startup => {
                self.running = true;
                self.last_accounting = ctx.now;
                self.last_uptime_accounting = ctx.now;
                self.settings.load = 0;
                self.last_reported_load = 0.0;
                self.send_registration(ctx);
            }
            Timer::RegistrationTimeout => self.send_registration(ctx),
            Timer::Reregistration => {
                self.attempts = 0;
                self.send_registration(ctx);
            }
            Timer::HuntRetry => {
                if self.phase == AsapPhase::HuntRetry {
                    self.send_registration(ctx);
                }
            }
            Timer::Service => {
                if let Some((key, what)) = self.next_service.take() {
                    self.on_service(key, what, ctx);
                }
            }
            Timer::JobKeepAlive(key) => {
                let Some(i) = self.job_by_key(key) else { return };
                let (client, id) = (self.jobs[i].client, self.jobs[i].job);
                ctx.arm(self.jobs[i].keep_alive_timeout, self.config.keep_alive_timeout);
                ctx.send(client, Message::CalcAppKeepAlive { job: id });
            }
            Timer::JobKeepAliveTimeout(key) => {
                // The client is gone: abort the orphaned job.
                let Some(i) = self.job_by_key(key) else { return };
                let (client, id) = (self.jobs[i].client, self.jobs[i].job);
                ctx.send(client, Message::CalcAppAbort { job: id });
                self.remove_job(i, ctx);
                self.update_load(ctx);
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: Message, ctx: &mut Ctx) {
        match msg {
            Message::RegistrationResponse { reject, error, .. } => self.on_registration_response(reject, error, ctx),
            Message::EndpointKeepAlive { pe, home }
                if pe == self.id && matches!(self.phase, AsapPhase::Registered | AsapPhase::WaitingForResponse) =>
            {
                if home {
                    self.home = Some(from);
                }
                ctx.send(from, Message::EndpointKeepAliveAck { pe });
            }
            Message::CalcAppRequest { job, size } => self.admit(from, job, size, 0.0, ctx),
            Message::CookieEcho(c) => self.admit(from, c.job, c.total, c.completed, ctx),
            Message::CalcAppKeepAlive { job } if self.job_index(from, job).is_some() => {
                ctx.send(from, Message::CalcAppKeepAliveAck { job });
            }
            Message::CalcAppKeepAliveAck { job } => {
                if let Some(i) = self.job_index(from, job)
                    && ctx.is_running(self.jobs[i].keep_alive_timeout)
                {
                    ctx.cancel(self.jobs[i].keep_alive_timeout);
                    ctx.arm(self.jobs[i].keep_alive, self.config.keep_alive_interval);
                }
            }
            _ => {}
        }
    }

    // ---- ASAP: registration -----------------------------------------------------------

    fn record(&self) -> PeRecord {
        PeRecord {
            id: self.id,
            home: RegistrarId(0),
            registration_life_ms: self.config.registration_life_ms,
            user: self.node,
            registrator: self.node,
            settings: self.settings,
        }
    }

    /// SEND_REGISTRATION: hunt a registrar if none or attempts exhausted, then send.
    fn send_registration(&mut self, ctx: &mut Ctx) {
        if self.home.is_none() || self.attempts >= self.config.max_registration_attempts {
            self.attempts = 0;
            let list = &self.config.registrars;
            self.home = Some(list[self.hunt_rng.random_range(0..list.len())]);
        }
        self.attempts += 1;
        let home = self.home.expect("hunted");
        ctx.send(home, Message::Registration { record: self.record() });
        ctx.arm(self.registration_timeout, self.config.registration_timeout);
        self.phase = AsapPhase::WaitingForResponse;
    }

    fn on_registration_response(&mut self, reject: bool, error: u16, ctx: &mut Ctx) {
        if self.phase != AsapPhase::WaitingForResponse {
            return; // late duplicate
        }
        ctx.cancel(self.registration_timeout);
        self.attempts = 0;
        if reject {
            self.home = None;
            self.phase = AsapPhase::HuntRetry;
            let delay = uniform_delay(&mut self.hunt_rng, self.config.hunt_retry_delay_max_s);
            let t = self.timer(Timer::HuntRetry);
            ctx.schedule(delay, t);
        } else if error != 0 {
            self.send_registration(ctx);
        } else {
            self.phase = AsapPhase::Registered;
            let life_s = self.config.registration_life_ms as f64 / 1000.0;
            let t4 = secs((life_s - 20.0).clamp(1.0, 600.0));
            ctx.arm(self.reregistration, t4);
            if std::mem::take(&mut self.update_pending) {
                self.reregister_now(ctx);
            }
        }
    }

    fn reregister_now(&mut self, ctx: &mut Ctx) {
        ctx.cancel(self.reregistration);
        self.attempts = 0;
        self.send_registration(ctx);
    }

    /// A policy update from the server (new load): re-register now, or after the
    /// outstanding registration (coalescing every change in between).
    fn policy_update(&mut self, ctx: &mut Ctx) {
        if !self.config.reregister_immediately {
            return;
        }
        match self.phase {
            AsapPhase::Registered => self.reregister_now(ctx),
            AsapPhase::WaitingForResponse => self.update_pending = true,
            AsapPhase::Idle | AsapPhase::HuntRetry => {}
        }
    }

    // ---- CalcApp service --------------------------------------------------------------

    fn job_index(&self, client: NodeId, job: u64) -> Option<usize> {
        self.jobs.iter().position(|j| j.client == client && j.job == job)
    }

    fn job_by_key(&self, key: u32) -> Option<usize> {
        self.jobs.iter().position(|j| j.key == key)
    }

    /// Admission of a request (completed = 0) or a cookie echo (completed from the cookie).
    fn admit(&mut self, client: NodeId, job: u64, total: f64, completed: f64, ctx: &mut Ctx) {
        if !self.running {
            return;
        }
        let full = self.jobs.len() >= self.max_jobs as usize;
        let p = self.config.reject_probability;
        if full || (p > 0.0 && self.reject_rng.random::<f64>() < p) {
            self.stats.jobs_rejected += 1;
            ctx.send(client, Message::CalcAppReject { job });
            return;
        }
        self.stats.jobs_accepted += 1;
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        let keep_alive = ctx.add_timer(self.timer(Timer::JobKeepAlive(key)));
        let keep_alive_timeout = ctx.add_timer(self.timer(Timer::JobKeepAliveTimeout(key)));
        ctx.arm(keep_alive, self.config.keep_alive_interval);
        self.account(ctx.now);
        self.jobs.push(Job {
            key,
            client,
            job,
            total,
            completed,
            last_cookie_at: ctx.now,
            last_cookie_completed: completed,
            keep_alive,
            keep_alive_timeout,
        });
        self.reschedule(ctx);
        ctx.send(client, Message::CalcAppAccept { job });
        self.update_load(ctx);
    }

    fn on_service(&mut self, key: u32, what: ServiceEvent, ctx: &mut Ctx) {
        let Some(i) = self.job_by_key(key) else {
            return;
        };
        self.account(ctx.now);
        let job = &mut self.jobs[i];
        match what {
            ServiceEvent::Completion => {
                let (client, id) = (job.client, job.job);
                ctx.send(client, Message::CalcAppComplete { job: id });
                self.remove_job(i, ctx);
                self.update_load(ctx);
            }
            ServiceEvent::Cookie => {
                job.last_cookie_at = ctx.now;
                job.last_cookie_completed = job.completed;
                let cookie = Cookie { job: job.job, total: job.total, completed: job.completed };
                let client = job.client;
                self.reschedule(ctx);
                ctx.send(client, Message::Cookie(cookie));
            }
        }
    }

    fn remove_job(&mut self, i: usize, ctx: &mut Ctx) {
        self.account(ctx.now);
        let job = self.jobs.remove(i);
        ctx.remove_timer(job.keep_alive);
        ctx.remove_timer(job.keep_alive_timeout);
        self.reschedule(ctx);
    }

    /// Accounting step: credit every job its share of the capacity since the last step.
    fn account(&mut self, now: SimTime) {
        if self.running {
            self.stats.uptime_ns += now.since(self.last_uptime_accounting).0;
        }
        self.last_uptime_accounting = now;
        let n = self.jobs.len();
        if n > 0 {
            let work = (now.since(self.last_accounting).as_secs_f64() * self.capacity / n as f64).round_ties_even();
            for job in &mut self.jobs {
                let done = work.min(job.total - job.completed);
                job.completed += done;
                self.stats.used_calculations += done;
            }
        }
        self.last_accounting = now;
    }

    /// Scheduling step: arm the service timer at the earliest completion or cookie
    /// (ties: job order, completion before cookie, as the reference reschedules).
    fn reschedule(&mut self, ctx: &mut Ctx) {
        ctx.cancel(self.service_timer);
        self.next_service = None;
        let n = self.jobs.len();
        if n == 0 {
            return;
        }
        // All jobs progress at the same rate, so the earliest completion is the least
        // remaining work and the earliest cookie the least calculations or time to the
        // next one: three minima, then only those are turned into times.
        let rate = self.capacity / n as f64;
        let (mut work, mut calc, mut time) = ((f64::INFINITY, 0), (f64::INFINITY, 0), (f64::INFINITY, 0));
        for (i, job) in self.jobs.iter().enumerate() {
            let remaining = job.total - job.completed;
            let to_cookie = self.config.cookie_max_calculations - (job.completed - job.last_cookie_completed);
            let cookie_in_s = self.config.cookie_max_time_s - ctx.now.since(job.last_cookie_at).as_secs_f64();
            for (min, v) in [(&mut work, remaining), (&mut calc, to_cookie), (&mut time, cookie_in_s)] {
                if v < min.0 {
                    *min = (v, i);
                }
            }
        }
        let at = |s: f64| ctx.now + secs(s.max(0.0));
        // Ties: job order, completion before cookie (the reference's rescheduling order).
        let best = [
            (at(work.0 / rate), work.1, ServiceEvent::Completion),
            (at(calc.0 / rate), calc.1, ServiceEvent::Cookie),
            (at(time.0), time.1, ServiceEvent::Cookie),
        ]
        .into_iter()
        .min_by_key(|&(t, i, what)| (t, i, what == ServiceEvent::Cookie))
        .map(|(t, i, what)| (t, self.jobs[i].key, what));
        let (at, key, what) = best.expect("jobs exist");
        self.next_service = Some((key, what));
        ctx.arm(self.service_timer, at.since(ctx.now));
    }

    /// Load reporting (rspsim-model.md §5.7): re-register when the load changed by more
    /// than the update threshold (adaptive policies only).
    fn update_load(&mut self, ctx: &mut Ctx) {
        let load = self.jobs.len() as f64 / self.max_jobs as f64;
        if (load - self.current_load).abs() <= 1e-6 {
            return;
        }
        self.current_load = load;
        if self.config.policy.is_adaptive()
            && (self.current_load - self.last_reported_load).abs() > self.config.update_threshold
        {
            self.settings.load = fraction_u32(self.current_load);
            self.last_reported_load = self.current_load;
            self.stats.policy_updates += 1;
            self.policy_update(ctx);
        }
    }

    /// Statistics reset at the end of the warm-up: account first, so that earlier work
    /// is excluded.
    pub fn reset_statistics(&mut self, now: SimTime) {
        self.account(now);
        self.stats = PoolElementStats::default();
    }

    /// Final accounting at the statistics write time.
    pub fn finish_statistics(&mut self, now: SimTime) {
        self.account(now);
    }
}

/// `min(U32MAX, rint(U32MAX · x))` for a fraction x in 0..1.
pub fn fraction_u32(x: f64) -> u32 {
    (x * U32MAX as f64).round_ties_even().clamp(0.0, U32MAX as f64) as u32
}

/// A delay uniform in [0, max_s) seconds.
pub fn uniform_delay(rng: &mut StreamRng, max_s: f64) -> SimDuration {
    if max_s > 0.0 { secs(rng.random_range(0.0..max_s)) } else { SimDuration::ZERO }
}

/// Pool element configuration from the scenario.
pub fn config_from(s: &crate::scenario::Scenario, registrars: Vec<NodeId>) -> PoolElementConfig {
    let pe = &s.pool_elements;
    PoolElementConfig {
        policy: pe.policy,
        weight: pe.weight.value(),
        load_degradation: pe.load_degradation.value(),
        load_dpf: pe.load_dpf,
        weight_dpf: pe.weight_dpf,
        update_threshold: pe.update_threshold,
        reregister_immediately: pe.reregister_immediately,
        min_capacity_per_job: pe.min_capacity_per_job,
        max_jobs: pe.max_jobs,
        registration_life_ms: (pe.registration_life_s * 1000.0).round() as u32,
        reject_probability: pe.reject_probability,
        cookie_max_calculations: pe.cookie_max_calculations,
        cookie_max_time_s: pe.cookie_max_time_s,
        keep_alive_interval: secs(s.calcapp.keep_alive_interval_s),
        keep_alive_timeout: secs(s.calcapp.keep_alive_timeout_s),
        registration_timeout: secs(s.asap.request_timeout_s),
        max_registration_attempts: s.asap.max_request_retransmit.max(1),
        hunt_retry_delay_max_s: s.asap.server_hunt_retry_delay_max_s,
        registrars,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::EventQueue;
    use crate::model::{InFlight, PacketCounters, network::Network};
    use crate::scenario::Scenario;

    /// rspsim-model.md §12: two jobs of sizes a <= b admitted at the same instant on one PE
    /// finish at 2a/capacity and (a+b)/capacity (egalitarian processor sharing).
    #[test]
    fn processor_sharing_finishes_two_jobs_at_2a_and_a_plus_b() {
        let s = Scenario::default();
        let (pr, pe_node, pu) = (NodeId(0), NodeId(1), NodeId(2));
        let mut queue = EventQueue::default();
        let mut pe = PoolElement::new(0, pe_node, PeId(5), 1e6, Rc::new(config_from(&s, vec![pr])), 1, &mut queue);
        let net = Network::new(&s.network, 3, 1);
        let mut in_flight = InFlight::default();
        let mut packets = PacketCounters::default();
        macro_rules! ctx {
            ($now:expr) => {
                &mut Ctx {
                    now: $now,
                    me: pe_node,
                    queue: &mut queue,
                    in_flight: &mut in_flight,
                    net: &net,
                    packets: &mut packets,
                }
            };
        }
        pe.on_timer(Timer::Startup, ctx!(SimTime::ZERO));
        let (a, b) = (2e6, 5e6);
        pe.on_message(pu, Message::CalcAppRequest { job: 1, size: a }, ctx!(SimTime::ZERO));
        pe.on_message(pu, Message::CalcAppRequest { job: 2, size: b }, ctx!(SimTime::ZERO));
        let mut completed = Vec::new();
        while completed.len() < 2 {
            let (now, event) = queue.pop().expect("events pending");
            match event {
                Event::PoolElement(_, t) => pe.on_timer(t, ctx!(now)),
                Event::Deliver(i) => {
                    if let Message::CalcAppComplete { job } = in_flight.take(i).msg {
                        completed.push((job, now));
                    }
                }
                _ => {}
            }
        }
        assert_eq!(completed, [(1, SimTime::from_secs(4)), (2, SimTime::from_secs(7))]);
        assert_eq!(pe.stats.used_calculations, a + b);
    }
}
