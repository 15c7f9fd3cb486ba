#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The issue's stream bar at full scale, for fixed seeds (docs/power-quality.md, "Streams" and
# "Impulses and false alarms"): the documented window forest (3 hours at 2,000 disturbances an
# hour, 30 dB, seed 1) on 1-hour test streams at 6.4 kHz, 30 dB, 60 disturbances (seeds 22,
# 25, 28: three of the four that raised false alarms before the impulse rule). Asserted: every
# disturbance longer than half a cycle found, fewer than one false alarm per hour on each
# stream. Event class accuracy >= 0.95 is NOT met yet (measured 0.883, 0.881, 0.933 with the 74 default features; 0.950, 0.932, 0.950 with the event classifier of docs/power-quality.md): it is
# printed, and only a regression floor of 0.80 is asserted. Registered for the optimised build
# only (tests/tests.cmake): it trains on 540,000 windows, minutes under the sanitizers' cost.
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
for seed in 22 25 28; do
  $VIGIL simulate power --mode stream --minutes 60 --snr 30 --seed $seed -o test.csv
  $VIGIL eval -m pq.vgm -i test.csv --events --json > e$seed.json
  rm -f test.csv
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
    ok "seed $seed: event class accuracy $acc >= 0.80 (regression floor; the bar of 0.95 is not met yet)"
  else
    bad "seed $seed: event class accuracy $acc < 0.80"
  fi
done
finish
