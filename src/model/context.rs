//! What a component acts through: a [`Ctx`] sends messages (delivered after the
//! network's delay) and sets timers; the [`Event`]s it schedules wake components.

use super::ids::{NodeId, WELL_KNOWN_PORT};
use super::message::{Message, PacketClass, PeRecord};
use super::network::Network;
use super::piece::Piece;
use super::stats::PoolUserCounters;
use super::timer::{AttackerTimer, PoolElementTimer, PoolUserTimer, RegistrarTimer};
use crate::engine::{EventQueue, SimDuration, SimTime, TimerId};
use crate::handlespace::PoolElement;

/// A message in flight.
#[derive(Debug)]
pub struct Delivery {
    pub from: NodeId,
    pub to: NodeId,
    /// Destination port: [`WELL_KNOWN_PORT`], or a PE incarnation's CalcApp service port.
    /// A PE binds its service to a fresh port at every (re)start (docs/model.md §5.8) and
    /// names it after its identifier, so that requests to an earlier incarnation are
    /// dropped as by an unbound port.
    pub port: u32,
    /// Send time, for the registrars' distance measurement.
    pub sent: SimTime,
    pub msg: Message,
}

/// Messages in flight, in a slab: an event refers to its message by index, so sending
/// allocates nothing in the steady state and events stay small.
#[derive(Default)]
pub struct InFlight {
    slots: Vec<Option<Delivery>>,
    free: Vec<u32>,
}

impl InFlight {
    fn insert(&mut self, d: Delivery) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(d);
                i
            }
            None => {
                self.slots.push(Some(d));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Takes the message of a delivery event out of the slab.
    pub fn take(&mut self, i: u32) -> Delivery {
        self.free.push(i);
        self.slots[i as usize].take().expect("each delivery is taken once")
    }

    /// The messages still in flight.
    pub fn pending(&self) -> impl Iterator<Item = &Delivery> {
        self.slots.iter().flatten()
    }
}

/// Everything the event list holds.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A message arrives (index into [`InFlight`]).
    Deliver(u32),
    Registrar(u32, RegistrarTimer),
    PoolElement(u32, PoolElementTimer),
    PoolUser(u32, PoolUserTimer),
    Attacker(u32, AttackerTimer),
    /// A host's network interface goes down or up.
    Interface(u32),
    StatisticsReset,
    StatisticsWrite,
}

/// What the transport nodes saw in the measurement window, summed over all hosts.
#[derive(Clone, Copy, Debug, Default)]
pub struct NetworkCounters {
    /// Packets originated (docs/model.md §1.5), by [`PacketClass`] (the uncounted class's
    /// slot is never read): one indexed add per packet, where a branch per class cost
    /// some instructions more.
    packets: [u64; PacketClass::Uncounted as usize + 1],
    /// Packets lost to a down interface (at the sender or the receiver).
    pub dropped: u64,
    /// Calculations that dropped cookies and completions would have saved [calculations].
    pub lost_calculations: f64,
}

impl NetworkCounters {
    /// Packets of `class` originated.
    pub fn packets(&self, class: PacketClass) -> u64 {
        self.packets[class as usize]
    }

    /// Counts a packet lost to a down interface.
    #[cold]
    pub(super) fn drop(&mut self, msg: &Message) {
        self.dropped += 1;
        self.lost_calculations += msg.newly_saved();
    }
}

/// What the components count together: the network's packets, and the pool users'
/// counts by LAN.
#[derive(Default)]
pub struct Counters {
    pub network: NetworkCounters,
    /// By LAN.
    pub pool_users: Vec<PoolUserCounters>,
}

/// A component's handle on the simulation while it handles one event.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub me: NodeId,
    pub(super) queue: &'a mut EventQueue<Event>,
    pub(super) in_flight: &'a mut InFlight,
    pub(super) net: &'a Network,
    pub(super) counters: &'a mut Counters,
    pub(super) scratch: &'a mut Scratch,
}

/// Buffers all components share: a buffer per component would keep its capacity while
/// idle, and one allocated per use costs an allocation and a release every time.
#[derive(Default)]
pub struct Scratch {
    /// Where a PU's cache answers a handle resolution (a buffer per PU kept some 350
    /// bytes of capacity each).
    pub(super) selected: Vec<PoolElement<NodeId>>,
    /// The piece vectors of finished jobs, for the jobs that start next: a vector
    /// allocated per job took the allocator's slow path every time (its one block of that
    /// size just freed), 1 % of the default scenario's instructions.
    pub(super) pieces: Spares<Piece>,
    /// The item lists of handle-resolution answers read, for the registrars' next answers.
    pub(super) records: Spares<PeRecord>,
}

/// Vectors whose use is over, for the next use: reused, they cost no allocation.
pub struct Spares<T>(Vec<Vec<T>>);

impl<T> Default for Spares<T> {
    fn default() -> Self {
        Spares(Vec::new())
    }
}

impl<T> Spares<T> {
    /// At most this many are kept: enough to absorb the rise and fall of the uses at
    /// once, and bounded, where keeping all would hold as many as were ever in use at
    /// once (a burst's worth, kept to the end of the run).
    const KEPT: usize = 64;

    /// An empty vector, a spare one if any.
    pub(super) fn take(&mut self) -> Vec<T> {
        self.0.pop().unwrap_or_default()
    }

    /// Keeps a vector whose use is over.
    pub(super) fn keep(&mut self, mut v: Vec<T>) {
        if self.0.len() < Self::KEPT {
            v.clear();
            self.0.push(v);
        }
    }
}

impl Ctx<'_> {
    /// Sends a message to a host's well-known port; it arrives after the one-way network
    /// delay, unless an interface on the way is down.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.send_to_port(to, WELL_KNOWN_PORT, msg);
    }

    /// Sends a message to a port of a host (a PE's CalcApp service).
    #[inline]
    pub fn send_to_port(&mut self, to: NodeId, port: u32, msg: Message) {
        self.counters.network.packets[msg.class() as usize] += 1;
        if !self.net.is_up(self.me) {
            self.counters.network.drop(&msg);
            return;
        }
        let at = self.now + self.net.delay(self.me, to);
        let i = self.in_flight.insert(Delivery { from: self.me, to, port, sent: self.now, msg });
        self.queue.schedule(at, Event::Deliver(i));
    }

    /// Schedules a timer event after `delay` (for timers that are never cancelled).
    pub fn schedule(&mut self, delay: SimDuration, event: Event) {
        self.queue.schedule(self.now + delay, event);
    }

    /// Creates a stopped timer that delivers `event` to its component when it expires.
    pub fn add_timer(&mut self, event: Event) -> TimerId {
        self.queue.add_timer(event)
    }

    /// Removes a timer (with the job it belonged to).
    pub fn remove_timer(&mut self, timer: TimerId) {
        self.queue.remove_timer(timer);
    }

    /// (Re)starts `timer` to expire after `delay`.
    pub fn arm(&mut self, timer: TimerId, delay: SimDuration) {
        self.queue.arm(timer, self.now + delay);
    }

    /// Stops `timer` (idempotent).
    pub fn cancel(&mut self, timer: TimerId) {
        self.queue.cancel(timer);
    }

    /// Observer only (metrics, never protocol decisions): the one-way delay to `node`.
    pub fn delay_to(&self, node: NodeId) -> SimDuration {
        self.net.delay(self.me, node)
    }

    /// Observer only (metrics, never protocol decisions): whether `node` is an attacker's
    /// host, e.g. the transport of a fake pool element.
    pub fn is_attacker(&self, node: NodeId) -> bool {
        self.net.is_attacker(node)
    }

    /// Observer only: whether `node` sits in this host's LAN.
    pub fn same_lan(&self, node: NodeId) -> bool {
        self.net.lan(self.me) == self.net.lan(node)
    }

    /// The counters of the pool users of LAN `lan`.
    pub fn lan_counters(&mut self, lan: u32) -> &mut PoolUserCounters {
        &mut self.counters.pool_users[lan as usize]
    }

    pub fn is_running(&self, timer: TimerId) -> bool {
        self.queue.expires_at(timer).is_some()
    }

    /// When `timer` expires, if it is running.
    pub fn expires_at(&self, timer: TimerId) -> Option<SimTime> {
        self.queue.expires_at(timer)
    }
}

#[cfg(test)]
mod test {
    use super::Spares;

    #[test]
    fn spares_come_back_empty_with_their_room_and_are_bounded() {
        let mut spares = Spares::<u64>::default();
        assert_eq!(spares.take().capacity(), 0, "no spare yet: a new vector");
        let mut v = spares.take();
        v.extend([1, 2, 3]);
        let room = v.capacity();
        spares.keep(v);
        let again = spares.take();
        assert!(again.is_empty() && again.capacity() == room);
        for _ in 0..Spares::<u64>::KEPT + 10 {
            spares.keep(Vec::with_capacity(1));
        }
        assert_eq!(spares.0.len(), Spares::<u64>::KEPT);
    }
}
