#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/mcu/replay.sh CASE: a model and a recorded stream compiled into the Cortex-M4F and
# RV32IMC images (firmware/), run under QEMU, and their decisions compared with
# `vigil detect` on the same stream (tests/mcu/compare.py; docs/mcu.md). CASE is
# autoencoder, iforest or zscore (temperature) or pq (power-quality forest, per sample).
set -eu
case_=${1:?usage: replay.sh autoencoder|iforest|zscore|pq}
: "${VIGIL:?}" "${VIGIL_SOURCE_DIR:?}" "${VIGIL_BUILD_DIR:?}"
. "$VIGIL_SOURCE_DIR/tests/mcu/lib.sh"
need_tools
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
case $case_ in
  autoencoder | iforest | zscore)
    $VIGIL simulate temperature -o normal.csv --minutes 10 --seed 5
    $VIGIL simulate temperature -o test.csv --minutes 60 --seed 6 --anomalies spike,stuck,noise,dropout
    $VIGIL train -q -i normal.csv -o model.vgm --kind "$case_" --epochs 30 --trees 20 ;;
  pq)
    # A short stream with many disturbances; a small forest (20 trees of depth 10).
    $VIGIL simulate power -o train.csv --mode stream --minutes 2 --events-per-hour 900 --seed 3
    $VIGIL train -q -i train.csv -o model.vgm --kind forest --trees 20 --depth 10
    $VIGIL simulate power -o test.csv --mode stream --minutes 0.1 --events-per-hour 1800 --seed 4 ;;
  *) echo "replay.sh: unknown case $case_" >&2; exit 2 ;;
esac
$VIGIL detect -m model.vgm -i test.csv -o detect.csv
"$VIGIL_BUILD_DIR/vigil-stream-header" -m model.vgm -i test.csv -o stream.h
thr=$($VIGIL info -m model.vgm --json | sed -n 's/.*"threshold":\([^,]*\),.*/\1/p')
fails=0
for t in host cortex-m rv32; do
  "$VIGIL_SOURCE_DIR/firmware/build-image.sh" --target $t --vigil "$VIGIL" --model model.vgm \
    --stream stream.h -o "$t.elf"
  rc=0
  run_image $t "$PWD/$t.elf" "$t.out" || rc=$?
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
    "${ref[@]}" --threshold "$thr" --label "$case_ on $t" || fails=$((fails + 1))
done
[ $fails = 0 ]
