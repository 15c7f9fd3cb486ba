#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/mcu/minimal.sh: the footprint goal of docs/mcu.md. The first source document's model
# (a 1 -> 8 -> 1 autoencoder on the latest temperature reading) in a minimal Cortex-M4F image
# (firmware/build-image.sh --print 0: its model kind alone, no waveform frontend, -Os, the
# artifact without META) must fit 4096 bytes of flash (text + data, the test stream left
# out) and 512 bytes of RAM (.data + .bss + the stack's high-water mark, measured by painting
# the stack). The same configuration built with its console must decide exactly as
# `vigil detect`. vigil info's prediction of the minimal image (artifact, static RAM) is
# checked against the image. The int8 model is measured and reported, not gated.
set -eu
: "${VIGIL:?}" "${VIGIL_SOURCE_DIR:?}" "${VIGIL_BUILD_DIR:?}"
. "$VIGIL_SOURCE_DIR/tests/mcu/lib.sh"
need_tools
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
FLASH_MAX=4096 RAM_MAX=512 TFLM_TEXT=44484
$VIGIL simulate temperature -o normal.csv --minutes 10 --seed 5
$VIGIL simulate temperature -o test.csv --minutes 60 --seed 6 --anomalies spike,stuck,noise,dropout
$VIGIL train -q -i normal.csv -o ae.vgm --kind autoencoder --features last --hidden 8 \
  --window 8 --hop 1 --epochs 30
$VIGIL quantize -q -m ae.vgm -o ae8.vgm --calibrate normal.csv
fails=0
for m in ae ae8; do
  exact=()
  [ $m = ae8 ] && exact=(--exact)
  read -r flash code art stream ram static stack < <(measure_minimal "$VIGIL" "$VIGIL_BUILD_DIR" $m.vgm test.csv $m)
  label="1 -> 8 -> 1 $( [ $m = ae ] && echo float || echo int8 )"
  ratio=$(awk -v a=$flash -v b=$TFLM_TEXT 'BEGIN { printf "%.3f", a / b }')
  echo "$label: flash $flash B (code $code + artifact $art), $ratio of TFLM's minimal program ($TFLM_TEXT B); RAM $ram B (static $static + stack $stack)"
  # vigil info's prediction of the same image
  json=$($VIGIL info -m $m.vgm --json)
  p_art=$(echo "$json" | sed -n 's/.*"min_artifact":\([0-9]*\).*/\1/p')
  p_ram=$(echo "$json" | sed -n 's/.*"min_ram":\([0-9]*\).*/\1/p')
  if [ "$p_art" = "$art" ] && [ "$p_ram" = "$static" ]; then
    echo "ok - $label: vigil info predicts artifact $p_art B and static RAM $p_ram B, as the image has; the image adds code $code B and stack $stack B"
  else
    echo "FAIL - $label: vigil info predicts artifact $p_art B, static RAM $p_ram B; the image has $art B, $static B"
    fails=$((fails + 1))
  fi
  # the same switches with the console: decisions as vigil detect's
  $VIGIL detect -m $m.vgm -i test.csv -o $m.detect.csv ${exact[@]+"${exact[@]}"}
  # shellcheck disable=SC2046
  "$VIGIL_SOURCE_DIR/firmware/build-image.sh" --target cortex-m --vigil "$VIGIL" --model $m.vgm \
    --stream $m-all.h -o $m-print.elf --opt -Os --strip-meta $(min_defines $m.vgm "$VIGIL")
  rc=0; run_arm $m-print.elf $m-print.out || rc=$?
  thr=$($VIGIL info -m $m.vgm --json | sed -n 's/.*"threshold":\([^,]*\),.*/\1/p')
  if [ $rc != 0 ] || ! /usr/bin/python3 "$VIGIL_SOURCE_DIR/tests/mcu/compare.py" --detect $m.detect.csv \
      --image $m-print.out --threshold "$thr" --label "$label, minimal configuration" ${exact[@]+"${exact[@]}"}; then
    echo "FAIL - $label: the minimal configuration (exit $rc) does not decide as vigil detect"
    fails=$((fails + 1))
  fi
  if [ $m = ae ]; then
    if [ "$flash" -le $FLASH_MAX ] && [ "$ram" -le $RAM_MAX ]; then
      echo "ok - $label: $flash <= $FLASH_MAX B flash and $ram <= $RAM_MAX B RAM"
    else
      echo "FAIL - $label: $flash B flash (max $FLASH_MAX), $ram B RAM (max $RAM_MAX)"
      fails=$((fails + 1))
    fi
  fi
done
[ $fails = 0 ]
