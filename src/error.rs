//! Bad input to sweeps and plots (exit code 2 on the command line): the message names the
//! offending key or file and what is allowed. Scenario errors have their own type,
//! [`crate::scenario::ScenarioError`].

/// A user-input error: `key` names the sweep key, plot option or file.
#[derive(Debug, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct InputError {
    pub key: String,
    pub message: String,
}

impl InputError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError { key: key.into(), message: message.into() }
    }
}

/// The candidate a user most likely meant by `input`: the same name in other case, or
/// the closest by edit distance when it is close (at most a third of the name's length).
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = input.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(&wanted, &c.to_lowercase());
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.filter(|&(d, c)| d <= (c.chars().count() / 3).max(1)).map(|(_, c)| c)
}

/// A message of an unknown name ("unknown field `polcy`, expected one of `count`, ...",
/// "unknown policy `leastused`; allowed: RoundRobin, ...") with the likely meant name.
pub fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown ") else { return message.to_string() };
    let list = ["expected one of ", "allowed: "].iter().find_map(|m| rest.split_once(m).map(|(_, l)| l));
    let (Some(list), Some((_, quoted))) = (list, rest.split_once('`')) else { return message.to_string() };
    let Some((input, _)) = quoted.split_once('`') else { return message.to_string() };
    let candidates = list.split(',').map(|c| c.trim().trim_matches('`'));
    match did_you_mean(input, candidates) {
        // Right after the name: the list of allowed names can be long.
        Some(meant) => {
            let at = message.len() - quoted.len() + input.len() + 1;
            format!("{} (did you mean {meant}?){}", &message[..at], &message[at..])
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("leastused", ["RoundRobin", "LeastUsed"]), Some("LeastUsed"));
        assert_eq!(did_you_mean("polcy", ["count", "policy"]), Some("policy"));
        assert_eq!(did_you_mean("example", ["example1", "wp2-cookiesI"]), Some("example1"));
        assert_eq!(did_you_mean("banana", ["count", "policy"]), None);
        let m = with_suggestion("unknown field `polcy`, expected one of `count`, `policy`");
        assert_eq!(m, "unknown field `polcy` (did you mean policy?), expected one of `count`, `policy`");
        let m = with_suggestion("unknown policy `leastused`; allowed: RoundRobin, LeastUsed, Random");
        assert!(m.starts_with("unknown policy `leastused` (did you mean LeastUsed?); allowed: "), "{m}");
        assert_eq!(with_suggestion("expected a number"), "expected a number");
    }
}
