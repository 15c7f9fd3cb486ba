#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates tests/golden/: model artifacts of format 1.0 and the detections they must keep
# producing. Run only when a change is meant to alter the format or the arithmetic, and say so
# in the commit; tests/golden/detect_golden.sh holds every later build to these files.
set -eu
vigil=${1:-build/vigil}
g=tests/golden
$vigil simulate temperature -o "$g/train.csv" --minutes 10 --seed 41
$vigil simulate temperature -o "$g/input.csv" --minutes 40 --seed 42 --anomalies spike,noise,dropout --events 1
for kind in autoencoder iforest zscore; do
  $vigil train -q -i "$g/train.csv" -o "$g/$kind.vgm" --kind $kind --seed 5 --epochs 60 --trees 25
  $vigil detect -m "$g/$kind.vgm" -i "$g/input.csv" -o "$g/$kind.expected.csv"
done
rm "$g/train.csv"
