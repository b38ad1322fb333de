#!/usr/bin/env bash
# Same-run speed comparison: builds REV (default: the latest release tag, else the last
# release's commit, 754ff29 = v0.1.0, for clones without tags) in a
# temporary worktree, then runs both release binaries in alternation (A B A B ...) on the
# benchmark scenarios and prints, per scenario, the median ratio new/old with min and max.
# Machines drift by up to 2x over hours; only ratios taken in one run like this mean anything.
#
#   scripts/bench-vs.sh [REV] [ROUNDS]      # e.g. scripts/bench-vs.sh 754ff29 11
set -euo pipefail
cd "$(dirname "$0")/.."
last_release=754ff29 # v0.1.0; tag each release (git tag vX.Y.Z) and update this line
rev=${1:-$(git describe --tags --abbrev=0 2>/dev/null || echo "$last_release")}
rounds=${2:-11}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$work/src" "$rev"
echo "building $rev and the working tree (release)..." >&2
(cd "$work/src" && CARGO_TARGET_DIR="$work/target" cargo build --release --quiet)
cargo build --release --quiet
old="$work/target/release/poolsim"
new=target/release/poolsim

# name | arguments of `poolsim run` (scenario files of the working tree, read by both)
scenarios=(
  "default|"
  "test1-200h|scenarios/test1-200h.json"
  "churn|scenarios/churn.json"
  "3-registrars|--set registrars.count=3"
)
wall() { # seconds of wall time of one run
  local start end
  start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
printf '%-14s %8s %8s %8s  (new/old wall time, %s rounds, %s vs working tree)\n' scenario median min max "$rounds" "$rev"
for entry in "${scenarios[@]}"; do
  name=${entry%%|*}; args=${entry#*|}
  ratios=()
  for _ in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    a=$(wall "$old" run $args); b=$(wall "$new" run $args)
    ratios+=("$(echo "$b / $a" | bc -l)")
  done
  printf '%s\n' "${ratios[@]}" | sort -g | awk -v n="$name" '{r[NR]=$1} END {printf "%-14s %8.3f %8.3f %8.3f\n", n, r[int((NR+1)/2)], r[1], r[NR]}'
done
