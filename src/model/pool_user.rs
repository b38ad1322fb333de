//! Heads up: the CalcApp queuing pool user of the RSPSIM model (rspsim-model.md §6): an
//! open Poisson job source with exponential job sizes and a FIFO queue, serving one job at
//! a time. Each job is placed by a server selection: the PU's ASAP layer asks its cache (a
//! private handlespace, the same module registrars use) and, when that is empty, a
//! registrar (handle resolution, RFC 5352). Rejected jobs are retried after a short random
//! delay, timeouts are reported as endpoint-unreachable, and sessions fail over to a new
//! pool element resuming from the last cookie.

use super::message::{Cookie, Message};
use super::metrics::Samples;
use super::registrar::calcapp_pool;
use super::registrar_table::RegistrarTable;
use super::{Ctx, Event, NodeId, pool_element::uniform_delay, secs};
use crate::engine::rng::{self, Component, Purpose, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{
    Handlespace, HandlespaceConfig, PeId, PoolElement, PoolHandle, RegistrarId, Registration, TimerCode,
};
use crate::scenario::{PoolUsers, Scenario};
use rand_distr::{Distribution, Exp};
use std::collections::VecDeque;
use std::rc::Rc;

/// Pool user parameters (rspsim-model.md §6.1).
#[derive(Clone, Debug)]
pub struct PoolUserConfig {
    /// Mean job size [calculations] (exponential).
    pub job_size: f64,
    /// Mean job inter-arrival time [s] (exponential).
    pub job_interval_s: f64,
    pub start: SimDuration,
    pub request_timeout: SimDuration,
    pub keep_alive_interval: SimDuration,
    pub keep_alive_timeout: SimDuration,
    /// Retry after a reject: uniform(0, this) [s].
    pub job_retry_delay_max_s: f64,
    pub handle_resolution_retry_delay: SimDuration,
    pub stale_cache: SimDuration,
    /// T1: handle resolution timeout.
    pub asap_request_timeout: SimDuration,
    pub max_request_retransmit: u32,
    /// After a registrar's reject: uniform(0, this) [s].
    pub hunt_retry_delay_max_s: f64,
    /// The registrars it may resolve at, and how it hunts them.
    pub registrars: RegistrarTable,
    pub handlespace: HandlespaceConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Start,
    JobArrival,
    /// T1: handle resolution timeout.
    HandleResolutionTimeout,
    /// After a registrar's reject: hunt and retry.
    HuntRetry,
    /// Back to server selection (after a reject or "no pool element").
    SelectionRetry,
    RequestTimeout,
    KeepAlive,
    KeepAliveTimeout,
}

/// Per-PU statistics over the measurement window (rspsim-model.md §6.5).
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolUserStats {
    pub jobs_queued: u64,
    pub jobs_started: u64,
    pub jobs_completed: u64,
    pub job_size_queued: f64,
    pub job_size_started: f64,
    /// Goodput calculations credited (cookies and completions).
    pub job_size_completed: f64,
    pub queuing_delay: Samples,
    pub startup_delay: Samples,
    pub processing_time: Samples,
    pub handling_time: Samples,
    pub goodput_time_s: f64,
    /// Per failover: time from the last goodput (cookie or accept) to the accept at the
    /// new PE [s] (the reference's failover time, in samples).
    pub failover_time: Samples,
    /// Calculations that cookies and completions saved at a PE but this PU did not credit
    /// (from a session it had left, or a mismatch) [calculations].
    pub lost_calculations: f64,
    pub server_selections: u64,
    pub unreachables: u64,
    pub failovers: u64,
    pub requests: u64,
    pub cookie_echoes: u64,
    pub accepts: u64,
    pub rejects: u64,
}

struct QueuedJob {
    id: u64,
    size: f64,
    queued_at: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobPhase {
    Selecting,
    WaitingForResponse,
    Processing,
}

struct CurrentJob {
    id: u64,
    size: f64,
    queued_at: SimTime,
    started_at: SimTime,
    accepted_at: Option<SimTime>,
    cookie: Option<Cookie>,
    /// The selected pool element: (user transport, identifier).
    pe: Option<(NodeId, PeId)>,
    phase: JobPhase,
    last_goodput_at: SimTime,
    last_goodput_calcs: f64,
}

pub struct PoolUser {
    index: u32,
    pub node: NodeId,
    config: Rc<PoolUserConfig>,
    queue: VecDeque<QueuedJob>,
    current: Option<CurrentJob>,
    next_job_id: u64,
    request_timeout: TimerId,
    keep_alive: TimerId,
    keep_alive_timeout: TimerId,
    // ASAP layer
    registrar: Option<NodeId>,
    /// Position in an ordered home-registrar list.
    hunt_cursor: usize,
    requests_sent: u32,
    handle_resolution_timeout: TimerId,
    waiting_for_resolution: bool,
    pool: PoolHandle,
    cache: Handlespace<NodeId>,
    scratch: Vec<PoolElement<NodeId>>,
    size_dist: Exp<f64>,
    interval_dist: Exp<f64>,
    size_rng: StreamRng,
    interval_rng: StreamRng,
    retry_rng: StreamRng,
    hunt_rng: StreamRng,
    policy_rng: StreamRng,
    pub stats: PoolUserStats,
    /// Failovers since the start (never reset), for timelines.
    failovers_since_start: u64,
}

/// MaxIncrement a PU applies to its cache (rspsim-model.md §6.4).
const CACHE_MAX_INCREMENT: u32 = 1_000_000_000;

impl PoolUser {
    pub fn new(
        index: u32,
        node: NodeId,
        config: Rc<PoolUserConfig>,
        seed: u64,
        queue: &mut EventQueue<Event>,
    ) -> PoolUser {
        let stream = |p| rng::stream(seed, Component::PoolUser, index as u64, p);
        let mut timer = |t| queue.add_timer(Event::PoolUser(index, t));
        PoolUser {
            index,
            node,
            queue: VecDeque::new(),
            current: None,
            next_job_id: 0,
            request_timeout: timer(Timer::RequestTimeout),
            keep_alive: timer(Timer::KeepAlive),
            keep_alive_timeout: timer(Timer::KeepAliveTimeout),
            registrar: None,
            hunt_cursor: 0,
            requests_sent: 0,
            handle_resolution_timeout: timer(Timer::HandleResolutionTimeout),
            waiting_for_resolution: false,
            pool: calcapp_pool(),
            cache: Handlespace::new(config.handlespace),
            scratch: Vec::new(),
            size_dist: Exp::new(1.0 / config.job_size).expect("job size > 0"),
            interval_dist: Exp::new(1.0 / config.job_interval_s).expect("job interval > 0"),
            size_rng: stream(Purpose::JobSize),
            interval_rng: stream(Purpose::JobInterval),
            retry_rng: stream(Purpose::RetryDelay),
            hunt_rng: stream(Purpose::Hunt),
            policy_rng: stream(Purpose::PolicySelection),
            stats: PoolUserStats::default(),
            failovers_since_start: 0,
            config,
        }
    }

    /// Jobs waiting in the queue (not counting the one in service).
    pub fn queue_length(&self) -> usize {
        self.queue.len()
    }

    /// Failovers since the start of the run (statistics resets aside).
    pub fn failovers_since_start(&self) -> u64 {
        self.failovers_since_start
    }

    /// Counts a failover.
    fn failover(&mut self) {
        self.stats.failovers += 1;
        self.failovers_since_start += 1;
    }

    /// Whether a job is in service (selecting a PE, or running at one).
    pub fn has_job_in_service(&self) -> bool {
        self.current.is_some()
    }

    fn timer(&self, t: Timer) -> Event {
        Event::PoolUser(self.index, t)
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx) {
        let delay = secs(self.interval_dist.sample(&mut self.interval_rng));
        ctx.schedule(delay, self.timer(Timer::JobArrival));
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        match timer {
            Timer::Start => self.schedule_arrival(ctx),
            Timer::JobArrival => {
                let size = self.size_dist.sample(&mut self.size_rng);
                self.queue.push_back(QueuedJob { id: self.next_job_id, size, queued_at: ctx.now });
                self.next_job_id += 1;
                self.stats.jobs_queued += 1;
                self.stats.job_size_queued += size;
                self.schedule_arrival(ctx);
                if self.current.is_none() {
                    self.start_job(ctx);
                }
            }
            Timer::HandleResolutionTimeout => self.send_handle_resolution(ctx),
            Timer::HuntRetry => {
                self.registrar = None;
                self.send_handle_resolution(ctx);
            }
            Timer::SelectionRetry => self.select_server(ctx),
            Timer::RequestTimeout => {
                self.report_unreachable(ctx);
                self.select_server(ctx);
            }
            Timer::KeepAlive => {
                if let Some(job) = &self.current
                    && let Some((node, pe)) = job.pe
                {
                    ctx.send_to_port(node, pe.0, Message::CalcAppKeepAlive { job: job.id });
                    ctx.arm(self.keep_alive_timeout, self.config.keep_alive_timeout);
                }
            }
            Timer::KeepAliveTimeout => {
                ctx.cancel(self.keep_alive);
                self.failover();
                self.report_unreachable(ctx);
                self.select_server(ctx);
            }
        }
    }

    fn start_job(&mut self, ctx: &mut Ctx) {
        let Some(job) = self.queue.pop_front() else {
            return;
        };
        self.stats.jobs_started += 1;
        self.stats.job_size_started += job.size;
        self.stats.queuing_delay.add(ctx.now.since(job.queued_at).as_secs_f64());
        self.current = Some(CurrentJob {
            id: job.id,
            size: job.size,
            queued_at: job.queued_at,
            started_at: ctx.now,
            accepted_at: None,
            cookie: None,
            pe: None,
            phase: JobPhase::Selecting,
            last_goodput_at: ctx.now,
            last_goodput_calcs: 0.0,
        });
        self.select_server(ctx);
    }

    // ---- Server selection (ASAP) ------------------------------------------------------

    fn select_server(&mut self, ctx: &mut Ctx) {
        let Some(job) = self.current.as_mut() else {
            return;
        };
        job.phase = JobPhase::Selecting;
        job.pe = None;
        self.stats.server_selections += 1;
        self.cache.purge_expired(ctx.now.0);
        if let Some(pe) = self.select_from_cache() {
            self.use_pool_element(pe, ctx);
        } else {
            self.requests_sent = 0;
            self.send_handle_resolution(ctx);
        }
    }

    fn select_from_cache(&mut self) -> Option<(NodeId, PeId)> {
        self.scratch.clear();
        self.cache
            .handle_resolution(&self.pool, 1, CACHE_MAX_INCREMENT, &mut self.policy_rng, &mut self.scratch)
            .ok()?;
        self.scratch.first().map(|e| (e.transport, e.id))
    }

    /// Sends a handle resolution, hunting a registrar when none is known or after
    /// 1 + MaxRequestRetransmit unanswered attempts.
    fn send_handle_resolution(&mut self, ctx: &mut Ctx) {
        if self.registrar.is_none() || self.requests_sent > self.config.max_request_retransmit {
            self.registrar = Some(self.config.registrars.hunt(&mut self.hunt_cursor, &mut self.hunt_rng));
            self.requests_sent = 0;
        }
        self.requests_sent += 1;
        self.waiting_for_resolution = true;
        ctx.send(self.registrar.expect("hunted"), Message::HandleResolution);
        ctx.arm(self.handle_resolution_timeout, self.config.asap_request_timeout);
    }

    fn on_handle_resolution_response(&mut self, items: Vec<super::PeRecord>, reject: bool, ctx: &mut Ctx) {
        if !self.waiting_for_resolution {
            return; // late duplicate
        }
        self.waiting_for_resolution = false;
        ctx.cancel(self.handle_resolution_timeout);
        if reject {
            let delay = uniform_delay(&mut self.hunt_rng, self.config.hunt_retry_delay_max_s);
            ctx.schedule(delay, self.timer(Timer::HuntRetry));
            return;
        }
        self.cache.purge_expired(ctx.now.0);
        let expiry = (ctx.now + self.config.stale_cache).0;
        for r in &items {
            let reg = Registration {
                id: r.id,
                // No home: ownership sets and checksums are registrar business.
                home: RegistrarId(0),
                registration_life_ms: r.registration_life_ms,
                settings: r.settings,
                transport: r.user,
            };
            if self.cache.register(&self.pool, reg, ctx.now.0).is_ok() {
                self.cache.set_timer(&self.pool, r.id, TimerCode::Expiry, expiry);
            }
        }
        match self.select_from_cache() {
            Some(pe) => self.use_pool_element(pe, ctx),
            None => {
                let t = self.timer(Timer::SelectionRetry);
                ctx.schedule(self.config.handle_resolution_retry_delay, t);
            }
        }
    }

    /// Reports the current PE unreachable: drop it from the cache, tell the registrar.
    fn report_unreachable(&mut self, ctx: &mut Ctx) {
        let Some((_, pe)) = self.current.as_ref().and_then(|j| j.pe) else {
            return;
        };
        self.cache.deregister(&self.pool, pe);
        self.stats.unreachables += 1;
        if let Some(registrar) = self.registrar {
            ctx.send(registrar, Message::EndpointUnreachable { pe });
        }
    }

    fn use_pool_element(&mut self, pe: (NodeId, PeId), ctx: &mut Ctx) {
        let job = self.current.as_mut().expect("a job is in service");
        job.pe = Some(pe);
        job.phase = JobPhase::WaitingForResponse;
        let msg = match job.cookie {
            Some(cookie) => {
                self.stats.cookie_echoes += 1;
                Message::CookieEcho(cookie)
            }
            None => {
                self.stats.requests += 1;
                Message::CalcAppRequest { job: job.id, size: job.size }
            }
        };
        ctx.send_to_port(pe.0, pe.1.0, msg);
        ctx.arm(self.request_timeout, self.config.request_timeout);
    }

    // ---- CalcApp session ----------------------------------------------------------------

    pub fn on_message(&mut self, from: NodeId, msg: Message, ctx: &mut Ctx) {
        if let Message::HandleResolutionResponse { items, reject } = msg {
            self.on_handle_resolution_response(items, reject, ctx);
            return;
        }
        let job_id = match &msg {
            Message::CalcAppAccept { job }
            | Message::CalcAppReject { job }
            | Message::CalcAppKeepAlive { job }
            | Message::CalcAppKeepAliveAck { job }
            | Message::CalcAppComplete { job, .. }
            | Message::CalcAppAbort { job } => *job,
            Message::Cookie { cookie, .. } => cookie.job,
            _ => return,
        };
        let current = self.current.as_ref().and_then(|job| Some((job.id, job.pe?, job.phase)));
        let (pe_id, phase) = match current {
            Some((id, (node, pe_id), phase)) if from == node && job_id == id => (pe_id, phase),
            // From a session this PU has left: what it would have saved is lost.
            _ => {
                self.stats.lost_calculations += msg.newly_saved();
                return;
            }
        };
        match (msg, phase) {
            (Message::CalcAppReject { .. }, JobPhase::WaitingForResponse) => {
                ctx.cancel(self.request_timeout);
                self.stats.rejects += 1;
                self.cache.deregister(&self.pool, pe_id);
                let delay = uniform_delay(&mut self.retry_rng, self.config.job_retry_delay_max_s);
                ctx.schedule(delay, self.timer(Timer::SelectionRetry));
            }
            (Message::CalcAppAccept { .. }, JobPhase::WaitingForResponse) => {
                ctx.cancel(self.request_timeout);
                self.stats.accepts += 1;
                let now = ctx.now;
                let job = self.current.as_mut().expect("checked");
                match job.accepted_at {
                    None => {
                        job.accepted_at = Some(now);
                        self.stats.startup_delay.add(now.since(job.started_at).as_secs_f64());
                    }
                    Some(_) => self.stats.failover_time.add(now.since(job.last_goodput_at).as_secs_f64()),
                }
                job.last_goodput_at = now;
                job.phase = JobPhase::Processing;
                ctx.arm(self.keep_alive, self.config.keep_alive_interval);
            }
            (Message::Cookie { cookie, newly_saved }, JobPhase::Processing) => {
                let now = ctx.now;
                let job = self.current.as_mut().expect("checked");
                let credit = cookie.completed - job.last_goodput_calcs;
                self.stats.goodput_time_s += now.since(job.last_goodput_at).as_secs_f64();
                self.stats.job_size_completed += credit;
                self.stats.lost_calculations += newly_saved - credit;
                job.last_goodput_at = now;
                job.last_goodput_calcs = cookie.completed;
                job.cookie = Some(cookie);
            }
            (Message::CalcAppKeepAlive { job }, JobPhase::Processing) => {
                ctx.send_to_port(from, pe_id.0, Message::CalcAppKeepAliveAck { job });
            }
            (Message::CalcAppKeepAliveAck { .. }, JobPhase::Processing) if ctx.is_running(self.keep_alive_timeout) => {
                ctx.cancel(self.keep_alive_timeout);
                ctx.arm(self.keep_alive, self.config.keep_alive_interval);
            }
            (Message::CalcAppAbort { .. }, JobPhase::Processing) => {
                ctx.cancel(self.keep_alive);
                ctx.cancel(self.keep_alive_timeout);
                self.failover();
                self.cache.deregister(&self.pool, pe_id);
                self.select_server(ctx);
            }
            (Message::CalcAppComplete { newly_saved, .. }, JobPhase::Processing) => {
                ctx.cancel(self.keep_alive);
                ctx.cancel(self.keep_alive_timeout);
                let job = self.current.take().expect("checked");
                let now = ctx.now;
                let credit = job.size - job.last_goodput_calcs;
                self.stats.goodput_time_s += now.since(job.last_goodput_at).as_secs_f64();
                self.stats.job_size_completed += credit;
                self.stats.lost_calculations += newly_saved - credit;
                self.stats.jobs_completed += 1;
                let accepted = job.accepted_at.expect("processing implies accepted");
                self.stats.processing_time.add(now.since(accepted).as_secs_f64());
                self.stats.handling_time.add(now.since(job.queued_at).as_secs_f64());
                self.start_job(ctx);
            }
            (msg, _) => self.stats.lost_calculations += msg.newly_saved(),
        }
    }

    pub fn reset_statistics(&mut self) {
        self.stats = PoolUserStats::default();
    }
}

/// Pool user configuration from the scenario and the PU's section (overrides applied).
pub fn config_from(s: &Scenario, pu: &PoolUsers, registrars: &[NodeId]) -> PoolUserConfig {
    PoolUserConfig {
        job_size: s.workload.job_size,
        job_interval_s: s.job_interval_s(),
        start: secs(pu.start_s),
        request_timeout: secs(s.request_timeout_s()),
        keep_alive_interval: secs(s.calcapp.keep_alive_interval_s),
        keep_alive_timeout: secs(s.calcapp.keep_alive_timeout_s),
        job_retry_delay_max_s: pu.job_retry_delay_max_s,
        handle_resolution_retry_delay: secs(pu.handle_resolution_retry_delay_s),
        stale_cache: secs(pu.stale_cache_s),
        asap_request_timeout: secs(s.asap.request_timeout_s),
        max_request_retransmit: s.asap.max_request_retransmit,
        hunt_retry_delay_max_s: s.asap.server_hunt_retry_delay_max_s,
        registrars: RegistrarTable::new(registrars, &pu.home_registrars),
        handlespace: HandlespaceConfig {
            double_update: s.handlespace.double_update,
            keep_first_registration_life: s.handlespace.keep_first_registration_life,
        },
    }
}
