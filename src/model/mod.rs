//! The RSPSIM/CalcApp model as message-passing components: [`registrar`] (ASAP and ENRP
//! server side), [`pool_element`] (CalcApp server with its ASAP layer), [`pool_user`]
//! (CalcApp queuing client with its ASAP layer and cache), over the [`network`].
//! Components never touch the event queue directly: they act through a [`Ctx`], which
//! schedules message deliveries (after the network delay) and timers.
//!
//! [`simulation`] wires a scenario into components and runs it; [`metrics`] computes the
//! published metrics over the measurement window.

pub mod message;
pub mod metrics;
pub mod network;
pub mod pool_element;
pub mod pool_user;
pub mod registrar;
pub mod simulation;

pub use message::{Message, PeRecord};
pub use metrics::Metrics;
pub use simulation::{RunOutput, Simulation, run};

use crate::engine::{EventId, EventQueue, SimDuration, SimTime};
use message::PacketClass;
use network::Network;

/// Address of a component host (a transport node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A message in flight.
#[derive(Debug)]
pub struct Delivery {
    pub from: NodeId,
    pub to: NodeId,
    /// Send time, for the registrars' distance measurement.
    pub sent: SimTime,
    pub msg: Message,
}

/// Everything the event list holds.
#[derive(Debug)]
pub enum Event {
    Deliver(Box<Delivery>),
    Registrar(u32, registrar::Timer),
    PoolElement(u32, pool_element::Timer),
    PoolUser(u32, pool_user::Timer),
    StatisticsReset,
    StatisticsWrite,
}

/// Packets originated in the measurement window, summed over all transport nodes.
#[derive(Clone, Copy, Debug, Default)]
pub struct PacketCounters {
    pub asap: u64,
    pub enrp: u64,
    pub cookies: u64,
}

/// A component's handle on the simulation while it handles one event.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub me: NodeId,
    queue: &'a mut EventQueue<Event>,
    net: &'a Network,
    packets: &'a mut PacketCounters,
}

impl Ctx<'_> {
    /// Sends a message; it arrives after the one-way network delay.
    pub fn send(&mut self, to: NodeId, msg: Message) {
        match msg.class() {
            PacketClass::Asap => self.packets.asap += 1,
            PacketClass::Enrp => self.packets.enrp += 1,
            PacketClass::Cookie => self.packets.cookies += 1,
            PacketClass::Uncounted => {}
        }
        let at = self.now + self.net.delay(self.me, to);
        self.queue.schedule(
            at,
            Event::Deliver(Box::new(Delivery {
                from: self.me,
                to,
                sent: self.now,
                msg,
            })),
        );
    }

    /// Schedules a timer event after `delay`.
    pub fn schedule(&mut self, delay: SimDuration, event: Event) -> EventId {
        self.queue.schedule(self.now + delay, event)
    }

    /// Cancels a pending timer held in `slot` (no-op if none).
    pub fn cancel(&mut self, slot: &mut Option<EventId>) {
        if let Some(id) = slot.take() {
            self.queue.cancel(id);
        }
    }

    /// Cancels the timer in `slot` and schedules a new one.
    pub fn restart(&mut self, slot: &mut Option<EventId>, delay: SimDuration, event: Event) {
        self.cancel(slot);
        *slot = Some(self.schedule(delay, event));
    }
}

/// Converts a configured time in seconds to a duration.
pub fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}
