#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The source document's multivariate case: temperature + humidity + vibration, features per
# channel, one model over all; `vigil eval` names the channel and feature behind each event.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
$VIGIL simulate temperature -o t_train.csv --minutes 20 --seed 31
$VIGIL simulate temperature -o t_test.csv --minutes 60 --seed 32
# Humidity and vibration RMS alongside; in the test hour, a humidity burst at 20 min (10 s)
# and a vibration noise burst at 40 min (60 s), labelled.
$PY - <<'PY'
import csv, random
def extend(src, dst, seed, anomalies):
    rnd = random.Random(seed)
    rows = list(csv.DictReader(open(src)))
    t0 = float(rows[0]["timestamp"])
    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "temperature", "humidity", "vibration", "label", "kind"])
        for r in rows:
            t = float(r["timestamp"]) - t0
            hum = 45 + 0.3 * rnd.gauss(0, 1)
            vib = 0.20 + 0.01 * rnd.gauss(0, 1)
            label, kind = 0, "normal"
            if anomalies and 1200 <= t < 1210:
                hum += 12; label, kind = 1, "humidity"
            if anomalies and 2400 <= t < 2460:
                vib += 0.1 * rnd.gauss(0, 1); label, kind = 1, "vibration"
            w.writerow([r["timestamp"], r["value"], "%.3f" % hum, "%.4f" % vib, label, kind])
extend("t_train.csv", "train.csv", 1, False)
extend("t_test.csv", "test.csv", 2, True)
PY
for kind in autoencoder zscore; do
  $VIGIL train -q -i train.csv -o $kind.vgm --kind $kind --seed 3
  channels=$($VIGIL info -m $kind.vgm --json | $PY -c "import json,sys; print(','.join(json.load(sys.stdin)['channels']))")
  [ "$channels" = "temperature,humidity,vibration" ] && ok "$kind: default columns are the three sensors" || bad "$kind: channels $channels"
  $VIGIL eval -m $kind.vgm -i test.csv --json > eval.json
  if $PY - <<'PY'
import json, sys
r = json.load(open("eval.json"))
want = {"humidity": "humidity.", "vibration": "vibration."}
errors = []
for e in r["event_list"]:
    if not e["detected"]:
        errors.append("missed the %s event" % e["kind"])
    elif not e["top_feature"].startswith(want[e["kind"]]):
        errors.append("%s event blamed on %s" % (e["kind"], e["top_feature"]))
if r["events"]["false_alarms"] > 0:
    errors.append("%d false alarms" % r["events"]["false_alarms"])
print(" ".join("%s->%s" % (e["kind"], e.get("top_feature")) for e in r["event_list"]))
for x in errors: print("  " + x)
sys.exit(1 if errors else 0)
PY
  then ok "$kind: each event found and attributed to its channel"; else bad "$kind: attribution"; fi
done
finish
