#!/usr/bin/env bash
# Time and peak memory of sparkc on hostile inputs of size N (default: 24,750, 49,500, 99,000
# and 198,000): a job spec with N unknown keys under `spec` (`validate`, human and JSON
# output; 1.2 MB at 99,000), N plain-text credentials in `sparkConf` (`validate`), a list of
# N `arguments` of which every other one has the wrong type (`validate`), and a
# SparkApplication with N unknown fields under `spec` (`import`). Time should grow linearly
# with N. At 198,000 the documents have more than the 200,000 YAML nodes a file may have,
# so what is measured there is the refusal. Needs python3 and GNU time.
# Best wall and CPU (user + system) time of RUNS runs (default 3): on a busy machine the CPU
# time is the steadier figure. SPARKC=/path/to/sparkc measures another build (e.g. the one before a change).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${*:-24750 49500 99000 198000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${SPARKC:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
bin=${SPARKC:-$root/target/release/sparkc}

gen() { # kind n dir
  python3 - "$@" <<'PY'
import os, sys
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(out, "jobs"), exist_ok=True)
head = ("apiVersion: sparkc.io/v1alpha1\nkind: SparkJob\n"
        "metadata: {name: hostile, namespace: data}\nspec:\n"
        "  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n"
        "  mainApplicationFile: local:///opt/app/main.py\n")
if kind == "unknown":
    body = head + "".join(f"  u{i}: {i}\n" for i in range(n))
    path = os.path.join(out, "jobs", "a.yaml")
elif kind == "items":
    body = head + "  arguments:\n" + "".join("    - 1\n" if i % 2 else "    - a\n" for i in range(n))
    path = os.path.join(out, "jobs", "a.yaml")
elif kind == "secrets":
    body = head + "  sparkConf:\n" + "".join(
        f"    t{i}.token: x\n" for i in range(n))
    path = os.path.join(out, "jobs", "a.yaml")
else:
    body = ("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\n"
            "metadata: {name: hostile, namespace: data}\nspec:\n  type: Python\n  mode: cluster\n"
            "  image: apache/spark:3.5.3\n  sparkVersion: \"3.5.3\"\n"
            "  mainApplicationFile: local:///opt/app/main.py\n"
            + "".join(f"  u{i}: {i}\n" for i in range(n)))
    path = os.path.join(out, "app.yaml")
open(path, "w").write(body)
PY
}

measure() { # label n command...: best wall and CPU time of RUNS runs (default 3), peak RSS
  local label=$1 n=$2 best="" cpu="" peak=0
  shift 2
  "$@" >"$work/out" 2>&1 || true   # warm the page cache
  for _ in $(seq "${RUNS:-3}"); do
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/out" 2>&1 || true
    read -r secs kb user sys < <(tail -n 1 "$work/time")
    best=$(awk -v a="$secs" -v b="${best:-$secs}" 'BEGIN { print (a < b ? a : b) }')
    cpu=$(awk -v a="$user" -v s="$sys" -v b="${cpu:-999}" 'BEGIN { t = a + s; print (t < b ? t : b) }')
    if [ "$kb" -gt "$peak" ]; then peak=$kb; fi
  done
  printf "%-26s N=%-7s %5.2f s wall %5.2f s CPU %4d MB  output %s bytes\n" "$label" "$n" "$best" "$cpu" "$((peak / 1024))" "$(wc -c <"$work/out")"
}

for n in $sizes; do
  gen unknown "$n" "$work/unknown"
  gen secrets "$n" "$work/secrets"
  gen items "$n" "$work/items"
  gen app "$n" "$work/app"
  measure "validate (unknown keys)" "$n" "$bin" -C "$work/unknown" validate --color never
  measure "validate --format json" "$n" "$bin" -C "$work/unknown" validate --format json
  measure "validate (secrets)" "$n" "$bin" -C "$work/secrets" validate --color never
  measure "validate (list items)" "$n" "$bin" -C "$work/items" validate --color never
  measure "import (unknown fields)" "$n" "$bin" -C "$work/app" import --color never "$work/app/app.yaml"
  rm -rf "$work/unknown" "$work/secrets" "$work/items" "$work/app"
done
