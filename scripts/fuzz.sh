#!/usr/bin/env bash
# The fuzzer (tests/fuzz.rs) at length: mutated scenario files run by the real binary,
# mutated study sweeps planned and tiny ones run, damaged summary tables plotted. Every
# case must exit 0 or 2 within its time budget; a run that exits 0 must conserve jobs and
# calculations and keep utilization <= 1. CI runs a few hundred cases of each from a fixed
# seed; this runs as many as you ask for, from a seed of your choice.
#
#   scripts/fuzz.sh               # 5000 cases per property, seed 1 (about 30 min on 2 cores)
#   scripts/fuzz.sh 20000 7       # 20000 cases per property, seed 7
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-5000}
seed=${2:-1}
echo "fuzz: $cases cases per property, seed $seed" >&2
POOLSIM_FUZZ_CASES=$cases POOLSIM_FUZZ_SEED=$seed cargo test --locked --release --test fuzz -- --nocapture --test-threads 2
