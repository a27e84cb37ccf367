#!/usr/bin/env bash
# Wall time of `sparkc diff --live` on a generated project rendering about N objects (default
# 10,000) against a `kubectl get -o json`-shaped dump of the same objects with server fields
# added. Needs python3 with pyyaml.
set -euo pipefail
n=${1:-10000}
jobs=$(( n / 11 ))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
echo "work folder: $work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# SPARKC=/path/to/sparkc measures another build (e.g. the one before a change).
if [ -z "${SPARKC:-}" ]; then cargo build --release --quiet --manifest-path "$root/Cargo.toml"; fi
python3 "$root/scripts/gen-project.py" "$jobs" "$work/project"
bin=${SPARKC:-$root/target/release/sparkc}
"$bin" -C "$work/project" render --stdout > "$work/render.yaml"
python3 - "$work" <<'PY'
import json, sys, yaml
work = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{work}/render.yaml")) if d]
for d in docs:
    d["metadata"].update(uid="0f0e", resourceVersion="1", creationTimestamp="2026-01-01T00:00:00Z")
    d["status"] = {}
json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, open(f"{work}/live.json", "w"))
print(f"{len(docs)} objects")
PY
for _ in 1 2 3; do
  /usr/bin/time -f "diff: %e s wall, %M KB peak" "$bin" -C "$work/project" diff --live "$work/live.json" -q | head -1
done
