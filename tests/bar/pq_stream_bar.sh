#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The issue's stream bar at full scale, for fixed seeds (docs/power-quality.md, "Streams",
# "Impulses and false alarms" and "Event classifier"): the documented recipe, a window forest
# (3 hours at 2,000 disturbances an hour, 30 dB, seed 1) and its event classifier (24 hours,
# seed 33, read from standard input), on 1-hour test streams at 6.4 kHz, 30 dB, 60
# disturbances (seeds 22, 25, 28: three of the four that raised false alarms before the
# impulse rule). Asserted, for both models: every disturbance longer than half a cycle found,
# fewer than one false alarm per hour on each stream; with the event classifier (event
# feature layout 2, with the event fit), the issue's bar of event class accuracy >= 0.95 on
# every stream: measured 0.967, 0.966, 0.967 (0.950, 0.932, 0.950 before the event fit). The
# window forest alone gives 0.883, 0.881, 0.933; a regression floor of 0.80 is asserted for
# it. Registered for the optimised build only (tests/tests.cmake): it trains on 540,000
# windows and runs the window forest over 24 hours of waveform, minutes even there.
. "$(dirname "$0")/../e2e/lib.sh"
cd "$TMP"

$VIGIL simulate power --mode stream --minutes 180 --events-per-hour 2000 --snr 30 --seed 1 -o train.csv
$VIGIL train -q -i train.csv -o pq.vgm --kind forest
rm -f train.csv
if $VIGIL info -m pq.vgm | grep -q "^strict class: a window voted class 5 is over only when more than 0.600"; then
  ok "the window forest holds the impulse rule (0.6)"
else
  bad "no impulse rule: $($VIGIL info -m pq.vgm | grep -E 'strict|format')"
fi
# The event classifier, trained on the detected events of its own 24-hour stream (about
# 42,000), streamed through a pipe: the CSV would be 15 GB.
set -o pipefail
trained=0
if $VIGIL simulate power --mode stream --minutes 1440 --events-per-hour 2000 --snr 30 --seed 33 -o - |
  $VIGIL train --kind events -m pq.vgm -i - -o pqe.vgm --max-features 40 > trainev.txt 2>&1; then
  trained=1
fi
set +o pipefail
if [ "$trained" = 1 ] && $VIGIL info -m pqe.vgm | grep -q "^events: *event classifier.*(layout 2, with the event fit)"; then
  ok "event classifier trained: $(head -1 trainev.txt)"
else
  bad "train --kind events failed: $(cat trainev.txt)"
fi
for seed in 22 25 28; do
  $VIGIL simulate power --mode stream --minutes 60 --snr 30 --seed $seed -o test.csv
  $VIGIL eval -m pq.vgm -i test.csv --events --json > e$seed.json
  $VIGIL eval -m pqe.vgm -i test.csv --events --json > c$seed.json
  rm -f test.csv
  cfound=$(jget c$seed.json found_longer_than_half_cycle)
  clong=$(jget c$seed.json longer_than_half_cycle)
  cfa=$(jget c$seed.json false_alarms)
  cacc=$(jget c$seed.json class_accuracy)
  if [ "$clong" -gt 50 ] && [ "$cfound" = "$clong" ] && [ "$cfa" = 0 ]; then
    ok "seed $seed, event classifier: $cfound/$clong found, $cfa false alarms"
  else
    bad "seed $seed, event classifier: $cfound/$clong found, $cfa false alarms"
  fi
  if awk -v a="$cacc" 'BEGIN { exit !(a >= 0.95) }'; then
    ok "seed $seed: event class accuracy with the event classifier $cacc >= 0.95 (the issue's bar)"
  else
    bad "seed $seed: event class accuracy with the event classifier $cacc < 0.95 (the issue's bar)"
  fi
  long=$(jget e$seed.json longer_than_half_cycle)
  found=$(jget e$seed.json found_longer_than_half_cycle)
  fa=$(jget e$seed.json false_alarms)
  acc=$(jget e$seed.json class_accuracy)
  hours=$(jget e$seed.json hours)
  if [ "$long" -gt 50 ] && [ "$found" = "$long" ]; then
    ok "seed $seed: $found/$long disturbances longer than half a cycle found"
  else
    bad "seed $seed: $found/$long longer than half a cycle found"
  fi
  if awk -v f="$fa" -v h="$hours" 'BEGIN { exit !(h > 0.99 && f / h < 1) }'; then
    ok "seed $seed: $fa false alarms in $hours h (< 1 per hour)"
  else
    bad "seed $seed: $fa false alarms in $hours h"
  fi
  if awk -v a="$acc" 'BEGIN { exit !(a >= 0.80) }'; then
    ok "seed $seed: event class accuracy of the window forest alone $acc >= 0.80 (regression floor)"
  else
    bad "seed $seed: event class accuracy $acc < 0.80"
  fi
done
finish
