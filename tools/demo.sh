#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo` until the fleet lands: the first source document's exercise end to end.
# Record normal temperature, train a tiny autoencoder, inject anomalies, detect them as a
# device would, score the result and plot it.
set -eu
build=${1:-build}
vigil=$(cd "$build" && pwd)/vigil
out=${DEMO_DIR:-out/demo}
mkdir -p "$out"
cd "$out"
step() { printf '\n== %s\n' "$*"; }

step "10 minutes of normal temperature at 2 Hz (the exercise asks for one; more is better)"
$vigil simulate temperature -o normal.csv --minutes 10 --rate 2 --seed 101
step "a simulated day with spikes, drifts, stuck readings, noise bursts and dropouts"
$vigil simulate temperature -o day.csv --minutes 1440 --rate 2 --seed 202 --anomalies all
step "train the autoencoder on the normal data"
$vigil train -i normal.csv -o temperature.vgm --kind autoencoder --seed 7
$vigil info -m temperature.vgm
step "stream the day through the detector, sample by sample (the device's code path)"
$vigil detect -m temperature.vgm -i day.csv -o detections.csv
awk -F, 'NR > 1 && $3 == 1 && prev != 1 { n++ } { prev = $3 } END { printf "LED on %d times over the day\n", n }' detections.csv
step "score it against the labels, with plots"
$vigil eval -m temperature.vgm -i day.csv --plots plots | head -12
step "the model as a C header for firmware"
$vigil export -m temperature.vgm --c-header model_data.h --name temperature_model
echo "wrote $(pwd)/model_data.h ($(stat -c %s temperature.vgm) bytes of model)"

step "power quality: 29 disturbance classes at 30 dB, a random forest on per-cycle features"
$vigil simulate power --mode snippets --snr 30 --per-class 40 --seed 1 -o pq_train.csv
$vigil simulate power --mode snippets --snr 30 --per-class 40 --seed 2 -o pq_test.csv
$vigil train -i pq_train.csv -o pq.vgm --kind forest
$vigil eval -m pq.vgm -i pq_test.csv | head -4

printf '\nPlots: %s/plots/signal.png, errors.png, roc.png\n' "$(pwd)"
