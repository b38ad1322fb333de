//! Sharding a sweep over the tasks of a cluster job array: every run belongs to exactly
//! one of N slices, balanced by an estimate of its cost, and the assignment depends only on
//! the sweep file, so a task that is resubmitted runs the same slice (and of it only what
//! the shared results store lacks).

use super::store::{Store, StoredRun};
use super::{PlannedRun, Sweep};
use crate::error::InputError;
use std::path::Path;

/// Slice `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::fmt::Display for Shard {
    /// 1-based, as on the command line.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// Most slices of a sweep (and tasks of its array job).
pub const MAX_SHARDS: usize = 1_000_000;

impl Shard {
    /// Parses `I/N` with 1 <= I <= N (`--shard 3/8` is the third of eight slices).
    pub fn parse(text: &str) -> Result<Shard, InputError> {
        let bad = || {
            InputError::new(
                "--shard",
                format!("`{text}` is not a slice; allowed: I/N with 1 <= I <= N <= {MAX_SHARDS}"),
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if i == 0 || i > n || n > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index: i - 1, count: n })
    }

    /// The slice of a Slurm array task: `SLURM_ARRAY_TASK_ID` relative to
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT` (or MAX − MIN + 1) slices.
    /// `None` outside an array job.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, InputError> {
        let Some(id) = var("SLURM_ARRAY_TASK_ID") else { return Ok(None) };
        let number = |name: &str, v: Option<String>| -> Result<Option<usize>, InputError> {
            v.map(|v| v.trim().parse().map_err(|_| InputError::new(name, format!("`{v}` is not a task number"))))
                .transpose()
        };
        let id = number("SLURM_ARRAY_TASK_ID", Some(id))?.expect("present");
        let min = number("SLURM_ARRAY_TASK_MIN", var("SLURM_ARRAY_TASK_MIN"))?.unwrap_or(0);
        let max = number("SLURM_ARRAY_TASK_MAX", var("SLURM_ARRAY_TASK_MAX"))?;
        let count = match number("SLURM_ARRAY_TASK_COUNT", var("SLURM_ARRAY_TASK_COUNT"))? {
            Some(c) => c,
            None => max.map(|max| max + 1 - min.min(max)).ok_or_else(|| {
                InputError::new("SLURM_ARRAY_TASK_ID", "is set, but neither SLURM_ARRAY_TASK_COUNT nor _MAX")
            })?,
        };
        if count == 0 || count > MAX_SHARDS {
            let message = format!("{count} tasks is out of range; allowed: 1 to {MAX_SHARDS} (as --shard)");
            return Err(InputError::new("SLURM_ARRAY_TASK_COUNT", message));
        }
        // Arrays like 1-100:10 have gaps; slices then follow the task's position.
        if id < min || id - min >= count {
            let message = format!("{id} is not within the array's {count} tasks from {min}; use --shard I/N");
            return Err(InputError::new("SLURM_ARRAY_TASK_ID", message));
        }
        Ok(Some(Shard { index: id - min, count }))
    }
}

/// The shard of every run: the runs in descending cost (ties by position) each go to the
/// slice with the least cost so far (ties to the lowest slice), the longest-processing-
/// time rule, which keeps the slices within one run's cost of each other.
pub fn assign(runs: &[PlannedRun], count: usize) -> Vec<usize> {
    let costs: Vec<f64> = runs.iter().map(|r| r.scenario.estimated_cost()).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; count];
    let mut shard = vec![0; runs.len()];
    for i in order {
        let lightest = (0..count).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).expect("count >= 1");
        shard[i] = lightest;
        load[lightest] += costs[i];
    }
    shard
}

/// The sbatch commands (`poolsim sweep --slurm`) that run a sweep as an array of `tasks`
/// tasks, of which only those with missing runs, then merge (scripts/slurm/sweep.sbatch).
pub fn sbatch_commands(
    sweep: &Sweep,
    file: &str,
    out_dir: &std::path::Path,
    tasks: usize,
    throttle: usize,
) -> anyhow::Result<String> {
    if file.is_empty() {
        return Err(InputError::new("--slurm", "needs a sweep FILE that the cluster's nodes can read").into());
    }
    if tasks == 0 || tasks > MAX_SHARDS {
        return Err(InputError::new("--tasks", format!("{tasks} is out of range; allowed: 1 to {MAX_SHARDS}")).into());
    }
    let todo = tasks_with_missing_runs(sweep, out_dir, tasks)?;
    let out = out_dir.display();
    let logs = out_dir.join("slurm-logs");
    let logs = logs.display();
    let mut text = format!(
        "# {} runs in {tasks} array tasks of about {} runs each; {} task(s) have runs missing from {out}/store\n",
        sweep.runs.len(),
        sweep.runs.len().div_ceil(tasks),
        todo.len()
    );
    text += &format!("mkdir -p {logs}\n");
    let merge =
        format!("--job-name=poolsim-merge --output={logs}/merge-%j.out scripts/slurm/sweep.sbatch {file} {out}");
    if todo.is_empty() {
        text += &format!("sbatch {merge}\n");
        return Ok(text);
    }
    let ranges = compress(&todo);
    let limit = if throttle > 0 { format!("%{throttle}") } else { String::new() };
    text += &format!(
        "jid=$(sbatch --parsable --array={ranges}{limit} --job-name=poolsim-sweep --output={logs}/task-%A_%a.out scripts/slurm/sweep.sbatch {file} {out})\n"
    );
    text += &format!("sbatch --dependency=afterany:$jid {merge}\n");
    Ok(text)
}

/// Task numbers as sbatch ranges: 1,2,3,5 -> "1-3,5".
fn compress(tasks: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < tasks.len() {
        let mut j = i;
        while j + 1 < tasks.len() && tasks[j + 1] == tasks[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { tasks[i].to_string() } else { format!("{}-{}", tasks[i], tasks[j]) });
        i = j + 1;
    }
    parts.join(",")
}

/// The array tasks (1-based) of `count` that hold runs missing from `out_dir/store`.
pub fn tasks_with_missing_runs(sweep: &Sweep, out_dir: &Path, count: usize) -> anyhow::Result<Vec<usize>> {
    let store = Store::open(&out_dir.join("store"))?;
    let slices = assign(&sweep.runs, count);
    let results: Vec<Option<StoredRun>> = sweep.runs.iter().map(|r| store.load(&r.key)).collect();
    let wanted = sweep.standing(&results).wanted;
    let mut tasks: Vec<usize> =
        (0..sweep.runs.len()).filter(|&i| wanted[i] && results[i].is_none()).map(|i| slices[i] + 1).collect();
    tasks.sort_unstable();
    tasks.dedup();
    Ok(tasks)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn slices_parse_one_based() {
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 0, count: 4 });
        assert_eq!(Shard::parse("4/4").unwrap().to_string(), "4/4");
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "-1/3"] {
            assert!(Shard::parse(bad).unwrap_err().to_string().contains("--shard"), "{bad}");
        }
    }

    #[test]
    fn task_lists_become_sbatch_ranges() {
        assert_eq!(compress(&[1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
        assert_eq!(compress(&[4]), "4");
    }

    #[test]
    fn slurm_array_variables_select_the_slice() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        let s = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]));
        assert_eq!(s.unwrap(), Some(Shard { index: 2, count: 4 }));
        let s = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
        ]));
        assert_eq!(s.unwrap(), Some(Shard { index: 0, count: 8 }));
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "4")])).is_err());
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "1")])).is_err());
        // Counts that would allocate without bound are refused, as --shard refuses them.
        for count in ["18446744073709551615", "100000000000", "0"] {
            let vars = [("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", count)];
            let e = Shard::from_env(|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()));
            assert!(e.unwrap_err().to_string().contains("SLURM_ARRAY_TASK_COUNT"), "{count}");
        }
    }
}
