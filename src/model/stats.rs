//! Statistics accumulators the components keep over the measurement window.

/// A sample statistic: count and sum, which is all the output takes (means; the spread
/// of a point comes from its replications, not from the samples within a run).
#[derive(Clone, Copy, Debug, Default)]
pub struct Samples {
    pub count: u64,
    pub sum: f64,
}

impl Samples {
    pub fn add(&mut self, x: f64) {
        self.count += 1;
        self.sum += x;
    }

    pub fn merge(&mut self, other: &Samples) {
        self.count += other.count;
        self.sum += other.sum;
    }

    /// Mean, NaN without samples.
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 }
    }
}

/// What the pool users of one LAN counted. Integer sums do not depend on the order of
/// their terms, so one set per LAN gives the very totals (and LAN figures) that one per PU
/// gave, in 152 fewer bytes per PU; the floating-point sums stay with each PU
/// (`PoolUserStats`), added up in PU order as before.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolUserCounters {
    pub jobs_queued: u64,
    pub jobs_started: u64,
    pub jobs_completed: u64,
    pub server_selections: u64,
    pub unreachables: u64,
    pub failovers: u64,
    pub requests: u64,
    pub cookie_echoes: u64,
    pub accepts: u64,
    pub rejects: u64,
    /// Jobs whose first piece was accepted (startup delays taken).
    pub first_accepts: u64,
    /// Accepts at a new PE after a failover (failover times taken).
    pub failover_accepts: u64,
    /// Pieces of the jobs started, and of those completed.
    pub pieces_started: u64,
    pub pieces_completed: u64,
    /// Σ pieces of the jobs completed.
    pub pieces_of_jobs_completed: u64,
    /// Completed pieces whose PE sits in the PU's own LAN.
    pub pieces_completed_locally: u64,
    /// Observer only: requests and cookie echoes sent to a fake PE (an attacker's).
    pub fake_selections: u64,
    /// Since the start, never reset (timelines, trace accounting).
    pub since_start: PoolUserCountersSinceStart,
}

/// Counts since the start of a run, kept across the statistics reset.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolUserCountersSinceStart {
    pub failovers: u64,
    pub jobs_arrived: u64,
    pub jobs_completed: u64,
}

impl PoolUserCounters {
    /// Starts the measurement window: every count to zero but those since the start.
    pub fn reset(&mut self) {
        *self = PoolUserCounters { since_start: self.since_start, ..PoolUserCounters::default() };
    }

    /// Adds another LAN's counts.
    pub fn merge(&mut self, c: &PoolUserCounters) {
        self.jobs_queued += c.jobs_queued;
        self.jobs_started += c.jobs_started;
        self.jobs_completed += c.jobs_completed;
        self.server_selections += c.server_selections;
        self.unreachables += c.unreachables;
        self.failovers += c.failovers;
        self.requests += c.requests;
        self.cookie_echoes += c.cookie_echoes;
        self.accepts += c.accepts;
        self.rejects += c.rejects;
        self.first_accepts += c.first_accepts;
        self.failover_accepts += c.failover_accepts;
        self.pieces_started += c.pieces_started;
        self.pieces_completed += c.pieces_completed;
        self.pieces_of_jobs_completed += c.pieces_of_jobs_completed;
        self.pieces_completed_locally += c.pieces_completed_locally;
        self.fake_selections += c.fake_selections;
        self.since_start.failovers += c.since_start.failovers;
        self.since_start.jobs_arrived += c.since_start.jobs_arrived;
        self.since_start.jobs_completed += c.since_start.jobs_completed;
    }
}
