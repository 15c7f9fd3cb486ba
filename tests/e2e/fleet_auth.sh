#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The broker's gate, with the real Mosquitto: a device with a wrong password is refused with a
# clear error and exit status 1; a device publishing under another device's id (with that
# other device's credentials) gets nothing through the ACL (checked with a collector
# subscription); tools/broker.sh reports a port in use; a device added with add-device
# (SIGHUP) can connect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet_common.inc"
make_model
start_broker

expect 1 "the broker refused device 'dev1'" -- "$VIGIL" device --id dev1 -m "$MODEL" \
  --source sim:temperature:minutes=20 --broker "$URL" --password wrong --state-dir "$TMP/st" --fast
printf 'pw2\n' > "$TMP/pw"
expect 1 "check the user name and password" -- "$VIGIL" device --id dev1 -m "$MODEL" \
  --source sim:temperature:minutes=20 --broker "$URL" --password-file "$TMP/pw" --state-dir "$TMP/st" --fast
expect 1 "no password (the file is empty)" -- "$VIGIL" device --id dev1 -m "$MODEL" \
  --source sim:temperature:minutes=20 --broker "$URL" --password-file /dev/null --state-dir "$TMP/st" --fast

# dev1's credentials, dev2's id: every message to vigil/dev2/... is refused by the ACL.
sub "$TMP/dev2.txt" -t 'vigil/dev2/#'
"$VIGIL" device --id dev2 --user dev1 --password pw1 -m "$MODEL" --state-dir "$TMP/st" \
  --source sim:temperature:anomalies=spike:events=2:minutes=40:seed=3 --broker "$URL" --fast \
  --telemetry-hz 0.02 --drain 3 > "$TMP/dev2.log" 2> "$TMP/dev2.err" || true
sleep 0.5
events=$(grep -c ' ' "$TMP/dev2.log" || true)
if [ "$events" -ge 2 ] && [ ! -s "$TMP/dev2.txt" ]; then
  ok "device posing as dev2 produced $events events; the collector saw nothing under vigil/dev2/"
else
  bad "ACL: device log has $events events, collector saw: $(head -3 "$TMP/dev2.txt")"
fi
grep -q "Not authorized (MQTT reason 135)" "$TMP/dev2.err" && ok "refusals reported (PUBACK 135)" ||
  bad "no refusal reported: $(tail -3 "$TMP/dev2.err")"
grep -q "refused" "$TMP/dev2.err" && ok "refused messages counted" || bad "refusals not counted"

# The same device with its own id goes through.
sub "$TMP/dev1.txt" -t 'vigil/dev1/status'
"$VIGIL" device -q --id dev1 --password pw1 -m "$MODEL" --state-dir "$TMP/st" \
  --source sim:temperature:anomalies=none:minutes=5 --broker "$URL" --fast --telemetry-hz 0 >/dev/null
wait_for "$TMP/dev1.txt" '"state":"offline","reason":"stop"' 5 && ok "dev1 with its own id connects" ||
  bad "dev1 did not connect: $(cat "$TMP/dev1.txt")"

# add-device reloads the broker (SIGHUP); the new device connects.
"$BROKER" add-device "$BDIR" dev3 pw3
sub "$TMP/dev3.txt" -t 'vigil/dev3/status'
"$VIGIL" device -q --id dev3 --password pw3 -m "$MODEL" --state-dir "$TMP/st" \
  --source sim:temperature:anomalies=none:minutes=5 --broker "$URL" --fast --telemetry-hz 0 >/dev/null
wait_for "$TMP/dev3.txt" '"state":"online"' 5 && ok "add-device: dev3 connects after the reload" ||
  bad "dev3 did not connect"

# broker.sh's own errors
expect 1 "is in use" -- "$BROKER" start "$TMP/other" --port "$PORT" --device x:y
expect 2 "must be a number" -- "$BROKER" start "$TMP/other" --port 80 --device x:y
finish
