#!/usr/bin/env bash
# Checks that committed study results are reproduced byte for byte by their command:
# each study is rerun from scratch (no results store) into a temporary folder, and every
# committed table and plot in results/<name>/ must be identical.
#
#   scripts/check-reproductions.sh                 # every study of the catalogue (about 80 min on 2 cores)
#   scripts/check-reproductions.sh example1 ...    # some studies (CI checks a few small ones)
set -euo pipefail
cd "$(dirname "$0")/.."
poolsim=${POOLSIM:-target/release/poolsim}
[ -x "$poolsim" ] || cargo build --release --quiet
if [ $# -eq 0 ]; then
    set -- $("$poolsim" reproduce --list | awk 'NF > 3 && $4 == "runs" {print $2}')
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for name in "$@"; do
    file=$(ls scenarios/studies/*/"$name".json 2>/dev/null | head -1)
    [ -n "$file" ] || { echo "check-reproductions: no study $name" >&2; exit 2; }
    start=$(date +%s)
    "$poolsim" sweep "$file" --out "$work/$name" --quiet >/dev/null
    checked=0
    for committed in results/"$name"/*.csv results/"$name"/*.svg; do
        base=$(basename "$committed")
        [ "$base" = timing.csv ] && continue
        if cmp -s "$committed" "$work/$name/$base"; then
            checked=$((checked + 1))
        else
            echo "check-reproductions: $committed differs from a fresh run" >&2
            failed=1
        fi
    done
    [ "$checked" -gt 0 ] || { echo "check-reproductions: nothing committed for $name" >&2; failed=1; }
    echo "$name: $checked files identical ($(( $(date +%s) - start )) s)"
    rm -rf "${work:?}/$name"
done
exit $failed
