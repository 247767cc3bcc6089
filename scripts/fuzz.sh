#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted input and of the room's rules, on
# stable Rust: libFuzzer (libfuzzer-sys, built from C++ here) with LLVM's sanitizer-coverage
# instrumentation, whose flags are stable codegen options. No AddressSanitizer: that needs a
# nightly toolchain; our crates forbid `unsafe`, so panics and hangs are what we look for.
#   scripts/fuzz.sh [seconds=10] [target...]     (targets: fuzz/fuzz_targets/*.rs; default all)
# Runs each target for the given seconds and prints executions and crashes; exits non-zero if
# any target crashed or hung. Seeds are fuzz/corpus/<target>; what the fuzzer learns is kept in
# ~/.cache/meetingrooms/fuzz/corpus/<target> (so later runs start from it), crashing inputs in
# ~/.cache/meetingrooms/fuzz/crashes/<target>. Reproduce one: <binary> <crash file>.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=${1:-10}
(($# > 0)) && shift
if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for file in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$file" .rs)"); done
fi

# libfuzzer-sys compiles libFuzzer with the C++ compiler cc finds.
if ! command -v c++ >/dev/null; then
  echo "fuzz: apt-get install g++"
  sudo=(); ((EUID == 0)) || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends g++ >/dev/null
fi

# Its own target dir: the instrumented build shares nothing with the normal one.
export CARGO_TARGET_DIR="$HOME/.cache/meetingrooms/fuzz-target"
work="$HOME/.cache/meetingrooms/fuzz"
host=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps these flags off build scripts and proc macros, which must not be instrumented
# (nothing would define the coverage callbacks they call).
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares"
echo "fuzz: building ${targets[*]}"
bin_flags=()
for target in "${targets[@]}"; do bin_flags+=(--bin "$target"); done
cargo build -q --manifest-path fuzz/Cargo.toml --release --target "$host" "${bin_flags[@]}"
bin="$CARGO_TARGET_DIR/$host/release"

# str0m draws the subscriber offer's mids from a reseeded generator; the answer seeds must
# match them, so they are made by the target itself.
if [[ " ${targets[*]} " == *" sdp_answer "* ]] && ! compgen -G "fuzz/corpus/sdp_answer/*" >/dev/null; then
  mkdir -p fuzz/corpus/sdp_answer
  SDP_ANSWER_SEEDS=fuzz/corpus/sdp_answer "$bin/sdp_answer"
fi

# Longest input worth trying: the socket's frame limit and the REST body limit are 64 KiB;
# an RTP payload fits an MTU.
max_len() {
  case "$1" in
    vp8) echo 1500 ;;
    room_rules) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

failed=()
printf '%-12s %12s %10s %8s %8s  %s\n' target executions "exec/s" corpus crashes note
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  crashes="$work/crashes/$target"
  log="$work/logs/$target.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  seeds=()
  [[ -d "fuzz/corpus/$target" ]] && seeds=("fuzz/corpus/$target")
  before=$(find "$crashes" -type f | wc -l)
  status=0
  # The first corpus directory receives new inputs; the seeds stay as committed.
  "$bin/$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 \
    -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$crashes/" \
    >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  found=$(($(find "$crashes" -type f | wc -l) - before))
  note=""
  if ((status != 0)); then
    found=$((found > 0 ? found : 1))
    artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    note="exit $status${artifact:+, input: $artifact}; log: $log"
    failed+=("$target")
  fi
  printf '%-12s %12s %10s %8s %8s  %s\n' "$target" "${executions:-?}" "${rate:-?}" "$size" "$found" "$note"
done
if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}" >&2
  for target in "${failed[@]}"; do
    echo "--- $target" >&2
    grep -m1 -A12 -E "panicked|ERROR: libFuzzer|deadly signal|timeout" "$work/logs/$target.log" >&2 || tail -20 "$work/logs/$target.log" >&2
  done
  exit 1
fi
