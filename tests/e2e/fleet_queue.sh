#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Queue overflow: with no broker and --queue-max 2, the first event's open and close wait in the
# queue and the later ones are refused and counted; when the broker comes up during the drain,
# the online status reports queued 2 and dropped 4, and exactly the two queued messages arrive.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
make_model
PORT=$("$BROKER" free-port)
URL=mqtt://127.0.0.1:$PORT
# The collector's persistent session is made first, on a broker stopped again before the
# device starts: when it comes back, the device may deliver before a new subscription would
# be in place (under load it did), and the session queues what it sends (QoS 1).
"$BROKER" start "$BDIR" --port "$PORT" --device dev1:pw1 --collector col:cpw 2>/dev/null
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u col -P cpw -V mqttv5 -c -i qcol -x 3600 -q 1 -t 'vigil/dev1/#' -E
"$BROKER" stop "$BDIR" 2>/dev/null
"$VIGIL" device --id dev1 --password pw1 -m "$MODEL" --state-dir "$TMP/st" --queue-max 2 \
  --source sim:temperature:anomalies=spike:events=3:minutes=50:seed=7 --broker "$URL" \
  --fast --telemetry-hz 0 --drain 30 > "$TMP/device.log" 2> "$TMP/device.err" &
DEV=$!
PIDS+=("$DEV")
wait_for "$TMP/device.err" "delivering 2 queued" 20 && ok "2 messages queued, waiting for a broker" ||
  bad "device: $(cat "$TMP/device.err")"
grep -c "queue full" "$TMP/device.err" | grep -qx 4 && ok "4 messages refused by the full queue" ||
  bad "queue full notes: $(grep -c "queue full" "$TMP/device.err")"
"$BROKER" start "$BDIR" --port "$PORT" --device dev1:pw1 --collector col:cpw 2>/dev/null
sub "$TMP/got.txt" -c -i qcol -x 3600 -q 1 -t 'vigil/dev1/#'
rc=0
wait "$DEV" || rc=$?
[ $rc = 0 ] && ok "device delivered and stopped (exit 0)" || bad "device exit $rc"
wait_for "$TMP/got.txt" '"reason":"stop"' 5 || true
if $PY - "$TMP/got.txt" "$TMP/device.log" <<'PY'
import json, sys
got = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1]) if l.strip()]
msgs = [(t.split("/")[2], json.loads(p)) for t, p in got]
online = [m for k, m in msgs if k == "status" and m["state"] == "online"]
events = [m for k, m in msgs if k == "event"]
errors = []
if not online or online[0]["queued"] != 2 or online[0]["dropped"] != 4:
    errors.append("online status %r" % online)
if [(e["event"], e["phase"]) for e in events] != [(1, "open"), (1, "close")]:
    errors.append("events %r" % [(e["event"], e["phase"]) for e in events])
stop = [m for k, m in msgs if k == "status" and m.get("reason") == "stop"]
if not stop or stop[0]["dropped"] != 4 or stop[0]["queued"] != 0:
    errors.append("stop status %r" % stop)
logged = len([l for l in open(sys.argv[2]) if l.startswith("vigil/dev1/event ")])
if logged != 6: errors.append("the device logged %d event messages, want 6" % logged)
print("online:", online and {k: online[0][k] for k in ("queued", "dropped")}, "events:", len(events))
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY
then ok "overflow counted in status.dropped; only the queued messages delivered"; else bad "overflow"; fi
finish
