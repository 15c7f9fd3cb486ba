#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Power quality (waveform models): every kind of bad input gets a clear error naming the
# file, line and field (exit 1; usage errors exit 2), or a documented policy (missing samples,
# docs/detectors.md "Missing samples"), never a crash and never a NaN in an output.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
# rows FILE AWK-CONDITION: how many data rows of FILE match
rows() { awk -F, "NR > 1 && ($2) { n++ } END { print n + 0 }" "$1"; }
# expect_both CODE TEXT1 TEXT2 -- command...: like expect, with both texts in the message
expect_both() {
  local code=$1 t1=$2 t2=$3; shift 4
  local out rc=0
  out=$("$@" 2>&1 >/dev/null) || rc=$?
  case "$rc:$out" in "$code:"*"$t1"*"$t2"*) ok "exit $code, '$t1...$t2'" ;; *) bad "$* -> exit $rc ($out), want $code '$t1...$t2'" ;; esac
}

# One small model for everything: 10-cycle snippets of all 29 classes, 50 Hz, 6.4 kHz. Its
# window (10 cycles, hop 1) also runs on streams.
$VIGIL simulate power --mode snippets --per-class 5 --seed 1 -o train.csv
$VIGIL train -q -i train.csv -o m.vgm --kind forest --trees 30

# --- Sampling rates that cannot resolve the fundamental -----------------------------------
$VIGIL simulate power --mode snippets --per-class 2 --classes 1-4 --seed 2 -o s.csv
awk 'NR == 1 || (NR - 2) % 64 == 0' s.csv > s100.csv # every 64th sample: 100 Hz
awk 'NR == 1 || (NR - 2) % 20 == 0' s.csv > s320.csv # 320 Hz: 6.4 samples per cycle
expect 1 "s100.csv: sampled at 100 Hz, too slow to resolve a 50 Hz fundamental" -- \
  $VIGIL train -i s100.csv -o x.vgm --kind forest --f0 50
expect 1 "s320.csv: 320 Hz gives 6 samples per 50 Hz cycle; at least 8 are needed" -- \
  $VIGIL train -i s320.csv -o x.vgm --kind forest
expect 1 "s100.csv: data is sampled at 100 Hz but model m.vgm expects" -- $VIGIL detect -m m.vgm -i s100.csv
expect 1 "s100.csv: data is sampled at 100 Hz but model m.vgm expects" -- $VIGIL eval -m m.vgm -i s100.csv
expect 2 "--fs: 500 is outside [1000" -- $VIGIL simulate power --mode snippets --fs 500 -o x.csv
expect 2 "below 2.5 x 900 Hz" -- $VIGIL simulate power --mode snippets --fs 1000 -o x.csv
expect 2 "--f0: 30 is outside [40, 100]" -- $VIGIL train -i s.csv -o x.vgm --kind forest --f0 30

# --- A 50 Hz model fed 60 Hz data at the same rate: refused, not silently classified ------
$VIGIL simulate power --mode snippets --per-class 2 --f0 60 --seed 3 -o s60.csv
$VIGIL simulate power --mode stream --minutes 0.1 --f0 60 --seed 3 -o st60.csv
F="fundamental measured at"
expect_both 1 "s60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL detect -m m.vgm -i s60.csv
expect_both 1 "s60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL eval -m m.vgm -i s60.csv
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL detect -m m.vgm -i st60.csv
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL eval -m m.vgm -i st60.csv --events
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL train --kind events -m m.vgm -i st60.csv -o x.vgm
expect_both 1 "s60.csv: $F 6" "Hz but --f0 is 50 Hz (set --f0)" -- $VIGIL train -i s60.csv -o x.vgm --kind forest
if $VIGIL train -q -i s60.csv -o m60.vgm --kind forest --f0 60 --trees 5 && $VIGIL detect -m m60.vgm -i s60.csv > /dev/null; then
  ok "60 Hz data trains and runs with --f0 60"
else
  bad "60 Hz data with --f0 60 refused"
fi
expect_both 1 "s.csv: $F 5" "Hz but model m60.vgm expects 60 Hz" -- $VIGIL detect -m m60.vgm -i s.csv

# --- Missing samples (empty cells, nan, inf): the dropout policy --------------------------
# Snippets of pure sine: segment 0 loses 400 consecutive samples (31 % of its window),
# segment 1 a single sample in every 97 (1 %), segment 2 one inf and one 1e300, segment 3 none.
$VIGIL simulate power --mode snippets --per-class 4 --classes pure --seed 4 -o pure.csv
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next }
  $1 == 0 && NR > 400 && NR <= 800 { $3 = (NR % 2 ? "nan" : "") }
  $1 == 1 && NR % 97 == 0 { $3 = "" }
  $1 == 2 && NR == 2 * 1280 + 500 { $3 = "inf" }
  $1 == 2 && NR == 2 * 1280 + 900 { $3 = "1e300" }
  { print }' pure.csv > gaps.csv
if $VIGIL detect -m m.vgm -i gaps.csv -o gaps.out; then
  ok "detect runs over NaN, empty and infinite samples"
  if grep -qi "nan\|inf" gaps.out; then bad "NaN/inf in detect output: $(grep -i -m1 'nan\|inf' gaps.out)"; else ok "no NaN/inf in the output"; fi
  if [ "$(sed -n 2p gaps.out)" = "0,1.000000,1," ]; then ok "a 400-sample gap: score 1, anomaly, no class (dropout)"; else bad "gap segment: '$(sed -n 2p gaps.out)'"; fi
  if awk -F, '$1 == 3 { exit !($3 == 0 && $4 == 1) }' gaps.out; then ok "the untouched segment stays normal"; else bad "clean segment: $(grep '^3,' gaps.out)"; fi
  # docs/detectors.md: a single missing reading does not raise an event. On a waveform the
  # core fills it by linear extrapolation (holding the value would leave a step that looks
  # like an impulsive transient to a model trained on clean data).
  for s in 1 2; do
    if awk -F, -v s=$s '$1 == s { exit !($3 == 0) }' gaps.out; then
      ok "segment $s: isolated missing samples raise no alarm"
    else
      bad "segment $s: isolated missing samples raise an alarm ($(grep "^$s," gaps.out))"
    fi
  done
else
  bad "detect failed on missing samples"
fi
if $VIGIL eval -m m.vgm -i gaps.csv > gaps.eval && ! grep -qi nan gaps.eval; then ok "eval over missing samples, no NaN"; else bad "eval on missing samples"; fi

# A stream with a 100 ms gap (640 samples at 10 s): an anomaly (dropout event), never NaN.
$VIGIL simulate power --mode stream --minutes 0.2 --events-per-hour 1 --seed 5 -o st.csv
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR >= 64002 && NR < 64642 { $2 = (NR % 3 ? "nan" : "") } { print }' st.csv > stgap.csv
if $VIGIL detect -m m.vgm -i stgap.csv -o stgap.out; then
  if [ "$(wc -l < stgap.out)" = "$(wc -l < stgap.csv)" ]; then ok "stream with a gap: one output row per input row"; else bad "stream rows differ"; fi
  if grep -qi "nan\|inf" stgap.out; then bad "NaN/inf in stream output"; else ok "no NaN/inf in the stream output"; fi
  n_before=$(rows stgap.out '$1 < 9.99 && $3 == 1')
  n_gap=$(rows stgap.out '$1 >= 10 && $1 < 10.3 && $3 == 1')
  n_nocls=$(rows stgap.out '$3 == 1 && $4 == ""')
  if [ "$n_before" = 0 ] && [ "$n_gap" -gt 0 ]; then ok "the gap raises an anomaly, nothing before it"; else bad "gap: $n_before anomalous rows before, $n_gap in it"; fi
  if [ "$n_nocls" -gt 0 ]; then ok "dropout windows have no class"; else bad "dropout rows carry a class"; fi
else
  bad "detect failed on a stream with a gap"
fi
if $VIGIL eval -m m.vgm -i stgap.csv --events --json > stgap.json && ! grep -qi nan stgap.json; then
  if $PY -c 'import json,sys; d = json.load(open("stgap.json")); sys.exit(not (d["predicted"] >= 1 and d["false_alarms"] >= 1 and d["dropout_false_alarms"] == d["false_alarms"]))'; then
    ok "eval --events: the unlabelled gap is an event (a false alarm, counted as a dropout)"
  else
    bad "eval --events on a gap: $(cat stgap.json)"
  fi
else
  bad "eval --events on a stream with a gap"
fi
if $VIGIL eval -m m.vgm -i stgap.csv --events > stgap.txt && ! grep -qi nan stgap.txt; then ok "eval --events text, no NaN"; else bad "eval --events text"; fi
# The gap's event is named a dropout, with no class (the windows around a cut waveform vote
# for whatever it looks like: a harmonic swell, a flicker), 2026-12-07.
$VIGIL detect -m m.vgm -i stgap.csv -o /dev/null --events stgap_ev.csv
if [ "$(tail -n +2 stgap_ev.csv | cut -d, -f4,5 | sort -u)" = ",dropout" ]; then ok "detect --events: the gap is a dropout event, no class"; else bad "gap events: $(cat stgap_ev.csv)"; fi

# Training leaves out windows that fail the policy (and says so); all missing is an error.
# (On a stream with disturbances: a forest needs two classes.)
$VIGIL simulate power --mode stream --minutes 0.3 --events-per-hour 1200 --seed 12 -o stev.csv
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR >= 64002 && NR < 64642 { $2 = (NR % 3 ? "nan" : "") } { print }' stev.csv > stevgap.csv
out=$($VIGIL train -i stevgap.csv -o gap.vgm --kind forest --trees 5 2>&1) && rc=0 || rc=$?
case "$rc:$out" in 0:*"left out"*"missing samples (dropout policy)"*) ok "train leaves out dropout windows" ;; *) bad "train on a gap: $rc $out" ;; esac
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $3 = (NR % 2 ? "nan" : ""); print }' s.csv > allnan.csv
expect 1 "allnan.csv: all 8 segments have more than 10.0% missing samples" -- $VIGIL train -i allnan.csv -o x.vgm --kind forest

# --- Clipping: a sine saturated at +-0.9 pu for 2 cycles is a disturbance -----------------
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next }
  $2 >= 0.04 && $2 < 0.08 { if ($3 > 0.9) $3 = 0.9; if ($3 < -0.9) $3 = -0.9 } { print }' pure.csv > clip.csv
$VIGIL detect -m m.vgm -i pure.csv -o pure.out
$VIGIL detect -m m.vgm -i clip.csv -o clip.out
if [ "$(rows pure.out '$3 == 0')" = 4 ]; then ok "unclipped sines are normal"; else bad "pure sines flagged: $(cat pure.out)"; fi
if [ "$(rows clip.out '$3 == 1')" = 4 ]; then ok "clipped sines are disturbances"; else bad "clipping missed: $(cat clip.out)"; fi

# --- Snippet structure: segments contiguous and increasing, classes, lengths --------------
# s.csv: 8 segments of 1280 rows (lines 2-1281 are segment 0, 1282-2561 segment 1, ...).
awk 'NR == 1 || (NR >= 1282 && NR <= 2561) { print } END { }' s.csv > back.csv
awk 'NR >= 2 && NR <= 1281' s.csv >> back.csv # segment 1, then segment 0: line 1282
expect 1 "back.csv:1282: column 'segment': segment 0 after segment 1" -- $VIGIL detect -m m.vgm -i back.csv
expect 1 "back.csv:1282: column 'segment': segment 0 after segment 1" -- $VIGIL train -i back.csv -o x.vgm --kind forest
awk 'NR <= 641 || (NR >= 1282 && NR <= 2561)' s.csv > split.csv
awk 'NR >= 642 && NR <= 1281' s.csv >> split.csv # segment 0 split around segment 1: line 1922
expect 1 "split.csv:1922: column 'segment': segment 0 after segment 1" -- $VIGIL eval -m m.vgm -i split.csv
# a segment is one waveform of one class (2026-12-07: a class changing inside one was taken
# from the segment's first row, silently)
awk -F, 'BEGIN { OFS = "," } NR == 500 { $4 = ($4 == 7 ? 8 : 7) } { print }' s.csv > segcls.csv
c500=$(sed -n 500p segcls.csv | cut -d, -f4); c2=$(sed -n 2p segcls.csv | cut -d, -f4)
expect 1 "segcls.csv:500: column 'class': class $c500 in segment 0, which began as class $c2; a segment holds one class" -- $VIGIL eval -m m.vgm -i segcls.csv
expect 1 "segcls.csv:500: column 'class': class $c500 in segment 0" -- $VIGIL train -i segcls.csv -o x.vgm --kind forest
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR == 700 { $2 = 0 } { print }' s.csv > tback.csv
expect 1 "tback.csv:700: column 't': time goes backwards" -- $VIGIL detect -m m.vgm -i tback.csv
awk -F, 'BEGIN { OFS = "," } NR == 900 { $4 = "sag" } { print }' s.csv > clsname.csv
expect 1 "clsname.csv:900: column 'class': 'sag' is not a class number 0..63" -- $VIGIL train -i clsname.csv -o x.vgm --kind forest
awk -F, 'BEGIN { OFS = "," } NR == 5 { $4 = 64 } { print }' s.csv > cls64.csv
expect 1 "cls64.csv:5: column 'class': '64' is not a class number 0..63" -- $VIGIL eval -m m.vgm -i cls64.csv
awk -F, 'BEGIN { OFS = "," } NR == 7 { $4 = "" } { print }' s.csv > clsempty.csv
expect 1 "clsempty.csv:7: column 'class': '' is not a class number" -- $VIGIL train -i clsempty.csv -o x.vgm --kind forest
cut -d, -f1-3 s.csv > nocls.csv
expect 1 "nocls.csv: no 'class' column to learn from" -- $VIGIL train -i nocls.csv -o x.vgm --kind forest
expect 1 "nocls.csv: no 'class' column to evaluate against" -- $VIGIL eval -m m.vgm -i nocls.csv
awk -F, 'BEGIN { OFS = "," } NR == 3 { $1 = "x" } { print }' s.csv > segname.csv
expect 1 "segname.csv:3: column 'segment': 'x' is not a segment number" -- $VIGIL detect -m m.vgm -i segname.csv
# Segments shorter than the window: the model's 10 cycles, or the first segment's length.
$VIGIL simulate power --mode snippets --per-class 1 --classes 1,2 --cycles 5 --seed 6 -o short.csv
expect 1 "short.csv: segment 0 has 640 samples, fewer than the model's window of 10 cycles" -- $VIGIL detect -m m.vgm -i short.csv
expect 1 "short.csv: segment 0 has 640 samples, fewer than the model's window of 10 cycles" -- $VIGIL eval -m m.vgm -i short.csv
awk -F, '$1 != 3 || NR < 3 * 1280 + 1000' s.csv > cut.csv # segment 3 loses its last 282 rows
expect 1 "cut.csv: segment 3 has 998 samples, fewer than a window of 10 cycles x 128 samples" -- \
  $VIGIL train -i cut.csv -o x.vgm --kind forest
expect 1 "short.csv: segment 0 has 640 samples, fewer than a window of 10 cycles" -- \
  $VIGIL train -i short.csv -o x.vgm --kind forest --cycles 10

# --- eval --events: streams only, and a class column to score against --------------------
expect 2 "--events needs a stream recording (this one has segments)" -- $VIGIL eval -m m.vgm -i s.csv --events
cut -d, -f1,2 st.csv > stnolab.csv
expect 1 "stnolab.csv: no 'class' column to evaluate against" -- $VIGIL eval -m m.vgm -i stnolab.csv --events
expect 1 "stnolab.csv: no 'class' column to evaluate against" -- $VIGIL eval -m m.vgm -i stnolab.csv
if $VIGIL detect -m m.vgm -i stnolab.csv > /dev/null; then ok "detect needs no class column"; else bad "detect wants a class column"; fi

# --- The event classifier (EVNT section) ---------------------------------------------------
# A malformed EVNT is refused by name (the fuzz corpus holds such models: a tiny stream forest
# whose EVNT has a wrong feature count or class count).
C=$VIGIL_SOURCE_DIR/tests/fuzz/corpus/model
expect 1 "EVNT section: 21 event features, the model's layout has 22" -- $VIGIL eval -m "$C/pq_evnt_bad_nfeat.vgm" -i st.csv --events
expect 1 "EVNT section: the event forest has 7 classes (normal 1), the model 5 (1)" -- $VIGIL detect -m "$C/pq_evnt_bad_classes.vgm" -i st.csv --events ev.csv
if $VIGIL eval -m "$C/pq_forest_evnt.vgm" -i st.csv --events > /dev/null; then ok "a valid EVNT is read"; else bad "valid EVNT refused"; fi
# Layout 2 (the event fit's 19 features appended) is read as well as layout 1; another layout,
# or layout 1's count under layout 2, is refused by name.
if $VIGIL eval -m "$C/pq_forest_evnt2.vgm" -i st.csv --events > /dev/null; then ok "a valid layout-2 EVNT is read"; else bad "valid layout-2 EVNT refused"; fi
expect 1 "EVNT section: unknown event feature layout 3 (this build reads 1 to 2)" -- $VIGIL eval -m "$C/pq_evnt_bad_layout.vgm" -i st.csv --events
expect 1 "EVNT section: 22 event features, the model's layout has 41" -- $VIGIL detect -m "$C/pq_evnt2_bad_nfeat.vgm" -i st.csv --events ev.csv
expect 2 "need -m MODEL, -i STREAM.csv and -o OUT" -- $VIGIL train --kind events -i st.csv -o x.vgm
expect 1 "an event classifier needs a multi-class waveform forest" -- $VIGIL train --kind events -m "$VIGIL_SOURCE_DIR/tests/golden/zscore.vgm" -i st.csv -o x.vgm
$VIGIL train -q -i stev.csv -o stbin.vgm --kind forest --binary --trees 5
expect 1 "stbin.vgm: an event classifier needs a multi-class waveform forest (float, before \`vigil quantize\`); this is a binary (\`--binary\`, normal vs disturbed) forest model" -- $VIGIL train --kind events -m stbin.vgm -i st.csv -o x.vgm
expect 1 "snippets (a segment column): events need a stream" -- $VIGIL train --kind events -m m.vgm -i s.csv -o x.vgm
expect 1 "stnolab.csv: no 'class' column to learn from" -- $VIGIL train --kind events -m m.vgm -i stnolab.csv -o x.vgm

# --- The segment classifier (SEGC section) -------------------------------------------------
# A tiny snippet forest with a valid SEGC of layout 1 (before the impulse search), of layout 2,
# of layout 3 (the least-squares gate) and of layout 4 (the refits with the burst) is read (and `vigil info` names it); a wrong layout
# or feature count is refused by name; training one needs snippets with classes and a waveform
# forest.
if $VIGIL eval -m "$C/pq_forest_segc.vgm" -i s.csv > /dev/null; then ok "a valid layout-1 SEGC is read"; else bad "valid layout-1 SEGC refused"; fi
if $VIGIL eval -m "$C/pq_forest_segc2.vgm" -i s.csv > /dev/null; then ok "a valid layout-2 SEGC is read"; else bad "valid layout-2 SEGC refused"; fi
if $VIGIL eval -m "$C/pq_forest_segc3.vgm" -i s.csv > /dev/null; then ok "a valid layout-3 SEGC is read"; else bad "valid layout-3 SEGC refused"; fi
if $VIGIL eval -m "$C/pq_forest_segc4.vgm" -i s.csv > /dev/null; then ok "a valid layout-4 SEGC is read"; else bad "valid layout-4 SEGC refused"; fi
if $VIGIL info -m "$C/pq_forest_segc.vgm" | grep -q "segment classifier (SEGC, host only): 2 trees, 14 nodes over 35 segment features (layout 1)"; then ok "info names the SEGC"; else bad "info misses the SEGC"; fi
if $VIGIL info -m "$C/pq_forest_segc2.vgm" | grep -q "over 38 segment features (layout 2)"; then ok "info names the layout-2 SEGC"; else bad "info misses the layout-2 SEGC"; fi
if $VIGIL info -m "$C/pq_forest_segc3.vgm" | grep -q "over 46 segment features (layout 3)"; then ok "info names the layout-3 SEGC"; else bad "info misses the layout-3 SEGC"; fi
if $VIGIL info -m "$C/pq_forest_segc4.vgm" | grep -q "over 49 segment features (layout 4)"; then ok "info names the layout-4 SEGC"; else bad "info misses the layout-4 SEGC"; fi
expect 1 "SEGC section: unknown segment feature layout 5 (this build reads 1 to 4)" -- $VIGIL eval -m "$C/pq_segc_bad_layout.vgm" -i s.csv
expect 1 "SEGC section: 34 segment features, the model's layout has 35" -- $VIGIL detect -m "$C/pq_segc_bad_nfeat.vgm" -i s.csv
expect 1 "SEGC section: 35 segment features, the model's layout has 38" -- $VIGIL detect -m "$C/pq_segc2_bad_nfeat.vgm" -i s.csv
expect 1 "SEGC section: 45 segment features, the model's layout has 46" -- $VIGIL detect -m "$C/pq_segc3_bad_nfeat.vgm" -i s.csv
expect 1 "SEGC section: 48 segment features, the model's layout has 49" -- $VIGIL detect -m "$C/pq_segc4_bad_nfeat.vgm" -i s.csv
expect 1 "st.csv: a segment classifier learns from snippets with \`segment\` and \`class\` columns" -- $VIGIL train --kind segments -m m.vgm -i st.csv -o x.vgm
cut -d, -f1-3 s.csv > snolab.csv
expect 1 "snolab.csv: a segment classifier learns from snippets" -- $VIGIL train --kind segments -m m.vgm -i snolab.csv -o x.vgm
expect 1 "a segment classifier needs a waveform forest (float, before \`vigil quantize\`); this is a zscore model" -- $VIGIL train --kind segments -m "$VIGIL_SOURCE_DIR/tests/golden/zscore.vgm" -i s.csv -o x.vgm
expect 2 "--split-events is for --kind events" -- $VIGIL train --kind segments -m m.vgm -i s.csv -o x.vgm --split-events
# NaN samples in a segment: the fit holds the last valid sample, the class is still given
# when the window passes the missing-sample policy.
$VIGIL train -q --kind segments -m m.vgm -i s.csv -o ms.vgm --trees 5
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 97 == 0 { $3 = "nan" } { print }' s.csv > snan.csv
if $VIGIL detect -m ms.vgm -i snan.csv > snan.out && [ "$(grep -c . snan.out)" = "$(($(cut -d, -f1 s.csv | sort -u | grep -c .)))" ] && ! grep -q ',$' snan.out; then
  ok "a segment model classifies segments with NaN samples"
else
  bad "segment model on NaN samples: $(head -3 snan.out)"
fi

# read row by row: a bad row after the first second (past the rows held for the rate check)
# is found where it is, and a wrong rate is refused
awk -F, 'BEGIN { OFS = "," } NR == 9001 { $2 = "1.2.3" } { print }' st.csv > stbad.csv
expect 1 "stbad.csv:9001" -- $VIGIL train --kind events -m m.vgm -i stbad.csv -o x.vgm
awk 'NR == 1 || NR % 2 == 0' st.csv > sthalf.csv
expect 1 "sthalf.csv: data is sampled at 3200 Hz but model m.vgm expects" -- $VIGIL train --kind events -m m.vgm -i sthalf.csv -o x.vgm
# train --kind forest reads a chunk at a time too: a bad row in a later chunk (line 75,001,
# past the first rows and the first 65,536-row chunk) is found where it is, and so are a
# stream too short for a window and a snippet cut short at the end of the file.
awk -F, 'BEGIN { OFS = "," } NR == 75001 { $2 = "1.2.3" } { print }' st.csv > stbad2.csv
expect 1 "stbad2.csv:75001: column 'v'" -- $VIGIL train -i stbad2.csv -o x.vgm --kind forest
expect 1 "stbad2.csv:75001: column 'v'" -- $VIGIL eval -m m.vgm -i stbad2.csv --events
awk -F, 'BEGIN { OFS = "," } NR == 9001 { $3 = "1.2.3" } { print }' s.csv > sbad.csv
expect 1 "sbad.csv:9001: column 'v'" -- $VIGIL eval -m m.vgm -i sbad.csv
expect 1 "sbad.csv:9001: column 'v'" -- $VIGIL detect -m m.vgm -i sbad.csv
head -n 1001 st.csv > sttiny.csv
expect 1 "sttiny.csv: 1000 samples hold no window of 10 cycles x 128 samples" -- $VIGIL train -i sttiny.csv -o x.vgm --kind forest
head -n $((1 + 7 * 1280 + 500)) s.csv > slast.csv
expect 1 "slast.csv: segment 7 has 500 samples, fewer than a window of 10 cycles x 128 samples" -- \
  $VIGIL train -i slast.csv -o x.vgm --kind forest
expect 1 "slast.csv: segment 7 has 500 samples, fewer than the model's window of 10 cycles" -- $VIGIL eval -m m.vgm -i slast.csv

# quantize reads waveform recordings a chunk at a time too (--calibrate twice, --eval once):
# a bad row in a later chunk of either file is named where it is, and so are a wrong
# fundamental, a file too short for a window and a snippet cut short at the end of --eval.
awk -F, 'BEGIN { OFS = "," } NR == 75001 { $2 = "nan" } { print }' st.csv > stnan2.csv
expect 1 "stbad2.csv:75001: column 'v'" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate stbad2.csv
expect 1 "stnan2.csv:75001: column 'v': 'nan' is a missing value" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate stnan2.csv
expect 1 "stbad2.csv:75001: column 'v'" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate st.csv --eval stbad2.csv
expect 1 "sbad.csv:9001: column 'v'" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate train.csv --eval sbad.csv
if [ ! -e x.vgm ]; then ok "quantize wrote no model on bad input"; else bad "quantize wrote x.vgm on bad input"; fi
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate st60.csv
expect_both 1 "s60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate s60.csv
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate st.csv --eval st60.csv
expect 1 "sthalf.csv: data is sampled at 3200 Hz but the model expects 6400 Hz" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate sthalf.csv
expect 1 "sttiny.csv: no complete window of 10 cycles to calibrate on" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate sttiny.csv
expect 1 "slast.csv: segment 7 has 500 samples, fewer than the model's window of 10 cycles" -- \
  $VIGIL quantize -m m.vgm -o x.vgm --calibrate train.csv --eval slast.csv

# --- Columns by name: extra or reordered columns do not become channels (2026-12-07) -------
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "foo", $0; next } { print 7, $0 }' stev.csv > stfoo.csv
$VIGIL train -q -i stfoo.csv -o foo.vgm --kind forest --trees 3
if $VIGIL info -m foo.vgm | grep -q '^channels: *v$'; then ok "train: the column named v is the voltage, an extra column is left out"; else bad "extra column: $($VIGIL info -m foo.vgm | grep channels)"; fi
$VIGIL simulate power --mode stream --minutes 0.3 --events-per-hour 1200 --current --seed 11 -o stc.csv
awk -F, 'BEGIN { OFS = "," } { print $1, $3, $2, $4, $5 }' stc.csv > stc_iv.csv
$VIGIL train -q -i stc_iv.csv -o iv.vgm --kind forest --trees 3
if $VIGIL info -m iv.vgm | grep -q '^channels: *v, i$'; then ok "train: columns i,v in that order give voltage v and current i"; else bad "reordered columns: $($VIGIL info -m iv.vgm | grep channels)"; fi
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "foo,t,volt"; next } { print 7, $1, $2 }' st.csv > stnov.csv
expect 1 "stnov.csv: no column named 'v' and 2 numeric columns: name the voltage" -- $VIGIL train -i stnov.csv -o x.vgm --kind iforest --waveform

# --- A file with no time column: the rate is given (--rate), or asked for -----------------
cut -d, -f2- stev.csv > stnotime.csv
expect 1 "stnotime.csv: no time column (t, time or timestamp): give the sampling rate with --rate HZ" -- $VIGIL train -i stnotime.csv -o x.vgm --kind forest
$VIGIL train -q -i stnotime.csv -o notime.vgm --kind forest --trees 3 --rate 6400
$VIGIL train -q -i stev.csv -o withtime.vgm --kind forest --trees 3
$VIGIL detect -m notime.vgm -i stev.csv -o nt1.out
$VIGIL detect -m withtime.vgm -i stev.csv -o nt2.out
if $VIGIL info -m notime.vgm | grep -q "6400 Hz" && cmp -s nt1.out nt2.out; then ok "train --rate 6400 on a file with no time column: the model of the file with one"; else bad "train --rate: $($VIGIL info -m notime.vgm | grep Hz)"; fi

# --- Snippets longer than the model's window: judged on their last window, and said so --------
$VIGIL simulate power --mode snippets --per-class 1 --cycles 20 --seed 9 -o s20c.csv
$VIGIL eval -m m.vgm -i s20c.csv > /dev/null 2> s20c.err
$VIGIL detect -m m.vgm -i s.csv -o /dev/null 2> s10c.err
if grep -q "s20c.csv: 29 of 29 segments are longer than model m.vgm's window of 10 cycles; each is classified by its last 10 cycles" s20c.err && [ ! -s s10c.err ]; then
  ok "20-cycle snippets on a 10-cycle model: noted; 10-cycle ones: no note"
else
  bad "longer snippets: $(cat s20c.err) / $(cat s10c.err)"
fi
(cat s.csv; tail -n +2 s20c.csv | awk -F, 'BEGIN { OFS = "," } { $1 += 1000; print }') > smixed.csv
$VIGIL train -q -i smixed.csv -o x.vgm --kind forest --trees 2 2> smixed.err
if grep -q "smixed.csv: 29 segments are longer than the window of 10 cycles; each is learnt from its last 10 cycles" smixed.err; then
  ok "train on 10- and 20-cycle snippets: the longer ones noted"
else
  bad "train on mixed snippets: $(cat smixed.err)"
fi

# --- info --json says what the text says about a waveform model (2026-12-07) ----------------
$VIGIL simulate power --mode snippets --per-class 2 --fs 2400 --seed 4 -o s2400.csv
$VIGIL train -q -i s2400.csv -o m2400.vgm --kind forest --trees 3
if $VIGIL info -m ms.vgm --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
w, f, s = d["waveform"], d["forest"], d["segment_classifier"]
assert w["f_nominal"] == 50 and w["samples_per_cycle"] == 128 and w["max_harmonic"] == 40, w
assert f["trees"] == 30 and f["classes"] == 30 and f["normal_class"] == 1 and f["nodes"] > 30, f
assert s["trees"] == 5 and s["layout"] >= 1 and s["features"] > 74 and d["event_classifier"] is None, s
' && $VIGIL info -m m2400.vgm --json | $PY -c 'import json, sys; assert json.load(sys.stdin)["waveform"]["max_harmonic"] == 23' &&
   $VIGIL info -m m2400.vgm | grep -q "48 samples per cycle, harmonics to 23 (the Nyquist limit)"; then
  ok "info --json: waveform, forest, segment classifier; harmonics to the Nyquist limit at 2.4 kHz"
else
  bad "info --json of waveform models: $($VIGIL info -m ms.vgm --json)"
fi

# --- A fundamental beyond the ones the model learnt is noted (stderr), within the 5 % that
# is refused: a default-trained model (50 +- 0.05 Hz) on 51 Hz, not one trained on
# --freq-dev 1.5 (its META keeps the range it learnt).
$VIGIL simulate power --mode stream --minutes 0.5 --events-per-hour 1200 --freq-dev 1.5 --seed 12 -o stfd.csv
$VIGIL train -q -i stfd.csv -o fd.vgm --kind forest --trees 3
$VIGIL simulate power --mode stream --minutes 0.1 --f0 51 --seed 13 -o st51.csv
$VIGIL eval -m withtime.vgm -i st51.csv --events > /dev/null 2> n51a.err
$VIGIL eval -m fd.vgm -i st51.csv --events > /dev/null 2> n51b.err
$VIGIL eval -m withtime.vgm -i stev.csv --events > /dev/null 2> n50.err
if grep -q "st51.csv: fundamental measured at 51 Hz; model withtime.vgm learnt 50 Hz and may flag" n51a.err && [ ! -s n51b.err ] && [ ! -s n50.err ]; then
  ok "51 Hz on a 50 Hz model: noted; not on a model trained on +-1.5 Hz, nor 50 Hz data"
else
  bad "fundamental notes: '$(cat n51a.err)' / '$(cat n51b.err)' / '$(cat n50.err)'"
fi

# --- No voltage: a dead snippet is an interruption, not normal; a long outage in a stream
# is an interruption (IEEE 1159: below 0.1 pu), not a sag; dead blocks do not make the
# fundamental's check measure 30 Hz (2026-12-07)
awk -F, 'BEGIN { OFS = "," } NR > 1 && $1 <= 5 { $3 = "0.000000" } { print }' s.csv > sdead.csv
$VIGIL detect -m m.vgm -i sdead.csv -o sdead.out
$VIGIL detect -m ms.vgm -i sdead.csv -o sdead_s.out
if [ "$(awk -F, 'NR > 1 && $1 <= 5 { print $3 "," $4 }' sdead.out sdead_s.out | sort -u)" = "1,4" ]; then
  ok "dead snippets: anomalous, class 4 (interruption), window forest and segment classifier"
else
  bad "dead snippets: $(awk -F, 'NR > 1 && $1 <= 5' sdead.out sdead_s.out | head -4 | tr '\n' ' ')"
fi
$VIGIL simulate power --mode stream --minutes 0.4 --events-per-hour 0 --seed 14 -o calm.csv
awk -F, 'BEGIN { OFS = "," } NR > 1 && $1 >= 10 && $1 < 15 { $2 = "0.000000" } { print }' calm.csv > outage.csv
$VIGIL detect -m withtime.vgm -i outage.csv -o /dev/null --events outage_ev.csv
if [ "$(tail -n +2 outage_ev.csv | cut -d, -f4,5,6)" = "4,interruption,0.0000" ]; then
  ok "a 5 s outage in a stream: one interruption event, 0 pu"
else
  bad "outage events: $(cat outage_ev.csv)"
fi
# nothing labelled, nothing found: no share to report (it printed 0)
$VIGIL eval -m withtime.vgm -i calm.csv --events --json > calm.json
if grep -q '"event_recall":null' calm.json && grep -q '"class_accuracy":null' calm.json && grep -q '"labelled":0' calm.json; then
  ok "eval --events with no event: recall and class accuracy null"
else
  bad "eval --events with no event: $(cat calm.json)"
fi

# --- features: the rate and fundamental checked, --stride refused for waveforms; more options
# that were accepted and ignored, a rate the core cannot frame, a C keyword as a symbol
expect_both 1 "st60.csv: $F 6" "Hz but model m.vgm expects 50 Hz" -- $VIGIL features -m m.vgm -i st60.csv -o x.csv
expect 2 "--stride applies to slow-sensor models" -- $VIGIL features -m m.vgm -i s.csv -o x.csv --stride 5
expect 2 "--boundary is for autoencoders" -- $VIGIL quantize -m m.vgm -o x.vgm --calibrate s.csv --boundary 2
expect 2 "--current-amp goes with --current" -- $VIGIL simulate power --mode stream --current-amp 2 -o x.csv
expect 2 "--scale-i scales a current column; stev.csv has none" -- $VIGIL train -i stev.csv -o x.vgm --kind forest --scale-i 2
expect 2 "--name 'int' is a C keyword" -- $VIGIL export -m m.vgm --c-header x.h --name int
$VIGIL simulate power --mode snippets --per-class 1 --classes 1,2 --cycles 3 --fs 102500 -o s102k.csv
expect 1 "s102k.csv: 102500 Hz gives 2050 samples per 50 Hz cycle; the core takes at most 2048 (102400 Hz)" -- $VIGIL train -i s102k.csv -o x.vgm --kind forest

# --- One class is nothing to tell apart ------------------------------------------------------
$VIGIL simulate power --mode snippets --per-class 3 --classes 1 --seed 2 -o s1.csv
expect 1 "s1.csv: every window is of class 1: a forest learns to tell classes apart" -- $VIGIL train -i s1.csv -o x.vgm --kind forest
expect 1 "s1.csv: every window is of class 0 (normal)" -- $VIGIL train -i s1.csv -o x.vgm --kind forest --binary

# --- Snippets from a pipe are snippets: one row per segment, as from the file ------------
$VIGIL detect -m m.vgm -i s.csv -o sfile.out
if $VIGIL detect -m m.vgm -i - -o spipe.out < s.csv && cmp -s sfile.out spipe.out && head -1 spipe.out | grep -q '^segment,score,anomaly,class$'; then
  ok "detect -i - on snippets writes what it writes for the file"
else
  bad "detect -i - on snippets: $(head -2 spipe.out)"
fi
expect 2 "--events lists the events of a stream" -- sh -c "$VIGIL detect -m m.vgm -i - --events x.csv < s.csv"
head -1 st.csv > sthead.csv
expect 1 "sthead.csv: no data rows after the header" -- $VIGIL detect -m m.vgm -i sthead.csv

# --- Usage ---------------------------------------------------------------------------------
expect 2 "--kind zscore does not take waveforms" -- $VIGIL train -i s.csv -o x.vgm -k forest --kind zscore
expect 2 "--cycles" -- $VIGIL train -i s.csv -o x.vgm --kind forest --cycles 0
expect 2 "unknown feature 'rms.median'" -- $VIGIL train -i s.csv -o x.vgm --kind forest --features rms.max,rms.median
expect 2 "'irms.max' needs a current column" -- $VIGIL train -i s.csv -o x.vgm --kind forest --features irms.max
expect 2 "--mode" -- $VIGIL simulate power -o x.csv
# options of the other kind, and sizes past what the data has, are refused, not ignored
expect 2 "--subsample is for --kind iforest --waveform" -- $VIGIL train -i stev.csv -o x.vgm --kind forest --subsample 10
expect 2 "--false-alarms is for --kind iforest --waveform" -- $VIGIL train -i stev.csv -o x.vgm --kind forest --false-alarms 3
expect 2 "--depth is for --kind forest" -- $VIGIL train -i stev.csv -o x.vgm --kind iforest --waveform --depth 3
expect 2 "--binary is for --kind forest" -- $VIGIL train -i stev.csv -o x.vgm --kind iforest --waveform --binary
expect 2 "--hop-cycles 11 is more than the window's 10 cycles" -- $VIGIL train -i stev.csv -o x.vgm --kind forest --hop-cycles 11
expect 2 "--max-features 75 is more than the 74 features" -- $VIGIL train -i stev.csv -o x.vgm --kind forest --max-features 75
expect 2 "--max-features 234 is more than the 233 features" -- $VIGIL train --kind events -m m.vgm -i stev.csv -o x.vgm --max-features 234
expect 1 "cannot open" -- $VIGIL detect -m m.vgm -i nosuch.csv
finish
