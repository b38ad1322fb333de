//! Random number streams. Every component draws from its own streams, one per purpose,
//! each seeded from (run seed, component kind, component index, purpose) by a SplitMix64
//! mix. So adding a pool element or changing the policy leaves every pool user's job
//! arrival and job size streams unchanged (common random numbers across configurations).
//!
//! The generator is named by algorithm, Xoshiro256++ (`rand::rngs::Xoshiro256PlusPlus`),
//! so results do not change when `rand` changes what `StdRng` means.

use rand::{Rng, SeedableRng, TryRng};
use std::convert::Infallible;

/// The generator of every stream.
pub type StreamRng = rand::rngs::Xoshiro256PlusPlus;

/// Which component a stream belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Component {
    Registrar = 1,
    PoolElement = 2,
    PoolUser = 3,
    Scenario = 4,
    Attacker = 5,
}

/// What a stream is used for; one stream per purpose and component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// PU job sizes [calculations].
    JobSize = 1,
    /// PU job inter-arrival times [s].
    JobInterval = 2,
    /// PU retry delay after a reject [s].
    RetryDelay = 3,
    /// Registrar hunt: which registrar to contact, and hunt retry delays.
    Hunt = 4,
    /// Draws of random selection policies (registrar handlespace or PU cache).
    PolicySelection = 5,
    /// Identifiers (PE identifiers, registrar identifiers).
    Identifier = 6,
    /// Heterogeneous capacities drawn per pool element.
    Capacity = 7,
    /// PE random rejection of acceptable requests.
    Reject = 8,
    /// Per-component network delay draws.
    Network = 9,
    /// Component up spans (life cycle).
    Uptime = 10,
    /// Component down spans.
    Downtime = 11,
    /// Whether a stop is clean.
    Shutdown = 12,
    /// Network interface up spans.
    InterfaceUptime = 13,
    /// Network interface down spans.
    InterfaceDowntime = 14,
    /// Pieces per job, when drawn.
    Pieces = 15,
    /// Attackers: the registrar attacked and whether to report PEs unreachable.
    Attack = 16,
    /// Relative sizes of a job's pieces, when drawn.
    PieceSizes = 17,
    /// Registrars: whether a received handle update is lost.
    UpdateLoss = 18,
}

/// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of one stream, derived from the run seed and the stream's identity.
pub fn stream_seed(run_seed: u64, component: Component, index: u64, purpose: Purpose) -> u64 {
    let mut h = mix64(run_seed);
    h = mix64(h ^ component as u64);
    h = mix64(h ^ index);
    mix64(h ^ purpose as u64)
}

/// An independent stream for (component, index, purpose) of a run.
pub fn stream(run_seed: u64, component: Component, index: u64, purpose: Purpose) -> StreamRng {
    StreamRng::seed_from_u64(stream_seed(run_seed, component, index, purpose))
}

/// Whose streams: a run's seed and one component, 16 bytes for all its purposes.
#[derive(Clone, Copy, Debug)]
pub struct StreamOwner {
    pub seed: u64,
    pub component: Component,
    pub index: u32,
}

impl StreamOwner {
    pub fn stream(self, purpose: Purpose) -> StreamRng {
        stream(self.seed, self.component, u64::from(self.index), purpose)
    }
}

/// A stream derived on its first draw. Its numbers are fixed by its identity, so deriving
/// it late draws exactly what deriving it early would, and a component that never draws
/// from it (no failures configured) keeps a pointer instead of 32 bytes of generator.
#[derive(Debug, Default)]
pub struct LazyStream(Option<Box<StreamRng>>);

impl LazyStream {
    /// The stream of `purpose` of `owner`, which must be the same at every call.
    pub fn get(&mut self, owner: StreamOwner, purpose: Purpose) -> &mut StreamRng {
        self.0.get_or_insert_with(|| Box::new(owner.stream(purpose)))
    }

    /// As [`Self::get`], for a stream drawn from before it was kept: deriving it replays
    /// those draws (`replay`), so it goes on where they stopped. A PE draws its first
    /// identifier at set-up and needs the stream again only if it restarts.
    pub fn resume(
        &mut self,
        owner: StreamOwner,
        purpose: Purpose,
        replay: impl FnOnce(&mut StreamRng),
    ) -> &mut StreamRng {
        self.0.get_or_insert_with(|| {
            let mut stream = Box::new(owner.stream(purpose));
            replay(&mut stream);
            stream
        })
    }

    /// A generator that derives the stream at its first draw, for callers that take a
    /// generator and may draw nothing (a PU cache of an ordered policy).
    pub fn draws(&mut self, owner: StreamOwner, purpose: Purpose) -> LazyDraws<'_> {
        LazyDraws { stream: self, owner, purpose }
    }
}

/// The draws of a [`LazyStream`], see [`LazyStream::draws`].
pub struct LazyDraws<'a> {
    stream: &'a mut LazyStream,
    owner: StreamOwner,
    purpose: Purpose,
}

impl TryRng for LazyDraws<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.stream.get(self.owner, self.purpose).next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.stream.get(self.owner, self.purpose).next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.stream.get(self.owner, self.purpose).fill_bytes(dst);
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_distinct_and_reproducible() {
        let a = stream(1, Component::PoolUser, 0, Purpose::JobSize).next_u64();
        let b = stream(1, Component::PoolUser, 0, Purpose::JobInterval).next_u64();
        let c = stream(1, Component::PoolUser, 1, Purpose::JobSize).next_u64();
        let d = stream(2, Component::PoolUser, 0, Purpose::JobSize).next_u64();
        assert_eq!(a, stream(1, Component::PoolUser, 0, Purpose::JobSize).next_u64());
        assert!(a != b && a != c && a != d && b != c);
    }

    #[test]
    fn a_lazy_stream_draws_what_the_eager_one_does() {
        let owner = StreamOwner { seed: 9, component: Component::PoolElement, index: 4 };
        let mut eager = stream(9, Component::PoolElement, 4, Purpose::Uptime);
        let mut lazy = LazyStream::default();
        for _ in 0..3 {
            assert_eq!(lazy.get(owner, Purpose::Uptime).next_u64(), eager.next_u64());
        }
        assert_eq!(lazy.draws(owner, Purpose::Uptime).next_u32(), eager.next_u32());
        let mut untouched = LazyStream::default();
        let _ = untouched.draws(owner, Purpose::Uptime);
        assert!(untouched.0.is_none(), "derived only when drawn from");
    }

    /// A stream dropped after some draws and resumed goes on where a kept one does; the
    /// replay runs once, at the derivation.
    #[test]
    fn a_resumed_stream_goes_on_after_the_draws_it_replays() {
        let owner = StreamOwner { seed: 3, component: Component::PoolElement, index: 7 };
        let mut kept = owner.stream(Purpose::Identifier);
        let before: Vec<u64> = (0..2).map(|_| kept.next_u64()).collect();
        let mut resumed = LazyStream::default();
        let mut replayed = Vec::new();
        let replay = |rng: &mut StreamRng| replayed.extend((0..2).map(|_| rng.next_u64()));
        assert_eq!(resumed.resume(owner, Purpose::Identifier, replay).next_u64(), kept.next_u64());
        assert_eq!(replayed, before);
        let again = resumed.resume(owner, Purpose::Identifier, |_| panic!("replayed twice"));
        assert_eq!(again.next_u64(), kept.next_u64());
    }
}
