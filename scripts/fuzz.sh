#!/usr/bin/env bash
# The cargo-fuzz targets of fuzz/ (see README, "Fuzzing").
#
#   scripts/fuzz.sh seed                     fill fuzz/corpus/<target>/ from the examples, the
#                                            test fixtures and fuzz/seeds/ (the other modes do it)
#   scripts/fuzz.sh smoke                    each target for a short while (CI); non-zero on a crash
#   scripts/fuzz.sh long [SECONDS] [TARGET]  each target (or one) until 10 million runs or SECONDS
#                                            (default 3600), one at a time, at the lowest priority
#
# Stable Rust builds them (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its flags), without a
# sanitizer: sparkc forbids unsafe code, so what is looked for is panics, hangs (-timeout:
# libFuzzer's clock is the wall's, so on a shared machine a run at the lowest priority needs
# room; 60 s, or FUZZ_TIMEOUT)
# and memory blow-ups (-rss_limit_mb, -malloc_limit_mb), and the speed goes to executions.
# A crash leaves its input in fuzz/artifacts/<target>/; replay it with
# `fuzz/target/x86_64-unknown-linux-gnu/release/<target> FILE` (or `cargo test`, once it is a
# regression test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/fuzz
targets=(validate render import_manifest import_submit live)
export RUSTC_BOOTSTRAP=1
# One worker per validation: the targets feed one file at a time, and the machine is shared.
export RAYON_NUM_THREADS=1

max_len() {
  case $1 in
    validate | render) echo 16384 ;;
    import_submit) echo 4096 ;;
    *) echo 65536 ;;
  esac
}

dict() {
  case $1 in
    import_submit) echo "$fuzz/dict/spark.dict" ;;
    *) echo "$fuzz/dict/yaml.dict" ;;
  esac
}

seed() {
  local c=$fuzz/corpus
  mkdir -p "$c"/{validate,render,import_manifest,import_submit,live}
  # Job specs: every job file of the examples and fixtures (SparkJob documents), but the
  # inputs of fuzz findings (tests/fixtures/fuzz/: an open one would stop every run).
  while IFS= read -r f; do
    local name
    name=$(echo "${f#"$root"/}" | tr / _)
    cp "$f" "$c/validate/$name"
    cp "$f" "$c/render/$name"
  done < <(grep -rl --include='*.yaml' --exclude-dir=fuzz '^kind: SparkJob' "$root/examples" "$root/tests/fixtures")
  # Manifests: native setups, rendered objects, live objects with status.
  for f in "$root"/tests/fixtures/native-import/*.yaml "$root"/tests/fixtures/live-desired/*.yaml \
    "$root"/tests/fixtures/health/*/testdata/*.yaml "$fuzz"/seeds/import_manifest/*; do
    cp "$f" "$c/import_manifest/$(echo "${f#"$root"/}" | tr / _)"
  done
  cp "$fuzz"/seeds/import_submit/* "$c/import_submit/"
  for f in "$root"/tests/fixtures/live-desired/*.yaml "$root"/tests/fixtures/health/*/testdata/*.yaml \
    "$fuzz"/seeds/live/*; do
    cp "$f" "$c/live/$(echo "${f#"$root"/}" | tr / _)"
  done
}

bin_dir=$fuzz/target/x86_64-unknown-linux-gnu/release
build() {
  (cd "$fuzz" && cargo +stable fuzz build --sanitizer none --release)
}

# run TARGET LOG libFuzzer-options...: one target on its corpus; its exit code.
run() {
  local t=$1 log=$2
  shift 2
  mkdir -p "$fuzz/artifacts/$t"
  "$bin_dir/$t" "$fuzz/corpus/$t" -dict="$(dict "$t")" -max_len="$(max_len "$t")" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-60}" \
    -artifact_prefix="$fuzz/artifacts/$t/" -print_final_stats=1 "$@" > "$log" 2>&1
}

mode=${1:-smoke}
case $mode in
  seed) seed ;;
  smoke)
    seed
    build
    mkdir -p "$fuzz/logs"
    failed=0
    for t in "${targets[@]}"; do
      if run "$t" "$fuzz/logs/smoke-$t.log" -max_total_time="${FUZZ_SMOKE_SECONDS:-20}"; then
        echo "fuzz $t: $(grep -E '^Done [0-9]+ runs' "$fuzz/logs/smoke-$t.log" || echo done)"
      else
        echo "fuzz $t: FAILED (fuzz/logs/smoke-$t.log, input in fuzz/artifacts/$t/)"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$fuzz/logs/smoke-$t.log" | head -5 || true
        failed=1
      fi
    done
    exit $failed
    ;;
  long)
    seconds=${2:-3600}
    if [ -n "${3:-}" ]; then targets=("$3"); fi
    seed
    build
    mkdir -p "$fuzz/logs"
    failed=0
    for t in "${targets[@]}"; do
      log=$fuzz/logs/long-$t.log
      start=$(date +%s)
      if nice -n 19 "$0" _run "$t" "$log" -runs=10000000 -max_total_time="$seconds"; then
        status=ok
      else
        status="FAILED (input in fuzz/artifacts/$t/)"
        failed=1
      fi
      stats=$(grep -E '^Done [0-9]+ runs' "$log" || true)
      echo "fuzz $t: $status; $stats; wall $(($(date +%s) - start)) s; log $log"
    done
    exit $failed
    ;;
  _run)
    shift
    run "$@"
    ;;
  *)
    echo "usage: $0 seed | smoke | long [SECONDS] [TARGET]" >&2
    exit 2
    ;;
esac
