#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/mcu/icount.sh: the instruction-count plugin (tools/qemu-icount) on its known answer,
# and the ports' fault path. tests/mcu/icount_loop.c runs a 1000-iteration and a 1-iteration
# counted loop between the bench markers: spans of exactly 2003 and 5 instructions, on
# Cortex-M4 and RV32, every run. tests/mcu/fault.c crashes: QEMU must exit 103, not hang.
set -eu
: "${VIGIL_SOURCE_DIR:?}" "${VIGIL_BUILD_DIR:?}"
. "$VIGIL_SOURCE_DIR/tests/mcu/lib.sh"
need_tools
plugin=$VIGIL_BUILD_DIR/qemu-icount.so
[ -f "$plugin" ] || { echo "FAIL - $plugin not built"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
build="$VIGIL_SOURCE_DIR/firmware/build-image.sh"
fails=0
for t in cortex-m rv32; do
  "$build" --target $t --src "$VIGIL_SOURCE_DIR/tests/mcu/icount_loop.c" -o "$TMP/loop-$t.elf"
  b=$(sym_addr $t "$TMP/loop-$t.elf" vg_bench_begin) e=$(sym_addr $t "$TMP/loop-$t.elf" vg_bench_end)
  for run in 1 2; do
    rm -f "$TMP/count"
    rc=0
    run_image $t "$TMP/loop-$t.elf" "$TMP/out" -plugin "$plugin,begin=$b,end=$e,out=$TMP/count" || rc=$?
    got=$(cat "$TMP/count" 2>/dev/null || echo "no output (exit $rc)")
    case "$got" in
      "icount spans 2 total 2008 min 5 max 2003 first 2003 "*) echo "ok - $t run $run: $got" ;;
      *) echo "FAIL - $t run $run: '$got', want spans 2 total 2008 min 5 max 2003"; fails=$((fails + 1)) ;;
    esac
  done
  "$build" --target $t --src "$VIGIL_SOURCE_DIR/tests/mcu/fault.c" -o "$TMP/fault-$t.elf"
  rc=0
  MCU_TIMEOUT=10 run_image $t "$TMP/fault-$t.elf" "$TMP/out" || rc=$?
  if [ $rc = 103 ]; then echo "ok - $t: a crash exits QEMU with 103"; else
    echo "FAIL - $t: crashing image exited $rc, want 103 (124: it hung)"; fails=$((fails + 1)); fi
done
[ $fails = 0 ]
