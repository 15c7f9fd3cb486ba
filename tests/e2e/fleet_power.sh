#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A power-quality device: a small forest on a simulated stream, then `vigil device` on
# sim:power through the real Mosquitto: events carry the class number and name and the four
# magnitudes; telemetry carries the last cycle's rms, freq and thd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
"$VIGIL" simulate power -o "$TMP/pw.csv" --mode stream --minutes 2 --events-per-hour 600 --snr 40 --seed 3
"$VIGIL" train -q -i "$TMP/pw.csv" -o "$TMP/pq.vgm" --kind forest --trees 20 --threads 1
start_broker
sub "$TMP/got.txt" -q 1 -t 'vigil/dev1/#'
"$VIGIL" device -q --id dev1 --password pw1 -m "$TMP/pq.vgm" --state-dir "$TMP/st" \
  --source sim:power:minutes=0.5:events_per_hour=600:seed=9:snr=40 --broker "$URL" --fast \
  --telemetry-hz 2 > "$TMP/device.log"
wait_for "$TMP/got.txt" '"reason":"stop"' 5 || true
if $PY - "$TMP/got.txt" <<'PY'
import json, sys
msgs = [(l.split(" ", 1)[0].split("/")[2], json.loads(l.split(" ", 1)[1])) for l in open(sys.argv[1]) if l.strip()]
ev = [m for k, m in msgs if k == "event"]
tel = [m for k, m in msgs if k == "telemetry"]
errors = []
if len(ev) < 4: errors.append("only %d event messages" % len(ev))
for e in ev:
    if not isinstance(e["class"], int) or not 2 <= e["class"] <= 29 or not isinstance(e["class_name"], str):
        errors.append("class %r %r" % (e["class"], e["class_name"]))
    if sorted(e["magnitude"]) != ["peak_pu", "sag_pu", "swell_pu", "thd_max"]: errors.append("magnitude %r" % e["magnitude"])
    if e["kind"] != "forest" or e["thr"] != 0.5: errors.append("kind/thr %r %r" % (e["kind"], e["thr"]))
if not tel or sorted(tel[-1]["values"]) != ["freq", "rms", "thd"] or not 45 < tel[-1]["values"]["freq"] < 55:
    errors.append("telemetry values %r" % (tel[-1]["values"] if tel else None))
print("%d event messages, classes %s, %d telemetry" % (len(ev), sorted({e["class_name"] for e in ev}), len(tel)))
for e in errors[:5]: print("  " + e)
sys.exit(1 if errors else 0)
PY
then ok "power-quality events with class, name and magnitudes; cycle telemetry"; else bad "power-quality device"; fi
finish
