#!/usr/bin/env bash
# Wall time and peak memory of `sparkc validate` on a generated project of N jobs (default
# 10,000), best and median of RUNS runs (default 5). Needs python3 and GNU time.
set -euo pipefail
n=${1:-10000}
runs=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# SPARKC=/path/to/sparkc measures another build (e.g. the one before a change).
if [ -z "${SPARKC:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
python3 "$root/scripts/gen-project.py" "$n" "$work/project"
bin=${SPARKC:-$root/target/release/sparkc}
# Warm the page cache; print the summary line (the generated specs draw thousands of warnings).
"$bin" -C "$work/project" validate | tail -1
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" "$bin" -C "$work/project" validate -q 2>>"$work/times"
done
sort -n "$work/times" | awk -v n="$n" -v runs="$runs" '
  { t[NR] = $1; if ($2 > m) m = $2 }
  END { printf "validate %d jobs: best %.2f s, median %.2f s wall over %d runs; peak RSS %.0f MB\n", n, t[1], t[int((NR + 1) / 2)], runs, m / 1024 }'
