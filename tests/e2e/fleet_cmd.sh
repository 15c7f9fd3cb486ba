#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Commands through the real Mosquitto, sent by the collector user: set_threshold is acked and
# applied (status and telemetry carry the new threshold); recalibrate re-learns it from the
# next seconds of data and acks with the result; status republishes the status; bad payloads
# get ok:false with the field named. Then the device is killed with SIGKILL and the broker
# publishes its last will (offline, reason lost, retained).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
make_model
start_broker
sub "$TMP/got.txt" -q 1 -t 'vigil/dev1/#'
"$VIGIL" device -q --id dev1 --password pw1 -m "$MODEL" --state-dir "$TMP/st" \
  --source sim:temperature:anomalies=none:minutes=1440 --broker "$URL" --speed 20 \
  --telemetry-hz 0.5 > "$TMP/device.log" 2> "$TMP/device.err" &
DEV=$!
PIDS+=("$DEV")
wait_for "$TMP/got.txt" '"state":"online"' 10 || bad "device did not come online: $(cat "$TMP/device.err")"
sleep 2 # the first window (30 s of data at 20x) before a calibration can score anything
cmd() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -u col -P cpw -V mqttv5 -q 1 -t vigil/dev1/cmd -m "$1"; }
cmd '{"v":1,"id":"c-1","op":"set_threshold","threshold":7.5}'
cmd '{"v":1,"id":"c-2","op":"set_threshold","threshold":-1}'
cmd '{"v":2,"id":"c-3","op":"status"}'
cmd 'not json'
cmd '{"v":1,"id":"c-5","op":"reboot"}'
cmd '{"v":1,"id":"c-6","op":"recalibrate","seconds":30}'
cmd '{"v":1,"id":"c-7","op":"recalibrate"}'
cmd '{"v":1,"id":"c-8","op":"status"}'
cmd '{"v":1,"id":"c-9","op":"set_threshold","threshold":"0.5"}'
cmd '{"v":1,"id":"c-10","op":"set_threshold","threshold":1e999}'
cmd '{"v":1,"id":"c-11","op":"status","extra":{"ignored":[1,2]}}'
cmd '{"v":1,"id":"c-12","op":"status","id":"again"}'
wait_for "$TMP/got.txt" '^vigil/dev1/ack .*"id":"c-6"' 15 || bad "no ack for the recalibration"
thr=$(grep '^vigil/dev1/ack .*"id":"c-6"' "$TMP/got.txt" | sed -n 's/.*"threshold":\([-0-9.e+]*\).*/\1/p')
wait_for "$TMP/got.txt" "telemetry .*\"thr\":$thr," 10 || bad "no telemetry with the recalibrated threshold $thr"
kill -9 "$DEV"
wait "$DEV" 2>/dev/null || true
wait_for "$TMP/got.txt" '"reason":"lost"' 5 && ok "last will published after SIGKILL" || bad "no last will"
kill "$SUBPID"
if $PY - "$TMP/got.txt" <<'PY'
import json, sys
msgs = [(l.split(" ", 1)[0].split("/")[2], json.loads(l.split(" ", 1)[1])) for l in open(sys.argv[1]) if l.strip() and not l.startswith("vigil/dev1/cmd ")]
acks = {}
nulls = []
for k, m in msgs:
    if k == "ack":
        if m.get("id") is None: nulls.append(m)
        else: acks[m["id"]] = m
errors = []
def want(i, ok, field=None, op=None):
    a = acks.get(i)
    if a is None:
        errors.append("no ack for " + i); return
    if a["ok"] is not ok: errors.append("%s: ok is %r (%s)" % (i, a["ok"], a["error"]))
    if ok and a["error"] is not None: errors.append("%s: error on success" % i)
    if field and not (a["error"] or "").startswith(field + ":"): errors.append("%s: error %r does not name %s" % (i, a["error"], field))
    if op and a["op"] != op: errors.append("%s: op %r" % (i, a["op"]))
    for f in ("v", "boot", "seq", "ts"):
        if f not in a: errors.append("%s: no %s" % (i, f))
want("c-1", True, op="set_threshold")
want("c-2", False, "threshold")
want("c-3", False, "v")
want("c-5", False, "op", op="reboot")
want("c-6", True, op="recalibrate")
want("c-7", False, "seconds")
want("c-8", True, op="status")
want("c-9", False, "threshold")
want("c-10", False, "threshold")
want("c-11", True)
want("c-12", False, "id")
if not any((n["error"] or "").startswith("payload:") for n in nulls): errors.append("no payload error for 'not json': %r" % nulls)
if "c-6" in acks and not (acks["c-6"].get("threshold", 0) > 0): errors.append("recalibrate ack without the threshold")
thr = [m["model"]["threshold"] for k, m in msgs if k == "status" and m["state"] == "online"]
if 7.5 not in thr: errors.append("no status with threshold 7.5: %r" % thr)
tele = [m["thr"] for k, m in msgs if k == "telemetry"]
if 7.5 not in tele: errors.append("telemetry never carried thr 7.5")
if "c-6" in acks and tele and tele[-1] != acks["c-6"].get("threshold"): errors.append("recalibrated threshold not applied: %r vs %r" % (tele[-1], acks["c-6"].get("threshold")))
last = [m for k, m in msgs if k == "status"][-1]
if last["state"] != "offline" or last.get("reason") != "lost": errors.append("last status %r" % last)
print("acks:", {i: (a["ok"], a["error"]) for i, a in sorted(acks.items())})
print("recalibrated threshold:", acks.get("c-6", {}).get("threshold"), "ack seq", acks.get("c-6", {}).get("seq"), "telemetry:", [(m["seq"], m["thr"]) for k, m in msgs if k == "telemetry"][-5:])
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY
then ok "acks for good and bad commands; set_threshold and recalibrate applied"; else bad "commands"; fi
finish
