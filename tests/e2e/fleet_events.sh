#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A device with injected anomalies, through the real Mosquitto (TLS listener): the collector
# user receives the online status, telemetry, each event's open and close with the fields of
# docs/protocol.md (every payload parsed as JSON), seq increasing within the boot, the Home
# Assistant discovery configs, and the offline status (reason stop) at the end. The events
# match the device's own log line for line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
make_model
start_broker --tls
TLS_URL=mqtts://localhost:$((PORT + 1))
sub "$TMP/all.txt" -h localhost -p $((PORT + 1)) --cafile "$BDIR/ca.crt" -t 'vigil/dev1/#' -t 'homeassistant/#'
"$VIGIL" device -q --id dev1 --password pw1 --cafile "$BDIR/ca.crt" -m "$MODEL" \
  --state-dir "$TMP/st" --source sim:temperature:anomalies=spike:events=3:minutes=50:seed=7 \
  --broker "$TLS_URL" --fast --telemetry-hz 0.05 --ha-discovery > "$TMP/device.log" 2> "$TMP/device.err" && rc=0 || rc=$?
[ $rc = 0 ] && ok "device ran to the end of the source (exit 0)" || bad "device exit $rc: $(tail -5 "$TMP/device.err")"
wait_for "$TMP/all.txt" '"reason":"stop"' 5 || true
kill "$SUBPID" 2>/dev/null || true

if $PY - "$TMP/all.txt" "$TMP/device.log" <<'PY'
import json, sys
lines = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1]) if l.strip()]
errors = []
msgs = []
for topic, payload in lines:
    try:
        msgs.append((topic, json.loads(payload)))
    except ValueError as e:
        errors.append("%s: not JSON: %s (%s)" % (topic, payload[:80], e))
common = {"v": int, "boot": int, "seq": int, "ts": int}
def check(topic, m, fields):
    for k, t in list(common.items()) + list(fields.items()):
        if k not in m:
            errors.append("%s: no field %s in %s" % (topic, k, m))
        elif t is not None and not isinstance(m[k], t):
            errors.append("%s: %s is %r" % (topic, k, m[k]))
seqs = []
events = {}
for topic, m in msgs:
    if topic.startswith("homeassistant/"):
        continue
    leaf = topic.split("/")[2]
    seqs.append(m["seq"])
    if m["v"] != 1: errors.append("v is not 1")
    if leaf == "status":
        check(topic, m, {"state": str, "fw": str, "model": dict, "uptime_s": int, "queued": int, "dropped": int})
        mk = m["model"]
        for k in ("kind", "crc", "rate_hz", "threshold"):
            if k not in mk: errors.append("status.model lacks " + k)
        if mk.get("kind") != "zscore" or len(mk.get("crc", "")) != 8: errors.append("status.model %r" % mk)
    elif leaf == "telemetry":
        check(topic, m, {"t": (int, float), "values": dict, "score": (int, float), "raw": (int, float), "thr": (int, float), "anomaly": bool})
        if "value" not in m["values"]: errors.append("telemetry values %r" % m["values"])
        if not 0 <= m["score"] < 1: errors.append("score %r" % m["score"])
    elif leaf == "event":
        check(topic, m, {"event": int, "phase": str, "t_start": (int, float), "score": (int, float), "raw": (int, float), "thr": (int, float), "kind": str, "magnitude": dict, "features": dict})
        for k in ("t_end", "class", "class_name"):
            if k not in m: errors.append("event lacks " + k)
        if m["phase"] == "open" and m["t_end"] is not None: errors.append("open with t_end")
        if m["phase"] == "close" and not m["t_end"] >= m["t_start"]: errors.append("close t_end %r" % m["t_end"])
        if m["class"] is not None or m["class_name"] is not None: errors.append("class on a zscore model")
        if not isinstance(m["magnitude"].get("peak"), (int, float)): errors.append("no magnitude.peak")
        if not 0 < len(m["features"]) <= 16: errors.append("features %r" % m["features"])
        if not m["score"] > 0.5 or not m["raw"] > m["thr"]: errors.append("event score %r raw %r thr %r" % (m["score"], m["raw"], m["thr"]))
        events.setdefault(m["event"], []).append(m["phase"])
status = [m for t, m in msgs if t.endswith("/status")]
if not status or status[0]["state"] != "online": errors.append("first status is not online")
if not status or status[-1].get("reason") != "stop": errors.append("last status is not offline/stop")
# seq is taken when a message is made: unique in the boot, increasing on each topic (events
# queued before the connection carry lower numbers than the online status).
if len(set(seqs)) != len(seqs): errors.append("seq repeats: %s" % seqs[:20])
for leaf in ("status", "telemetry", "event"):
    s = [m["seq"] for t, m in msgs if t == "vigil/dev1/" + leaf]
    if s != sorted(s): errors.append("%s seq not increasing: %s" % (leaf, s[:20]))
if len(events) < 3 or any(v != ["open", "close"] for v in events.values()):
    errors.append("events: %r" % events)
ha = {t: m for t, m in msgs if t.startswith("homeassistant/")}
b = ha.get("homeassistant/binary_sensor/vigil_dev1/anomaly/config")
s = ha.get("homeassistant/sensor/vigil_dev1/score/config")
if not b or b.get("device_class") != "problem" or b.get("state_topic") != "vigil/dev1/telemetry" or b.get("availability_topic") != "vigil/dev1/status":
    errors.append("HA binary sensor config %r" % b)
if not s or "score" not in s.get("value_template", ""): errors.append("HA score config %r" % s)
# the device's own log: the same event payloads, in the same order
log = [l.rstrip("\n") for l in open(sys.argv[2]) if l.startswith("vigil/dev1/event ")]
got = [" ".join(p) for p in lines if p[0] == "vigil/dev1/event"]
if log != got: errors.append("events differ from the device log: %d vs %d" % (len(log), len(got)))
print("%d messages, %d events, seq %d..%d" % (len(msgs), len(events), seqs[0] if seqs else 0, seqs[-1] if seqs else 0))
for e in errors[:10]: print("  " + e)
sys.exit(1 if errors else 0)
PY
then ok "protocol fields, seq order, events open/close, HA discovery, device log (TLS)"; else bad "payload checks"; fi
# retained: a late subscriber gets the offline status and the discovery configs
timeout 3 mosquitto_sub -h 127.0.0.1 -p "$PORT" -u col -P cpw -V mqttv5 -v -W 2 \
  -t vigil/dev1/status -t 'homeassistant/#' > "$TMP/retained.txt" 2>/dev/null || true
[ "$(grep -c . "$TMP/retained.txt")" = 3 ] && grep -q '"reason":"stop"' "$TMP/retained.txt" &&
  ok "status and discovery configs are retained" || bad "retained: $(cat "$TMP/retained.txt")"
finish
