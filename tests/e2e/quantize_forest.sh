#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vigil quantize on tree ensembles, end to end and fast: an isolation forest on the temperature
# exercise and a small power-quality random forest become int16 forests (MODL kinds 6 and 7);
# the float/int16 agreement must meet the bar (99.9 %), and the int16 models run in `vigil
# detect`, `vigil info` and an exported C header built with the core alone (reproducing
# detect); bad inputs get their errors.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
BAR=99.9

# --- Isolation forest, temperature ---------------------------------------------------------
$VIGIL simulate temperature -o normal.csv --minutes 10 --rate 2 --seed 101
$VIGIL simulate temperature -o day.csv --minutes 360 --rate 2 --seed 202 --anomalies all --events 4
$VIGIL train -q -i normal.csv -o if.vgm --kind iforest --seed 7 --trees 50
$VIGIL quantize -m if.vgm -o if16.vgm --calibrate normal.csv --eval day.csv | tee report.txt
atleast "iforest flag agreement" "$(sed -n 's/^agreement: \([0-9.]*\) %.*/\1/p' report.txt)" $BAR
atleast "iforest tree decisions on day.csv" "$(sed -n 's/^tree decisions: \([0-9.]*\) %.* on day.csv$/\1/p' report.txt)" $BAR
if grep -q '^F1 (point-wise) on day.csv: float [0-9.]*, int16 [0-9.]*, change [-+][0-9.]*$' report.txt; then
  ok "F1 change reported"; else bad "no F1 line"; fi
if grep -q '^size: float [0-9]* bytes, int16 [0-9]* bytes.*nodes of 8 -> 6 bytes' report.txt; then ok "sizes reported"; else bad "no size line"; fi
if $VIGIL info -m if16.vgm | grep -q '^kind: *iforest-int16$'; then ok "info shows iforest-int16"; else bad "info"; fi
if $VIGIL info -m if16.vgm --json | grep -q '"dtype":"int16"'; then ok "info --json dtype"; else bad "info --json"; fi
$VIGIL detect -m if16.vgm -i day.csv -o d16.csv
$VIGIL detect -m if.vgm -i day.csv -o d.csv
if [ "$(wc -l < d16.csv)" = "$(wc -l < d.csv)" ] && awk -F, 'NR > 1 && $3 == 1 { f = 1 } END { exit !f }' d16.csv; then
  ok "detect runs the int16 isolation forest and flags anomalies"
else
  bad "detect with the int16 isolation forest"
fi
$VIGIL export -m if16.vgm --c-header model_data.h --name temp_model
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. \
   "$VIGIL_SOURCE_DIR/tests/e2e/export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check
head -6000 day.csv > part.csv
./check < part.csv > from_header.csv
$VIGIL detect -m if16.vgm -i part.csv | cut -d, -f2,3 > from_vigil.csv
if cmp -s from_header.csv from_vigil.csv; then ok "exported int16 header reproduces detect"; else bad "header build differs"; fi
# A core built with the int16 kinds only (the float forests and networks compiled out).
cc -std=c99 -Wall -Wextra -Werror -O2 -DVG_ENABLE_ZSCORE=0 -DVG_ENABLE_AE_F32=0 \
   -DVG_ENABLE_F32_SIGMOID_TANH=0 -DVG_ENABLE_IFOREST=0 -DVG_ENABLE_FOREST=0 -DVG_ENABLE_AE_S8=0 \
   -I"$VIGIL_SOURCE_DIR/core/include" -I. \
   "$VIGIL_SOURCE_DIR/tests/e2e/export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check16
./check16 < part.csv > from_header16.csv
if cmp -s from_header16.csv from_vigil.csv; then ok "a build with VG_ENABLE_TREES_S16 alone runs it"; else bad "int16-only build differs"; fi

# --- Power quality random forest (snippets) --------------------------------------------------
$VIGIL simulate power --mode snippets --per-class 10 --snr 30 --seed 1 -o ptrain.csv
$VIGIL simulate power --mode snippets --per-class 10 --snr 30 --seed 101 -o ptest.csv
$VIGIL train -q -i ptrain.csv -o pq.vgm --kind forest --seed 1 --trees 30
$VIGIL quantize -m pq.vgm -o pq16.vgm --calibrate ptrain.csv --eval ptest.csv | tee preport.txt
atleast "forest class agreement" "$(sed -n 's/^agreement: \([0-9.]*\) %.*/\1/p' preport.txt)" $BAR
atleast "forest tree decisions on ptest.csv" "$(sed -n 's/^tree decisions: \([0-9.]*\) %.* on ptest.csv$/\1/p' preport.txt)" $BAR
if grep -q '^class accuracy on ptest.csv: float [0-9.]*, int16 [0-9.]*, change [-+][0-9.]*$' preport.txt; then
  ok "class accuracy change reported"; else bad "no accuracy line"; fi
if grep -q '^size: .*nodes of 12 -> 8 bytes' preport.txt; then ok "8-byte nodes"; else bad "node size line"; fi
# A binary forest (--binary: 0 normal, 1 disturbed) reports its flags and its normal-vs-
# disturbed accuracy, the one eval gives, not a class accuracy against the 29 classes (which
# read 0.0000 until 2026-12-07).
$VIGIL train -q -i ptrain.csv -o pqb.vgm --kind forest --seed 1 --trees 30 --binary
$VIGIL quantize -m pqb.vgm -o pqb16.vgm --calibrate ptrain.csv --eval ptest.csv > bquant.txt
bin_eval=$(printf '%.4f' "$($VIGIL eval -m pqb.vgm -i ptest.csv --json | $PY -c 'import json, sys; print(json.load(sys.stdin)["binary_accuracy"])')")
if grep -q "^agreement: .* segments on ptest.csv have the same anomaly flag" bquant.txt &&
   grep -q "^normal vs disturbed accuracy on ptest.csv: float $bin_eval, int16 [0-9.]*$" bquant.txt &&
   ! grep -q "^class accuracy" bquant.txt; then
  ok "binary forest: flag agreement and eval's normal vs disturbed ($bin_eval)"
else
  bad "binary forest report: $(grep -E '^(agreement|normal|class)' bquant.txt) (eval $bin_eval)"
fi
if $VIGIL info -m pq16.vgm | grep -q '^kind: *forest-int16$'; then ok "info shows forest-int16"; else bad "info pq"; fi
$VIGIL detect -m pq16.vgm -i ptest.csv -o p16.out
$VIGIL detect -m pq.vgm -i ptest.csv -o p.out
if [ "$(head -1 p16.out)" = "segment,score,anomaly,class" ] && cmp -s <(cut -d, -f1,3,4 p16.out) <(cut -d, -f1,3,4 p.out); then
  ok "detect: the int16 forest gives the float forest's classes on every segment"
else
  bad "detect classes differ: $(diff <(cut -d, -f1,3,4 p16.out) <(cut -d, -f1,3,4 p.out) | head -3)"
fi
head -n $((1 + 12 * 1280)) ptest.csv > few.csv
$VIGIL export -m pq16.vgm --c-header model_data.h --name pq_model
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. \
  "$VIGIL_SOURCE_DIR/tests/e2e/pq_export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o pcheck
./pcheck < few.csv > pfrom_header.csv
$VIGIL detect -m pq16.vgm -i few.csv | cut -d, -f1,4 > pfrom_vigil.csv
if cmp -s pfrom_header.csv pfrom_vigil.csv; then ok "pq int16 header matches vigil detect"; else bad "pq header and detect differ"; fi
$VIGIL eval -m pq16.vgm -i ptest.csv | head -3

# --- Bad inputs ------------------------------------------------------------------------------
sed '1s/value/temp/' normal.csv > cols.csv
expect 1 "column 'value' is missing" -- $VIGIL quantize -m if.vgm -o x.vgm --calibrate cols.csv
awk -F, 'NR == 40 { print $1 ",nan," $3 "," $4; next } { print }' normal.csv > nan.csv
expect 1 "nan.csv:40: column 'value': 'nan' is a missing value" -- $VIGIL quantize -m if.vgm -o x.vgm --calibrate nan.csv
cut -d, -f1,2 ptrain.csv > pcols.csv
expect 1 "is missing" -- $VIGIL quantize -m pq.vgm -o x.vgm --calibrate pcols.csv
awk -F, 'BEGIN { OFS = "," } NR == 500 { $3 = "NaN" } { print }' ptrain.csv > pnan.csv
expect 1 "pnan.csv:500: column" -- $VIGIL quantize -m pq.vgm -o x.vgm --calibrate pnan.csv
head -30 normal.csv > short.csv
expect 1 "short.csv: no complete window" -- $VIGIL quantize -m if.vgm -o x.vgm --calibrate short.csv
expect 1 "it is already quantized" -- $VIGIL quantize -m if16.vgm -o x.vgm --calibrate normal.csv
expect 1 "it is already quantized" -- $VIGIL quantize -m pq16.vgm -o x.vgm --calibrate ptrain.csv
expect 2 "--margin" -- $VIGIL quantize -m if.vgm -o x.vgm --calibrate normal.csv --margin -1
cut -d, -f1,2 normal.csv > nolabel.csv
expect 1 "nolabel.csv: --eval needs a 'label' column" -- $VIGIL quantize -m if.vgm -o x.vgm --calibrate normal.csv --eval nolabel.csv
size=$(stat -c %s pq16.vgm)
cp pq16.vgm flip16.vgm
printf '\x55' | dd of=flip16.vgm bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect 1 "flip16.vgm: checksum mismatch" -- $VIGIL info -m flip16.vgm
finish
