//! Heads up: the CalcApp pool element of the RSPSIM model (docs/model.md §5): a server
//! that shares its capacity equally among its active jobs (egalitarian processor
//! sharing), rejects requests when MaxJobs jobs run, sends cookies with the job's progress,
//! monitors sessions with keep-alives, and re-registers at its home registrar whenever its
//! load changes (adaptive policies). Its ASAP layer registers, re-registers every
//! T4 = clamp(life - 20 s, 1 s, 600 s), answers endpoint keep-alives and hunts a new
//! registrar on timeouts and rejects (RFC 5352).
//!
//! Life cycle (§5.8): a PE runs for an uptime counted from its first successful
//! registration, then stops. A clean stop sends every PU a cookie with the job's progress
//! and an abort, and deregisters; an unclean stop drops the jobs and vanishes. After a
//! downtime it restarts with a new identifier and a new service port, so sessions of the
//! earlier incarnation are gone for good. Work done since a session's last cookie is lost
//! when the session ends without completion, and counted (`lost_calculations`).

use super::ids::fresh_identifier;
use super::lifecycle::{LifeCycle, LifeCycleConfig, LifeCycleStats, Script};
use super::message::{Cookie, Message, PeRecord};
use super::registrar_table::RegistrarTable;
use super::{Ctx, Event, NodeId, secs, uniform_delay};
use crate::engine::rng::{Component, LazyStream, Purpose, StreamOwner, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{PeId, PolicySettings, PolicyType, RegistrarId, U32MAX, fraction_u32, round_ties_even};
use crate::scenario::{PoolElements, Scenario, TimeDistribution};
use rand::RngExt;
use std::rc::Rc;

/// Pool element parameters shared by all PEs of a scenario (docs/model.md §5.2).
#[derive(Clone, Debug)]
pub struct PoolElementConfig {
    /// The policy settings every PE of this configuration registers with: policy,
    /// PowerOfDChoices' d and the distance penalty factors; each PE adds its weight, load
    /// degradation and load.
    pub settings: PolicySettings,
    /// Explicit weight, or None for auto (capacity).
    pub weight: Option<f64>,
    /// Explicit load degradation fraction, or None for auto (1 / MaxJobs).
    pub load_degradation: Option<f64>,
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
    /// The registrars it may register at, and how it hunts them.
    pub registrars: RegistrarTable,
    pub uptime: TimeDistribution,
    pub downtime: TimeDistribution,
    pub clean_shutdown_probability: f64,
    /// The run's seed, for the streams a PE derives.
    pub seed: u64,
}

pub use super::timer::PoolElementTimer as Timer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AsapPhase {
    Idle,
    HuntRetry,
    WaitingForResponse,
    Registered,
    /// Waiting for the deregistration response of a clean stop.
    Deregistering,
}

/// The CalcApp server's state in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServiceState {
    /// Not started, or down between runs: the service port is unbound.
    Down,
    Running,
    /// Stopped cleanly, deregistering: CalcApp messages are ignored.
    Stopping,
}

/// What the service timer fires for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServiceEvent {
    Completion,
    Cookie,
}

impl Job {
    /// Progress not yet saved by a cookie [calculations].
    fn unsaved(&self) -> f64 {
        self.completed - self.last_cookie_completed
    }
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

/// Per-PE statistics over the measurement window (docs/model.md §5.9).
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolElementStats {
    /// Calculations performed (TotalCalculations; includes work later lost).
    pub used_calculations: f64,
    /// Calculations of sessions that ended without completion, done since their last
    /// cookie (orphans, unclean stops).
    pub lost_calculations: f64,
    /// Time in service [ns].
    pub uptime_ns: u64,
    pub jobs_accepted: u64,
    pub jobs_rejected: u64,
    pub policy_updates: u64,
}

/// [`PoolElement::run_started`] of a run not registered yet (no simulated time reaches it).
const NOT_REGISTERED: SimTime = SimTime(u64::MAX);

pub struct PoolElement {
    index: u32,
    pub node: NodeId,
    /// The current incarnation's identifier (also its service port).
    pub id: PeId,
    /// Draws the identifier of each restart; derived at the first, past the draws of the
    /// first identifier (`id_draws`, made at set-up).
    id_rng: LazyStream,
    id_draws: u32,
    lifecycle: LifeCycle,
    state: ServiceState,
    /// Start of the current run's uptime (its first successful registration), or
    /// [`NOT_REGISTERED`] (a plain time, not an `Option`: 8 bytes less per PE).
    run_started: SimTime,
    /// A clean stop came while a registration was outstanding: deregister after it.
    deregister_pending: bool,
    /// Runs started so far.
    incarnations: u32,
    /// Service capacity [calculations/s].
    pub capacity: f64,
    pub max_jobs: u32,
    config: Rc<PoolElementConfig>,
    /// The policy settings of this PE, to add to its configuration's ([`Self::settings`]).
    weight: u32,
    load_degradation: u32,
    /// The load last reported, as a fraction of `U32MAX`.
    load: u32,
    phase: AsapPhase,
    home: Option<NodeId>,
    /// Position in an ordered home-registrar list.
    hunt_cursor: u32,
    attempts: u32,
    registration_timeout: TimerId,
    reregistration: TimerId,
    update_pending: bool,
    jobs: Vec<Job>,
    next_key: u32,
    service_timer: TimerId,
    next_service: Option<(u32, ServiceEvent)>,
    last_accounting: SimTime,
    last_uptime_accounting: SimTime,
    current_load: f64,
    last_reported_load: f64,
    hunt_rng: StreamRng,
    /// Drawn from only with a random rejection probability, so derived on first use.
    reject_rng: LazyStream,
    pub stats: PoolElementStats,
}

impl PoolElement {
    fn streams(&self) -> StreamOwner {
        StreamOwner { seed: self.config.seed, component: Component::PoolElement, index: self.index }
    }

    fn life(&self) -> LifeCycleConfig {
        let c = &self.config;
        LifeCycleConfig {
            uptime: c.uptime,
            downtime: c.downtime,
            clean_probability: c.clean_shutdown_probability,
            owner: self.streams(),
        }
    }

    /// `id` is the first incarnation's identifier, the last of `id_draws` draws from the
    /// PE's identifier stream, which draws those of the restarts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        index: u32,
        node: NodeId,
        id: PeId,
        id_draws: u32,
        capacity: f64,
        config: Rc<PoolElementConfig>,
        queue: &mut EventQueue<Event>,
    ) -> PoolElement {
        let mut timer = |t| queue.add_timer(Event::PoolElement(index, t));
        // MaxJobs and a capacity below MinCapacityPerJob (docs/model.md §5.3).
        let (capacity, max_jobs) = if config.max_jobs >= 1 {
            (capacity, config.max_jobs)
        } else {
            let t = capacity / config.min_capacity_per_job;
            if t < 1.0 { (config.min_capacity_per_job, 1) } else { (capacity, t.round_ties_even() as u32) }
        };
        let weight = config.weight.unwrap_or(if config.settings.policy == PolicyType::WeightedRoundRobin {
            (capacity / 1e5).max(1.0)
        } else {
            capacity
        });
        let ld = config.load_degradation.unwrap_or(1.0 / max_jobs as f64);
        let streams = StreamOwner { seed: config.seed, component: Component::PoolElement, index };
        PoolElement {
            index,
            node,
            id,
            id_rng: LazyStream::default(),
            id_draws,
            lifecycle: LifeCycle::default(),
            state: ServiceState::Down,
            run_started: NOT_REGISTERED,
            deregister_pending: false,
            incarnations: 0,
            capacity,
            max_jobs,
            weight: weight.round_ties_even().min(U32MAX as f64) as u32,
            load_degradation: fraction_u32(ld),
            load: 0,
            phase: AsapPhase::Idle,
            home: None,
            hunt_cursor: 0,
            attempts: 0,
            registration_timeout: timer(Timer::RegistrationTimeout),
            reregistration: timer(Timer::Reregistration),
            update_pending: false,
            jobs: Vec::new(),
            next_key: 0,
            service_timer: timer(Timer::Service),
            next_service: None,
            last_accounting: SimTime::ZERO,
            last_uptime_accounting: SimTime::ZERO,
            current_load: 0.0,
            last_reported_load: 0.0,
            hunt_rng: streams.stream(Purpose::Hunt),
            reject_rng: LazyStream::default(),
            stats: PoolElementStats::default(),
            config,
        }
    }

    fn timer(&self, t: Timer) -> Event {
        Event::PoolElement(self.index, t)
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        match timer {
            Timer::Startup => self.start(ctx),
            Timer::Shutdown => self.stop(ctx),
            Timer::RegistrationTimeout => match self.phase {
                AsapPhase::WaitingForResponse => self.send_registration(ctx),
                AsapPhase::Deregistering => self.send_deregistration(ctx),
                _ => {}
            },
            Timer::Reregistration => {
                self.attempts = 0;
                self.send_registration(ctx);
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
                self.account(ctx.now);
                self.stats.lost_calculations += self.jobs[i].unsaved();
                self.remove_job(i, ctx);
                self.update_load(ctx);
            }
        }
    }

    /// `port` is the destination port: CalcApp messages for another port (an earlier
    /// incarnation's) find no service and are dropped.
    pub fn on_message(&mut self, from: NodeId, port: u32, msg: Message, ctx: &mut Ctx) {
        match msg {
            Message::RegistrationResponse { pe, reject, error } if pe == self.id => {
                self.on_registration_response(reject, error, ctx)
            }
            Message::DeregistrationResponse { pe } if pe == self.id && self.phase == AsapPhase::Deregistering => {
                self.attempts = 0;
                self.go_down(ctx);
            }
            Message::EndpointKeepAlive { pe, home }
                if pe == self.id && matches!(self.phase, AsapPhase::Registered | AsapPhase::WaitingForResponse) =>
            {
                if home {
                    self.home = Some(from);
                }
                ctx.send(from, Message::EndpointKeepAliveAck { pe });
            }
            _ if port != self.id.0 || self.state != ServiceState::Running => {}
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

    // ---- Life cycle ---------------------------------------------------------------------

    /// Start or restart: bind the service (a new identifier after a restart) and register.
    fn start(&mut self, ctx: &mut Ctx) {
        debug_assert!(self.state == ServiceState::Down && self.jobs.is_empty(), "a PE starts only when down");
        if self.incarnations > 0 {
            let draws = self.id_draws;
            let replay = |rng: &mut StreamRng| {
                for _ in 0..draws {
                    fresh_identifier(rng);
                }
            };
            self.id = fresh_identifier(self.id_rng.resume(self.streams(), Purpose::Identifier, replay));
            self.lifecycle.restarted(&self.life());
        }
        self.incarnations += 1;
        self.state = ServiceState::Running;
        self.last_accounting = ctx.now;
        self.last_uptime_accounting = ctx.now;
        self.load = 0;
        self.current_load = 0.0;
        self.last_reported_load = 0.0;
        self.attempts = 0;
        self.send_registration(ctx);
    }

    /// The uptime is over: stop cleanly or vanish.
    fn stop(&mut self, ctx: &mut Ctx) {
        self.account(ctx.now);
        let started = std::mem::replace(&mut self.run_started, NOT_REGISTERED);
        assert!(started != NOT_REGISTERED, "the uptime runs from the first registration");
        let clean = self.lifecycle.stop(&self.life(), ctx.now.since(started));
        self.state = ServiceState::Stopping;
        ctx.cancel(self.service_timer);
        self.next_service = None;
        if clean {
            // As the reference: deregister first, then hand every session back.
            self.deregister(ctx);
        }
        for job in std::mem::take(&mut self.jobs) {
            if clean {
                // The client resumes elsewhere from this cookie: nothing is lost.
                let cookie = Cookie { job: job.job, total: job.total, completed: job.completed };
                ctx.send(job.client, Message::Cookie { cookie, newly_saved: job.unsaved() });
                ctx.send(job.client, Message::CalcAppAbort { job: job.job });
            } else {
                self.stats.lost_calculations += job.unsaved();
            }
            ctx.remove_timer(job.keep_alive);
            ctx.remove_timer(job.keep_alive_timeout);
        }
        if !clean {
            // ASAP reset: no word to the registrar; its entry lingers until a keep-alive
            // timeout or unreachability reports remove it.
            self.go_down(ctx);
        }
    }

    /// Down (ASAP idle, its timers stopped): restart after the downtime, with a new
    /// identifier.
    fn go_down(&mut self, ctx: &mut Ctx) {
        ctx.cancel(self.registration_timeout);
        ctx.cancel(self.reregistration);
        self.phase = AsapPhase::Idle;
        self.update_pending = false;
        self.deregister_pending = false;
        self.state = ServiceState::Down;
        if let Some(downtime) = self.lifecycle.downtime(&self.life(), ctx.now) {
            ctx.schedule(downtime, self.timer(Timer::Startup));
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
            settings: self.settings(),
        }
    }

    /// The policy settings it registers with.
    fn settings(&self) -> PolicySettings {
        let (weight, load_degradation, load) = (self.weight, self.load_degradation, self.load);
        PolicySettings { weight, load_degradation, load, ..self.config.settings }
    }

    /// Registrar hunt: the next registrar of its table (at random, or in list order), if
    /// none is known or the attempts at the current one are exhausted.
    fn hunt_if_needed(&mut self) {
        if self.home.is_none() || self.attempts >= self.config.max_registration_attempts {
            self.attempts = 0;
            self.home = Some(self.config.registrars.hunt(&mut self.hunt_cursor, &mut self.hunt_rng));
        }
    }

    /// SEND_REGISTRATION: hunt a registrar if none or attempts exhausted, then send.
    fn send_registration(&mut self, ctx: &mut Ctx) {
        self.hunt_if_needed();
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
            ctx.arm(self.reregistration, delay);
        } else if error != 0 {
            self.send_registration(ctx);
        } else {
            self.phase = AsapPhase::Registered;
            if self.state == ServiceState::Running && self.run_started == NOT_REGISTERED {
                // The uptime counts from the run's first successful registration.
                self.run_started = ctx.now;
                if let Some(uptime) = self.lifecycle.uptime(&self.life(), ctx.now) {
                    ctx.schedule(uptime, self.timer(Timer::Shutdown));
                }
            }
            if std::mem::take(&mut self.deregister_pending) {
                self.update_pending = false;
                self.deregister(ctx);
                return;
            }
            let life_s = self.config.registration_life_ms as f64 / 1000.0;
            let t4 = secs((life_s - 20.0).clamp(1.0, 600.0));
            ctx.arm(self.reregistration, t4);
            if std::mem::take(&mut self.update_pending) {
                self.reregister_now(ctx);
            }
        }
    }

    /// Deregistration of a clean stop: at once when registered, after the outstanding
    /// registration otherwise; a PE that is registered nowhere goes down at once.
    fn deregister(&mut self, ctx: &mut Ctx) {
        match self.phase {
            AsapPhase::Registered => {
                ctx.cancel(self.reregistration);
                self.attempts = 0;
                self.send_deregistration(ctx);
            }
            AsapPhase::WaitingForResponse => self.deregister_pending = true,
            AsapPhase::Idle | AsapPhase::HuntRetry | AsapPhase::Deregistering => self.go_down(ctx),
        }
    }

    /// Sends the deregistration (T3 as T2, hunting another registrar after the attempts).
    fn send_deregistration(&mut self, ctx: &mut Ctx) {
        self.hunt_if_needed();
        self.attempts += 1;
        let home = self.home.expect("hunted");
        ctx.send(home, Message::Deregistration { pe: self.id });
        ctx.arm(self.registration_timeout, self.config.registration_timeout);
        self.phase = AsapPhase::Deregistering;
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
            AsapPhase::Idle | AsapPhase::HuntRetry | AsapPhase::Deregistering => {}
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
        let full = self.jobs.len() >= self.max_jobs as usize;
        let p = self.config.reject_probability;
        if full || (p > 0.0 && self.reject_rng.get(self.streams(), Purpose::Reject).random::<f64>() < p) {
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
        // Room from one job on, doubling: Vec's first push makes room for four 64-byte
        // jobs, where most PEs hold one or two.
        if self.jobs.len() == self.jobs.capacity() {
            self.jobs.reserve_exact(self.jobs.len().max(1));
        }
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
                // The whole job is saved: the accounting's rounding may leave up to half a
                // calculation of it uncounted in the used capacity, as in the reference.
                let (client, id, newly_saved) = (job.client, job.job, job.total - job.last_cookie_completed);
                ctx.send(client, Message::CalcAppComplete { job: id, newly_saved });
                self.remove_job(i, ctx);
                self.update_load(ctx);
            }
            ServiceEvent::Cookie => {
                let newly_saved = job.unsaved();
                job.last_cookie_at = ctx.now;
                job.last_cookie_completed = job.completed;
                let cookie = Cookie { job: job.job, total: job.total, completed: job.completed };
                let client = job.client;
                self.reschedule(ctx);
                ctx.send(client, Message::Cookie { cookie, newly_saved });
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
        if self.state == ServiceState::Running {
            self.stats.uptime_ns += now.since(self.last_uptime_accounting).0;
        }
        self.last_uptime_accounting = now;
        let n = self.jobs.len();
        if n > 0 {
            let work = round_ties_even(now.since(self.last_accounting).as_secs_f64() * self.capacity / n as f64);
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
        // next one: up to three minima (the third only where it could come first, below),
        // then only those are turned into times.
        let rate = self.capacity / n as f64;
        let (mut work, mut calc) = ((f64::INFINITY, 0), (f64::INFINITY, 0));
        for (i, job) in self.jobs.iter().enumerate() {
            let remaining = job.total - job.completed;
            let to_cookie = self.config.cookie_max_calculations - (job.completed - job.last_cookie_completed);
            for (min, v) in [(&mut work, remaining), (&mut calc, to_cookie)] {
                if v < min.0 {
                    *min = (v, i);
                }
            }
        }
        let at = |s: f64| ctx.now + secs(s.max(0.0));
        // Ties: job order, completion before cookie (the reference's rescheduling order).
        let first = |a: (SimTime, usize, ServiceEvent), b: (SimTime, usize, ServiceEvent)| {
            std::cmp::min_by_key(a, b, |&(t, i, what)| (t, i, what == ServiceEvent::Cookie))
        };
        let mut best = first(
            (at(work.0 / rate), work.1, ServiceEvent::Completion),
            (at(calc.0 / rate), calc.1, ServiceEvent::Cookie),
        );
        // No job's last cookie is older than the run, so no cookie by time comes before
        // `cookie_max_time_s` from the start (every step of the bound rounds
        // monotonically). Only when that bound is not after the best so far are the jobs'
        // times to a cookie needed; with the default of 100 days, never.
        if at(self.config.cookie_max_time_s - ctx.now.as_secs_f64()) <= best.0 {
            let mut time = (f64::INFINITY, 0);
            for (i, job) in self.jobs.iter().enumerate() {
                let cookie_in_s = self.config.cookie_max_time_s - ctx.now.since(job.last_cookie_at).as_secs_f64();
                if cookie_in_s < time.0 {
                    time = (cookie_in_s, i);
                }
            }
            best = first(best, (at(time.0), time.1, ServiceEvent::Cookie));
        }
        let (at, i, what) = best;
        let key = self.jobs[i].key;
        self.next_service = Some((key, what));
        ctx.arm(self.service_timer, at.since(ctx.now));
    }

    /// Load reporting (docs/model.md §5.7): re-register when the load changed by more
    /// than the update threshold (adaptive policies only).
    fn update_load(&mut self, ctx: &mut Ctx) {
        let load = self.jobs.len() as f64 / self.max_jobs as f64;
        if (load - self.current_load).abs() <= 1e-6 {
            return;
        }
        self.current_load = load;
        if self.config.settings.policy.is_adaptive()
            && (self.current_load - self.last_reported_load).abs() > self.config.update_threshold
        {
            self.load = fraction_u32(self.current_load);
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
        self.lifecycle.reset_statistics();
    }

    /// Runs, stops and restarts in the window.
    /// Scripts its runs (status changes or an availability trace), at most `max_runs`;
    /// returns when it first starts (None: never), `default` unless scripted.
    pub fn script(&mut self, script: Script, max_runs: u64, default: SimTime) -> Option<SimTime> {
        self.lifecycle.script(&self.life(), script, max_runs, default)
    }

    pub fn lifecycle_stats(&self) -> LifeCycleStats {
        self.lifecycle.stats()
    }

    /// Whether the service runs (started and not stopped).
    pub fn is_up(&self) -> bool {
        self.state == ServiceState::Running
    }

    /// Runs started so far (1 + restarts once started).
    pub fn incarnations(&self) -> u32 {
        self.incarnations
    }

    /// Active jobs.
    pub fn job_count(&self) -> usize {
        self.jobs.len()
    }

    /// Calculations done on active jobs since their last cookie: lost if the session
    /// ends now without completing.
    pub fn unsaved_calculations(&self) -> f64 {
        self.jobs.iter().map(Job::unsaved).sum()
    }

    /// Final accounting at the statistics write time.
    pub fn finish_statistics(&mut self, now: SimTime) {
        self.account(now);
    }
}

/// Pool element configuration from the scenario and the PE's section (overrides applied).
pub fn config_from(s: &Scenario, pe: &PoolElements, registrars: RegistrarTable) -> PoolElementConfig {
    let settings = PolicySettings {
        choices: pe.choices,
        load_dpf: fraction_u32(pe.load_dpf),
        weight_dpf: fraction_u32(pe.weight_dpf),
        ..PolicySettings::new(pe.policy)
    };
    PoolElementConfig {
        settings,
        weight: pe.weight.value(),
        load_degradation: pe.load_degradation.value(),
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
        uptime: pe.uptime,
        downtime: pe.downtime,
        clean_shutdown_probability: pe.clean_shutdown_probability,
        seed: s.seed,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::engine::EventQueue;
    use crate::model::context::Scratch;
    use crate::model::{Counters, InFlight, WELL_KNOWN_PORT, network::Network};

    /// One PE on its own: its events run, its messages are collected.
    struct Bench {
        pe: PoolElement,
        queue: EventQueue<Event>,
        in_flight: InFlight,
        net: Network,
        counters: Counters,
        now: SimTime,
        /// Messages the PE sent: (delivery time, message).
        sent: Vec<(SimTime, Message)>,
    }

    const PR: NodeId = NodeId(0);
    const PU: NodeId = NodeId(2);

    impl Bench {
        fn new(s: &Scenario) -> Bench {
            let mut queue = EventQueue::default();
            let config = Rc::new(config_from(
                s,
                &s.pool_elements,
                RegistrarTable::new(&[PR], &[PR], &s.pool_elements.home_registrars),
            ));
            let pe = PoolElement::new(0, NodeId(1), PeId(5), 1, 1e6, config, &mut queue);
            let net = Network::new(&s.network, vec![0; 3], 3, 1);
            let (in_flight, counters) = (InFlight::default(), Counters::default());
            Bench { pe, queue, in_flight, net, counters, now: SimTime::ZERO, sent: Vec::new() }
        }

        fn with<R>(&mut self, f: impl FnOnce(&mut PoolElement, &mut Ctx) -> R) -> R {
            let mut ctx = Ctx {
                now: self.now,
                me: self.pe.node,
                queue: &mut self.queue,
                in_flight: &mut self.in_flight,
                net: &self.net,
                counters: &mut self.counters,
                scratch: &mut Scratch::default(),
            };
            f(&mut self.pe, &mut ctx)
        }

        /// Runs the PE's events up to `until`.
        fn run_until(&mut self, until: SimTime) {
            // A marker at `until` (a statistics write, which no PE handles) stops the run
            // there; what comes later stays queued.
            self.queue.schedule(until, Event::StatisticsWrite);
            while let Some((now, event)) = self.queue.pop() {
                if matches!(event, Event::StatisticsWrite) {
                    break;
                }
                self.now = now;
                match event {
                    Event::PoolElement(_, t) => self.with(|pe, ctx| pe.on_timer(t, ctx)),
                    Event::Deliver(i) => self.sent.push((now, self.in_flight.take(i).msg)),
                    _ => {}
                }
            }
            self.now = until;
        }

        /// Starts the PE and registers it.
        fn start_registered(&mut self) {
            self.with(|pe, ctx| pe.on_timer(Timer::Startup, ctx));
            let id = self.pe.id;
            let ok = Message::RegistrationResponse { pe: id, reject: false, error: 0 };
            self.with(|pe, ctx| pe.on_message(PR, WELL_KNOWN_PORT, ok, ctx));
        }

        fn request(&mut self, job: u64, size: f64) {
            let port = self.pe.id.0;
            self.with(|pe, ctx| pe.on_message(PU, port, Message::CalcAppRequest { job, size }, ctx));
        }
    }

    /// docs/model.md §12: two jobs of sizes a <= b admitted at the same instant on one PE
    /// finish at 2a/capacity and (a+b)/capacity (egalitarian processor sharing).
    #[test]
    fn processor_sharing_finishes_two_jobs_at_2a_and_a_plus_b() {
        let mut b = Bench::new(&Scenario::default());
        b.start_registered();
        let (a, c) = (2e6, 5e6);
        b.request(1, a);
        b.request(2, c);
        b.run_until(SimTime::from_secs(10));
        let completed: Vec<(u64, SimTime)> = b
            .sent
            .iter()
            .filter_map(|(t, m)| match m {
                Message::CalcAppComplete { job, .. } => Some((*job, *t)),
                _ => None,
            })
            .collect();
        assert_eq!(completed, [(1, SimTime::from_secs(4)), (2, SimTime::from_secs(7))]);
        assert_eq!(b.pe.stats.used_calculations, a + c);
    }

    /// An unclean stop loses the work since the job's last cookie: all of it without
    /// cookies, less than one cookie interval with them.
    #[test]
    fn an_unclean_stop_loses_the_work_since_the_last_cookie() {
        for (cookie, lost) in [(9.9e99, 3.5e6), (1e6, 0.5e6), (2e6, 1.5e6)] {
            let mut s = Scenario::default();
            s.pool_elements.cookie_max_calculations = cookie;
            s.pool_elements.clean_shutdown_probability = 0.0;
            let mut b = Bench::new(&s);
            b.start_registered();
            b.request(1, 1e7);
            b.run_until(SimTime::from_secs_f64(3.5));
            b.with(|pe, ctx| pe.on_timer(Timer::Shutdown, ctx));
            assert_eq!(b.pe.stats.lost_calculations, lost, "cookie every {cookie}");
            assert_eq!(b.pe.stats.used_calculations, 3.5e6);
            b.run_until(SimTime::from_secs(10));
            let to_pu = b.sent.iter().filter(|(_, m)| !matches!(m, Message::Registration { .. })).count();
            let cookies = (3.5e6 / cookie).floor() as usize;
            assert_eq!(to_pu, 1 + cookies, "accept and cookies, then silence");
        }
    }

    /// A clean stop hands the session back: a cookie with the progress, then an abort,
    /// and a deregistration; nothing is lost.
    #[test]
    fn a_clean_stop_sends_the_progress_and_deregisters() {
        // Random: no load updates, so no re-registration is outstanding at the stop.
        let mut s = Scenario::default();
        s.pool_elements.policy = PolicyType::Random;
        let mut b = Bench::new(&s);
        b.start_registered();
        b.request(7, 1e7);
        b.run_until(SimTime::from_secs_f64(2.5));
        let id = b.pe.id;
        b.with(|pe, ctx| pe.on_timer(Timer::Shutdown, ctx));
        b.run_until(SimTime::from_secs(3));
        let tail: Vec<&Message> = b.sent.iter().rev().take(3).map(|(_, m)| m).collect();
        let cookie = Cookie { job: 7, total: 1e7, completed: 2.5e6 };
        assert_eq!(tail[0], &Message::CalcAppAbort { job: 7 });
        assert_eq!(tail[1], &Message::Cookie { cookie, newly_saved: 2.5e6 });
        assert_eq!(tail[2], &Message::Deregistration { pe: id });
        assert_eq!(b.pe.stats.lost_calculations, 0.0);
        assert!(!b.pe.is_up());
        // The deregistration answered, it restarts at once (downtime 0) under a new identity.
        let done = Message::DeregistrationResponse { pe: id };
        b.with(|pe, ctx| pe.on_message(PR, WELL_KNOWN_PORT, done, ctx));
        b.run_until(SimTime::from_secs(4));
        assert!(b.pe.is_up());
        assert_ne!(b.pe.id, id);
        // A request for the earlier incarnation finds no service.
        let old_port = id.0;
        b.with(|pe, ctx| pe.on_message(PU, old_port, Message::CalcAppRequest { job: 8, size: 1e6 }, ctx));
        assert_eq!(b.pe.job_count(), 0);
    }
}
