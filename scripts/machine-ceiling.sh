#!/usr/bin/env bash
# What this machine allows, for comparing with poolsim's own figures:
# 1. the parallel ceiling: the same single-threaded simulation, 8 runs one after another
#    vs. two independent processes of 4 runs each at once;
# 2. the instruction count of the default scenario (stable, unlike wall time on a VM).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/poolsim
scenario=$(mktemp)
trap 'rm -f "$scenario"' EXIT
echo '{"workload": {"job_size": 1e6}}' > "$scenario"
runs() { for _ in $(seq "$1"); do "$bin" run "$scenario" > /dev/null; done; }
t0=$(date +%s.%N); runs 8; t1=$(date +%s.%N)
runs 4 & runs 4 & wait
t2=$(date +%s.%N)
python3 -c "a=$t1-$t0; b=$t2-$t1; print(f'parallel ceiling: 8 runs sequential {a:.2f} s, 2 processes x 4 runs {b:.2f} s: {a/b:.2f}x')"
if command -v valgrind > /dev/null; then
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" run 2>&1 >/dev/null | grep -o "Collected : [0-9]*" |
    sed 's/Collected :/instructions (default scenario):/'
fi
