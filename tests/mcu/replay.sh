#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/mcu/replay.sh CASE: a model and a recorded stream compiled into the Cortex-M4F and
# RV32IMC images (firmware/), run under QEMU, and their decisions compared with
# `vigil detect` on the same stream (tests/mcu/compare.py; docs/mcu.md). CASE is
# autoencoder, iforest or zscore (temperature), pq (power-quality forest, per sample),
# ae_s8 (the temperature autoencoder quantized by `vigil quantize`) or ae_s8_net (the
# 1 -> 16 -> 16 -> 1 network of TFLM's hello_world, quantized), iforest_s16 or pq_s16 (the
# iforest and pq models quantized to int16 thresholds by `vigil quantize`).
#
# int8 cases are held to bit-exactness: every window's raw and unit score must have the bits
# `vigil detect --exact` prints, on the Cortex-M4F image (whose int8 dense kernel must be the
# SMLAD path: checked in its disassembly), on a second Cortex-M4F image built with
# VG_DISABLE_SPECIALIZATION=1 (the portable C kernel; no SMLAD), and on RV32IMC.
set -eu
case_=${1:?usage: replay.sh autoencoder|iforest|zscore|pq|ae_s8|ae_s8_net|iforest_s16|pq_s16}
: "${VIGIL:?}" "${VIGIL_SOURCE_DIR:?}" "${VIGIL_BUILD_DIR:?}"
. "$VIGIL_SOURCE_DIR/tests/mcu/lib.sh"
need_tools
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
exact=()
targets="host cortex-m rv32"
temperature_data() {
  $VIGIL simulate temperature -o normal.csv --minutes 10 --seed 5
  $VIGIL simulate temperature -o test.csv --minutes 60 --seed 6 --anomalies spike,stuck,noise,dropout
}
case $case_ in
  autoencoder | iforest | zscore)
    temperature_data
    $VIGIL train -q -i normal.csv -o model.vgm --kind "$case_" --epochs 30 --trees 20 ;;
  pq)
    # A short stream with many disturbances; a small forest (20 trees of depth 10).
    $VIGIL simulate power -o train.csv --mode stream --minutes 2 --events-per-hour 900 --seed 3
    $VIGIL train -q -i train.csv -o model.vgm --kind forest --trees 20 --depth 10
    $VIGIL simulate power -o test.csv --mode stream --minutes 0.1 --events-per-hour 1800 --seed 4 ;;
  iforest_s16)
    temperature_data
    $VIGIL train -q -i normal.csv -o float.vgm --kind iforest --trees 20
    $VIGIL quantize -q -m float.vgm -o model.vgm --calibrate normal.csv ;;
  pq_s16)
    $VIGIL simulate power -o train.csv --mode stream --minutes 2 --events-per-hour 900 --seed 3
    $VIGIL train -q -i train.csv -o float.vgm --kind forest --trees 20 --depth 10
    $VIGIL quantize -q -m float.vgm -o model.vgm --calibrate train.csv
    $VIGIL simulate power -o test.csv --mode stream --minutes 0.1 --events-per-hour 1800 --seed 4 ;;
  ae_s8 | ae_s8_net)
    temperature_data
    if [ $case_ = ae_s8 ]; then
      $VIGIL train -q -i normal.csv -o float.vgm --kind autoencoder --epochs 30
    else
      $VIGIL train -q -i normal.csv -o float.vgm --kind autoencoder --features last \
        --hidden 16,16 --window 8 --hop 1 --epochs 30
    fi
    $VIGIL quantize -q -m float.vgm -o model.vgm --calibrate normal.csv
    exact=(--exact)
    targets="host cortex-m cortex-m-portable rv32" ;;
  *) echo "replay.sh: unknown case $case_" >&2; exit 2 ;;
esac
$VIGIL detect -m model.vgm -i test.csv -o detect.csv ${exact[@]+"${exact[@]}"}
"$VIGIL_BUILD_DIR/vigil-stream-header" -m model.vgm -i test.csv -o stream.h
thr=$($VIGIL info -m model.vgm --json | sed -n 's/.*"threshold":\([^,]*\),.*/\1/p')
fails=0
# Stream forests carry the impulse rule (DECI's strict class), which the images apply too.
case $case_ in
  pq | pq_s16)
    if $VIGIL info -m model.vgm | grep -q "^strict class: a window voted class 5"; then
      echo "ok - $case_: the model holds the impulse rule the images must apply"
    else
      echo "FAIL - $case_: no impulse rule in the model"; fails=$((fails + 1))
    fi ;;
esac
# smlad_count ELF: SMLAD instructions in the image's vg_dense_s8().
smlad_count() {
  arm-none-eabi-objdump -d --no-show-raw-insn "$1" |
    awk '/^[0-9a-f]+ <vg_dense_s8>:/ { f = 1; next } /^$/ { f = 0 } f && $2 == "smlad" { n++ } END { print n + 0 }'
}
for t in $targets; do
  arch=$t defs=()
  if [ $t = cortex-m-portable ]; then arch=cortex-m defs=(--define VG_DISABLE_SPECIALIZATION=1); fi
  "$VIGIL_SOURCE_DIR/firmware/build-image.sh" --target $arch --vigil "$VIGIL" --model model.vgm \
    --stream stream.h -o "$t.elf" ${defs[@]+"${defs[@]}"}
  if [ ${#exact[@]} -gt 0 ] && [ $arch = cortex-m ]; then
    n=$(smlad_count "$t.elf")
    if [ $t = cortex-m ] && [ "$n" -gt 0 ]; then
      echo "ok - $case_ on $t: vg_dense_s8 is the DSP path ($n smlad instructions in its disassembly)"
    elif [ $t = cortex-m-portable ] && [ "$n" = 0 ]; then
      echo "ok - $case_ on $t: vg_dense_s8 is the portable C path (no smlad in its disassembly)"
    else
      echo "FAIL - $case_ on $t: $n smlad instructions in vg_dense_s8"; fails=$((fails + 1))
    fi
  fi
  rc=0
  run_image $arch "$PWD/$t.elf" "$t.out" || rc=$?
  if [ $rc != 0 ]; then
    case $rc in
      124) why="hung (killed after ${MCU_TIMEOUT} s)" ;;
      10[0-9] | 11[0-9] | 12[0-3]) why="CPU fault $((rc - 100)) (docs/mcu.md)" ;;
      *) why="exit status $rc" ;;
    esac
    echo "FAIL - $case_ on $t: $why"; tail -3 "$t.out" 2>/dev/null || true
    fails=$((fails + 1)); continue
  fi
  ref=()
  [ $t != host ] && [ -s host.out ] && ref=(--ref host.out)
  /usr/bin/python3 "$VIGIL_SOURCE_DIR/tests/mcu/compare.py" --detect detect.csv --image "$t.out" \
    ${ref[@]+"${ref[@]}"} --threshold "$thr" --label "$case_ on $t" ${exact[@]+"${exact[@]}"} ||
    fails=$((fails + 1))
done
[ $fails = 0 ]
