#!/usr/bin/env bash
# The cluster test against a real Slurm (run by .ci/run; needs root to install packages):
#  1. a small sweep submitted as an array of 4 tasks, at most 2 at a time, with a
#     dependent merge job, gives CSVs byte-identical to a local `poolsim sweep`;
#  2. a task killed with scancel mid-run loses no finished run: the merge names the
#     missing runs, `--slurm` resubmits only the tasks that hold them, and the final
#     tables are again byte-identical.
# Starts the one-node cluster of local-cluster.sh and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
poolsim=$PWD/target/release/poolsim
[ -x "$poolsim" ] || { echo "test-slurm: build first (cargo build --release)" >&2; exit 1; }
export POOLSIM=$poolsim

scripts/slurm/local-cluster.sh start
export SLURM_CONF=${POOLSIM_SLURM_DIR:-/tmp/poolsim-slurm}/etc/slurm.conf
work=$(mktemp -d)
trap 'scripts/slurm/local-cluster.sh stop; rm -rf "$work"' EXIT
fail() { echo "test-slurm: FAILED: $*" >&2; exit 1; }

# 24 runs of about half a second each.
cat >"$work/small.json" <<'JSON'
{"set": {"duration_s": 7200, "workload.job_size": 1e6, "pool_elements.count": 20},
 "parameters": [{"key": "workload.pu_pe_ratio", "values": [2, 5, 10]},
                {"key": "pool_elements.policy", "values": ["LeastUsed", "Random"]}],
 "replications": 4,
 "plots": [{"metric": "handling_speed_pct", "x": "workload.pu_pe_ratio", "curves": "pool_elements.policy"}]}
JSON
"$poolsim" sweep "$work/small.json" --out "$work/local" --quiet >/dev/null

wait_for_queue() {
    for _ in $(seq 1 600); do
        [ -z "$(squeue -h 2>/dev/null)" ] && return
        sleep 1
    done
    fail "the queue did not drain: $(squeue)"
}

same_tables() {
    for f in runs.csv summary.csv handling_speed_pct.svg; do
        cmp "$work/local/$f" "$1/$f" || fail "$1/$f differs from the local run"
    done
}

# 1. Array of 4, throttled to 2, then the dependent merge.
out=$work/cluster
eval "$("$poolsim" sweep "$work/small.json" --out "$out" --slurm --tasks 4 --throttle 2)"
wait_for_queue
same_tables "$out"
logs=("$out"/slurm-logs/task-*.out)
[ ${#logs[@]} -eq 4 ] || fail "expected 4 task logs, found ${#logs[@]}"
grep -h '^slice ' "${logs[@]}" | sort
# Throttling: no more than 2 tasks ran at once (start stamps in the logs, ends by mtime).
python3 - "${logs[@]}" <<'PY'
import os, re, sys
spans = []
for path in sys.argv[1:]:
    start = float(re.search(r"started ([0-9.]+)", open(path).read()).group(1))
    spans.append((start, os.path.getmtime(path)))
worst = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
print(f"test-slurm: at most {worst} tasks ran at once")
sys.exit(0 if worst <= 2 else 1)
PY
grep -q "24 runs (0 executed, 24 from the store)" "$out"/slurm-logs/merge-*.out || fail "the merge job did not merge"
echo "test-slurm: array of 4 (%2) + merge == local sweep"

# 2. scancel a task mid-run, then resubmit only what is missing.
out=$work/cancelled
eval "$("$poolsim" sweep "$work/small.json" --out "$out" --slurm --tasks 4 --throttle 1)"
first=${jid}_1
for _ in $(seq 1 200); do
    [ "$(ls "$out/store" 2>/dev/null | grep -c '\.json$')" -ge 2 ] && break
    sleep 0.1
done
scancel "$first"
wait_for_queue
stored=$(ls "$out/store" | grep -c '\.json$')
[ "$stored" -lt 24 ] || fail "the cancel came too late to test anything ($stored runs stored)"
if "$poolsim" sweep "$work/small.json" --out "$out" --merge --quiet 2>"$work/merge.err"; then
    fail "the merge succeeded with runs missing"
fi
grep -q "runs are missing" "$work/merge.err" || fail "the merge did not name the missing runs: $(cat "$work/merge.err")"
python3 - "$out/store" <<'PY'
import json, os, sys
d = sys.argv[1]
for name in os.listdir(d):
    assert name.endswith(".json"), f"torn or temporary file left: {name}"
    json.load(open(os.path.join(d, name)))
PY
inodes_before=$(stat -c '%n %i' "$out"/store/*.json | sort)
resubmit=$("$poolsim" sweep "$work/small.json" --out "$out" --slurm --tasks 4)
echo "$resubmit" | grep -q -- '--array=' || fail "nothing to resubmit: $resubmit"
echo "$resubmit" | grep -- '--array=' | grep -qv -- '--array=1-4 ' || fail "every task resubmitted: $resubmit"
eval "$resubmit"
wait_for_queue
same_tables "$out"
# No finished run was rerun: every file stored before the resubmission is the same file.
inodes_after=$(stat -c '%n %i' "$out"/store/*.json | sort)
missing_lines=$(comm -23 <(echo "$inodes_before") <(echo "$inodes_after"))
[ -z "$missing_lines" ] || fail "stored runs were rewritten: $missing_lines"
echo "test-slurm: scancel mid-run ($stored of 24 runs stored), resubmission of the missing tasks, merge == local sweep"
echo "test-slurm: passed"
