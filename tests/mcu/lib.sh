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
