#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/esp-idf/cross_rv32.sh SRC [OUT]: the sources of the ESP-IDF `vigil` component
# (core/src/*.c, firmware/app/*.c but vg_replay.c, and the port's vge_util.c) compiled for the
# ESP32-C3's instruction set, RV32IMC, with -Wall -Wextra -Werror, as its CMakeLists.txt lists
# them. Checks that they link together (no duplicate or missing definitions among them) and
# that they call nothing but the C library's string and number functions, libm and libgcc's
# soft float. The ESP-IDF glue (main/) is not built here: docs/esp-idf.md says why.
set -eu
src=${1:?usage: cross_rv32.sh SRC [OUT]} out=${2:-$(mktemp -d)}
command -v riscv64-unknown-elf-gcc >/dev/null ||
  { echo "FAIL - riscv64-unknown-elf-gcc not found (run tools/install-deps.sh)"; exit 1; }
mkdir -p "$out"
comp="$src/firmware/ports/esp-idf/components/vigil"
files=()
for f in "$src"/core/src/*.c "$src"/firmware/app/*.c "$comp"/vge_util.c; do
  [ "$(basename "$f")" = vg_replay.c ] || files+=("$f")
done
# The component's list, read from its CMakeLists.txt, must be this one.
grep -q 'list(REMOVE_ITEM VIGIL_APP_SRCS "${VIGIL_ROOT}/firmware/app/vg_replay.c")' "$comp/CMakeLists.txt" ||
  { echo "FAIL - components/vigil/CMakeLists.txt no longer leaves out vg_replay.c"; exit 1; }
objs=()
for f in "${files[@]}"; do
  o="$out/$(basename "${f%.c}").o"
  riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 --specs=picolibc.specs -std=c99 -Os \
    -ffp-contract=off -ffunction-sections -fdata-sections -Wall -Wextra -Werror \
    -I"$src/core/include" -I"$src/firmware/app" -I"$comp" -c "$f" -o "$o"
  objs+=("$o")
done
# one relocatable object: a symbol defined twice fails here
riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -nostdlib -r "${objs[@]}" -o "$out/vigil-component.o"
echo "== vigil component for RV32IMC (ESP32-C3): object sizes (bytes) =="
riscv64-unknown-elf-size -t "${objs[@]}" | sed "s|$out/||"
allowed='^(memcpy|memmove|memset|memcmp|strlen|strcmp|strncmp|strchr|strtof|strtod|sqrtf|sqrt|expf|exp2f|logf|log|log10|tanhf|fabsf|fabs|floorf|floor|ceilf|powf|pow|sinf|cosf|fmax|fmaxf|fmin|fminf|nextafterf|__(add|sub|mul|div|udiv|mod|umod|neg|lt|gt|le|ge|eq|ne|unord|fix|fixuns|float|floatun|extend|trunc|cmp|ucmp|ashl|ashr|lshr|clz|ctz|popcount|bswap)[a-z0-9]*)$'
bad=$(riscv64-unknown-elf-nm -u "$out/vigil-component.o" | awk '{ print $2 }' | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "FAIL - the component calls outside the C library's string/number functions, libm and libgcc:"
  echo "$bad"
  exit 1
fi
echo "ok - ${#files[@]} sources compile warning-free for RV32IMC and link as one object"
