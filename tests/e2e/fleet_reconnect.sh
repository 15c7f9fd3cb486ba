#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The broker goes away in the middle of a run and comes back: the device queues its events,
# reconnects with backoff, and every event reaches the collector's persistent session exactly
# once and in order (compared with the device's own log). Then the queue outlives the device:
# events made while no broker runs wait in the queue file and are sent first by the next start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
make_model
start_broker
# A persistent session (client id, clean start off, QoS 1): the broker keeps what arrives while
# the subscriber is away, across its own restart (persistence on).
psub() { sub "$1" -i collector-test -c -x 3600 -q 1 -t 'vigil/dev1/event' -t 'vigil/dev1/status'; }
psub "$TMP/a.txt"
"$VIGIL" device --id dev1 --password pw1 -m "$MODEL" --state-dir "$TMP/st" \
  --source sim:temperature:anomalies=spike:events=6:minutes=80:seed=11 --broker "$URL" \
  --speed 400 --telemetry-hz 0.02 --drain 20 > "$TMP/device.log" 2> "$TMP/device.err" &
DEV=$!
PIDS+=("$DEV")
wait_for "$TMP/device.log" '"event":1,"phase":"close"' 20 || bad "no first event before the outage"
kill "$SUBPID"
"$BROKER" stop "$BDIR"
down_at=$(grep -c . "$TMP/device.log")
sleep 4
"$BROKER" start "$BDIR" 2>/dev/null
psub "$TMP/b.txt"
rc=0
wait "$DEV" || rc=$?
[ $rc = 0 ] && ok "device finished (exit 0)" || bad "device exit $rc: $(tail -3 "$TMP/device.err")"
made_while_down=$(($(grep -c . "$TMP/device.log") - down_at))
grep -q "connection lost" "$TMP/device.err" && grep -qE "retrying in [0-9.]+ s" "$TMP/device.err" &&
  ok "device saw the outage and backed off" || bad "no reconnect: $(cat "$TMP/device.err")"
wait_for "$TMP/b.txt" '"reason":"stop"' 10 || true
kill "$SUBPID" 2>/dev/null || true
cat "$TMP/a.txt" "$TMP/b.txt" | grep ' ' | grep '^vigil/dev1/event ' > "$TMP/got.txt" || true
grep '^vigil/dev1/event ' "$TMP/device.log" > "$TMP/want.txt" || true
n=$(grep -c . "$TMP/want.txt" || true)
if [ "$n" -ge 8 ] && cmp -s "$TMP/want.txt" "$TMP/got.txt"; then
  ok "all $n event messages delivered exactly once, in order ($made_while_down made during the outage)"
else
  bad "events: device logged $n, collector got $(grep -c . "$TMP/got.txt"); diff:"
  diff "$TMP/want.txt" "$TMP/got.txt" | head -10
fi
grep -q '"state":"online"' "$TMP/b.txt" && ok "online status after the reconnect" || bad "no online status after the reconnect"

# The queue file outlives the device: no broker, two events queued; the next start sends them
# (boot 1's) before its own messages.
"$BROKER" stop "$BDIR"
rm -rf "$TMP/st2"
"$VIGIL" device -q --id dev2 --password pw2 -m "$MODEL" --state-dir "$TMP/st2" \
  --source sim:temperature:anomalies=spike:events=1:minutes=25:seed=12 --broker "$URL" \
  --fast --telemetry-hz 0 --drain 0 > "$TMP/dev2a.log"
[ "$(grep -c . "$TMP/dev2a.log")" = 2 ] && ok "two events queued with no broker" || bad "dev2 first run: $(cat "$TMP/dev2a.log")"
"$BROKER" start "$BDIR" 2>/dev/null
sub "$TMP/dev2.txt" -q 1 -t 'vigil/dev2/#'
"$VIGIL" device -q --id dev2 --password pw2 -m "$MODEL" --state-dir "$TMP/st2" \
  --source sim:temperature:anomalies=none:minutes=1 --broker "$URL" --fast --telemetry-hz 0 > /dev/null
wait_for "$TMP/dev2.txt" '"reason":"stop"' 5 || true
if $PY - "$TMP/dev2.txt" "$TMP/dev2a.log" <<'PY'
import json, sys
got = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1]) if l.strip()]
want = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()]
events = [" ".join(g) for g in got if g[0] == "vigil/dev2/event"]
boots = [json.loads(p)["boot"] for t, p in got]
ok = events == want and boots[:3] == [2, 1, 1] and json.loads(got[0][1]).get("queued") == 2
print("messages:", [(t.split("/")[2], json.loads(p)["boot"], json.loads(p)["seq"]) for t, p in got])
sys.exit(0 if ok else 1)
PY
then ok "queued events of boot 1 delivered by boot 2 (status said queued 2)"; else bad "queue across restart"; fi
finish
