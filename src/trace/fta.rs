//! The `event_trace` table of the Failure Trace Archive (FTA): one availability interval
//! per line, whitespace-separated columns event_id, component_id, node_id, platform_id,
//! node_name, event_type (0 unavailable, 1 available), event_start_time,
//! event_stop_time (Unix seconds), event_end_reason; an optional header line.

use super::lines::{TraceError, fields, number};

/// Columns of an `event_trace` line.
pub const FIELDS: usize = 9;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// [s], the trace's clock (Unix time).
    pub start_s: f64,
    pub stop_s: f64,
    pub available: bool,
}

/// One node's intervals, in time order, not overlapping.
#[derive(Clone, Debug, PartialEq)]
pub struct FtaNode {
    pub id: u64,
    pub intervals: Vec<Interval>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FtaTrace {
    /// In node-id order.
    pub nodes: Vec<FtaNode>,
    /// Lines read (events).
    pub events: usize,
    /// The earliest event start [s].
    pub first_s: f64,
}

/// Where a component is up over a run: its state at time 0 and the instants it changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Availability {
    pub up_at_start: bool,
    /// (simulated time [s] > 0, up after it), alternating.
    pub changes: Vec<(f64, bool)>,
}

impl FtaNode {
    /// The node's availability on the simulated clock `(t - start_s) · scale`: down over
    /// its unavailable intervals, up again from the start of the next available interval,
    /// and not yet started (down) before its first event. A gap between intervals keeps
    /// the state before it; the state after the last event lasts.
    pub fn availability(&self, start_s: f64, scale: f64) -> Availability {
        let mut a = Availability::default();
        let mut up = false;
        for interval in &self.intervals {
            if interval.available == up {
                continue;
            }
            up = interval.available;
            let at = (interval.start_s - start_s) * scale;
            if at <= 0.0 {
                a.up_at_start = up;
            } else {
                a.changes.push((at, up));
            }
        }
        a
    }
}

/// Parses an `event_trace` table; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<FtaTrace, TraceError> {
    // (node, intervals, line of the last interval)
    let mut nodes: Vec<(u64, Vec<Interval>, usize)> = Vec::new();
    let mut events = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let f = fields(raw);
        if f.is_empty() || (events == 0 && f[0] == "event_id") {
            continue;
        }
        if f.len() != FIELDS {
            let what = if f.len() < FIELDS { "truncated" } else { "too long" };
            return Err(TraceError::at(
                file,
                line,
                format!("{what}: {} fields; allowed: the {FIELDS} columns of an FTA event_trace line", f.len()),
            ));
        }
        let node = number(&f, 2, "node_id", file, line)?;
        if node < 0.0 || node.fract() != 0.0 {
            return Err(TraceError::at(file, line, format!("field 3 (node_id): {node} is not a whole number >= 0")));
        }
        let kind = number(&f, 5, "event_type", file, line)?;
        let available = match kind {
            0.0 => false,
            1.0 => true,
            _ => {
                return Err(TraceError::at(
                    file,
                    line,
                    format!("field 6 (event_type): {kind} is unknown; allowed: 0 (unavailable) or 1 (available)"),
                ));
            }
        };
        let start_s = number(&f, 6, "event_start_time", file, line)?;
        let stop_s = number(&f, 7, "event_stop_time", file, line)?;
        if start_s < 0.0 {
            let message = format!("field 7 (event_start_time): {start_s} is negative; allowed: Unix seconds >= 0");
            return Err(TraceError::at(file, line, message));
        }
        if stop_s < start_s {
            let message = format!("field 8 (event_stop_time): {stop_s} is before the start {start_s}");
            return Err(TraceError::at(file, line, message));
        }
        let node = node as u64;
        let k = match nodes.iter().rposition(|(id, ..)| *id == node) {
            Some(k) => k,
            None => {
                nodes.push((node, Vec::new(), line));
                nodes.len() - 1
            }
        };
        let (_, intervals, last_line) = &mut nodes[k];
        if let Some(prev) = intervals.last() {
            if start_s < prev.start_s {
                let message = format!(
                    "field 7 (event_start_time): node {node}'s interval starts at {start_s}, before its previous one (line {last_line}, {}); allowed: each node's intervals in time order",
                    prev.start_s
                );
                return Err(TraceError::at(file, line, message));
            }
            if start_s < prev.stop_s {
                let message = format!(
                    "field 7 (event_start_time): node {node}'s interval from {start_s} overlaps its previous one (line {last_line}, until {}); allowed: intervals that do not overlap",
                    prev.stop_s
                );
                return Err(TraceError::at(file, line, message));
            }
        }
        intervals.push(Interval { start_s, stop_s, available });
        *last_line = line;
        events += 1;
    }
    if events == 0 {
        return Err(TraceError::file(
            file,
            "holds no events; allowed: an FTA event_trace table with at least one event",
        ));
    }
    let first_s = nodes.iter().map(|(_, iv, _)| iv[0].start_s).fold(f64::INFINITY, f64::min);
    let mut nodes: Vec<FtaNode> = nodes.into_iter().map(|(id, intervals, _)| FtaNode { id, intervals }).collect();
    nodes.sort_by_key(|n| n.id);
    Ok(FtaTrace { nodes, events, first_s })
}

#[cfg(test)]
mod test {
    use super::*;

    fn line(event: u32, node: u32, kind: u32, start: u64, stop: u64) -> String {
        format!("{event}\t0\t{node}\t3\t2.000\t{kind}\t{start}\t{stop}\t0\n")
    }

    #[test]
    fn availability_follows_the_intervals() {
        let text = [line(0, 1, 1, 100, 200), line(1, 1, 0, 200, 250), line(2, 1, 1, 250, 400)].concat();
        let t = parse(&format!("event_id component_id node_id\n{text}"), "t").unwrap();
        assert_eq!((t.events, t.first_s, t.nodes.len()), (3, 100.0, 1));
        let a = t.nodes[0].availability(100.0, 2.0);
        assert_eq!(a, Availability { up_at_start: true, changes: vec![(200.0, false), (300.0, true)] });
        // From 220 on: down at the start, up at 30 s.
        let b = t.nodes[0].availability(220.0, 1.0);
        assert_eq!(b, Availability { up_at_start: false, changes: vec![(30.0, true)] });
        // Before its first event a node has not started.
        let c = t.nodes[0].availability(0.0, 1.0);
        assert!(!c.up_at_start);
        assert_eq!(c.changes[0], (100.0, true));
    }

    #[test]
    fn malformed_tables_name_file_line_and_field() {
        let err = |text: &str| parse(text, "a.tab").unwrap_err().to_string();
        assert!(err("1 2 3\n").starts_with("a.tab:1: truncated"));
        assert!(err(&line(0, 1, 2, 1, 2)).starts_with("a.tab:1: field 6 (event_type): 2 is unknown"));
        assert!(err(&line(0, 1, 1, 5, 2)).contains("before the start"));
        let overlap = [line(0, 1, 1, 10, 20), line(1, 1, 0, 15, 30)].concat();
        assert!(err(&overlap).starts_with("a.tab:2: field 7 (event_start_time): node 1's interval from 15 overlaps"));
        let unsorted = [line(0, 1, 1, 10, 20), line(1, 1, 0, 5, 8)].concat();
        assert!(err(&unsorted).contains("before its previous one (line 1"));
        assert!(
            err(&line(0, 1, 1, 10, 20).replace("\t10\t", "\tten\t"))
                .contains("field 7 (event_start_time): `ten` is not a number")
        );
        assert!(err("event_id x\n").contains("no events"));
    }
}
