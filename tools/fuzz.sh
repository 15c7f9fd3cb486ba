#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds every tests/fuzz/fuzz_<p>.c with clang's libFuzzer + ASan + UBSan and runs it for
# SECONDS (default 60) from a scratch copy of tests/fuzz/corpus/<p>, printing the execution
# count. New corpus entries stay in build-fuzz/; a crash leaves its input there and fails.
set -eu
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build-fuzz
mkdir -p "$out"
srcs=("$root"/core/src/*.c "$root"/host/vigil/csv.c "$root"/host/vigil/dataset.c
      "$root"/host/vigil/artifact.c "$root"/host/vigil/pq_evnt.c "$root"/host/vigil/pq_evfit.c
      "$root"/host/vigil/butter.c "$root"/host/vigil/rng.c "$root"/host/vigil/cli.c
      "$root"/host/collector/vgc_payload.c "$root"/host/collector/vgc_scan.c)
# the device application, without the bare-metal replay loop (it needs generated headers)
for f in "$root"/firmware/app/*.c; do
  [ "$(basename "$f")" = vg_replay.c ] || srcs+=("$f")
done
status=0
for target in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "${target%.c}")
  p=${name#fuzz_}
  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 \
    -D_POSIX_C_SOURCE=200809L -I"$root/core/include" -I"$root/host/vigil" -I"$root/firmware/app" \
    -I"$root/host/collector" "$target" "${srcs[@]}" -lcjson -lm -o "$out/$name"
  rm -rf "$out/corpus-$p" && mkdir -p "$out/corpus-$p"
  log=$out/$name.log
  if "$out/$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/$name-" \
       "$out/corpus-$p" "$root/tests/fuzz/corpus/$p" > "$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    echo "$name: $runs executions in ${seconds}s, clean"
  else
    echo "$name: FAILED, see $log"; tail -30 "$log"; status=1
  fi
done
exit $status
