#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vigil quantize end to end: a small autoencoder trained on the exercise's normal data is
# quantized to int8; the float/int8 agreement on a labelled day must meet the bar (99.9 % of
# windows with the same anomaly flag); the int8 model runs in `vigil detect`, `vigil info` and
# an exported C header built with the core alone; bad inputs get their errors.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
BAR=99.9
$VIGIL simulate temperature -o normal.csv --minutes 10 --rate 2 --seed 101
$VIGIL simulate temperature -o day.csv --minutes 1440 --rate 2 --seed 202 --anomalies all --events 6
$VIGIL train -q -i normal.csv -o ae.vgm --kind autoencoder --seed 7
$VIGIL quantize -m ae.vgm -o ae8.vgm --calibrate normal.csv --eval day.csv | tee report.txt
agree=$(sed -n 's/^agreement: \([0-9.]*\) %.*/\1/p' report.txt)
if [ -n "$agree" ] && awk -v a="$agree" -v b="$BAR" 'BEGIN { exit !(a >= b) }'; then
  ok "agreement $agree % >= $BAR %"
else
  bad "agreement '$agree' below $BAR %"
fi
if grep -q '^F1 (point-wise) on day.csv: float [0-9.]*, int8 [0-9.]*, change [-+][0-9.]*$' report.txt; then
  ok "F1 change reported"; else bad "no F1 line"; fi
if grep -q '^size: float [0-9]* bytes, int8 [0-9]* bytes' report.txt; then ok "sizes reported"; else bad "no size line"; fi

# The int8 model in the other commands.
if $VIGIL info -m ae8.vgm | grep -q '^kind: *autoencoder-int8'; then ok "info shows the int8 kind"; else bad "info"; fi
if $VIGIL info -m ae8.vgm --json | grep -q '"dtype":"int8"'; then ok "info --json dtype"; else bad "info --json"; fi
$VIGIL detect -m ae8.vgm -i day.csv -o d8.csv
$VIGIL detect -m ae.vgm -i day.csv -o d.csv
if [ "$(wc -l < d8.csv)" = "$(wc -l < d.csv)" ] && awk -F, 'NR > 1 && $3 == 1 { f = 1 } END { exit !f }' d8.csv; then
  ok "detect runs the int8 model and flags anomalies"
else
  bad "detect with the int8 model"
fi
$VIGIL eval -m ae8.vgm -i day.csv | head -3
$VIGIL export -m ae8.vgm --c-header model_data.h --name temp_model
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. \
   "$VIGIL_SOURCE_DIR/tests/e2e/export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check
head -20000 day.csv > part.csv
./check < part.csv > from_header.csv
$VIGIL detect -m ae8.vgm -i part.csv | cut -d, -f2,3 > from_vigil.csv
if cmp -s from_header.csv from_vigil.csv; then ok "exported int8 header reproduces detect"; else bad "header build differs"; fi
# Without --eval, agreement is measured on the calibration data.
if $VIGIL quantize -m ae.vgm -o ae8b.vgm --calibrate normal.csv | grep -q "^agreement: .* on normal.csv"; then
  ok "agreement on the calibration data without --eval"; else bad "quantize without --eval"; fi
if $VIGIL train -q -i normal.csv -o tanh.vgm --kind autoencoder --seed 3 --epochs 30 --activation tanh &&
   $VIGIL quantize -q -m tanh.vgm -o tanh8.vgm --calibrate normal.csv &&
   $VIGIL info -m tanh8.vgm | grep -q "tanh (table)"; then ok "tanh layers become tables"; else bad "tanh"; fi

# Bad inputs.
size=$(stat -c %s ae8.vgm)
cp ae8.vgm flip8.vgm
printf '\x55' | dd of=flip8.vgm bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect 1 "flip8.vgm: checksum mismatch" -- $VIGIL detect -m flip8.vgm -i day.csv
head -c $((size - 9)) ae8.vgm > trunc8.vgm
expect 1 "trunc8.vgm: truncated model" -- $VIGIL info -m trunc8.vgm
awk -F, 'NR == 50 { print $1 ",nan," $3 "," $4; next } { print }' normal.csv > nan.csv
expect 1 "nan.csv:50: column 'value': 'nan' is a missing value" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate nan.csv
awk -F, 'NR == 7 { print $1 ",," $3 "," $4; next } { print }' normal.csv > empty.csv
expect 1 "empty.csv:7: column 'value': '' is a missing value" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate empty.csv
sed '1s/value/temp/' normal.csv > cols.csv
expect 1 "column 'value' is missing" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate cols.csv
printf 'timestamp,value\n0,20\n0.5,abc\n' > text.csv
expect 1 "text.csv:3: column 'value': 'abc' is not a number" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate text.csv
head -30 normal.csv > short.csv
expect 1 "short.csv: no complete unlabelled window" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate short.csv
$VIGIL train -q -i normal.csv -o z.vgm --kind zscore
expect 1 "cannot quantize a zscore model" -- $VIGIL quantize -m z.vgm -o x.vgm --calibrate normal.csv
expect 1 "it is already quantized" -- $VIGIL quantize -m ae8.vgm -o x.vgm --calibrate normal.csv
cut -d, -f1,2 normal.csv > nolabel.csv
expect 1 "nolabel.csv: --eval needs a 'label' column" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate normal.csv --eval nolabel.csv
expect 2 "missing --calibrate" -- $VIGIL quantize -m ae.vgm -o x.vgm
expect 2 "--boundary" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate normal.csv --boundary 0.5
expect 2 "standard input" -- $VIGIL quantize -m ae.vgm -o x.vgm --calibrate -
expect 3 "cannot write" -- $VIGIL quantize -m ae.vgm -o /nonexistent/dir/x.vgm --calibrate normal.csv
if $VIGIL quantize --help | grep -q "Usage: vigil quantize"; then ok "quantize --help"; else bad "--help"; fi
finish
