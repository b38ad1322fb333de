//! Heads up: this is the pool registrar of RFC 5351-5353 as the RSPSIM model implements it
//! (docs/model.md §4): ASAP registration, deregistration, handle resolution, endpoint
//! keep-alive monitoring and unreachability reports; ENRP presence, handle updates and
//! handle-table synchronisation with the mentor and on checksum mismatch.
//!
//! Life cycle (§4.2): a registrar runs for an uptime from its startup, then stops
//! silently (RFC 5353 has no farewell, clean or not): it forgets its handlespace and its
//! peers and ignores every packet until it restarts after the downtime, with the same
//! identifier and an empty handlespace, and synchronises from a mentor again.
//!
//! Takeover (§4.8, RFC 5353): a peer that stays silent past `max_time_last_heard` and a
//! presence probe is taken over: the registrar asks every other peer for consent, and when
//! all consented (or the takeover expired) it owns the dead peer's PEs, invites them to
//! make it their home, and tells the peers. Two registrars that take over the same peer
//! at once leave it to the one with the lower identifier (quirk 11.11). With takeover
//! suggestion, a registrar's handle updates invite PEs to the peer of the highest
//! id XOR PE id, which spreads ownership over the registrars.
//!
//! Rate limiting (§4.4, §4.6, RFC 5355's countermeasure): per pool user, handle
//! resolutions over `max_handle_resolution_rate` are dropped silently, and unreachability
//! reports over `max_endpoint_unreachable_rate` are ignored ([`RateLimiter`]).
//!
//! Per-PE timers (keep-alive transmission/timeout, lifetime of PEs learned over ENRP) live
//! in the handlespace's timer storage; one engine timer is armed at the earliest of them,
//! as the RSPLIB registrar does.

use super::ids::calcapp_pool;
use super::lifecycle::{LifeCycle, LifeCycleConfig, LifeCycleStats, Script};
use super::message::{Message, PeRecord};
use super::rate_limit::{RateLimit, RateLimiter};
use super::{Ctx, Event, NodeId, secs};
use crate::engine::rng::{self, Component, Purpose, StreamOwner, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{
    Handlespace, HandlespaceConfig, PeId, PoolElement, PoolHandle, RegistrarId, Registration, TimerCode,
};
use crate::scenario::{Registrars, Scenario, TimeDistribution};
use rand::RngExt;
use std::rc::Rc;

/// Transport data a registrar keeps per pool element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transports {
    pub user: NodeId,
    pub registrator: NodeId,
}

/// Registrar parameters (docs/model.md §4.1).
#[derive(Clone, Debug)]
pub struct RegistrarConfig {
    pub max_handle_resolution_items: u32,
    pub randomize_max_handle_resolution_items: bool,
    pub max_increment: u32,
    pub max_bad_pe_reports: u32,
    pub handle_resolution_rate: RateLimit,
    pub endpoint_unreachable_rate: RateLimit,
    pub endpoint_keep_alive_interval: SimDuration,
    pub endpoint_keep_alive_timeout: SimDuration,
    pub no_service_during_startup: bool,
    pub mentor_discovery_timeout: SimDuration,
    pub peer_heartbeat_cycle: SimDuration,
    pub max_time_last_heard: SimDuration,
    pub max_time_no_response: SimDuration,
    pub takeover_expiry: SimDuration,
    pub takeover_suggestion: bool,
    pub handlespace: HandlespaceConfig,
    pub uptime: TimeDistribution,
    pub downtime: TimeDistribution,
    pub clean_shutdown_probability: f64,
    /// Probability that a received handle update is lost.
    pub update_loss_probability: f64,
}

pub use super::timer::RegistrarTimer as Timer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not started, or down between runs: every packet is ignored.
    Down,
    /// Mentor discovery running.
    Startup,
    Running,
}

/// Registrar counters (docs/model.md §4.9), reset at the end of the warm-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistrarStats {
    pub registrations: u64,
    pub deregistrations: u64,
    pub handle_resolutions: u64,
    pub endpoint_unreachables: u64,
    pub endpoint_keep_alives_sent: u64,
    pub endpoint_keep_alive_acks: u64,
    pub endpoint_keep_alive_timeouts: u64,
    pub lifetime_expiries: u64,
    /// Handle updates received.
    pub handle_updates: u64,
    pub handle_updates_sent: u64,
    pub requested_presences: u64,
    pub handle_table_requests: u64,
    pub startups_alone: u64,
    pub startups_with_mentor: u64,
    pub takeovers_started: u64,
    pub takeovers_by_consent: u64,
    pub takeovers_by_timeout: u64,
    /// Handle resolutions dropped by the rate limit (counted in `handle_resolutions`).
    pub refused_handle_resolutions: u64,
    /// Unreachability reports ignored by the rate limit.
    pub refused_endpoint_unreachables: u64,
    /// Observer only: packets received from attackers.
    pub attacker_messages: u64,
    /// Observer only: PEs handed out by handle resolutions, and how many of them were fake
    /// (registered by an attacker).
    pub pool_elements_handed_out: u64,
    pub fake_pool_elements_handed_out: u64,
}

struct Peer {
    node: NodeId,
    id: Option<RegistrarId>,
    last_heard: TimerId,
    no_response: TimerId,
    list_requested: bool,
    table_sync_pending: bool,
    /// Our takeover of this peer: the peers (by index) whose consent is outstanding.
    takeover: Option<Vec<usize>>,
    takeover_expiry: TimerId,
    /// Another registrar's takeover of this peer, which we consented to.
    taker: Option<RegistrarId>,
}

pub struct Registrar {
    index: u32,
    pub node: NodeId,
    pub id: RegistrarId,
    config: Rc<RegistrarConfig>,
    phase: Phase,
    mentor: Option<usize>,
    mentor_timer: TimerId,
    heartbeat_timer: TimerId,
    lifecycle: LifeCycle,
    life: LifeCycleConfig,
    update_loss_rng: StreamRng,
    /// Owned PEs, integrated over time since the statistics reset: (Σ count·ns, Σ ns, last
    /// update). Updated after every event handled, as the reference's time-weighted mean.
    owned_integral: (f64, u64, SimTime),
    pool: PoolHandle,
    handlespace: Handlespace<Transports>,
    /// Armed at the handlespace's earliest per-PE timer.
    handlespace_timer: TimerId,
    /// Whether it started before (the next start is a restart).
    started: bool,
    run_started: SimTime,
    peers: Vec<Peer>,
    policy_rng: StreamRng,
    scratch: Vec<PoolElement<Transports>>,
    handle_resolution_limit: Option<RateLimiter>,
    endpoint_unreachable_limit: Option<RateLimiter>,
    pub stats: RegistrarStats,
}

/// Distance in whole ms, rounded up: `ceil(1000 · delay[s])` on integer ns.
fn distance_ms(delay: SimDuration) -> u32 {
    delay.0.div_ceil(1_000_000).min(u32::MAX as u64) as u32
}

/// Lifetime of a PE entry: its stored registration life.
fn lifetime_of(e: &PoolElement<Transports>) -> SimDuration {
    SimDuration::from_millis(e.registration_life_ms as u64)
}

fn record_of(e: &PoolElement<Transports>) -> PeRecord {
    PeRecord {
        id: e.id,
        home: e.home,
        registration_life_ms: e.registration_life_ms,
        user: e.transport.user,
        registrator: e.transport.registrator,
        settings: e.settings,
    }
}

impl Registrar {
    /// `peers` are the other registrars' nodes (the static peer list); the registrar's
    /// timers are created in `queue`.
    pub fn new(
        index: u32,
        node: NodeId,
        peers: Vec<NodeId>,
        config: Rc<RegistrarConfig>,
        seed: u64,
        queue: &mut EventQueue<Event>,
    ) -> Registrar {
        let mut id_rng = rng::stream(seed, Component::Registrar, index as u64, Purpose::Identifier);
        let id = RegistrarId(id_rng.random_range(1..=0x7FFF_FFFF));
        let mut timer = |t| queue.add_timer(Event::Registrar(index, t));
        Registrar {
            index,
            node,
            id,
            phase: Phase::Down,
            mentor: None,
            mentor_timer: timer(Timer::MentorDiscovery),
            heartbeat_timer: timer(Timer::Heartbeat),
            lifecycle: LifeCycle::default(),
            life: LifeCycleConfig {
                uptime: config.uptime,
                downtime: config.downtime,
                clean_probability: config.clean_shutdown_probability,
                owner: StreamOwner { seed, component: Component::Registrar, index },
            },
            update_loss_rng: rng::stream(seed, Component::Registrar, index as u64, Purpose::UpdateLoss),
            owned_integral: (0.0, 0, SimTime::ZERO),
            pool: calcapp_pool(),
            handlespace: Handlespace::new(config.handlespace),
            handlespace_timer: timer(Timer::Handlespace),
            started: false,
            run_started: SimTime::ZERO,
            peers: peers
                .into_iter()
                .enumerate()
                .map(|(i, node)| Peer {
                    node,
                    id: None,
                    last_heard: timer(Timer::PeerLastHeard(i as u32)),
                    no_response: timer(Timer::PeerNoResponse(i as u32)),
                    list_requested: false,
                    table_sync_pending: false,
                    takeover: None,
                    takeover_expiry: timer(Timer::TakeoverExpiry(i as u32)),
                    taker: None,
                })
                .collect(),
            policy_rng: rng::stream(seed, Component::Registrar, index as u64, Purpose::PolicySelection),
            scratch: Vec::new(),
            handle_resolution_limit: RateLimiter::new(config.handle_resolution_rate),
            endpoint_unreachable_limit: RateLimiter::new(config.endpoint_unreachable_rate),
            stats: RegistrarStats::default(),
            config,
        }
    }

    fn in_startup_without_service(&self) -> bool {
        self.phase == Phase::Startup && self.config.no_service_during_startup
    }

    fn timer(&self, t: Timer) -> Event {
        Event::Registrar(self.index, t)
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        self.track_owned(ctx.now);
        match timer {
            Timer::Startup => self.start(ctx),
            Timer::Shutdown => self.stop(ctx),
            Timer::MentorDiscovery => {
                if self.phase == Phase::Startup {
                    self.phase = Phase::Running;
                    self.stats.startups_alone += 1;
                }
            }
            Timer::Heartbeat => {
                self.send_presence_to_all(false, ctx);
                ctx.arm(self.heartbeat_timer, self.config.peer_heartbeat_cycle);
            }
            Timer::Handlespace => self.run_due_timers(ctx),
            Timer::PeerLastHeard(i) => {
                let node = self.peers[i as usize].node;
                self.send_presence(node, true, ctx);
                ctx.arm(self.peers[i as usize].no_response, self.config.max_time_no_response);
            }
            Timer::PeerNoResponse(i) => self.start_takeover(i as usize, ctx),
            Timer::TakeoverExpiry(i) => {
                if self.peers[i as usize].takeover.is_some() {
                    self.stats.takeovers_by_timeout += 1;
                    self.finish_takeover(i as usize, ctx);
                }
            }
        }
        self.sync_handlespace_timer(ctx);
    }

    fn start(&mut self, ctx: &mut Ctx) {
        if self.started {
            self.lifecycle.restarted(&self.life);
        }
        self.started = true;
        self.run_started = ctx.now;
        self.phase = Phase::Startup;
        ctx.arm(self.mentor_timer, self.config.mentor_discovery_timeout);
        self.send_presence_to_all(true, ctx);
        ctx.arm(self.heartbeat_timer, self.config.peer_heartbeat_cycle);
        if let Some(uptime) = self.lifecycle.uptime(&self.life, ctx.now) {
            ctx.schedule(uptime, self.timer(Timer::Shutdown));
        }
    }

    /// The uptime is over: stop silently (docs/model.md §4.2), forget the handlespace
    /// and the peers' state, restart after the downtime.
    fn stop(&mut self, ctx: &mut Ctx) {
        self.lifecycle.stop(&self.life, ctx.now.since(self.run_started));
        self.phase = Phase::Down;
        ctx.cancel(self.heartbeat_timer);
        ctx.cancel(self.mentor_timer);
        self.mentor = None;
        self.handlespace = Handlespace::new(self.config.handlespace);
        for i in 0..self.peers.len() {
            self.forget_peer(i, ctx);
            self.peers[i].list_requested = false;
        }
        if let Some(downtime) = self.lifecycle.downtime(&self.life, ctx.now) {
            ctx.schedule(downtime, self.timer(Timer::Startup));
        }
    }

    fn send_presence(&self, to: NodeId, reply_required: bool, ctx: &mut Ctx) {
        let checksum = self.handlespace.ownership_checksum(self.id);
        ctx.send(to, Message::Presence { sender: self.id, reply_required, checksum });
    }

    fn send_presence_to_all(&self, reply_required: bool, ctx: &mut Ctx) {
        for p in &self.peers {
            self.send_presence(p.node, reply_required, ctx);
        }
    }

    /// Announces an added or removed PE to every peer with a known identifier; with
    /// takeover suggestion, the update of an own PE to the peer of the highest id XOR PE id
    /// (if higher than ours) carries the suggestion.
    fn send_update_to_peers(&mut self, add: bool, record: PeRecord, ctx: &mut Ctx) {
        if self.peers.is_empty() {
            return; // a registrar alone (and no record to copy)
        }
        let suggest_to = if add && self.config.takeover_suggestion && record.home == self.id {
            let distance = |id: RegistrarId| id.0 ^ record.id.0;
            self.peers
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((distance(p.id?), i)))
                .max_by_key(|&(d, i)| (d, std::cmp::Reverse(i)))
                .filter(|&(d, _)| d > distance(self.id))
                .map(|(_, i)| i)
        } else {
            None
        };
        for (i, p) in self.peers.iter().enumerate().filter(|(_, p)| p.id.is_some()) {
            self.stats.handle_updates_sent += 1;
            let takeover_suggested = suggest_to == Some(i);
            ctx.send(p.node, Message::HandleUpdate { sender: self.id, add, record, takeover_suggested });
        }
    }

    /// Sends an ENRP message to every peer with a known identifier.
    fn send_to_known_peers(&self, msg: Message, ctx: &mut Ctx) {
        for p in self.peers.iter().filter(|p| p.id.is_some()) {
            ctx.send(p.node, msg.clone());
        }
    }

    fn peer_with_id(&self, id: RegistrarId) -> Option<usize> {
        self.peers.iter().position(|p| p.id == Some(id))
    }

    /// Forgets a peer's identifier and every state about it (a static peer stays listed,
    /// with identifier 0, as the reference's static peer list).
    fn forget_peer(&mut self, i: usize, ctx: &mut Ctx) {
        let p = &mut self.peers[i];
        p.id = None;
        p.table_sync_pending = false;
        p.takeover = None;
        p.taker = None;
        ctx.cancel(p.last_heard);
        ctx.cancel(p.no_response);
        ctx.cancel(p.takeover_expiry);
    }

    /// Peer i stopped answering: ask every other peer for consent to take it over.
    fn start_takeover(&mut self, i: usize, ctx: &mut Ctx) {
        let Some(target) = self.peers[i].id else { return };
        if self.peers[i].takeover.is_some() || self.peers[i].taker.is_some() {
            return;
        }
        self.stats.takeovers_started += 1;
        let outstanding = (0..self.peers.len()).filter(|&j| j != i && self.peers[j].id.is_some()).collect();
        self.peers[i].takeover = Some(outstanding);
        ctx.arm(self.peers[i].takeover_expiry, self.config.takeover_expiry);
        self.send_to_known_peers(Message::InitTakeover { sender: self.id, target }, ctx);
    }

    fn on_init_takeover(&mut self, from: NodeId, sender: RegistrarId, target: RegistrarId, ctx: &mut Ctx) {
        let ack = Message::InitTakeoverAck { sender: self.id, target };
        if target == self.id {
            // Alive after all: the presence stops the takeover.
            self.send_presence_to_all(false, ctx);
            return;
        }
        let Some(t) = self.peer_with_id(target) else {
            ctx.send(from, ack);
            return;
        };
        if self.peers[t].takeover.is_some() {
            if sender.0 >= self.id.0 {
                return; // ours wins: the lower identifier takes over
            }
            self.peers[t].takeover = None;
            ctx.cancel(self.peers[t].takeover_expiry);
        }
        self.peers[t].taker = Some(sender);
        ctx.cancel(self.peers[t].last_heard);
        ctx.cancel(self.peers[t].no_response);
        ctx.send(from, ack);
    }

    fn on_init_takeover_ack(&mut self, sender: RegistrarId, target: RegistrarId, ctx: &mut Ctx) {
        let Some(t) = self.peer_with_id(target) else { return };
        let Some(acker) = self.peer_with_id(sender) else { return };
        let Some(outstanding) = self.peers[t].takeover.as_mut() else { return };
        outstanding.retain(|&j| j != acker);
        if outstanding.is_empty() {
            self.stats.takeovers_by_consent += 1;
            self.finish_takeover(t, ctx);
        }
    }

    /// Owns peer t's PEs: each is invited (keep-alive with the home flag) and monitored
    /// from now on; the peers learn of the takeover, and t is forgotten.
    fn finish_takeover(&mut self, t: usize, ctx: &mut Ctx) {
        let target = self.peers[t].id.expect("a takeover targets a known peer");
        for (handle, pe) in self.handlespace.owned_by(target) {
            self.handlespace.set_home(&handle, pe, self.id);
            let Some(e) = self.handlespace.get(&handle, pe) else { continue };
            let to = e.transport.registrator;
            self.stats.endpoint_keep_alives_sent += 1;
            ctx.send(to, Message::EndpointKeepAlive { pe, home: true });
            let at = ctx.now + self.config.endpoint_keep_alive_timeout;
            self.handlespace.set_timer(&handle, pe, TimerCode::KeepAliveTimeout, at.0);
        }
        self.send_to_known_peers(Message::TakeoverServer { sender: self.id, target }, ctx);
        self.forget_peer(t, ctx);
    }

    fn on_takeover_server(&mut self, sender: RegistrarId, target: RegistrarId, ctx: &mut Ctx) {
        if target == self.id {
            return;
        }
        if let Some(t) = self.peer_with_id(target) {
            self.forget_peer(t, ctx);
        }
        for (handle, pe) in self.handlespace.owned_by(target) {
            self.handlespace.set_home(&handle, pe, sender);
            let at = ctx.now + self.lifetime(pe);
            self.handlespace.set_timer(&handle, pe, TimerCode::Expiry, at.0);
        }
    }

    pub fn on_message(&mut self, from: NodeId, sent: SimTime, msg: Message, ctx: &mut Ctx) {
        self.track_owned(ctx.now);
        if self.phase == Phase::Down {
            return;
        }
        self.stats.attacker_messages += ctx.is_attacker(from) as u64;
        match msg {
            Message::Registration { record } => self.on_registration(from, sent, record, ctx),
            Message::Deregistration { pe } => self.on_deregistration(from, pe, ctx),
            Message::HandleResolution => self.on_handle_resolution(from, ctx),
            Message::EndpointKeepAliveAck { pe } => {
                self.stats.endpoint_keep_alive_acks += 1;
                let waiting = self
                    .handlespace
                    .get(&self.pool, pe)
                    .is_some_and(|e| matches!(e.timer(), Some((TimerCode::KeepAliveTimeout, _))));
                if waiting {
                    let at = ctx.now + self.config.endpoint_keep_alive_interval;
                    self.handlespace.set_timer(&self.pool, pe, TimerCode::KeepAliveTransmission, at.0);
                }
            }
            Message::EndpointUnreachable { pe } => {
                self.stats.endpoint_unreachables += 1;
                // One rate per pool user and pool, whichever PE it reports (§4.6).
                if let Some(limit) = self.endpoint_unreachable_limit.as_mut()
                    && limit.refuse(from, &self.pool, ctx.now)
                {
                    self.stats.refused_endpoint_unreachables += 1;
                } else if let Some(reports) = self.handlespace.report_unreachable(&self.pool, pe)
                    && reports >= self.config.max_bad_pe_reports
                {
                    self.remove(pe, true, ctx);
                }
            }
            Message::Presence { sender, reply_required, checksum } => {
                self.on_presence(from, sender, reply_required, checksum, ctx)
            }
            Message::ListRequest { .. } => ctx.send(from, Message::ListResponse { sender: self.id }),
            Message::ListResponse { .. } => {}
            Message::HandleTableRequest { own_children_only, .. } => {
                let records = if own_children_only {
                    self.handlespace
                        .owned_by(self.id)
                        .into_iter()
                        .filter_map(|(h, id)| self.handlespace.get(&h, id).map(record_of))
                        .collect()
                } else {
                    self.handlespace.pool_elements().map(|(_, e)| record_of(e)).collect()
                };
                ctx.send(from, Message::HandleTableResponse { sender: self.id, records });
            }
            Message::HandleTableResponse { records, .. } => self.on_handle_table(from, sent, records, ctx),
            Message::HandleUpdate { add, record, takeover_suggested, .. } => {
                self.on_handle_update(sent, add, record, takeover_suggested, ctx)
            }
            Message::InitTakeover { sender, target } => self.on_init_takeover(from, sender, target, ctx),
            Message::InitTakeoverAck { sender, target } => self.on_init_takeover_ack(sender, target, ctx),
            Message::TakeoverServer { sender, target } => self.on_takeover_server(sender, target, ctx),
            _ => {}
        }
        self.sync_handlespace_timer(ctx);
    }

    fn on_registration(&mut self, from: NodeId, sent: SimTime, mut record: PeRecord, ctx: &mut Ctx) {
        self.stats.registrations += 1;
        let pe = record.id;
        if self.in_startup_without_service() {
            ctx.send(from, Message::RegistrationResponse { pe, reject: true, error: 0 });
            return;
        }
        record.home = self.id;
        record.settings.distance = distance_ms(ctx.now.since(sent));
        let reg = Registration {
            id: pe,
            home: self.id,
            registration_life_ms: record.registration_life_ms,
            settings: record.settings,
            transport: Transports { user: record.user, registrator: record.registrator },
        };
        match self.handlespace.register_entry(&self.pool, reg, ctx.now.0) {
            Ok((_, e)) => {
                let stored = record_of(e);
                // A re-registration does not restart a running keep-alive cycle.
                let start_keep_alive = matches!(e.timer(), None | Some((TimerCode::Expiry, _)));
                self.send_update_to_peers(true, stored, ctx);
                if start_keep_alive {
                    let at = ctx.now + self.config.endpoint_keep_alive_interval;
                    self.handlespace.set_timer(&self.pool, pe, TimerCode::KeepAliveTransmission, at.0);
                }
                ctx.send(from, Message::RegistrationResponse { pe, reject: false, error: 0 });
            }
            // An error answer is a reject here, so that a PE retries after the hunt delay
            // rather than re-sending at once forever (the reference re-sends immediately).
            Err(e) => ctx.send(from, Message::RegistrationResponse { pe, reject: true, error: e.code() }),
        }
    }

    fn on_deregistration(&mut self, from: NodeId, pe: PeId, ctx: &mut Ctx) {
        self.stats.deregistrations += 1;
        if self.handlespace.get(&self.pool, pe).is_some() {
            self.handlespace.set_home(&self.pool, pe, self.id);
            self.remove(pe, true, ctx);
        }
        ctx.send(from, Message::DeregistrationResponse { pe });
    }

    /// Removes a PE; tells the peers if `announce` and this registrar owns it.
    fn remove(&mut self, pe: PeId, announce: bool, ctx: &mut Ctx) {
        if let Some(e) = self.handlespace.deregister(&self.pool, pe)
            && announce
            && e.home == self.id
        {
            self.send_update_to_peers(false, record_of(&e), ctx);
        }
    }

    fn on_handle_resolution(&mut self, from: NodeId, ctx: &mut Ctx) {
        self.stats.handle_resolutions += 1;
        if let Some(limit) = self.handle_resolution_limit.as_mut()
            && limit.refuse(from, &self.pool, ctx.now)
        {
            // Dropped silently: the pool user times out and asks again (§4.4).
            self.stats.refused_handle_resolutions += 1;
            return;
        }
        if self.in_startup_without_service() {
            ctx.send(from, Message::HandleResolutionResponse { items: Vec::new(), reject: true });
            return;
        }
        let mut n = self.config.max_handle_resolution_items as usize;
        if self.config.randomize_max_handle_resolution_items {
            let m = self.handlespace.pool_len(&self.pool).min(n + 1);
            let m = if m > 1 { m - 1 } else { 1 };
            n = self.policy_rng.random_range(1..=m);
        }
        self.scratch.clear();
        // An unknown pool or all-zero weights answer an empty list, never a crash (Q6).
        let _ = self.handlespace.handle_resolution(
            &self.pool,
            n,
            self.config.max_increment,
            &mut self.policy_rng,
            &mut self.scratch,
        );
        let mut items = ctx.scratch.records.take();
        items.extend(self.scratch.iter().map(record_of));
        self.stats.pool_elements_handed_out += self.scratch.len() as u64;
        self.stats.fake_pool_elements_handed_out +=
            self.scratch.iter().filter(|e| ctx.is_attacker(e.transport.user)).count() as u64;
        ctx.send(from, Message::HandleResolutionResponse { items, reject: false });
    }

    fn on_presence(&mut self, from: NodeId, sender: RegistrarId, reply_required: bool, checksum: u16, ctx: &mut Ctx) {
        let Some(i) = self.peers.iter().position(|p| p.node == from) else {
            return;
        };
        let is_new = self.peers[i].id.is_none();
        self.peers[i].id = Some(sender);
        // Alive: no takeover of it, neither ours nor another's.
        self.peers[i].takeover = None;
        self.peers[i].taker = None;
        ctx.cancel(self.peers[i].takeover_expiry);
        ctx.cancel(self.peers[i].no_response);
        ctx.arm(self.peers[i].last_heard, self.config.max_time_last_heard);
        if reply_required {
            self.stats.requested_presences += 1;
            self.send_presence(from, false, ctx);
        } else if is_new {
            self.send_presence(from, false, ctx);
        }
        if self.phase == Phase::Startup && self.mentor.is_none() && !self.peers[i].table_sync_pending {
            self.mentor = Some(i);
            self.request_table(i, ctx);
        } else if !self.peers[i].table_sync_pending && self.handlespace.ownership_checksum(sender) != checksum {
            self.request_table(i, ctx);
        }
        if !self.peers[i].list_requested {
            self.peers[i].list_requested = true;
            ctx.send(from, Message::ListRequest { sender: self.id });
        }
    }

    fn request_table(&mut self, i: usize, ctx: &mut Ctx) {
        self.peers[i].table_sync_pending = true;
        self.stats.handle_table_requests += 1;
        ctx.send(self.peers[i].node, Message::HandleTableRequest { sender: self.id, own_children_only: true });
    }

    /// Imports a peer's handle table (a mentor's at startup, or a peer's PEs after a
    /// checksum mismatch); like a handle update, each entry's distance grows by the
    /// one-way delay of the response.
    fn on_handle_table(&mut self, from: NodeId, sent: SimTime, records: Vec<PeRecord>, ctx: &mut Ctx) {
        let hop = distance_ms(ctx.now.since(sent));
        for mut record in records {
            record.settings.distance = record.settings.distance.saturating_add(hop);
            if let Some(lifetime) = self.learn(record, ctx.now) {
                let code = if record.home == self.id { TimerCode::KeepAliveTransmission } else { TimerCode::Expiry };
                let delay = if code == TimerCode::Expiry { lifetime } else { self.config.endpoint_keep_alive_interval };
                self.handlespace.set_timer(&self.pool, record.id, code, (ctx.now + delay).0);
            }
        }
        let Some(i) = self.peers.iter().position(|p| p.node == from) else {
            return;
        };
        self.peers[i].table_sync_pending = false;
        if self.phase == Phase::Startup && self.mentor == Some(i) {
            self.phase = Phase::Running;
            self.stats.startups_with_mentor += 1;
            ctx.cancel(self.mentor_timer);
        }
    }

    fn on_handle_update(
        &mut self,
        sent: SimTime,
        add: bool,
        mut record: PeRecord,
        takeover_suggested: bool,
        ctx: &mut Ctx,
    ) {
        // Lost with the configured probability (drawn only when it can happen).
        let p = self.config.update_loss_probability;
        if p > 0.0 && self.update_loss_rng.random::<f64>() < p {
            return;
        }
        self.stats.handle_updates += 1;
        if record.home == self.id {
            return; // updates about our own PEs are ignored
        }
        if !add {
            self.handlespace.deregister(&self.pool, record.id);
            return;
        }
        record.settings.distance = record.settings.distance.saturating_add(distance_ms(ctx.now.since(sent)));
        if let Some(lifetime) = self.learn(record, ctx.now) {
            let at = ctx.now + lifetime;
            self.handlespace.set_timer(&self.pool, record.id, TimerCode::Expiry, at.0);
            if takeover_suggested {
                // Invite the PE to make this registrar its home; it takes ownership when
                // the PE re-registers here.
                self.stats.endpoint_keep_alives_sent += 1;
                ctx.send(record.registrator, Message::EndpointKeepAlive { pe: record.id, home: true });
            }
        }
    }

    /// Adds or updates a PE learned from a peer, keeping the sender's home; returns the
    /// lifetime of its entry (its stored registration life: quirk Q2 applies).
    fn learn(&mut self, record: PeRecord, now: SimTime) -> Option<SimDuration> {
        let reg = Registration {
            id: record.id,
            home: record.home,
            registration_life_ms: record.registration_life_ms,
            settings: record.settings,
            transport: Transports { user: record.user, registrator: record.registrator },
        };
        let (_, e) = self.handlespace.register_entry(&self.pool, reg, now.0).ok()?;
        Some(lifetime_of(e))
    }

    /// Lifetime of a PE entry: its stored registration life (quirk Q2 applies).
    fn lifetime(&self, pe: PeId) -> SimDuration {
        self.handlespace.get(&self.pool, pe).map_or(SimDuration::ZERO, lifetime_of)
    }

    fn run_due_timers(&mut self, ctx: &mut Ctx) {
        while let Some(due) = self.handlespace.pop_due_timer(ctx.now.0) {
            match due.code {
                TimerCode::KeepAliveTransmission => {
                    let Some(e) = self.handlespace.get(&due.handle, due.id) else {
                        continue;
                    };
                    let to = e.transport.registrator;
                    self.stats.endpoint_keep_alives_sent += 1;
                    ctx.send(to, Message::EndpointKeepAlive { pe: due.id, home: false });
                    let at = ctx.now + self.config.endpoint_keep_alive_timeout;
                    self.handlespace.set_timer(&due.handle, due.id, TimerCode::KeepAliveTimeout, at.0);
                }
                TimerCode::KeepAliveTimeout => {
                    self.stats.endpoint_keep_alive_timeouts += 1;
                    self.remove(due.id, true, ctx);
                }
                TimerCode::Expiry => {
                    self.stats.lifetime_expiries += 1;
                    self.handlespace.deregister(&due.handle, due.id);
                }
            }
        }
    }

    /// Keeps the one engine timer armed at the handlespace's earliest timer.
    fn sync_handlespace_timer(&mut self, ctx: &mut Ctx) {
        let next = self.handlespace.next_timer_at().map(SimTime);
        if ctx.expires_at(self.handlespace_timer) == next {
            return;
        }
        match next {
            Some(at) => {
                ctx.arm(self.handlespace_timer, at.since(ctx.now));
            }
            None => ctx.cancel(self.handlespace_timer),
        }
    }

    /// Adds the owned-PE count held since the last event to the time integral.
    fn track_owned(&mut self, now: SimTime) {
        let (sum, weight, last) = &mut self.owned_integral;
        let held = now.since(*last).0;
        *sum += self.handlespace.owned_count(self.id) as f64 * held as f64;
        *weight += held;
        *last = now;
    }

    /// Time-weighted mean of the PEs this registrar owned in the window (up to its last
    /// event, as the reference); NaN before any time passed.
    pub fn owned_pool_elements_mean(&self) -> f64 {
        let (sum, weight, _) = self.owned_integral;
        if weight == 0 { f64::NAN } else { sum / weight as f64 }
    }

    /// PEs in this registrar's handlespace (owned or learned from peers).
    pub fn pool_size(&self) -> usize {
        self.handlespace.len()
    }

    /// Whether its handlespace holds PE `id`.
    pub fn knows(&self, id: PeId) -> bool {
        self.handlespace.get(&self.pool, id).is_some()
    }

    /// The home registrar of PE `id` as this registrar's handlespace records it.
    pub fn owner_of(&self, id: PeId) -> Option<RegistrarId> {
        self.handlespace.get(&self.pool, id).map(|e| e.home)
    }

    /// The distance its handlespace records for PE `id` [ms].
    pub fn distance_to(&self, id: PeId) -> Option<u32> {
        self.handlespace.get(&self.pool, id).map(|e| e.settings.distance)
    }

    /// The handlespace checksum (over every PE it holds), for audits between registrars.
    pub fn checksum(&self) -> u16 {
        self.handlespace.checksum()
    }

    /// PEs this registrar owns now.
    pub fn owned_pool_elements(&self) -> usize {
        self.handlespace.owned_count(self.id)
    }

    /// Whether it runs (started and not stopped).
    pub fn is_up(&self) -> bool {
        self.phase != Phase::Down
    }

    /// Scripts its runs (status changes or an availability trace), at most `max_runs`;
    /// returns when it first starts (None: never), `default` unless scripted.
    pub fn script(&mut self, script: Script, max_runs: u64, default: SimTime) -> Option<SimTime> {
        self.lifecycle.script(&self.life, script, max_runs, default)
    }

    pub fn lifecycle_stats(&self) -> LifeCycleStats {
        self.lifecycle.stats()
    }

    pub fn reset_statistics(&mut self, now: SimTime) {
        self.stats = RegistrarStats::default();
        self.lifecycle.reset_statistics();
        self.owned_integral = (0.0, 0, now);
    }
}

/// Registrar configuration from the scenario and the registrar's section (overrides
/// applied).
pub fn config_from(s: &Scenario, r: &Registrars) -> RegistrarConfig {
    RegistrarConfig {
        max_handle_resolution_items: r.max_handle_resolution_items,
        randomize_max_handle_resolution_items: r.randomize_max_handle_resolution_items,
        max_increment: r.max_increment,
        max_bad_pe_reports: r.max_bad_pe_reports,
        handle_resolution_rate: RateLimit {
            max_rate: r.max_handle_resolution_rate,
            buckets: r.handle_resolution_rate_buckets,
            max_entries: r.handle_resolution_rate_max_entries,
        },
        endpoint_unreachable_rate: RateLimit {
            max_rate: r.max_endpoint_unreachable_rate,
            buckets: r.endpoint_unreachable_rate_buckets,
            max_entries: r.endpoint_unreachable_rate_max_entries,
        },
        endpoint_keep_alive_interval: secs(r.endpoint_keep_alive_interval_s),
        endpoint_keep_alive_timeout: secs(r.endpoint_keep_alive_timeout_s),
        no_service_during_startup: r.no_service_during_startup,
        mentor_discovery_timeout: secs(r.mentor_discovery_timeout_s),
        peer_heartbeat_cycle: secs(r.peer_heartbeat_cycle_s),
        max_time_last_heard: secs(r.max_time_last_heard_s),
        max_time_no_response: secs(r.max_time_no_response_s),
        takeover_expiry: secs(r.takeover_expiry_s),
        takeover_suggestion: r.takeover_suggestion,
        handlespace: HandlespaceConfig {
            double_update: s.handlespace.double_update,
            keep_first_registration_life: s.handlespace.keep_first_registration_life,
        },
        uptime: r.uptime,
        downtime: r.downtime,
        clean_shutdown_probability: r.clean_shutdown_probability,
        update_loss_probability: r.update_loss_probability,
    }
}
