#!/usr/bin/env bash
# Wall time of `sparkc render` (fresh and again), `render --check`, and the slowest
# `kubectl kustomize` of any unit, on a generated project of N jobs (default 10,000) in
# ENVIRONMENTS environments (1 or 2, default 1). OUT (default: a temporary folder on disk)
# chooses where the tree goes; OUT=/dev/shm/... measures without the disk.
set -euo pipefail
n=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${OUT:-$work/project/deploy}
rm -rf "$out"
# SPARKC=/path/to/sparkc measures another build (e.g. the one before a change).
if [ -z "${SPARKC:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
python3 "$root/scripts/gen-project.py" "$n" "$work/project" --environments "${ENVIRONMENTS:-1}"
bin=${SPARKC:-$root/target/release/sparkc}
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
echo "render (fresh):  $(t "$bin" -C "$work/project" render -q -o "$out") s"
echo "render (again):  $(t "$bin" -C "$work/project" render -q -o "$out") s"
echo "render --check:  $(t "$bin" -C "$work/project" render --check -q -o "$out") s"
echo "files:           $(find "$out" -type f | wc -l)"
if command -v kubectl >/dev/null; then
  slowest=0; unit=
  for u in "$out"/*/*/; do
    case "$u" in "$out"/gitops/*) continue ;; esac
    s=$(t kubectl kustomize "$u")
    if (( $(echo "$s > $slowest" | bc) )); then slowest=$s; unit=$u; fi
  done
  echo "slowest kustomize build: $slowest s (${unit#"$out"/})"
fi
