#!/usr/bin/env bash
# Wall time and peak memory of `sparkc render` on a generated project of N jobs (default
# 10,000) in ENVIRONMENTS environments (1 or 2, default 2): fresh (no tree, as in a new
# clone), fresh right after deleting the previous tree, again with nothing changed, again
# with one job changed, and `render --check`; then the slowest `kubectl kustomize` of any
# unit.
# Why two fresh rows: on an ext4 file system without a journal (this VM's disk) the kernel
# avoids reusing an inode freed less than a minute ago, and scans past every one of them
# for each new file, so creating a tree right after deleting one costs far more kernel
# time than creating it in a new clone. The first row renders each run into a folder of
# its own and deletes nothing; the second deletes the tree and renders it again at once. Each figure is the best of RUNS runs (default 3), with
# the peak RSS of that run. The render cache (.sparkc-cache/) is used unless a row says
# --no-cache; the fresh render has none. OUT (default: a folder on the checkout's disk, under target/)
# chooses where the tree goes; OUT=/dev/shm/... measures without the disk.
set -euo pipefail
n=${1:-10000}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d -p "$root/target" bench-render.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${OUT:-$work/project/deploy}
rm -rf "$out"
# SPARKC=/path/to/sparkc measures another build (e.g. the one before a change).
if [ -z "${SPARKC:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
python3 "$root/scripts/gen-project.py" "$n" "$work/project" --environments "${ENVIRONMENTS:-2}" >/dev/null
bin=${SPARKC:-$root/target/release/sparkc}
# best <label> <setup command> <sparkc args...>: the best wall time of $runs runs, writing
# to $dest if the setup sets it, else to $out.
best() {
  local label=$1 setup=$2; shift 2
  local best_t= best_m=
  for _ in $(seq "$runs"); do
    eval "$setup"
    local line
    line=$( { /usr/bin/time -f "%e %M" "$bin" -C "$work/project" "$@" -q -o "${dest:-$out}" >/dev/null; } 2>&1 | tail -1)
    local t=${line% *} m=${line#* }
    if [ -z "$best_t" ] || (( $(echo "$t < $best_t" | bc) )); then best_t=$t; best_m=$m; fi
  done
  printf '%-28s %6s s   peak RSS %4d MB\n' "$label" "$best_t" $(( best_m / 1024 ))
}
job=$(find "$work/project/jobs" -name '*.yaml' | sort | sed -n 1p)
# One job changed: its `rerun` value flips between two values.
sed -i 's/^spec:$/spec:\n  rerun: "a"/' "$job"
flip() { if grep -q 'rerun: "a"' "$job"; then sed -i 's/rerun: "a"/rerun: "b"/' "$job"; else sed -i 's/rerun: "b"/rerun: "a"/' "$job"; fi; }
# Fresh: no tree and no render cache (a new clone); each run writes to a new folder. Then
# the same right after deleting the tree. The others run after a render, with the cache it
# left (.sparkc-cache/), and again with --no-cache.
fresh_n=0
best "render (fresh)" 'fresh_n=$((fresh_n + 1)); dest=$out.fresh-$fresh_n; rm -rf "$work/project/.sparkc-cache"; sync' render
dest=
rm -rf "$out".fresh-*
best "  fresh, tree just deleted" 'rm -rf "$out" "$work/project/.sparkc-cache"; sync' render
best "render (nothing changed)" ':' render
best "render (one job changed)" 'flip' render
best "render --check" ':' render --check
best "  same, --no-cache: changed" 'flip' render --no-cache
best "  same, --no-cache: --check" ':' render --check --no-cache
echo "files:                       $(find "$out" -type f | wc -l)"
if command -v kubectl >/dev/null; then
  slowest=0; unit=
  for u in "$out"/*/*/; do
    case "$u" in "$out"/gitops/*) continue ;; esac
    s=$( { /usr/bin/time -f "%e" kubectl kustomize "$u" >/dev/null; } 2>&1 | tail -1)
    if (( $(echo "$s > $slowest" | bc) )); then slowest=$s; unit=$u; fi
  done
  echo "slowest kustomize build:     $slowest s (${unit#"$out"/})"
fi
