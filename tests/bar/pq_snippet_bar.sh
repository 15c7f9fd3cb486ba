#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The issue's snippet bars at full scale, for fixed seeds (docs/power-quality.md, "Segment
# classifier", "The impulse search" and "The least-squares gate"): 29 classes, 10 cycles at
# 6.4 kHz (the default rate), 20 dB, 1,000 snippets per class; the window forest and its
# segment classifier (SEGC layout 4) trained on seed 1, tested on seed 4. Asserted:
# - the issue's bar of class accuracy with the four near-identical pairs merged >= 0.95:
#   measured 0.9564 (0.9577 and 0.9574 on test seeds 2 and 5; 0.9539 with layout 2, 0.9556
#   with layout 3);
# - normal vs disturbed >= 0.975. The issue's 0.99 is above what any classifier can reach at
#   6.4 kHz: the Bayes bound set by the impulses at 20 dB is 0.978
#   (tools/pq_impulse_bound.py); measured 0.9764 (0.9772 with layout 2: the same features
#   for these two classes but the new ones, another forest);
# - the window forest alone, a regression floor: merged >= 0.90 (measured 0.9089), and the
#   segment classifier's gain over it >= 0.03 (0.048).
# Registered for the optimised build only (tests/tests.cmake): two 1 GB files, and the fit of
# 58,000 snippets, minutes even there.
. "$(dirname "$0")/../e2e/lib.sh"
cd "$TMP"

$VIGIL simulate power --mode snippets --fs 6400 --snr 20 --per-class 1000 --seed 1 -o train.csv
$VIGIL train -q -i train.csv -o w.vgm --kind forest --threads 2
$VIGIL train -q --kind segments -m w.vgm -i train.csv -o s.vgm --threads 2
rm -f train.csv
if $VIGIL info -m s.vgm | grep -q "^segments: *segment classifier (SEGC, host only): 300 trees, [0-9]* nodes over 120 segment features (layout 4)$"; then
  ok "segment classifier trained (SEGC layout 4)"
else
  bad "segment classifier: $($VIGIL info -m s.vgm | grep -E 'segments|format')"
fi
$VIGIL simulate power --mode snippets --fs 6400 --snr 20 --per-class 1000 --seed 4 -o test.csv
$VIGIL eval -m w.vgm -i test.csv --json > w.json
$VIGIL eval -m s.vgm -i test.csv --json > s.json
if [ "$(jget s.json segments)" = 29000 ] && [ "$(jget w.json segments)" = 29000 ]; then
  ok "29,000 test snippets classified"
else
  bad "segments: $(jget w.json segments), $(jget s.json segments)"
fi
atleast "segment classifier: merged class accuracy (the issue's bar)" "$(jget s.json merged_accuracy)" 0.95
atleast "segment classifier: normal vs disturbed (Bayes bound 0.978)" "$(jget s.json binary_accuracy)" 0.975
atleast "window forest alone: merged class accuracy (regression floor)" "$(jget w.json merged_accuracy)" 0.90
gain=$(awk -v a="$(jget s.json merged_accuracy)" -v b="$(jget w.json merged_accuracy)" 'BEGIN { printf "%.4f", a - b }')
atleast "segment classifier: merged gain over the window forest" "$gain" 0.03
echo "segment classifier: $(jget s.json binary_accuracy) / $(jget s.json accuracy) / $(jget s.json macro_f1) / $(jget s.json merged_accuracy) (normal vs disturbed / classes / macro-F1 / merged)"
finish
