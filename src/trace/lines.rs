//! Reading a trace's lines: whitespace-separated fields, numbers, and errors that name
//! the file, the line and the field.

/// A bad trace file: where (file, line, field) and what is wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", line.map_or_else(String::new, |l| format!(":{l}")))]
pub struct TraceError {
    pub file: String,
    /// 1-based line number, if the error is on a line.
    pub line: Option<usize>,
    pub message: String,
}

impl TraceError {
    pub(super) fn at(file: &str, line: usize, message: impl Into<String>) -> TraceError {
        TraceError { file: file.to_string(), line: Some(line), message: message.into() }
    }

    pub(super) fn file(file: &str, message: impl Into<String>) -> TraceError {
        TraceError { file: file.to_string(), line: None, message: message.into() }
    }
}

/// The whitespace-separated fields of a line.
pub(super) fn fields(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Field `i` (0-based) of a line as a number; errors name the field by number and name.
pub(super) fn number(fields: &[&str], i: usize, name: &str, file: &str, line: usize) -> Result<f64, TraceError> {
    let text = fields[i];
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(TraceError::at(file, line, format!("field {} ({name}): `{text}` is not a number", i + 1))),
    }
}
