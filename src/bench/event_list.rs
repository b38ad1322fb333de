//! `poolsim bench event-list`: the engine's event list against the alternatives on the
//! same event trace. A run of the scale benchmark's scenario records every push (with its
//! time) and every pop of the engine's priority queue ([`Simulation::run_traced`]); the
//! trace is then replayed against each candidate with entries of the engine's size (time,
//! insertion sequence and a 16-byte event). Every candidate must pop the entries in the same order
//! (checked by a checksum of the popped sequence numbers), so only the speed differs.

use super::scale;
use crate::engine::queue::{EventListTrace, TraceOp};
use crate::engine::radix::RadixHeap;
use crate::engine::rng::mix64;
use crate::model::simulation::Simulation;
use crate::report::write_atomic;
use priority_queue::PriorityQueue;
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::cmp::{Ordering, Reverse};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An entry as the engine's heap holds it: 32 bytes.
#[derive(Clone, Copy, Debug)]
struct Entry {
    time: u64,
    seq: u64,
    /// Stands for the event or timer wake-up the engine stores (16 bytes).
    event: [u32; 4],
}

impl Entry {
    /// (time, seq) as one number, as the engine compares them.
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so that max-heaps pop the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}
impl Hash for Entry {
    /// By sequence number alone: it is unique.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.seq.hash(state);
    }
}

/// A candidate future event list.
trait Heap: Default {
    fn push(&mut self, entry: Entry);
    fn pop(&mut self) -> Option<Entry>;
}

/// A 4-ary implicit heap (`dary_heap`): the engine's until the radix heap replaced it.
type Quaternary = dary_heap::QuaternaryHeap<Entry>;
/// The same with 8 children per node.
type Octonary = dary_heap::OctonaryHeap<Entry>;
/// std's binary heap.
type Binary = std::collections::BinaryHeap<Entry>;

macro_rules! implicit_heap {
    ($($t:ty),*) => {$(
        impl Heap for $t {
            fn push(&mut self, entry: Entry) {
                <$t>::push(self, entry);
            }
            fn pop(&mut self) -> Option<Entry> {
                <$t>::pop(self)
            }
        }
    )*};
}
implicit_heap!(Quaternary, Octonary, Binary);

/// The `priority-queue` crate: an indexed heap (entries in an `IndexMap`, a binary heap of
/// positions), which can change or remove an entry's priority at O(log n). Fx hashing.
#[derive(Default)]
struct Indexed(PriorityQueue<Entry, Reverse<u128>, FxBuildHasher>);

impl Heap for Indexed {
    fn push(&mut self, entry: Entry) {
        self.0.push(entry, Reverse(entry.key()));
    }
    fn pop(&mut self) -> Option<Entry> {
        self.0.pop().map(|(entry, _)| entry)
    }
}

/// The engine's choice: a radix heap ([`RadixHeap`]).
#[derive(Default)]
struct Radix(RadixHeap<[u32; 4]>);

impl Heap for Radix {
    fn push(&mut self, entry: Entry) {
        self.0.push(entry.key(), entry.event);
    }
    fn pop(&mut self) -> Option<Entry> {
        self.0.pop().map(|(key, event)| Entry { time: (key >> 64) as u64, seq: key as u64, event })
    }
}

/// Replays `trace`; returns a checksum of the popped entries, in order.
fn replay<H: Heap>(trace: &EventListTrace) -> u64 {
    let (mut heap, mut seq, mut checksum) = (H::default(), 0u64, 0u64);
    for op in trace.ops() {
        match op {
            TraceOp::Push(time) => {
                heap.push(Entry { time: time.0, seq, event: [seq as u32; 4] });
                seq += 1;
            }
            TraceOp::Pop => {
                let entry = heap.pop().expect("the trace pops only what it pushed");
                // The event is read, as the engine reads it.
                checksum = mix64(checksum ^ entry.seq ^ (u64::from(entry.event[3]) << 32));
            }
        }
    }
    checksum
}

/// Replays a trace against one candidate.
type Replay = fn(&EventListTrace) -> u64;

/// The candidates, by name: the engine's first.
const CANDIDATES: [(&str, Replay); 5] = [
    ("radix heap (poolsim's)", replay::<Radix>),
    ("4-ary heap (dary_heap)", replay::<Quaternary>),
    ("8-ary heap (dary_heap)", replay::<Octonary>),
    ("binary heap (std BinaryHeap)", replay::<Binary>),
    ("indexed heap (priority-queue)", replay::<Indexed>),
];

#[derive(Clone, Debug, Serialize)]
pub struct EventListRow {
    pub pool_elements: u32,
    /// Heap operations in the trace (pushes and pops).
    pub operations: usize,
    /// Largest number of entries in the heap at once.
    pub max_entries: usize,
    pub event_list: String,
    /// Median replay time over the operations [ns per operation].
    pub ns_per_operation: f64,
    /// This candidate's time / the engine's 4-ary heap's.
    pub relative: f64,
}

/// Records the trace of the scale scenario with `pool_elements` PEs.
pub fn record(pool_elements: u32, duration_s: f64) -> EventListTrace {
    Simulation::new(&scale::scenario(pool_elements, duration_s)).run_traced().1
}

/// Replays `trace` against every candidate (median of repeated replays, up to 1 s each).
/// Panics if a candidate pops in another order than the engine's heap.
pub fn measure(pool_elements: u32, trace: &EventListTrace) -> Vec<EventListRow> {
    let max_entries = trace.max_len();
    let mut rows: Vec<EventListRow> = Vec::new();
    let mut expected = None;
    for (name, replay) in CANDIDATES {
        let mut walls = Vec::new();
        while walls.iter().sum::<f64>() < 1.0 && walls.len() < 11 {
            let start = Instant::now();
            let checksum = replay(trace);
            walls.push(start.elapsed().as_secs_f64());
            assert_eq!(*expected.get_or_insert(checksum), checksum, "{name} pops in another order");
        }
        walls.sort_by(f64::total_cmp);
        let ns_per_operation = walls[walls.len() / 2] * 1e9 / trace.len().max(1) as f64;
        let relative = ns_per_operation / rows.first().map_or(ns_per_operation, |r| r.ns_per_operation);
        rows.push(EventListRow {
            pool_elements,
            operations: trace.len(),
            max_entries,
            event_list: name.to_string(),
            ns_per_operation,
            relative,
        });
    }
    rows
}

/// Writes `event-list.csv` (one row per pool size and candidate) into `dir`.
pub fn write(rows: &[EventListRow], dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    rows.iter().try_for_each(|r| csv.serialize(r))?;
    let path = dir.join("event-list.csv");
    write_atomic(&path, &csv.into_inner().map_err(|e| e.into_error())?)?;
    Ok(path)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_candidate_pops_a_recorded_run_in_the_engines_order() {
        let trace = record(10, 60.0);
        let pops = trace.ops().filter(|&op| op == TraceOp::Pop).count();
        assert!(pops > 5000 && trace.len() - pops >= pops, "{pops} pops of {} operations", trace.len());
        let checksums: Vec<u64> = CANDIDATES.iter().map(|(_, replay)| replay(&trace)).collect();
        assert!(checksums.iter().all(|&c| c == checksums[0]), "{checksums:?}");
        // Equal times exist, so the sequence numbers do decide some of the order.
        let mut times: Vec<u64> =
            trace.ops().filter_map(|op| if let TraceOp::Push(t) = op { Some(t.0) } else { None }).collect();
        let pushes = times.len();
        times.sort_unstable();
        times.dedup();
        assert!(times.len() < pushes);
    }

    #[test]
    fn the_table_has_a_row_per_candidate_relative_to_the_engines_heap() {
        let trace = record(10, 10.0);
        let rows = measure(10, &trace);
        assert_eq!(rows.len(), CANDIDATES.len());
        assert_eq!(rows[0].relative, 1.0);
        assert!(rows.iter().all(|r| r.operations == trace.len() && r.ns_per_operation > 0.0));
        let dir = std::env::temp_dir().join(format!("poolsim-event-list-{}", std::process::id()));
        let csv = std::fs::read_to_string(write(&rows, &dir).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 1 + CANDIDATES.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
