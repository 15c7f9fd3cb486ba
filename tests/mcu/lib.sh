# SPDX-License-Identifier: MIT
# Shared by the microcontroller tests and bench/mcu/run.sh (sourced): how the images are
# run under QEMU. A hang is cut by `timeout` (exit 124), a fault exits 100 + its number.
: "${MCU_TIMEOUT:=60}"
# run_arm ELF OUT [QEMU ARGS...]: semihosting output to OUT; returns QEMU's exit status.
run_arm() {
  local elf=$1 out=$2; shift 2
  timeout "$MCU_TIMEOUT" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -chardev file,id=sh0,path="$out" -semihosting-config enable=on,target=native,chardev=sh0 \
    -kernel "$elf" "$@" </dev/null
}
# run_rv32 ELF OUT [QEMU ARGS...]: UART output to OUT.
run_rv32() {
  local elf=$1 out=$2; shift 2
  timeout "$MCU_TIMEOUT" qemu-system-riscv32 -M virt -bios none -cpu rv32,a=off,f=off,d=off \
    -nographic -monitor none -serial file:"$out" -kernel "$elf" "$@" </dev/null
}
# run_image TARGET ELF OUT [QEMU ARGS...]
run_image() {
  local t=$1; shift
  case $t in
    cortex-m) run_arm "$@" ;;
    rv32) run_rv32 "$@" ;;
    host) local elf=$1 out=$2; timeout "$MCU_TIMEOUT" "$elf" >"$out" ;;
  esac
}
# sym_addr TARGET ELF SYMBOL: the symbol's address (hex), for the icount plugin.
sym_addr() {
  local nm=arm-none-eabi-nm
  [ "$1" = rv32 ] && nm=riscv64-unknown-elf-nm
  $nm "$2" | awk -v s="$3" '$3 == s { print "0x" $1 }'
}
# need_tools: fail (not skip) when a cross tool is missing: tools/install-deps.sh installs them.
need_tools() {
  local t
  for t in arm-none-eabi-gcc riscv64-unknown-elf-gcc qemu-system-arm qemu-system-riscv32; do
    command -v $t >/dev/null || { echo "FAIL - $t not found (run tools/install-deps.sh)"; exit 1; }
  done
  [ -f /usr/lib/picolibc/riscv64-unknown-elf/include/stdint.h ] ||
    { echo "FAIL - picolibc-riscv64-unknown-elf not installed (run tools/install-deps.sh)"; exit 1; }
}
# min_defines MODEL.vgm VIGIL: the build-time switches of a minimal image for the model
# (vg_opts.h): its model kind alone, no waveform frontend, no float sigmoid/tanh unless its
# layers need them, no interrupt vectors. Waveform models keep the default configuration.
min_defines() {
  local kind all="ZSCORE AE_F32 IFOREST FOREST AE_S8 TREES_S16" k keep
  kind=$("$2" info -m "$1" --json | sed -n 's/.*"kind":"\([^"]*\)".*/\1/p')
  case $kind in
    zscore) keep=ZSCORE ;; autoencoder) keep=AE_F32 ;; iforest) keep=IFOREST ;;
    forest) keep=FOREST ;; autoencoder-int8) keep=AE_S8 ;;
    iforest-int16 | forest-int16) keep=TREES_S16 ;; *) keep="" ;;
  esac
  if "$2" info -m "$1" | grep -q '^waveform:'; then echo ""; return; fi
  local out="--define VG_ENABLE_WAVEFORM=0 --define VG_PORT_N_IRQ=0"
  for k in $all; do [ "$k" = "$keep" ] || out="$out --define VG_ENABLE_$k=0"; done
  if [ "$keep" != AE_F32 ] || ! "$2" info -m "$1" | grep -Eq '^network:.*(sigmoid|tanh)'; then
    out="$out --define VG_ENABLE_F32_SIGMOID_TANH=0"
  fi
  echo "$out"
}
# measure_minimal VIGIL BUILD_DIR MODEL.vgm STREAM.csv PREFIX: builds PREFIX-min.elf (no
# console, -Os, the artifact without META, min_defines, a 64-row stream) and PREFIX-stack.elf
# (the same with the full stream and one 'end' line whose stack high-water mark is taken
# before any output code runs), runs both, and prints
#   flash code artifact stream ram static stack
# flash = text + data - the test stream; code = flash - artifact; ram = .data + .bss + stack.
measure_minimal() {
  local vigil=$1 bdir=$2 model=$3 csv=$4 p=$5 defs img rc
  img="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/firmware/build-image.sh"
  defs=$(min_defines "$model" "$vigil")
  "$bdir/vigil-stream-header" -m "$model" -i "$csv" -o "$p-64.h" --rows 64
  "$bdir/vigil-stream-header" -m "$model" -i "$csv" -o "$p-all.h"
  # shellcheck disable=SC2086
  "$img" --target cortex-m --vigil "$vigil" --model "$model" --stream "$p-64.h" -o "$p-min.elf" \
    --print 0 --opt -Os --strip-meta $defs >&2
  # shellcheck disable=SC2086
  "$img" --target cortex-m --vigil "$vigil" --model "$model" --stream "$p-all.h" -o "$p-stack.elf" \
    --print 2 --opt -Os --strip-meta $defs >&2
  rc=0; run_arm "$p-min.elf" /dev/null || rc=$?
  [ $rc = 0 ] || { echo "minimal image of $model exited $rc" >&2; return 1; }
  rc=0; run_arm "$p-stack.elf" "$p-stack.out" || rc=$?
  [ $rc = 0 ] || { echo "stack image of $model exited $rc" >&2; return 1; }
  local text data bss stream art stack
  read -r text data < <(arm-none-eabi-size "$p-min.elf" | awk 'NR == 2 { print $1, $2 }')
  # .bss alone: the reserved stack is a NOLOAD section that size(1) counts as bss too
  bss=$(arm-none-eabi-size -A "$p-min.elf" | awk '$1 == ".bss" { print $2 }')
  stream=$(printf '%d' "0x$(arm-none-eabi-nm -S "$p-min.elf" | awk '$4 == "vg_app_stream" { print $2 }')")
  art=$(printf '%d' "0x$(arm-none-eabi-nm -S "$p-min.elf" | awk '$4 == "vg_app_model" { print $2 }')")
  stack=$(awk '$1 == "end" { print $4 }' "$p-stack.out")
  local flash=$((text + data - stream))
  echo "$flash $((flash - art)) $art $stream $((data + bss + stack)) $((data + bss)) $stack"
}
