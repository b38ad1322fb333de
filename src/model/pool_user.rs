//! Heads up: the CalcApp queuing pool user of the RSPSIM model (docs/model.md §6): an
//! open Poisson job source with exponential job sizes and a FIFO queue, serving one job at
//! a time. Each job is placed by a server selection: the PU's ASAP layer asks its cache (a
//! private handlespace, the same module registrars use) and, when that is empty, a
//! registrar (handle resolution, RFC 5352). Rejected jobs are retried after a short random
//! delay, timeouts are reported as endpoint-unreachable, and sessions fail over to a new
//! pool element resuming from the last cookie.
//!
//! Partitionable jobs (`workload.pieces`): a job is split into pieces of equal size, each
//! placed by a server selection of its own (one handle resolution serves as many waiting
//! pieces as it returns PEs) and run as an independent CalcApp session with its own
//! cookies and failover; the job completes with its last piece. One piece is the model
//! of the reference, event for event.

use super::ids::calcapp_pool;
use super::message::Message;
use super::piece::{Piece, PiecePhase};
use super::registrar_table::RegistrarTable;
use super::{Ctx, Event, NodeId, secs, uniform_delay};
use crate::engine::rng::{Component, LazyStream, Purpose, StreamOwner, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{Handlespace, HandlespaceConfig, PeId, PoolHandle, RegistrarId, Registration, TimerCode};
use crate::scenario::{MAX_PIECES, PieceSizes, Pieces, PoolUsers, Scenario};
use rand::RngExt;
use rand_distr::{Distribution, Exp};
use std::collections::VecDeque;
use std::rc::Rc;

/// Pool user parameters (docs/model.md §6.1).
#[derive(Clone, Debug)]
pub struct PoolUserConfig {
    /// Job sizes [calculations]: exponential, of the workload's mean.
    pub job_size: Exp<f64>,
    /// Job inter-arrival times [s]: exponential, of the workload's mean.
    pub job_interval_s: Exp<f64>,
    /// Pieces per job.
    pub pieces: Pieces,
    /// Relative sizes of the pieces.
    pub piece_sizes: PieceSizes,
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
    /// The pool its jobs go to (one handle for all PUs, kept here rather than in each).
    pub pool: PoolHandle,
    /// The run's seed, for the streams a PU derives on first use.
    pub seed: u64,
}

pub use super::timer::PoolUserTimer as Timer;

/// Per-PU sums of floating-point statistics over the measurement window (docs/model.md
/// §6.5), added up PU by PU in PU order. What a PU counts, and so the number of terms of
/// each sum, is its LAN's ([`PoolUserCounters`](super::stats::PoolUserCounters)).
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolUserStats {
    pub job_size_queued: f64,
    pub job_size_started: f64,
    /// Goodput calculations credited (cookies and completions).
    pub job_size_completed: f64,
    /// Σ queuing delay of the jobs started [s].
    pub queuing_delay_s: f64,
    /// Σ time from a job's start to its first accept [s].
    pub startup_delay_s: f64,
    /// Σ processing time (first accept to completion) of the jobs completed [s].
    pub processing_time_s: f64,
    /// Σ handling time (queued to completion) of the jobs completed [s].
    pub handling_time_s: f64,
    pub goodput_time_s: f64,
    /// Σ over failovers of the time from the last goodput (cookie or accept) to the
    /// accept at the new PE [s] (the reference's failover time, in samples).
    pub failover_time_s: f64,
    /// Calculations that cookies and completions saved at a PE but this PU did not credit
    /// (from a session it had left, or a mismatch) [calculations].
    pub lost_calculations: f64,
    /// Σ over completed pieces of completion - the piece's first accept [s].
    pub piece_processing_time_s: f64,
    /// Σ over completed jobs of slowest piece's processing time / mean piece processing
    /// time.
    pub straggler_ratio_sum: f64,
    /// Σ over PEs used (request or cookie echo) of the one-way network delay to it [ms].
    pub distance_sum_ms: f64,
}

impl PoolUserStats {
    /// Adds another PU's sums.
    pub fn merge(&mut self, s: &PoolUserStats) {
        self.job_size_queued += s.job_size_queued;
        self.job_size_started += s.job_size_started;
        self.job_size_completed += s.job_size_completed;
        self.queuing_delay_s += s.queuing_delay_s;
        self.startup_delay_s += s.startup_delay_s;
        self.processing_time_s += s.processing_time_s;
        self.handling_time_s += s.handling_time_s;
        self.goodput_time_s += s.goodput_time_s;
        self.failover_time_s += s.failover_time_s;
        self.lost_calculations += s.lost_calculations;
        self.piece_processing_time_s += s.piece_processing_time_s;
        self.straggler_ratio_sum += s.straggler_ratio_sum;
        self.distance_sum_ms += s.distance_sum_ms;
    }
}

struct QueuedJob {
    id: u64,
    size: f64,
    /// Pieces given by a trace; None = drawn by `workload.pieces`.
    pieces: Option<u32>,
    queued_at: SimTime,
}

/// A job a job trace brings to this PU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceArrival {
    pub at: SimTime,
    /// [calculations]
    pub size: f64,
    pub pieces: u32,
}

struct CurrentJob {
    id: u64,
    queued_at: SimTime,
    started_at: SimTime,
    /// The first accept of any of its pieces.
    accepted_at: Option<SimTime>,
    pieces: Vec<Piece>,
    /// Pieces not completed yet.
    open: usize,
}

/// The timers of one piece slot (slot 0 exists from the start, more as jobs need them).
#[derive(Clone, Copy)]
struct PieceTimers {
    request_timeout: TimerId,
    keep_alive: TimerId,
    keep_alive_timeout: TimerId,
}

/// A piece's session id on the wire: the job's id and the piece's index.
fn session_id(job: u64, piece: usize) -> u64 {
    job * MAX_PIECES as u64 + piece as u64
}

pub struct PoolUser {
    index: u32,
    pub node: NodeId,
    config: Rc<PoolUserConfig>,
    queue: VecDeque<QueuedJob>,
    current: Option<CurrentJob>,
    next_job_id: u64,
    timers: Vec<PieceTimers>,
    // ASAP layer
    registrar: Option<NodeId>,
    /// Position in an ordered home-registrar list.
    hunt_cursor: u32,
    requests_sent: u32,
    handle_resolution_timeout: TimerId,
    waiting_for_resolution: bool,
    /// Pieces waiting for a pool element, in the order they asked.
    selecting: VecDeque<usize>,
    cache: Handlespace<NodeId>,
    size_rng: StreamRng,
    interval_rng: StreamRng,
    /// Streams not every PU draws from (rejects, drawn pieces), derived on first use.
    retry_rng: LazyStream,
    hunt_rng: StreamRng,
    /// Drawn from by random cache policies only, so derived on the first draw.
    policy_rng: LazyStream,
    pieces_rng: LazyStream,
    piece_sizes_rng: LazyStream,
    /// The jobs still to come from a job trace, which then replaces the generated arrivals
    /// (boxed: 8 bytes rather than 32 in the many runs without a trace).
    #[allow(clippy::box_collection)]
    trace: Option<Box<VecDeque<TraceArrival>>>,
    pub stats: PoolUserStats,
    /// The LAN whose counters this PU adds to ([`Ctx::lan_counters`]).
    lan: u32,
}

/// Appends to a PU's job queue or selection queue, giving an empty one room for one entry
/// rather than VecDeque's four: both usually hold one at most, and a PU's queue of four
/// jobs took 128 bytes.
fn push_back<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.capacity() == 0 {
        queue.reserve_exact(1);
    }
    queue.push_back(item);
}

/// MaxIncrement a PU applies to its cache (docs/model.md §6.4).
const CACHE_MAX_INCREMENT: u32 = 1_000_000_000;

impl PoolUser {
    pub fn new(
        index: u32,
        node: NodeId,
        lan: u32,
        config: Rc<PoolUserConfig>,
        queue: &mut EventQueue<Event>,
    ) -> PoolUser {
        let streams = StreamOwner { seed: config.seed, component: Component::PoolUser, index };
        let mut timer = |t| queue.add_timer(Event::PoolUser(index, t));
        let piece_0 = PieceTimers {
            request_timeout: timer(Timer::RequestTimeout(0)),
            keep_alive: timer(Timer::KeepAlive(0)),
            keep_alive_timeout: timer(Timer::KeepAliveTimeout(0)),
        };
        PoolUser {
            index,
            node,
            queue: VecDeque::new(),
            current: None,
            next_job_id: 0,
            timers: vec![piece_0],
            registrar: None,
            hunt_cursor: 0,
            requests_sent: 0,
            handle_resolution_timeout: timer(Timer::HandleResolutionTimeout),
            waiting_for_resolution: false,
            selecting: VecDeque::new(),
            cache: Handlespace::new(config.handlespace),
            size_rng: streams.stream(Purpose::JobSize),
            interval_rng: streams.stream(Purpose::JobInterval),
            retry_rng: LazyStream::default(),
            hunt_rng: streams.stream(Purpose::Hunt),
            policy_rng: LazyStream::default(),
            pieces_rng: LazyStream::default(),
            piece_sizes_rng: LazyStream::default(),
            trace: None,
            stats: PoolUserStats::default(),
            lan,
            config,
        }
    }

    /// Jobs waiting in the queue (not counting the one in service).
    pub fn queue_length(&self) -> usize {
        self.queue.len()
    }

    /// Counts a failover.
    fn failover(&self, ctx: &mut Ctx) {
        let counters = ctx.lan_counters(self.lan);
        counters.failovers += 1;
        counters.since_start.failovers += 1;
    }

    /// Whether a job is in service (selecting a PE, or running at one).
    pub fn has_job_in_service(&self) -> bool {
        self.current.is_some()
    }

    /// Pieces of the job in service not completed yet.
    pub fn open_pieces(&self) -> usize {
        self.current.as_ref().map_or(0, |j| j.open)
    }

    /// Pieces of the job in service.
    pub fn pieces_in_service(&self) -> usize {
        self.current.as_ref().map_or(0, |j| j.pieces.len())
    }

    fn timer(&self, t: Timer) -> Event {
        Event::PoolUser(self.index, t)
    }

    /// Replays these jobs (in arrival order) instead of generating arrivals. Jobs due
    /// before the PU starts arrive at its start.
    pub fn replay(&mut self, jobs: Vec<TraceArrival>) {
        self.trace = Some(Box::new(jobs.into()));
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx) {
        let delay = match &self.trace {
            None => secs(self.config.job_interval_s.sample(&mut self.interval_rng)),
            Some(jobs) => match jobs.front() {
                Some(job) => job.at.since(ctx.now),
                None => return,
            },
        };
        ctx.schedule(delay, self.timer(Timer::JobArrival));
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        match timer {
            Timer::Start => self.schedule_arrival(ctx),
            Timer::JobArrival => {
                let (size, pieces) = match self.trace.as_mut().and_then(|jobs| jobs.pop_front()) {
                    Some(job) => (job.size, Some(job.pieces)),
                    None => (self.config.job_size.sample(&mut self.size_rng), None),
                };
                push_back(&mut self.queue, QueuedJob { id: self.next_job_id, size, pieces, queued_at: ctx.now });
                self.next_job_id += 1;
                let counters = ctx.lan_counters(self.lan);
                counters.since_start.jobs_arrived += 1;
                counters.jobs_queued += 1;
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
            Timer::SelectionRetry(p) => self.select_server(p as usize, ctx),
            Timer::RequestTimeout(p) => {
                self.report_unreachable(p as usize, ctx);
                self.select_server(p as usize, ctx);
            }
            Timer::KeepAlive(p) => {
                let p = p as usize;
                if let Some(job) = &self.current
                    && let Some((node, pe)) = job.pieces.get(p).and_then(|piece| piece.pe)
                {
                    ctx.send_to_port(node, pe.0, Message::CalcAppKeepAlive { job: session_id(job.id, p) });
                    ctx.arm(self.timers[p].keep_alive_timeout, self.config.keep_alive_timeout);
                }
            }
            Timer::KeepAliveTimeout(p) => {
                ctx.cancel(self.timers[p as usize].keep_alive);
                self.failover(ctx);
                self.report_unreachable(p as usize, ctx);
                self.select_server(p as usize, ctx);
            }
        }
    }

    fn streams(&self) -> StreamOwner {
        StreamOwner { seed: self.config.seed, component: Component::PoolUser, index: self.index }
    }

    /// How many pieces the next job has.
    fn draw_pieces(&mut self) -> usize {
        match self.config.pieces {
            Pieces::Fixed(n) => n as usize,
            Pieces::Uniform { min, max } => {
                self.pieces_rng.get(self.streams(), Purpose::Pieces).random_range(min..=max) as usize
            }
        }
    }

    fn start_job(&mut self, ctx: &mut Ctx) {
        let Some(job) = self.queue.pop_front() else {
            return;
        };
        ctx.lan_counters(self.lan).jobs_started += 1;
        self.stats.job_size_started += job.size;
        self.stats.queuing_delay_s += ctx.now.since(job.queued_at).as_secs_f64();
        let n = job.pieces.map_or_else(|| self.draw_pieces(), |n| n as usize);
        while self.timers.len() < n {
            let p = self.timers.len() as u16;
            let event = |t| Event::PoolUser(self.index, t);
            self.timers.push(PieceTimers {
                request_timeout: ctx.add_timer(event(Timer::RequestTimeout(p))),
                keep_alive: ctx.add_timer(event(Timer::KeepAlive(p))),
                keep_alive_timeout: ctx.add_timer(event(Timer::KeepAliveTimeout(p))),
            });
        }
        ctx.lan_counters(self.lan).pieces_started += n as u64;
        let piece = |size| Piece {
            size,
            pe: None,
            phase: PiecePhase::Selecting,
            cookie: None,
            accepted_at: None,
            last_goodput_at: ctx.now,
            last_goodput_calcs: 0.0,
            processing_time_s: 0.0,
        };
        let mut pieces = ctx.scratch.pieces.take();
        pieces.reserve_exact(n);
        match self.config.piece_sizes {
            _ if n == 1 => pieces.push(piece(job.size)),
            PieceSizes::Equal => pieces.extend((0..n).map(|_| piece(job.size / n as f64))),
            PieceSizes::Uniform => {
                // Weights on (0, 1], normalised to the job's size.
                let rng = self.piece_sizes_rng.get(self.streams(), Purpose::PieceSizes);
                let weights: Vec<f64> = (0..n).map(|_| 1.0 - rng.random::<f64>()).collect();
                let total: f64 = weights.iter().sum();
                pieces.extend(weights.iter().map(|w| piece(job.size * w / total)));
            }
        }
        self.current = Some(CurrentJob {
            id: job.id,
            queued_at: job.queued_at,
            started_at: ctx.now,
            accepted_at: None,
            pieces,
            open: n,
        });
        for p in 0..n {
            self.select_server(p, ctx);
        }
    }

    // ---- Server selection (ASAP) ------------------------------------------------------

    /// Piece `p` needs a pool element: from the cache if it has one, else by a handle
    /// resolution (one at a time; pieces asking meanwhile wait for its answer).
    fn select_server(&mut self, p: usize, ctx: &mut Ctx) {
        let Some(piece) = self.current.as_mut().and_then(|job| job.pieces.get_mut(p)) else {
            return;
        };
        piece.phase = PiecePhase::Selecting;
        piece.pe = None;
        ctx.lan_counters(self.lan).server_selections += 1;
        push_back(&mut self.selecting, p);
        if self.waiting_for_resolution {
            return;
        }
        self.cache.purge_expired(ctx.now.0);
        if !self.serve_from_cache(ctx) {
            self.requests_sent = 0;
            self.send_handle_resolution(ctx);
        }
    }

    /// Gives the waiting pieces pool elements from the cache (one selection of as many
    /// items as pieces wait); returns whether every waiting piece got one.
    fn serve_from_cache(&mut self, ctx: &mut Ctx) -> bool {
        let mut selected = std::mem::take(&mut ctx.scratch.selected);
        selected.clear();
        let wanted = self.selecting.len();
        let mut rng = self.policy_rng.draws(self.streams(), Purpose::PolicySelection);
        let _ = self.cache.handle_resolution(&self.config.pool, wanted, CACHE_MAX_INCREMENT, &mut rng, &mut selected);
        for e in &selected {
            let p = self.selecting.pop_front().expect("no more PEs than pieces waiting");
            self.use_pool_element(p, (e.transport, e.id), ctx);
        }
        ctx.scratch.selected = selected;
        self.selecting.is_empty()
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
            if self.cache.register(&self.config.pool, reg, ctx.now.0).is_ok() {
                self.cache.set_timer(&self.config.pool, r.id, TimerCode::Expiry, expiry);
            }
        }
        ctx.scratch.records.keep(items);
        let waiting = self.selecting.len();
        if self.serve_from_cache(ctx) {
            return;
        }
        if self.selecting.len() < waiting {
            // Some pieces got a PE: resolve again for the others.
            self.requests_sent = 0;
            self.send_handle_resolution(ctx);
        } else {
            // No pool element: every waiting piece tries again later.
            for p in std::mem::take(&mut self.selecting) {
                let t = self.timer(Timer::SelectionRetry(p as u16));
                ctx.schedule(self.config.handle_resolution_retry_delay, t);
            }
        }
    }

    /// Reports piece `p`'s PE unreachable: drop it from the cache, tell the registrar.
    fn report_unreachable(&mut self, p: usize, ctx: &mut Ctx) {
        let Some((_, pe)) = self.current.as_ref().and_then(|j| j.pieces.get(p)?.pe) else {
            return;
        };
        self.cache.deregister(&self.config.pool, pe);
        ctx.lan_counters(self.lan).unreachables += 1;
        if let Some(registrar) = self.registrar {
            ctx.send(registrar, Message::EndpointUnreachable { pe });
        }
    }

    fn use_pool_element(&mut self, p: usize, pe: (NodeId, PeId), ctx: &mut Ctx) {
        let job = self.current.as_mut().expect("a job is in service");
        let session = session_id(job.id, p);
        let piece = &mut job.pieces[p];
        piece.pe = Some(pe);
        piece.phase = PiecePhase::WaitingForResponse;
        let msg = match piece.cookie {
            Some(cookie) => {
                ctx.lan_counters(self.lan).cookie_echoes += 1;
                Message::CookieEcho(cookie)
            }
            None => {
                ctx.lan_counters(self.lan).requests += 1;
                Message::CalcAppRequest { job: session, size: piece.size }
            }
        };
        self.stats.distance_sum_ms += ctx.delay_to(pe.0).as_secs_f64() * 1e3;
        let fake = ctx.is_attacker(pe.0) as u64;
        ctx.lan_counters(self.lan).fake_selections += fake;
        ctx.send_to_port(pe.0, pe.1.0, msg);
        ctx.arm(self.timers[p].request_timeout, self.config.request_timeout);
    }

    // ---- CalcApp sessions ---------------------------------------------------------------

    pub fn on_message(&mut self, from: NodeId, msg: Message, ctx: &mut Ctx) {
        if let Message::HandleResolutionResponse { items, reject } = msg {
            self.on_handle_resolution_response(items, reject, ctx);
            return;
        }
        let session = match &msg {
            Message::CalcAppAccept { job }
            | Message::CalcAppReject { job }
            | Message::CalcAppKeepAlive { job }
            | Message::CalcAppKeepAliveAck { job }
            | Message::CalcAppComplete { job, .. }
            | Message::CalcAppAbort { job } => *job,
            Message::Cookie { cookie, .. } => cookie.job,
            _ => return,
        };
        let (job_id, p) = (session / MAX_PIECES as u64, (session % MAX_PIECES as u64) as usize);
        let current = self.current.as_ref().filter(|job| job.id == job_id).and_then(|job| {
            let piece = job.pieces.get(p)?;
            Some((piece.pe?, piece.phase))
        });
        let (pe_id, phase) = match current {
            Some(((node, pe_id), phase)) if from == node => (pe_id, phase),
            // From a session this PU has left: what it would have saved is lost.
            _ => {
                self.stats.lost_calculations += msg.newly_saved();
                return;
            }
        };
        let timers = self.timers[p];
        match (msg, phase) {
            (Message::CalcAppReject { .. }, PiecePhase::WaitingForResponse) => {
                ctx.cancel(timers.request_timeout);
                ctx.lan_counters(self.lan).rejects += 1;
                self.cache.deregister(&self.config.pool, pe_id);
                let delay = uniform_delay(
                    self.retry_rng.get(self.streams(), Purpose::RetryDelay),
                    self.config.job_retry_delay_max_s,
                );
                ctx.schedule(delay, self.timer(Timer::SelectionRetry(p as u16)));
            }
            (Message::CalcAppAccept { .. }, PiecePhase::WaitingForResponse) => {
                ctx.cancel(timers.request_timeout);
                ctx.lan_counters(self.lan).accepts += 1;
                let now = ctx.now;
                let job = self.current.as_mut().expect("checked");
                if job.accepted_at.is_none() {
                    job.accepted_at = Some(now);
                    self.stats.startup_delay_s += now.since(job.started_at).as_secs_f64();
                    ctx.lan_counters(self.lan).first_accepts += 1;
                }
                let piece = &mut job.pieces[p];
                if piece.accepted_at.is_none() {
                    piece.accepted_at = Some(now);
                } else {
                    self.stats.failover_time_s += now.since(piece.last_goodput_at).as_secs_f64();
                    ctx.lan_counters(self.lan).failover_accepts += 1;
                }
                piece.last_goodput_at = now;
                piece.phase = PiecePhase::Processing;
                ctx.arm(timers.keep_alive, self.config.keep_alive_interval);
            }
            (Message::Cookie { cookie, newly_saved }, PiecePhase::Processing) => {
                let now = ctx.now;
                let piece = &mut self.current.as_mut().expect("checked").pieces[p];
                let credit = cookie.completed - piece.last_goodput_calcs;
                self.stats.goodput_time_s += now.since(piece.last_goodput_at).as_secs_f64();
                self.stats.job_size_completed += credit;
                self.stats.lost_calculations += newly_saved - credit;
                piece.last_goodput_at = now;
                piece.last_goodput_calcs = cookie.completed;
                piece.cookie = Some(cookie);
            }
            (Message::CalcAppKeepAlive { job }, PiecePhase::Processing) => {
                ctx.send_to_port(from, pe_id.0, Message::CalcAppKeepAliveAck { job });
            }
            (Message::CalcAppKeepAliveAck { .. }, PiecePhase::Processing)
                if ctx.is_running(timers.keep_alive_timeout) =>
            {
                ctx.cancel(timers.keep_alive_timeout);
                ctx.arm(timers.keep_alive, self.config.keep_alive_interval);
            }
            (Message::CalcAppAbort { .. }, PiecePhase::Processing) => {
                ctx.cancel(timers.keep_alive);
                ctx.cancel(timers.keep_alive_timeout);
                self.failover(ctx);
                self.cache.deregister(&self.config.pool, pe_id);
                self.select_server(p, ctx);
            }
            (Message::CalcAppComplete { newly_saved, .. }, PiecePhase::Processing) => {
                ctx.cancel(timers.keep_alive);
                ctx.cancel(timers.keep_alive_timeout);
                let now = ctx.now;
                let job = self.current.as_mut().expect("checked");
                let piece = &mut job.pieces[p];
                let credit = piece.size - piece.last_goodput_calcs;
                self.stats.goodput_time_s += now.since(piece.last_goodput_at).as_secs_f64();
                self.stats.job_size_completed += credit;
                self.stats.lost_calculations += newly_saved - credit;
                let accepted = piece.accepted_at.expect("processing implies accepted");
                piece.processing_time_s = now.since(accepted).as_secs_f64();
                piece.phase = PiecePhase::Completed;
                let local = piece.pe.is_some_and(|(node, _)| ctx.same_lan(node)) as u64;
                let counters = ctx.lan_counters(self.lan);
                counters.pieces_completed += 1;
                counters.pieces_completed_locally += local;
                self.stats.piece_processing_time_s += piece.processing_time_s;
                job.open -= 1;
                if job.open == 0 {
                    self.complete_job(ctx);
                }
            }
            (msg, _) => self.stats.lost_calculations += msg.newly_saved(),
        }
    }

    /// The last piece completed: the job is done.
    fn complete_job(&mut self, ctx: &mut Ctx) {
        let job = self.current.take().expect("a job is in service");
        let now = ctx.now;
        let n = job.pieces.len();
        let counters = ctx.lan_counters(self.lan);
        counters.jobs_completed += 1;
        counters.since_start.jobs_completed += 1;
        counters.pieces_of_jobs_completed += n as u64;
        let accepted = job.accepted_at.expect("completion implies an accept");
        self.stats.processing_time_s += now.since(accepted).as_secs_f64();
        self.stats.handling_time_s += now.since(job.queued_at).as_secs_f64();
        let times = job.pieces.iter().map(|piece| piece.processing_time_s);
        let mean = times.clone().sum::<f64>() / n as f64;
        let slowest = times.fold(0.0, f64::max);
        self.stats.straggler_ratio_sum += if mean > 0.0 { slowest / mean } else { 1.0 };
        ctx.scratch.pieces.keep(job.pieces);
        self.start_job(ctx);
    }

    pub fn reset_statistics(&mut self) {
        self.stats = PoolUserStats::default();
    }
}

/// Pool user configuration from the scenario and the PU's section (overrides applied).
pub fn config_from(s: &Scenario, pu: &PoolUsers, registrars: RegistrarTable) -> PoolUserConfig {
    PoolUserConfig {
        job_size: Exp::new(1.0 / s.job_size()).expect("job size > 0"),
        job_interval_s: Exp::new(1.0 / s.job_interval_s()).expect("job interval > 0"),
        pieces: s.workload.pieces,
        piece_sizes: s.workload.piece_sizes,
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
        registrars,
        handlespace: HandlespaceConfig {
            double_update: s.handlespace.double_update,
            keep_first_registration_life: s.handlespace.keep_first_registration_life,
        },
        pool: calcapp_pool(),
        seed: s.seed,
    }
}
