#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cross-compiles core/ for Cortex-M4F and Cortex-M0 with -Werror, prints a size report, and
# checks that the core calls nothing but libm and the compiler's runtime (no malloc, no stdio).
set -eu
src=$1 out=${2:-/tmp/vigil-cross}
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"; exit 1; }
mkdir -p "$out"
allowed='^(memcpy|memset|__gnu_thumb1_[a-z0-9_]+|sqrtf|expf|exp2f|logf|tanhf|fabsf|sinf|cosf|__aeabi_[a-z0-9]+|__(add|sub|mul|div|lt|gt|le|ge|eq|ne|unord|fix|fixuns|float|floatun|extend|trunc)[a-z0-9]*)$'
status=0
for cpu in cortex-m4 cortex-m0; do
  case $cpu in
    cortex-m4) flags="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard" ;;
    cortex-m0) flags="-mcpu=cortex-m0 -mthumb -mfloat-abi=soft" ;;
  esac
  objs=()
  for f in "$src"/core/src/*.c; do
    o="$out/$cpu-$(basename "${f%.c}").o"
    arm-none-eabi-gcc $flags -std=c99 -Os -ffunction-sections -fdata-sections \
      -Wall -Wextra -Wconversion -Wshadow -Wdouble-promotion -Werror -pedantic \
      -I"$src/core/include" -c "$f" -o "$o"
    objs+=("$o")
  done
  echo "== $cpu: core object sizes (bytes) =="
  arm-none-eabi-size -t "${objs[@]}" | sed "s|$out/$cpu-||"
  defined=$(arm-none-eabi-nm --defined-only "${objs[@]}" | awk 'NF == 3 { print $3 }' | sort -u)
  bad=$(arm-none-eabi-nm -u "${objs[@]}" | awk 'NF == 2 { print $2 }' | sort -u | grep -Fvx -f <(echo "$defined") | grep -Ev "$allowed" || true)
  if [ -n "$bad" ]; then
    echo "core/ for $cpu references symbols outside libm and the compiler runtime:"; echo "$bad"; status=1
  fi
  data=$(arm-none-eabi-size -t "${objs[@]}" | awk 'END { print $2 + $3 }')
  if [ "$data" != 0 ]; then
    echo "core/ for $cpu has $data bytes of .data/.bss: the core keeps no globals"; status=1
  fi
done
[ $status = 0 ] && echo "core cross-compiles warning-free for Cortex-M4F and M0, no globals, no libc calls"
exit $status
