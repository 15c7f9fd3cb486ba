#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Power quality end to end, small and fast: simulate -> train --kind forest -> eval / info /
# detect / export on snippets and on a stream. The accuracy and recall floors are REGRESSION
# GUARDS set below what the current code reliably reaches on these small sets (measured over
# seeds 1..8), NOT the issue's bars (docs/power-quality.md has those and the measured results).
. "$(dirname "$0")/lib.sh"
cd "$TMP"

# --- Snippets: 20 per class, clean, different seeds for training and testing --------------
$VIGIL simulate power --mode snippets --per-class 20 --seed 1 -o train.csv
$VIGIL simulate power --mode snippets --per-class 20 --seed 101 -o test.csv
$VIGIL train -q -i train.csv -o snip.vgm --kind forest --seed 1
$VIGIL eval -m snip.vgm -i test.csv --json > eval.json
# Measured (train seed s, test seed 100+s, s = 1..8, code of 2026-11-23 before and after the
# 6th-harmonic HF band): normal vs disturbed 0.998-1.000, class accuracy 0.757-0.878, merged
# pairs 0.853-0.917 (100 per class: 1.000, 0.85, 0.93).
if [ "$(jget eval.json segments)" = 580 ]; then ok "eval: 580 segments"; else bad "eval: $(cat eval.json)"; fi
atleast "binary_accuracy" "$(jget eval.json binary_accuracy)" 0.99
atleast "accuracy" "$(jget eval.json accuracy)" 0.70
atleast "merged_accuracy" "$(jget eval.json merged_accuracy)" 0.80
if $VIGIL eval -m snip.vgm -i test.csv | grep -q "^normal vs disturbed accuracy: "; then ok "eval text report"; else bad "eval text report"; fi
# eval reads a chunk at a time: from standard input, the same report (but the data's name).
$VIGIL eval -m snip.vgm -i - --json < test.csv | sed 's/"data":"[^"]*"//' > eval_stdin.json
if [ "$(sed 's/"data":"[^"]*"//' eval.json)" = "$(cat eval_stdin.json)" ]; then ok "eval on snippets from standard input: the same report"; else bad "eval from standard input differs"; fi

$VIGIL info -m snip.vgm > info.txt
if grep -q "^kind: *forest$" info.txt; then ok "info: kind forest"; else bad "info kind: $(grep kind info.txt)"; fi
if grep -q "^waveform: *50 Hz nominal, 128 samples per cycle" info.txt; then ok "info: waveform line"; else bad "info: no waveform line"; fi
if ! grep -q "^strict class" info.txt; then ok "info: a snippet model has no impulse rule"; else bad "snippet model: $(grep strict info.txt)"; fi

# detect on snippets: one segment,score,anomaly,class row per segment.
$VIGIL detect -m snip.vgm -i test.csv -o snip.out
nseg=$(awk -F, 'NR > 1 && !($1 in s) { s[$1]; n++ } END { print n }' test.csv)
if [ "$(head -1 snip.out)" = "segment,score,anomaly,class" ] && [ "$(($(wc -l < snip.out) - 1))" = "$nseg" ]; then
  ok "detect on snippets: one row per segment ($nseg)"
else
  bad "detect on snippets: $(head -1 snip.out), $(wc -l < snip.out) lines for $nseg segments"
fi
if awk -F, 'NR > 1 && !(NF == 4 && $1 == NR - 2 && $2 >= 0 && $2 <= 1 && ($3 == 0 || $3 == 1) && $4 >= 1 && $4 <= 29) { exit 1 }' snip.out; then
  ok "detect rows: segment in order, score in [0,1], anomaly 0/1, class 1-29"
else
  bad "detect rows malformed: $(awk -F, 'NR > 1 && !(NF == 4 && $2 >= 0 && $2 <= 1 && $4 >= 1)' snip.out | head -2)"
fi
# Its classes are eval's: the share equal to the truth is eval's accuracy.
acc=$(awk -F, 'NR == FNR { if (FNR > 1) t[$1] = $4; next } FNR > 1 { n++; c += ($4 == t[$1]) } END { printf "%.6f", c / n }' test.csv snip.out)
if [ "$acc" = "$(printf '%.6f' "$(jget eval.json accuracy)")" ]; then ok "detect agrees with eval ($acc)"; else bad "detect accuracy $acc, eval $(jget eval.json accuracy)"; fi

# The segment classifier (train --kind segments, SEGC): the window's features and the fit of
# each segment's own samples. Measured on these sets (train seeds 1-3, test 101-103, clean):
# class accuracy 0.872-0.888 -> 0.928-0.947 with 32 fit features (SEGC layout 1), 0.936-0.947
# with 35 (layout 2, the impulse search), 0.943-0.950 with 43 (layout 3, the least-squares
# gate), 0.945-0.955 with 46 (layout 4, the refits with the burst); merged 0.909-0.938 ->
# 0.948-0.971, 0.955-0.969, 0.964-0.972, 0.967-0.981; gain in class accuracy 0.040-0.072,
# 0.048-0.067, 0.055-0.072, 0.057-0.074. Floors below.
$VIGIL train -q --kind segments -m snip.vgm -i train.csv -o snipseg.vgm
$VIGIL eval -m snipseg.vgm -i test.csv --json > evalseg.json
atleast "segment classifier: accuracy" "$(jget evalseg.json accuracy)" 0.90
atleast "segment classifier: merged_accuracy" "$(jget evalseg.json merged_accuracy)" 0.93
gain=$(awk -v a="$(jget evalseg.json accuracy)" -v b="$(jget eval.json accuracy)" 'BEGIN { printf "%.4f", a - b }')
atleast "segment classifier: accuracy gain over the window forest" "$gain" 0.02
if $VIGIL info -m snipseg.vgm | grep -q "^segments: *segment classifier (SEGC, host only): 300 trees, [0-9]* nodes over 120 segment features (layout 4)$"; then ok "info: the SEGC section (layout 4)"; else bad "info: $($VIGIL info -m snipseg.vgm | grep segments)"; fi
$VIGIL detect -m snipseg.vgm -i test.csv -o snipseg.out
acc=$(awk -F, 'NR == FNR { if (FNR > 1) t[$1] = $4; next } FNR > 1 { n++; c += ($4 == t[$1]) } END { printf "%.6f", c / n }' test.csv snipseg.out)
if [ "$acc" = "$(printf '%.6f' "$(jget evalseg.json accuracy)")" ]; then ok "detect with SEGC agrees with eval ($acc)"; else bad "detect with SEGC: $acc, eval $(jget evalseg.json accuracy)"; fi
if awk -F, 'NR > 1 && $3 != ($4 != 1) { exit 1 }' snipseg.out; then ok "detect with SEGC: anomaly is class != normal"; else bad "detect with SEGC: anomaly flags"; fi
# The same where the window forest and the segment classifier disagree: models trained at
# 20 dB on 30 dB snippets (until 2026-12-07 detect wrote the window forest's flag and score
# there; on this file 4 segments had a disturbance class and anomaly 0). Detect's flags give
# eval's normal-vs-disturbed accuracy, and its score is the segment classifier's.
$VIGIL simulate power --mode snippets --per-class 20 --snr 20 --seed 1 -o train20.csv
$VIGIL train -q -i train20.csv -o w20.vgm --kind forest --seed 1
$VIGIL train -q --kind segments -m w20.vgm -i train20.csv -o s20.vgm
$VIGIL simulate power --mode snippets --per-class 5 --snr 30 --seed 103 -o test30.csv
$VIGIL detect -m s20.vgm -i test30.csv -o s20.out
$VIGIL detect -m w20.vgm -i test30.csv -o w20.out
$VIGIL eval -m s20.vgm -i test30.csv --json > evals20.json
nflip=$(paste -d, w20.out s20.out | awk -F, 'NR > 1 && $3 != $7' | wc -l)
if awk -F, 'NR > 1 && !($3 == ($4 != 1) && $2 >= 0 && $2 <= 1) { exit 1 }' s20.out && [ "$nflip" -gt 0 ]; then
  ok "detect with SEGC, 20 dB models on 30 dB: anomaly is class != normal ($nflip flags differ from the window forest's)"
else
  bad "detect with SEGC, 20 dB models on 30 dB: $(awk -F, 'NR > 1 && $3 != ($4 != 1)' s20.out | head -3) ($nflip flags differ)"
fi
bin=$(awk -F, 'NR == FNR { if (FNR > 1) t[$1] = ($4 != 1); next } FNR > 1 { n++; c += ($3 == t[$1]) } END { printf "%.6f", c / n }' test30.csv s20.out)
if [ "$bin" = "$(printf '%.6f' "$(jget evals20.json binary_accuracy)")" ]; then ok "detect with SEGC: its flags give eval's normal vs disturbed ($bin)"; else bad "detect with SEGC: flags give $bin, eval $(jget evals20.json binary_accuracy)"; fi
# On a binary window forest (--binary) the segment classifier is binary too: normal (0)
# against any disturbance (1). Until 2026-12-07 it kept only the class-1 segments, as if
# they were "disturbed", and learned 300 single-leaf trees. Measured here: normal vs
# disturbed 0.9448 for the window forest, 0.9724 with the segment classifier.
$VIGIL train -q -i train20.csv -o wb20.vgm --kind forest --binary --seed 1
$VIGIL train -q --kind segments -m wb20.vgm -i train20.csv -o sb20.vgm
nodes=$($VIGIL info -m sb20.vgm | sed -n 's/^segments: .*300 trees, \([0-9]*\) nodes.*/\1/p')
$VIGIL eval -m sb20.vgm -i test30.csv --json > evalsb.json
$VIGIL detect -m sb20.vgm -i test30.csv -o sb20.out
if [ "${nodes:-0}" -gt 600 ] && [ "$(cut -d, -f4 sb20.out | sort -u | tr '\n' ' ')" = "0 1 class " ] &&
   awk -F, 'NR > 1 && $3 != ($4 != 0) { exit 1 }' sb20.out; then
  ok "binary segment classifier: $nodes nodes, classes 0 and 1, anomaly is class 1"
else
  bad "binary segment classifier: ${nodes:-?} nodes, classes $(cut -d, -f4 sb20.out | sort -u | tr '\n' ' ')"
fi
atleast "binary segment classifier: normal vs disturbed" "$(jget evalsb.json binary_accuracy)" 0.94
# Segments cross the reader's 65,536-row chunks: from standard input, the same report.
$VIGIL eval -m snipseg.vgm -i - --json < test.csv | sed 's/"data":"[^"]*"//' > evalseg_stdin.json
if [ "$(sed 's/"data":"[^"]*"//' evalseg.json)" = "$(cat evalseg_stdin.json)" ]; then ok "SEGC eval from standard input: the same report"; else bad "SEGC eval from standard input differs"; fi

# export --c-header: a core-only program resetting the detector per segment reproduces
# detect's classes, including a segment without class (a dropout: 400 missing samples).
head -n $((1 + 30 * 1280)) test.csv | awk -F, 'BEGIN { OFS = "," } $1 == 7 && ++k > 300 && k <= 700 { $3 = "nan" } { print }' > few.csv
$VIGIL export -m snip.vgm --c-header model_data.h --name pq_model
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. \
  "$VIGIL_SOURCE_DIR/tests/e2e/pq_export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check
./check < few.csv > from_header.csv
$VIGIL detect -m snip.vgm -i few.csv | cut -d, -f1,4 > from_vigil.csv
if cmp -s from_header.csv from_vigil.csv; then ok "header build matches vigil detect on 30 segments"; else bad "header and detect differ"; diff from_header.csv from_vigil.csv | head -5; fi
# A model with the host's segment classifier exports without it: the device runs the window
# forest, and the header is that of the window model (SEGC and the format minor it set aside),
# as large as `vigil info` says a device needs.
$VIGIL export -m snipseg.vgm --c-header seg_data.h --name pq_model 2> seg_export.txt
seg_len=$(sed -n 's/^const unsigned int pq_model_len = \([0-9]*\)u;$/\1/p' seg_data.h)
dev=$($VIGIL info -m snipseg.vgm --json | $PY -c 'import json, sys; print(json.load(sys.stdin)["device_flash_bytes"])')
sed 's/"model_data.h"/"seg_data.h"/' "$VIGIL_SOURCE_DIR/tests/e2e/pq_export_check.c" > check_seg.c
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. check_seg.c "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check_seg
./check_seg < few.csv > from_seg_header.csv
if [ -n "$seg_len" ] && [ "$seg_len" = "$dev" ] && [ "$seg_len" -lt "$(stat -c %s snipseg.vgm)" ] &&
   grep -q "left out the host-only event or segment classifier" seg_export.txt && cmp -s from_seg_header.csv from_vigil.csv; then
  ok "export of a SEGC model: $seg_len bytes (info's device flash), the window forest's classes"
else
  bad "export of a SEGC model: header $seg_len bytes, info $dev, file $(stat -c %s snipseg.vgm); $(cat seg_export.txt)"
fi
if grep -q "^7,$" from_vigil.csv; then ok "dropout segment has no class in both"; else bad "segment 7: $(grep '^7,' from_vigil.csv)"; fi

# --- Stream: a model trained on a 20-minute stream, tested on a separate 10-minute one ----
$VIGIL simulate power --mode stream --minutes 20 --snr 30 --events-per-hour 240 --seed 1 -o strain.csv
$VIGIL simulate power --mode stream --minutes 10 --snr 30 --events-per-hour 360 --seed 2 -o stest.csv
$VIGIL train -q -i strain.csv -o stream.vgm --kind forest --seed 1
# Training reads the recording a chunk at a time (docs/cli.md): from standard input, the same
# forest (the artifact differs in its train_file only), and its memory holds the windows'
# features, not the rows. Peak RSS, 5 then 20 minutes of stream: 21 and 54 MB (release
# build, 2026-11-24); loading the rows took 70 and 255 MB.
$VIGIL train -q -i - -o stream_stdin.vgm --kind forest --seed 1 < strain.csv
$VIGIL detect -m stream.vgm -i stest.csv --exact -o d_file.csv
$VIGIL detect -m stream_stdin.vgm -i stest.csv --exact -o d_stdin.csv
if cmp -s d_file.csv d_stdin.csv; then ok "train from standard input: the same forest"; else bad "train from standard input gives another forest"; fi
head -n $((1 + 5 * 60 * 6400)) strain.csv > strain5.csv
maxrss() { $PY -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$@"; }
rss5=$(maxrss $VIGIL train -q -i strain5.csv -o m5.vgm --kind forest --trees 5)
rss20=$(maxrss $VIGIL train -q -i strain.csv -o m20.vgm --kind forest --trees 5)
if [ -n "$rss5" ] && [ -n "$rss20" ] && [ $((rss20 - rss5)) -lt 100 ]; then
  ok "train: 15 more minutes of stream (5.8 M rows) add $((rss20 - rss5)) MB (< 100) of peak memory"
else
  bad "train memory grows with the rows: ${rss5:-?} MB for 5 minutes, ${rss20:-?} MB for 20"
fi
# A stream model's impulse windows need more of the trees (docs/power-quality.md, "Impulses
# and false alarms"); --impulse-share 0 drops the rule. The format's minor version says what a
# file holds: 5 with the default features (h3/h5 coh_in_low/high), 4 with trans_prev, 3 with
# ot_band or ot_share, 2 with the rule alone.
$VIGIL info -m stream.vgm > sinfo.txt
if grep -q "^strict class: a window voted class 5 is over only when more than 0.600 of the trees vote disturbed" sinfo.txt &&
   grep -q "(format 1.5)" sinfo.txt && grep -q "ot_share.at_high" sinfo.txt &&
   grep -q "trans_prev.mean" sinfo.txt && grep -q "h5.coh_in_high" sinfo.txt; then
  ok "info: a stream model's impulse rule, ot_*, trans_prev and coh_in features (format 1.5)"
else
  bad "stream model info: $(grep -E 'strict|format' sinfo.txt)"
fi
$VIGIL train -q -i strain.csv -o stream0.vgm --kind forest --seed 1 --impulse-share 0
if ! $VIGIL info -m stream0.vgm | grep -q "^strict class"; then
  ok "--impulse-share 0: no rule"
else
  bad "--impulse-share 0: $($VIGIL info -m stream0.vgm | grep -E 'strict|format')"
fi
$VIGIL train -q -i strain.csv -o stream60.vgm --kind forest --seed 1 --trees 5 --features rms.min,hf.max,trans.max
if $VIGIL info -m stream60.vgm | grep -q "(format 1.2)"; then
  ok "the rule without ot_* features: format 1.2"
else
  bad "format: $($VIGIL info -m stream60.vgm | grep format)"
fi
$VIGIL train -q -i strain.csv -o stream68.vgm --kind forest --seed 1 --trees 5 --features rms.min,ot_band.max,trans.max
if $VIGIL info -m stream68.vgm | grep -q "(format 1.3)"; then
  ok "ot_* features without trans_prev: format 1.3"
else
  bad "format: $($VIGIL info -m stream68.vgm | grep format)"
fi
if $VIGIL train -q -i strain.csv -o /dev/null --kind forest --impulse-share 1.5 2> share.err; then
  bad "--impulse-share 1.5 accepted"
elif grep -q -- "--impulse-share" share.err; then ok "--impulse-share 1.5 refused, naming the option"; else bad "share error: $(cat share.err)"; fi

# detect on a stream: one t,score,anomaly,class row per input row, same timestamps.
head -n 12801 stest.csv > short.csv # 2 s
$VIGIL detect -m stream.vgm -i short.csv -o short.out
if [ "$(head -1 short.out)" = "t,score,anomaly,class" ] && [ "$(wc -l < short.out)" = 12801 ]; then
  ok "detect on a stream: one row per input row"
else
  bad "detect on a stream: $(head -1 short.out), $(wc -l < short.out) lines"
fi
if [ "$(cut -d, -f1 short.out | tail -n +2)" = "$(cut -d, -f1 short.csv | tail -n +2)" ] &&
  awk -F, 'NR > 1 && !(NF == 4 && $2 >= 0 && $2 <= 1 && ($3 == 0 || $3 == 1) && $4 >= 1 && $4 <= 29) { exit 1 }' short.out; then
  ok "stream rows: input timestamps, score in [0,1], anomaly 0/1, class 1-29"
else
  bad "stream rows malformed"
fi

# Events: every labelled sag, swell or interruption longer than half a cycle is found.
$VIGIL eval -m stream.vgm -i stest.csv --events > events.txt
$VIGIL eval -m stream.vgm -i stest.csv --events --json > events.json
# A stream is read a second at a time: from standard input the same report, and memory holds
# its events and labelled runs, not its rows (peak RSS, eval --events over 5 then 20 minutes
# of another stream: 14 and 14 MB, release build 2026-11-24; loading the rows took 60 and
# 211 MB).
$VIGIL eval -m stream.vgm -i - --events --json < stest.csv | sed 's/"data":"[^"]*"//' > events_stdin.json
if [ "$(sed 's/"data":"[^"]*"//' events.json)" = "$(cat events_stdin.json)" ]; then ok "eval --events from standard input: the same report"; else bad "eval --events from standard input differs"; fi
erss5=$(maxrss $VIGIL eval -m stream.vgm -i strain5.csv --events --json)
erss20=$(maxrss $VIGIL eval -m stream.vgm -i strain.csv --events --json)
if [ -n "$erss5" ] && [ -n "$erss20" ] && [ $((erss20 - erss5)) -lt 60 ]; then
  ok "eval --events: 15 more minutes of stream add $((erss20 - erss5)) MB (< 60) of peak memory"
else
  bad "eval --events memory grows with the rows: ${erss5:-?} MB for 5 minutes, ${erss20:-?} MB for 20"
fi
# The time events hold outside the labelled disturbances: small here; on a recording 4 % off
# the nominal frequency (52 Hz, which the model never saw) events cover most of it, though
# counting events alone (one long event over every disturbance) finds all with no false
# alarm. The fundamental's deviation is noted on stderr.
$VIGIL simulate power --mode stream --minutes 0.5 --snr 30 --events-per-hour 600 --f0 52 --seed 5 -o s52.csv
$VIGIL eval -m stream.vgm -i s52.csv --events --json > s52.json 2> s52.err
if $PY -c 'import json,sys; a = json.load(open("events.json")); b = json.load(open("s52.json")); sys.exit(not (a["flagged_outside_share"] < 0.01 and b["flagged_outside_share"] > 0.3))' &&
   grep -q "s52.csv: fundamental measured at 52 Hz; model stream.vgm learnt 50 Hz and may flag much of this recording" s52.err; then
  ok "eval --events: time flagged outside disturbances $(jget events.json flagged_outside_share) at 50 Hz, $(jget s52.json flagged_outside_share) at 52 Hz (noted)"
else
  bad "flagged outside: $(jget events.json flagged_outside_share) at 50 Hz, $(jget s52.json flagged_outside_share) at 52 Hz; stderr: $(cat s52.err)"
fi
if grep -q "^time flagged outside the disturbances: [0-9.]* s, [0-9.]* % of the" events.txt; then ok "eval --events text: time flagged outside the disturbances"; else bad "eval --events text: no flagged time line"; fi
$VIGIL detect -m stream.vgm -i stest.csv -o /dev/null --events detected.csv
# Live: from a FIFO, rows (after the first second, held back for the rate and fundamental
# checks) come out while the input is still open, identical to reading the file.
mkfifo live
( head -20001 stest.csv; sleep 3; tail -n +20002 stest.csv | head -500 ) > live &
$VIGIL detect -m stream.vgm -i live -o live.out &
pid=$!
sleep 2
n_live=$(wc -l < live.out)
wait $pid
$VIGIL detect -m stream.vgm -i stest.csv -o file.out
if [ "$n_live" -ge 10000 ] && head -20501 file.out | cmp -s - live.out; then
  ok "waveform detect is live on a FIFO ($n_live rows before the input ended) and matches the file"
else
  bad "live waveform detect: $n_live rows early, $(wc -l < live.out) in all"
fi
if [ "$(head -1 detected.csv)" = "start,end,cycles,class,name,sag_pu,swell_pu,thd_max,peak_pu" ] &&
   [ "$(($(wc -l < detected.csv) - 1))" = "$(jget events.json predicted)" ]; then
  ok "detect --events lists every detected event ($(($(wc -l < detected.csv) - 1)))"
else
  bad "detect --events: $(head -3 detected.csv)"
fi
n234=$(awk '$1 >= 2 && $1 <= 4 && $3 + 0 >= 0.5' events.txt | wc -l)
miss=$(awk '$1 >= 2 && $1 <= 4 && $3 + 0 >= 0.5 && $4 != "yes"' events.txt)
if [ "$n234" -ge 5 ] && [ -z "$miss" ]; then ok "all $n234 sags/swells/interruptions >= half a cycle found"; else bad "$n234 sag/swell/interruption events, missed: $miss"; fi
if grep -qi nan events.txt events.json; then bad "NaN in the event report"; else ok "no NaN in the event report"; fi
# Two disturbances, two events (docs/power-quality.md; --split-events, off by default):
# 6.4 kHz, 30 dB, two sags 6 nominal cycles apart are two sag events, the first ending
# before the second starts (one event without the option);
# two sags 1 cycle apart (too short a calm run) stay one event; a sag followed 6 cycles later
# by a swell gives two events, whose measured RMS extremes hold one disturbance each.
gaps() { # gaps(FILE, depth1 cycles1 gap amp2 cycles2): 4 s of 50 Hz, the pair at t = 2 s
  awk -v a1="$2" -v c1="$3" -v gap="$4" -v a2="$5" -v c2="$6" 'BEGIN {
    srand(7); fs = 6400; pi = 3.14159265358979; sd = 0.70710678 / sqrt(1000)
    i0 = 2 * fs; i1 = i0 + c1 * 128; j0 = i1 + gap * 128; j1 = j0 + c2 * 128
    print "t,v,label,class"
    for (i = 0; i < 4 * fs; i++) {
      g = 1; c = 1
      if (i >= i0 && i < i1) { g = a1; c = a1 < 1 ? 2 : 3 }
      if (i >= j0 && i < j1) { g = a2; c = a2 < 1 ? 2 : 3 }
      n = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
      printf "%.6f,%.6f,%d,%d\n", i / fs, sin(2 * pi * 50 * i / fs) * g + sd * n, c != 1, c
    }
  }' > "$1"
}
gaps two6.csv 0.5 5 6 0.4 4
gaps two1.csv 0.5 5 1 0.4 4
gaps sagswell.csv 0.5 5 6 1.4 4
$VIGIL detect -m stream.vgm -i two6.csv -o /dev/null --events two6.ev --split-events
$VIGIL detect -m stream.vgm -i two1.csv -o /dev/null --events two1.ev --split-events
$VIGIL detect -m stream.vgm -i sagswell.csv -o /dev/null --events sagswell.ev --split-events
if [ "$(tail -n +2 two6.ev | wc -l)" = 2 ] &&
   awk -F, 'NR == 2 { e = $2 } NR == 3 { exit !(e < $1 && $1 > 2.1 && $1 < 2.3) }' two6.ev &&
   [ "$(tail -n +2 two6.ev | cut -d, -f4 | tr '\n' ' ')" = "2 2 " ]; then
  ok "two sags 6 cycles apart: two sag events ($(tail -n +2 two6.ev | cut -d, -f1,2 | tr '\n' ' '))"
else
  bad "two sags 6 cycles apart: $(cat two6.ev)"
fi
$VIGIL detect -m stream.vgm -i two6.csv -o /dev/null --events two6_default.ev
if [ "$(tail -n +2 two6_default.ev | wc -l)" = 1 ]; then ok "without --split-events: one event"; else bad "default split: $(cat two6_default.ev)"; fi
$VIGIL eval -m stream.vgm -i two6.csv --events --split-events --json > two6.json
if [ "$(jget two6.json predicted)" = 2 ] && [ "$(jget two6.json found)" = 2 ]; then
  ok "eval --events --split-events: 2 events found of 2"
else
  bad "eval --split-events: $(cat two6.json)"
fi
rc=0; $VIGIL eval -m stream.vgm -i two6.csv --split-events > /dev/null 2> split_usage.txt || rc=$?
if [ $rc = 2 ] && grep -q "split-events goes with --events" split_usage.txt; then ok "eval --split-events without --events: usage error"; else bad "eval --split-events alone: rc $rc $(cat split_usage.txt)"; fi
rc=0; $VIGIL detect -m snip.vgm -i test.csv -o /dev/null --split-events 2> split_usage.txt || rc=$?
if [ $rc = 2 ] && grep -q "split-events applies to a stream" split_usage.txt; then ok "detect --split-events on snippets: usage error"; else bad "detect --split-events on snippets: rc $rc $(cat split_usage.txt)"; fi
if [ "$(tail -n +2 two1.ev | wc -l)" = 1 ]; then ok "two sags 1 cycle apart: one event"; else bad "two sags 1 cycle apart: $(cat two1.ev)"; fi
# (Measured, not the class: this small model names swells poorly.)
if [ "$(tail -n +2 sagswell.ev | wc -l)" = 2 ] &&
   awk -F, 'NR == 2 && !($6 < 0.6 && $7 < 1.1) { exit 1 } NR == 3 && !($6 > 0.9 && $7 > 1.3) { exit 1 }' sagswell.ev; then
  ok "a sag and a swell 6 cycles later: two events, the first a sag only, the second a swell only"
else
  bad "sag then swell: $(cat sagswell.ev)"
fi
# Measured (train seed s, test seed 100+s, s = 1..5; and 1/2 here): 57/57 events longer than
# half a cycle found, 0 false alarms, class accuracy per event (merged) 0.44-0.64.
long=$(jget events.json longer_than_half_cycle)
atleast "recall of events >= half a cycle" "$($PY -c "print($(jget events.json found_longer_than_half_cycle) / $long)")" 0.95
if [ "$(jget events.json false_alarms)" -le 2 ]; then ok "false alarms $(jget events.json false_alarms) <= 2 in 10 minutes"; else bad "false alarms: $(jget events.json false_alarms)"; fi
atleast "class accuracy per event (merged)" "$(jget events.json class_accuracy_merged)" 0.30

# Event classifier (docs/power-quality.md "Event classifier"): a forest over whole-event
# features, trained on a third stream (not the window forest's own), in the model's EVNT
# section. It must name the same events as the soft vote does, at least as well here; the
# floor is a regression guard (measured: see the comment below), not the issue's bar.
$VIGIL simulate power --mode stream --minutes 20 --snr 30 --events-per-hour 720 --seed 3 -o sev.csv
$VIGIL train --kind events -q -m stream.vgm -i sev.csv -o streamev.vgm --seed 1
# The stream is read row by row (not loaded): from standard input, the same model.
$VIGIL train --kind events -q -m stream.vgm -i - -o streamev_stdin.vgm --seed 1 < sev.csv
if cmp -s streamev.vgm streamev_stdin.vgm; then ok "event classifier: the same bytes from standard input"; else bad "event classifier differs when read from standard input"; fi
if $VIGIL info -m streamev.vgm | grep -q "^events: *event classifier (EVNT, host only): 300 trees"; then
  ok "info names the event classifier"
else
  bad "info: $($VIGIL info -m streamev.vgm | grep -i event)"
fi
$VIGIL eval -m streamev.vgm -i stest.csv --events --json > ev2.json
for k in found false_alarms predicted; do
  if [ "$(jget ev2.json $k)" = "$(jget events.json $k)" ]; then ok "event classifier: same $k ($(jget ev2.json $k))"; else bad "event classifier changed $k: $(jget ev2.json $k) vs $(jget events.json $k)"; fi
done
# Measured (this configuration and seeds): class accuracy per event (merged) 0.655 with the
# soft vote and rules, 0.724 with the event classifier (2026-11-23); 0.912 with the event fit
# (layout 2, 2026-12-07).
atleast "event classifier: class accuracy per event (merged)" "$(jget ev2.json class_accuracy_merged)" 0.80
atleast "event classifier: no worse than the soft vote and rules (merged)" "$(jget ev2.json class_accuracy_merged)" "$(jget events.json class_accuracy_merged)"
# detect --events names the classes eval counted (the same tracker).
$VIGIL detect -m streamev.vgm -i stest.csv -o /dev/null --events detected2.csv
if [ "$(($(wc -l < detected2.csv) - 1))" = "$(jget ev2.json predicted)" ] && ! cmp -s detected.csv detected2.csv; then
  ok "detect --events with the event classifier: every event, classes of its own"
else
  bad "detect --events with EVNT: $(wc -l < detected2.csv) rows"
fi
# int16 quantization keeps the event classifier.
$VIGIL quantize -q -m streamev.vgm -o streamev16.vgm --calibrate stest.csv > /dev/null
if $VIGIL info -m streamev16.vgm | grep -q "^events: *event classifier"; then ok "quantize keeps EVNT"; else bad "quantize dropped EVNT"; fi
if $VIGIL info -m streamev16.vgm | grep -q "^strict class: a window voted class 5 .* 0.600"; then ok "quantize keeps the impulse rule"; else bad "quantize dropped the impulse rule"; fi

# quantize reads waveform recordings a chunk at a time (docs/cli.md): memory holds the
# features' ranges, the counts and the events, not the rows or the windows. Peak RSS, 5 then
# 20 minutes of stream: --calibrate 13 and 13 MB, --eval 13 and 13 MB (release build,
# 2026-11-24); loading them took 72 and 266 MB, 126 and 320 MB.
qrss5=$(maxrss $VIGIL quantize -q -m m5.vgm -o q5.vgm --calibrate strain5.csv)
qrss20=$(maxrss $VIGIL quantize -q -m m5.vgm -o q20.vgm --calibrate strain.csv)
if [ -n "$qrss5" ] && [ -n "$qrss20" ] && [ $((qrss20 - qrss5)) -lt 60 ]; then
  ok "quantize --calibrate: 15 more minutes of stream add $((qrss20 - qrss5)) MB (< 60) of peak memory"
else
  bad "quantize --calibrate memory grows with the rows: ${qrss5:-?} MB for 5 minutes, ${qrss20:-?} MB for 20"
fi
vrss5=$(maxrss $VIGIL quantize -q -m m5.vgm -o qe5.vgm --calibrate strain5.csv --eval strain5.csv)
vrss20=$(maxrss sh -c '"$@" > qe20.txt' sh $VIGIL quantize -m m5.vgm -o qe20.vgm --calibrate strain5.csv --eval strain.csv)
if [ -n "$vrss5" ] && [ -n "$vrss20" ] && [ $((vrss20 - vrss5)) -lt 60 ]; then
  ok "quantize --eval: 15 more minutes of stream add $((vrss20 - vrss5)) MB (< 60) of peak memory"
else
  bad "quantize --eval memory grows with the rows: ${vrss5:-?} MB for 5 minutes, ${vrss20:-?} MB for 20"
fi
# Every row of every chunk is compared, and the int16 model is the same bytes run after run and
# whether or not --eval is given (only its META, which records the agreement, differs). The
# bytes were checked against the whole-file quantizer before the change (2026-11-24).
if grep -q "^agreement: [0-9.]* % of $(($(wc -l < strain.csv) - 1)) rows on strain.csv have the same class" qe20.txt; then
  ok "quantize --eval compares all $(($(wc -l < strain.csv) - 1)) rows"
else
  bad "quantize --eval rows: $(grep '^agreement' qe20.txt)"
fi
$VIGIL quantize -q -m m5.vgm -o q5b.vgm --calibrate strain5.csv
# (the header's first line names the file it came from)
for q in q5 qe5 qe20 q20; do $VIGIL export -m $q.vgm --c-header $q.h --strip-meta; sed -i 1d $q.h; done
if cmp -s q5.vgm q5b.vgm && cmp -s q5.h qe5.h && cmp -s q5.h qe20.h && ! cmp -s q5.h q20.h; then
  ok "quantize: the same int16 model twice, with or without --eval; another one from another calibration"
else
  bad "quantize is not reproducible"
fi

# No labels: an isolation forest on the training stream's windows that no disturbance
# touches (none in the window or the 2 cycles before it; all windows when there is neither a
# class nor a label column), 3 windows in a row to open an event. Measured on these settings
# (seeds 1/2, 3/4, 5/6), 2026-12-07: 57, 55 and 57 of 57 events longer than half a cycle
# found, 0 false alarms (45, 52 and 53 with the windows of class 1, which hold the edges of
# disturbances, before). Regression guard.
$VIGIL train -q -i strain.csv -o iso.vgm --kind iforest --waveform --seed 1
$VIGIL eval -m iso.vgm -i stest.csv --events --json > iso.json
atleast "isolation forest: recall of events >= half a cycle" "$($PY -c "print($(jget iso.json found_longer_than_half_cycle) / $(jget iso.json longer_than_half_cycle))")" 0.95
if [ "$(jget iso.json false_alarms)" -le 1 ]; then ok "isolation forest: false alarms $(jget iso.json false_alarms) <= 1"; else bad "isolation forest false alarms: $(jget iso.json false_alarms)"; fi
if grep -q '"class_accuracy":null' iso.json; then ok "isolation forest reports no class"; else bad "iforest class: $(cat iso.json)"; fi
if $VIGIL info -m iso.vgm | grep -q "open after 3"; then ok "isolation forest opens an event on 3 windows in a row"; else bad "iforest open-after: $($VIGIL info -m iso.vgm | grep -i open)"; fi
# A `label` column without `class` marks the disturbances just as well: the same windows
# are left out, the same model.
cut -d, -f1-3 strain.csv > strain_label.csv
$VIGIL train -i strain_label.csv -o iso_l.vgm --kind iforest --waveform --seed 1 2> iso_l.txt
$VIGIL train -i strain.csv -o iso_c.vgm --kind iforest --waveform --seed 1 2> iso_c.txt
n_l=$(sed -n 's/^trained iforest on \([0-9]*\) of \([0-9]*\) windows.*/\1 \2/p' iso_l.txt)
n_c=$(sed -n 's/^trained iforest on \([0-9]*\) of \([0-9]*\) windows.*/\1 \2/p' iso_c.txt)
if [ -n "$n_l" ] && [ "$n_l" = "$n_c" ] && [ "${n_l% *}" -lt "${n_l#* }" ]; then
  ok "isolation forest: a label column leaves out the disturbed windows as class does ($n_l)"
else
  bad "isolation forest on labels: '$n_l' windows, on classes '$n_c'"
fi
# A binary stream forest (--binary) names no disturbance: its events are 'disturbed', and
# eval reports no class accuracy.
$VIGIL train -q -i strain.csv -o sbin.vgm --kind forest --binary --seed 1 --trees 20
$VIGIL detect -m sbin.vgm -i stest.csv -o sbin.out --events sbin_ev.csv
$VIGIL eval -m sbin.vgm -i stest.csv --events --json > sbin.json
if [ "$(tail -n +2 sbin_ev.csv | cut -d, -f4,5 | sort -u)" = "1,disturbed" ] && grep -q '"class_accuracy":null' sbin.json && [ "$(sed -n 2p sbin.out | cut -d, -f4)" = 0 ]; then
  ok "binary stream forest: events 'disturbed', no class accuracy, 0 (normal) before the first window"
else
  bad "binary stream forest: events $(tail -n +2 sbin_ev.csv | cut -d, -f4,5 | sort -u | tr '\n' ' '), $(cat sbin.json), first row $(sed -n 2p sbin.out)"
fi
finish
