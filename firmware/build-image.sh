#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# firmware/build-image.sh: one image of the replay application (firmware/app/vg_replay.c)
# with a model and a stream compiled in. docs/mcu.md explains the images.
#
#   build-image.sh --target cortex-m|rv32|host --vigil VIGIL --model M.vgm --stream S.h
#                  -o OUT.elf [--print 0|1|2] [--bench 0|1|2] [--opt -O2] [--stack BYTES]
#                  [--define NAME=VALUE]... [--strip-meta]
#   build-image.sh --target cortex-m|rv32 --src "A.c B.c" -o OUT.elf
#
# The second form links other application sources (defining vg_app_main) with a port
# instead of the replay application, the core and a model (the tests' known-answer images).
# --print 0 is the minimal image (no console code); --bench selects the instruction-count
# markers (vg_replay.c). --define passes a build-time switch (core/include/vigil/vg_opts.h,
# e.g. VG_DISABLE_SPECIALIZATION=1 or VG_ENABLE_WAVEFORM=0) to every file of the image.
# --strip-meta embeds the artifact without its META section (`vigil export --strip-meta`). The model header and its arena size come from `vigil export` and
# `vigil info --json`; both go next to OUT. Compilers: arm-none-eabi-gcc (newlib's libm and
# string functions), riscv64-unknown-elf-gcc with picolibc, the host's cc.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="" vigil="" model="" stream="" out="" src="" print=1 bench=0 opt=-O2 stack=4096
defines=() strip=()
while [ $# -gt 0 ]; do
  case $1 in
    --target) target=$2; shift 2 ;;
    --vigil) vigil=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --stream) stream=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --print) print=$2; shift 2 ;;
    --bench) bench=$2; shift 2 ;;
    --opt) opt=$2; shift 2 ;;
    --stack) stack=$2; shift 2 ;;
    --src) src=$2; shift 2 ;;
    --define) defines+=("-D$2"); shift 2 ;;
    --strip-meta) strip=(--strip-meta); shift ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$target" ] || [ -z "$out" ] || { [ -z "$src" ] && { [ -z "$vigil" ] || [ -z "$model" ] || [ -z "$stream" ]; }; }; then
  echo "usage: build-image.sh --target cortex-m|rv32|host --vigil VIGIL --model M.vgm --stream S.h -o OUT.elf" >&2
  exit 2
fi
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
out=$(abs "$out")
gen="$(dirname "$out")/$(basename "${out%.*}").gen"
mkdir -p "$gen"
if [ -n "$src" ]; then
  app=()
  for f in $src; do app+=("$(abs "$f")"); done
  arena=0
else
  model=$(abs "$model") stream=$(abs "$stream")
  "$vigil" export -m "$model" --c-header "$gen/vg_app_model.h" --name vg_app_model ${strip[@]+"${strip[@]}"}
  cp "$stream" "$gen/vg_app_stream.h"
  arena=$("$vigil" info -m "$model" --json | sed -n 's/.*"arena":\([0-9]*\).*/\1/p')
  [ -n "$arena" ] || { echo "build-image.sh: no arena size from vigil info" >&2; exit 1; }
  app=("$here/app/vg_replay.c" "$here/app/vg_fmt.c" "$root"/core/src/*.c)
fi

# -std=c99 keeps -ffp-contract=off (no fused multiply-add), as the host build: the same
# operations in the same order, so only the math library can make scores differ.
common=(-std=c99 -ffp-contract=off "$opt" -g -Wall -Wextra -Werror -ffunction-sections -fdata-sections
        -I"$root/core/include" -I"$here/app" -I"$gen"
        -DVG_APP_ARENA_BYTES="$arena" -DVG_APP_PRINT="$print" -DVG_APP_BENCH="$bench" ${defines[@]+"${defines[@]}"})
case $target in
  cortex-m)
    cpu=(-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
    arm-none-eabi-gcc "${cpu[@]}" "${common[@]}" -fno-math-errno -fno-tree-loop-distribute-patterns \
      "${app[@]}" "$here/ports/cortex-m/startup.c" "$here/ports/cortex-m/vg_port.c" \
      -nostartfiles --specs=nano.specs -T "$here/ports/cortex-m/link.ld" \
      -Wl,--gc-sections -Wl,--defsym=vg_stack_size="$stack" -Wl,-Map="$gen/image.map" \
      -lm -lc -lgcc -o "$out" ;;
  rv32)
    # Compile for rv32imc with Zicsr (csrw), but link with plain rv32imc: with _zicsr gcc
    # would pick its default (64-bit) libgcc multilib (docs/mcu.md).
    rm -f "$gen"/*.o
    (cd "$gen" && riscv64-unknown-elf-gcc -march=rv32imc_zicsr -mabi=ilp32 --specs=picolibc.specs \
      "${common[@]}" -fno-math-errno -fno-tree-loop-distribute-patterns -c "${app[@]}" \
      "$here/ports/rv32/vg_port.c" "$here/ports/rv32/start.S")
    riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 --specs=picolibc.specs -nostartfiles \
      "$gen"/*.o -T "$here/ports/rv32/link.ld" -Wl,--gc-sections \
      -Wl,--defsym=vg_stack_size="$stack" -Wl,-Map="$gen/image.map" -lm -o "$out" ;;
  host)
    cc "${common[@]}" "${app[@]}" "$here/ports/host/vg_port.c" -lm -o "$out" ;;
  *) echo "build-image.sh: unknown target $target" >&2; exit 2 ;;
esac
