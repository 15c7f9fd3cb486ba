#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every kind of bad input gets a clear error naming the file, line and field, or a
# documented policy (NaN samples), never a crash.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
$VIGIL simulate temperature -o normal.csv --minutes 10 --seed 3
$VIGIL train -q -i normal.csv -o m.vgm --kind zscore --window 20 --hop 5

printf 'timestamp,temp,label\n0,1,0\n' > nocol.csv
expect 1 "column 'value' is missing" -- $VIGIL detect -m m.vgm -i nocol.csv
printf 'timestamp,value\n0,20\n0.5,20.1\n1.0,abc\n' > nonnum.csv
expect 1 "nonnum.csv:4: column 'value': 'abc' is not a number" -- $VIGIL detect -m m.vgm -i nonnum.csv
expect 1 "nonnum.csv:4: column 'value'" -- $VIGIL train -i nonnum.csv -o x.vgm --kind zscore
: > empty.csv
expect 1 "empty.csv: empty file" -- $VIGIL detect -m m.vgm -i empty.csv
expect 1 "empty.csv: empty file" -- $VIGIL train -i empty.csv -o x.vgm --kind zscore
printf 'timestamp,value\n' > header.csv
expect 1 "no data rows" -- $VIGIL train -i header.csv -o x.vgm --kind zscore
printf 'timestamp,value\n0,20\n0.5,20\n0.25,20\n' > back.csv
expect 1 "back.csv:4: column 'timestamp': time goes backwards" -- $VIGIL detect -m m.vgm -i back.csv
expect 1 "back.csv:4: column 'timestamp': time goes backwards" -- $VIGIL train -i back.csv -o x.vgm --kind zscore
printf 'timestamp,value,label\n0,20,0\n0.5,20,2\n' > lab.csv
expect 1 "lab.csv:3: column 'label': '2' is not 0 or 1" -- $VIGIL train -i lab.csv -o x.vgm --kind zscore
printf 'timestamp,value\n0,20\n0.5\n' > ragged.csv
expect 1 "ragged.csv:3" -- $VIGIL detect -m m.vgm -i ragged.csv

# NaN, empty and infinite samples: the documented dropout policy, never a crash or NaN score.
head -200 normal.csv > gaps.csv
awk -F, 'NR == 1 || NR < 60 || NR > 140 { print; next } { print $1 "," (NR % 3 ? "nan" : (NR % 2 ? "" : "inf")) "," $3 "," $4 }' normal.csv | head -400 > gaps.csv
if $VIGIL detect -m m.vgm -i gaps.csv -o gaps.out; then
  if grep -qi "nan" gaps.out; then bad "NaN leaked into detect output"; else ok "NaN/inf samples streamed without NaN output"; fi
  if awk -F, 'NR > 1 && $3 == 1 { f = 1 } END { exit !f }' gaps.out; then ok "a run of missing samples raises the dropout alarm"; else bad "dropout not flagged"; fi
else
  bad "detect failed on NaN samples"
fi

# Model files: truncated, bit-flipped, not a model, another feature set, another rate.
size=$(stat -c %s m.vgm)
head -c $((size - 7)) m.vgm > trunc.vgm
expect 1 "trunc.vgm: truncated model" -- $VIGIL detect -m trunc.vgm -i normal.csv
cp m.vgm flip.vgm
printf '\x55' | dd of=flip.vgm bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
expect 1 "flip.vgm: checksum mismatch" -- $VIGIL info -m flip.vgm
expect 1 "normal.csv: not a Vigil model" -- $VIGIL info -m normal.csv
expect 1 "nosuch.vgm: cannot open model" -- $VIGIL info -m nosuch.vgm
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "timestamp,temperature,humidity"; next } { print $1, $2, 40 + (NR % 7) * 0.1 }' normal.csv > multi.csv
$VIGIL train -q -i multi.csv -o multi.vgm --kind zscore --window 20
expect 1 "column 'temperature' is missing" -- $VIGIL detect -m multi.vgm -i normal.csv
$VIGIL simulate temperature -o fast.csv --minutes 2 --rate 10 --seed 3
expect 1 "expects 2 Hz" -- $VIGIL detect -m m.vgm -i fast.csv

# Usage errors exit 2 and point at --help.
expect 2 "missing --kind" -- $VIGIL train -i normal.csv -o x.vgm
expect 2 "unknown feature 'bogus'" -- $VIGIL train -i normal.csv -o x.vgm --kind zscore --features std,bogus
expect 2 "unknown --kind" -- $VIGIL train -i normal.csv -o x.vgm --kind svm
# A bad option is named once, in vigil's own words (getopt's own message came first, naming
# the subcommand as if it were the program, then a bare "unknown option").
for args in "simulate power --mode snippets -o x.csv --seed|option '--seed' needs a value" \
            "train -i normal.csv -o x.vgm --bogus|unknown option '--bogus'" \
            "detect -m|option '-m' needs a value" "info -x -m x.vgm|unknown option '-x'" \
            "info -m x.vgm extra|unexpected argument 'extra'" \
            "eval -m $VIGIL_SOURCE_DIR/tests/golden/zscore.vgm -i normal.csv --events|--events applies to waveform"; do
  rc=0; out=$($VIGIL ${args%%|*} 2>&1 >/dev/null) || rc=$?
  case "$rc:$out" in "2:vigil "*"${args#*|}"*) ok "exit 2, '${args#*|}' first" ;; *) bad "vigil ${args%%|*} -> exit $rc: $out" ;; esac
done
expect 2 "--window" -- $VIGIL train -i normal.csv -o x.vgm --kind zscore --window 0
expect 2 "unknown command" -- $VIGIL frobnicate
expect 2 "unknown sensor" -- $VIGIL simulate humidity -o x.csv
expect 2 "spikes" -- $VIGIL simulate temperature -o x.csv --anomalies spikes
for c in simulate train detect eval export info features; do
  if $VIGIL $c --help | grep -q "Usage: vigil $c"; then ok "$c --help"; else bad "$c --help"; fi
done
finish
