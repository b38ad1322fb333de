//! A denial-of-service attacker (docs/model.md §7, RFC 5355 §3): every `interval` it
//! picks one of its target registrars at random and attacks it.
//!
//! * Handle-resolution attack: it asks for handle resolutions, and with probability p per
//!   answer reports every PE it was handed as unreachable (with the reference's duplicate:
//!   one report to an unbound port, lost, and one to the registrar, quirk 11.10). When its
//!   last request went unanswered (refused by a rate limit), it reports the PEs of the
//!   last answer again, with probability p, before asking anew.
//! * Registration attack: it registers a fake PE (one fixed identity, or a fresh random
//!   identifier each time) with load 0, the pool's policy and the configured weight and
//!   load degradation. Fake PEs accept no work: CalcApp requests sent to them are counted
//!   and never answered, so a pool user that selects one waits for its request timeout
//!   and reports the PE. With `answer_keep_alives` the attacker keeps its fake PEs alive
//!   by answering the registrars' keep-alives.
//!
//! Its life cycle is the shared one (§2.1): it attacks from its start for an uptime, stops
//! silently, and resumes after the downtime.

use super::ids::fresh_identifier;
use super::lifecycle::{LifeCycle, LifeCycleConfig, LifeCycleStats, Script};
use super::message::{Message, PeRecord};
use super::{Ctx, Event, NodeId, secs};
use crate::engine::rng::{self, Component, Purpose, StreamOwner, StreamRng};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::{PeId, PolicySettings, RegistrarId, fraction_u32};
use crate::scenario::{AttackType, Attackers, Scenario, TimeDistribution};
use rand::RngExt;
use std::rc::Rc;

/// The attacker's own port, which registrars do not serve: the first of the duplicated
/// unreachability reports goes there and is lost (quirk 11.10).
pub const ATTACKER_PORT: u32 = 777;

/// Registration life of a fake PE [ms] (1e9 ms, as the reference's attacker).
const FAKE_REGISTRATION_LIFE_MS: u32 = 1_000_000_000;

pub struct AttackerConfig {
    pub kind: AttackType,
    pub interval: SimDuration,
    /// The registrars attacked (nodes), one picked at random per attack.
    pub targets: Vec<NodeId>,
    pub report_unreachable_probability: f64,
    /// What the fake PEs register (load 0).
    pub fake_settings: PolicySettings,
    pub randomize_identifier: bool,
    pub answer_keep_alives: bool,
    pub start: SimDuration,
    pub uptime: TimeDistribution,
    pub downtime: TimeDistribution,
}

pub use super::timer::AttackerTimer as Timer;

/// What an attacker did in the measurement window.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttackerStats {
    /// Every packet it sent (handle resolutions, unreachability reports including the lost
    /// duplicates, registrations, keep-alive acks).
    pub messages: u64,
    pub handle_resolutions: u64,
    /// Unreachability reports sent to a registrar (the lost duplicates not counted).
    pub failure_reports: u64,
    pub registrations: u64,
    pub registrations_accepted: u64,
    pub keep_alive_acks: u64,
    /// CalcApp messages pool users sent to its fake PEs (never answered).
    pub ignored_application_messages: u64,
    /// Calculations PEs did for sessions an attacker opened (it drops their cookies and
    /// completions) [calculations].
    pub lost_calculations: f64,
}

pub struct Attacker {
    index: u32,
    pub node: NodeId,
    config: Rc<AttackerConfig>,
    up: bool,
    /// Start of the current (or last) run; None before the first start.
    run_started: Option<SimTime>,
    lifecycle: LifeCycle,
    life: LifeCycleConfig,
    attack_timer: TimerId,
    /// The fake PE's identity when it is not randomised.
    identity: PeId,
    id_rng: StreamRng,
    /// Target choice and report draws.
    attack_rng: StreamRng,
    /// Whether the last handle resolution was answered.
    answered: bool,
    /// The PEs of the last answer.
    victims: Vec<PeId>,
    pub stats: AttackerStats,
}

impl Attacker {
    pub fn new(
        index: u32,
        node: NodeId,
        config: Rc<AttackerConfig>,
        seed: u64,
        queue: &mut EventQueue<Event>,
    ) -> Attacker {
        let mut id_rng = rng::stream(seed, Component::Attacker, index as u64, Purpose::Identifier);
        Attacker {
            index,
            node,
            up: false,
            run_started: None,
            lifecycle: LifeCycle::default(),
            life: LifeCycleConfig {
                uptime: config.uptime,
                downtime: config.downtime,
                clean_probability: 0.0,
                owner: StreamOwner { seed, component: Component::Attacker, index },
            },
            attack_timer: queue.add_timer(Event::Attacker(index, Timer::Attack)),
            identity: fresh_identifier(&mut id_rng),
            id_rng,
            attack_rng: rng::stream(seed, Component::Attacker, index as u64, Purpose::Attack),
            answered: true,
            victims: Vec::new(),
            stats: AttackerStats::default(),
            config,
        }
    }

    /// Scripts its runs (status changes), at most `max_runs`; returns when it first
    /// starts (None: never): at its start time unless scripted.
    pub fn script(&mut self, script: Script, max_runs: u64) -> Option<SimTime> {
        self.lifecycle.script(&self.life, script, max_runs, SimTime::ZERO + self.config.start)
    }

    pub fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx) {
        match timer {
            Timer::Startup => {
                if self.run_started.is_some() {
                    self.lifecycle.restarted(&self.life);
                }
                self.run_started = Some(ctx.now);
                self.up = true;
                ctx.arm(self.attack_timer, self.config.interval);
                if let Some(uptime) = self.lifecycle.uptime(&self.life, ctx.now) {
                    ctx.schedule(uptime, Event::Attacker(self.index, Timer::Shutdown));
                }
            }
            Timer::Shutdown => {
                let started = self.run_started.expect("a stop follows a start");
                self.lifecycle.stop(&self.life, ctx.now.since(started));
                self.up = false;
                ctx.cancel(self.attack_timer);
                if let Some(downtime) = self.lifecycle.downtime(&self.life, ctx.now) {
                    ctx.schedule(downtime, Event::Attacker(self.index, Timer::Startup));
                }
            }
            Timer::Attack => {
                self.attack(ctx);
                ctx.arm(self.attack_timer, self.config.interval);
            }
        }
    }

    fn send(&mut self, to: NodeId, port: u32, msg: Message, ctx: &mut Ctx) {
        self.stats.messages += 1;
        ctx.send_to_port(to, port, msg);
    }

    fn attack(&mut self, ctx: &mut Ctx) {
        let targets = &self.config.targets;
        let target = targets[self.attack_rng.random_range(0..targets.len())];
        match self.config.kind {
            AttackType::HandleResolution => {
                if !self.answered && self.reports_now() {
                    for i in 0..self.victims.len() {
                        self.report(target, self.victims[i], false, ctx);
                    }
                }
                self.answered = false;
                self.stats.handle_resolutions += 1;
                self.send(target, super::WELL_KNOWN_PORT, Message::HandleResolution, ctx);
            }
            AttackType::Registration => {
                let id =
                    if self.config.randomize_identifier { fresh_identifier(&mut self.id_rng) } else { self.identity };
                let record = PeRecord {
                    id,
                    home: RegistrarId(0),
                    registration_life_ms: FAKE_REGISTRATION_LIFE_MS,
                    user: self.node,
                    registrator: self.node,
                    settings: self.config.fake_settings,
                };
                self.stats.registrations += 1;
                self.send(target, super::WELL_KNOWN_PORT, Message::Registration { record }, ctx);
            }
        }
    }

    /// One draw: whether to report this time.
    fn reports_now(&mut self) -> bool {
        !self.victims.is_empty() && self.attack_rng.random::<f64>() < self.config.report_unreachable_probability
    }

    /// Reports `pe` unreachable at `registrar`; `duplicate`: first to the unbound port.
    fn report(&mut self, registrar: NodeId, pe: PeId, duplicate: bool, ctx: &mut Ctx) {
        if duplicate {
            self.send(registrar, ATTACKER_PORT, Message::EndpointUnreachable { pe }, ctx);
        }
        self.stats.failure_reports += 1;
        self.send(registrar, super::WELL_KNOWN_PORT, Message::EndpointUnreachable { pe }, ctx);
    }

    pub fn on_message(&mut self, from: NodeId, msg: Message, ctx: &mut Ctx) {
        // Work a PE did for a session the attacker opened is lost, whatever its state.
        self.stats.lost_calculations += msg.newly_saved();
        if !self.up {
            return;
        }
        match msg {
            Message::HandleResolutionResponse { items, .. } => {
                self.answered = true;
                self.victims.clear();
                self.victims.extend(items.iter().map(|r| r.id));
                if self.reports_now() {
                    for i in 0..self.victims.len() {
                        self.report(from, self.victims[i], true, ctx);
                    }
                }
                ctx.scratch.records.keep(items);
            }
            Message::RegistrationResponse { reject, .. } => self.stats.registrations_accepted += !reject as u64,
            Message::EndpointKeepAlive { pe, .. } if self.config.answer_keep_alives => {
                self.stats.keep_alive_acks += 1;
                self.send(from, super::WELL_KNOWN_PORT, Message::EndpointKeepAliveAck { pe }, ctx);
            }
            Message::CalcAppRequest { .. }
            | Message::CookieEcho(_)
            | Message::CalcAppKeepAlive { .. }
            | Message::CalcAppKeepAliveAck { .. }
            | Message::CalcAppAbort { .. } => self.stats.ignored_application_messages += 1,
            _ => {}
        }
    }

    pub fn lifecycle_stats(&self) -> LifeCycleStats {
        self.lifecycle.stats()
    }

    pub fn reset_statistics(&mut self) {
        self.stats = AttackerStats::default();
        self.lifecycle.reset_statistics();
    }
}

/// Attacker configuration from the scenario and the attacker's section; `targets` are
/// the registrar nodes it attacks.
pub fn config_from(s: &Scenario, a: &Attackers, targets: Vec<NodeId>) -> AttackerConfig {
    let policy = a.policy.or_else(|| s.pool_elements.policy);
    let mut fake_settings = PolicySettings::new(policy);
    fake_settings.choices = s.pool_elements.choices;
    fake_settings.weight = a.weight;
    fake_settings.load_degradation = fraction_u32(a.load_degradation);
    AttackerConfig {
        kind: a.kind,
        interval: secs(a.interval_s),
        targets,
        report_unreachable_probability: a.report_unreachable_probability,
        fake_settings,
        randomize_identifier: a.randomize_identifier,
        answer_keep_alives: a.answer_keep_alives,
        start: secs(a.start_s),
        uptime: a.uptime,
        downtime: a.downtime,
    }
}
