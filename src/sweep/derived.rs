//! Derived columns of a sweep: a value computed from each run's resolved scenario, such
//! as the request size : PE capacity ratio `workload.job_size / pool_elements.capacity`
//! or the cookie interval in job sizes, so that plots can use the axes the papers use
//! (docs/model.md §10, "derived x-axis variables").
//!
//! An expression is a product of factors, `a * b / c ...`: each factor a number or a
//! dotted scenario key whose resolved value is a number (auto-parameters resolved).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A derived column of `runs.csv` and `summary.csv`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    pub name: String,
    /// E.g. `"0.002 * network.lan_delay_ms * workload.job_size / pool_elements.capacity"`.
    pub expr: String,
    /// Axis label in plots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Factor {
    Number(f64),
    Key(String),
}

/// A parsed expression: factors with their operator (true = divide).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr(Vec<(bool, Factor)>);

const GRAMMAR: &str = "allowed: factors joined by * and /, each a number or a dotted scenario key";

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut factors = Vec::new();
        let mut divide = false;
        let mut expect_factor = true;
        for token in text.split_whitespace().flat_map(split_operators) {
            match (token, expect_factor) {
                ("*" | "/", false) => {
                    divide = token == "/";
                    expect_factor = true;
                }
                (t, true) if t != "*" && t != "/" => {
                    let factor = match t.parse::<f64>() {
                        Ok(v) if v.is_finite() => Factor::Number(v),
                        Ok(_) => return Err(format!("`{t}` is not a finite number; {GRAMMAR}")),
                        Err(_) if t == "seed" => return Err(format!("`seed` varies within a point; {GRAMMAR}")),
                        Err(_) if is_key(t) => Factor::Key(t.to_string()),
                        Err(_) => return Err(format!("`{t}` is neither a number nor a scenario key; {GRAMMAR}")),
                    };
                    factors.push((divide, factor));
                    expect_factor = false;
                }
                (t, _) => return Err(format!("unexpected `{t}` in `{text}`; {GRAMMAR}")),
            }
        }
        if expect_factor {
            return Err(format!("`{text}` is incomplete; {GRAMMAR}"));
        }
        Ok(Expr(factors))
    }

    /// Evaluates on a resolved scenario (as JSON).
    pub fn eval(&self, scenario: &Value) -> Result<f64, String> {
        self.0.iter().try_fold(1.0, |acc, (divide, factor)| {
            let v = match factor {
                Factor::Number(v) => *v,
                Factor::Key(key) => key
                    .split('.')
                    .try_fold(scenario, |node, part| node.get(part))
                    .and_then(Value::as_f64)
                    .ok_or_else(|| format!("`{key}` is not a numeric scenario key"))?,
            };
            Ok(if *divide { acc / v } else { acc * v })
        })
    }
}

fn is_key(t: &str) -> bool {
    t.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// Splits `a*b/c` into `a`, `*`, `b`, `/`, `c`.
fn split_operators(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if c == '*' || c == '/' {
            if i > start {
                out.push(&word[start..i]);
            }
            out.push(&word[i..i + 1]);
            start = i + 1;
        }
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

/// A derived value as a table cell: 12 significant digits, shortest form (so that
/// 0.1 · 3 prints as 0.3).
pub fn cell(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{v:.11e}").parse().expect("formatted float parses");
    format!("{rounded}")
}

#[cfg(test)]
mod test {
    use super::*;
    use serde_json::json;

    #[test]
    fn products_and_quotients_of_keys_and_numbers() {
        let s =
            json!({"workload": {"job_size": 1e7}, "pool_elements": {"capacity": 1e6}, "network": {"lan_delay_ms": 10}});
        let e = Expr::parse("0.002 * network.lan_delay_ms * workload.job_size/pool_elements.capacity").unwrap();
        assert_eq!(cell(e.eval(&s).unwrap()), "0.2");
        assert_eq!(Expr::parse("workload.job_size / pool_elements.capacity").unwrap().eval(&s), Ok(10.0));
        assert_eq!(cell(0.1 * 3.0), "0.3");
    }

    #[test]
    fn bad_expressions_say_what_is_allowed() {
        for bad in ["", "a *", "* b", "a + b", "2 ** 3", "seed * 2", "inf"] {
            let e = Expr::parse(bad).unwrap_err();
            assert!(e.contains("allowed"), "{bad}: {e}");
        }
        let e = Expr::parse("workload.nothing").unwrap().eval(&json!({"workload": {}})).unwrap_err();
        assert!(e.contains("workload.nothing"), "{e}");
    }
}
