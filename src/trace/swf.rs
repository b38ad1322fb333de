//! The Standard Workload Format (SWF 2.2) of the Parallel Workloads Archive: one job per
//! line, 18 whitespace-separated numeric fields, -1 for unknown; lines starting with `;`
//! are header comments. poolsim needs fields 2 (submit time), 4 (run time), 5 (allocated
//! processors), 11 (status) and 12 (user id).

use super::lines::{TraceError, fields, number};

/// Fields of an SWF line.
pub const FIELDS: usize = 18;

/// One job line. `None` where the trace says -1 (unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct SwfJob {
    /// 1-based line number in the file.
    pub line: usize,
    /// Field 1.
    pub number: i64,
    /// Field 2: seconds from the trace's start.
    pub submit_s: Option<f64>,
    /// Field 4 [s].
    pub run_time_s: Option<f64>,
    /// Field 5.
    pub processors: Option<u32>,
    /// Field 11: 1 completed, 0 failed, 5 cancelled (-1 unknown is kept as -1).
    pub status: i64,
    /// Field 12.
    pub user: Option<u64>,
}

/// Every job line of a file, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct SwfTrace {
    pub jobs: Vec<SwfJob>,
}

/// The names of the fields, for messages.
const NAMES: [&str; FIELDS] = [
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average CPU time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user id",
    "group id",
    "executable number",
    "queue number",
    "partition number",
    "preceding job",
    "think time",
];

/// (field index 0-based, name) of the fields poolsim reads.
const SUBMIT: (usize, &str) = (1, NAMES[1]);
const RUN_TIME: (usize, &str) = (3, NAMES[3]);
const PROCESSORS: (usize, &str) = (4, NAMES[4]);
const STATUS: (usize, &str) = (10, NAMES[10]);
const USER: (usize, &str) = (11, NAMES[11]);

/// Parses an SWF file; `file` names it in errors. Every field must be a number (poolsim
/// reads five of them, but a line that is not SWF is an error, not a guess); a needed
/// field may be -1 (unknown), any other negative value is an error.
pub fn parse(text: &str, file: &str) -> Result<SwfTrace, TraceError> {
    let mut jobs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        let f = fields(trimmed);
        if f.len() != FIELDS {
            let what = if f.len() < FIELDS { "truncated" } else { "too long" };
            return Err(TraceError::at(
                file,
                line,
                format!("{what}: {} fields; allowed: the {FIELDS} fields of an SWF job line", f.len()),
            ));
        }
        for (k, name) in NAMES.iter().enumerate() {
            number(&f, k, name, file, line)?;
        }
        // A known value (>= 0) or None for -1; other negatives are errors.
        let known = |(k, name): (usize, &str)| -> Result<Option<f64>, TraceError> {
            let x = number(&f, k, name, file, line)?;
            if x == -1.0 {
                Ok(None)
            } else if x < 0.0 {
                Err(TraceError::at(
                    file,
                    line,
                    format!("field {} ({name}): {x} is negative; allowed: a number >= 0, or -1 (unknown)", k + 1),
                ))
            } else {
                Ok(Some(x))
            }
        };
        let whole = |(k, name): (usize, &str), x: Option<f64>| -> Result<(), TraceError> {
            match x {
                Some(x) if x.fract() != 0.0 || x > u32::MAX as f64 => Err(TraceError::at(
                    file,
                    line,
                    format!("field {} ({name}): {x} is not a whole number up to {}", k + 1, u32::MAX),
                )),
                _ => Ok(()),
            }
        };
        let processors = known(PROCESSORS)?;
        whole(PROCESSORS, processors)?;
        let user = known(USER)?;
        whole(USER, user)?;
        jobs.push(SwfJob {
            line,
            number: number(&f, 0, NAMES[0], file, line)? as i64,
            submit_s: known(SUBMIT)?,
            run_time_s: known(RUN_TIME)?,
            processors: processors.map(|p| p as u32),
            status: number(&f, STATUS.0, STATUS.1, file, line)? as i64,
            user: user.map(|u| u as u64),
        });
    }
    if jobs.is_empty() {
        return Err(TraceError::file(file, "holds no job lines; allowed: an SWF file with at least one job"));
    }
    Ok(SwfTrace { jobs })
}

#[cfg(test)]
mod test {
    use super::*;

    const LINE: &str = "1 100 5 60 4 60 -1 4 100 -1 1 7 1 -1 -1 1 -1 -1";

    #[test]
    fn reads_the_needed_fields_and_unknowns() {
        let t = parse(&format!("; Version: 2.2\n\n{LINE}\n2 -1 5 -1 4 60 -1 4 100 -1 5 -1 1 -1 -1 1 -1 -1\n"), "t")
            .unwrap();
        assert_eq!(t.jobs.len(), 2);
        let j = &t.jobs[0];
        assert_eq!(
            (j.line, j.submit_s, j.run_time_s, j.processors, j.status, j.user),
            (3, Some(100.0), Some(60.0), Some(4), 1, Some(7))
        );
        let k = &t.jobs[1];
        assert_eq!((k.submit_s, k.run_time_s, k.user, k.status), (None, None, None, 5));
    }

    #[test]
    fn malformed_lines_name_file_line_and_field() {
        let err = |text: &str| parse(text, "f.swf").unwrap_err().to_string();
        assert_eq!(err("1 2 3\n"), "f.swf:1: truncated: 3 fields; allowed: the 18 fields of an SWF job line");
        assert!(
            err(&LINE.replace(" 60 4 ", " x 4 ")).starts_with("f.swf:1: field 4 "),
            "{}",
            err(&LINE.replace(" 60 4 ", " x 4 "))
        );
        assert!(
            err(&format!("{LINE}\n{}", LINE.replacen("100", "-5", 1)))
                .starts_with("f.swf:2: field 2 (submit time): -5 is negative")
        );
        assert!(err("; only comments\n").contains("no job lines"));
        assert!(err("").contains("no job lines"));
    }
}
