#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`'s script end to end: it trains the three models, starts Mosquitto, the collector
# and three devices; all three devices are online in the collector's API with
# their models (autoencoder, forest, autoencoder-int8) and their telemetry is stored, the
# dashboard's page is served, and SIGTERM (what Ctrl-C is to the foreground demo: a background
# job of a script ignores SIGINT) stops every process it started.
. "$(dirname "$0")/lib.sh"
build=$(dirname "$VIGIL")
port=$("$VIGIL_SOURCE_DIR/tools/broker.sh" free-port)
DEMO_DIR=$TMP/demo DEMO_HTTP=127.0.0.1:$port "$VIGIL_SOURCE_DIR/tools/demo.sh" "$build" >"$TMP/demo.out" 2>&1 &
demo=$!
api=http://127.0.0.1:$port
kinds=""
for _ in $(seq 1 960); do # up to 8 minutes: training under ASan is slow
  kinds=$(curl -sf "$api/api/devices" 2>/dev/null |
    $PY -c 'import json,sys; print(" ".join(sorted(d["device"]+"="+str(d["model_kind"]) for d in json.load(sys.stdin) if d["state"]=="online")))' 2>/dev/null || true)
  [ "$kinds" = "grid-1=forest temp-1=autoencoder temp-2=autoencoder-int8" ] && break
  kill -0 $demo 2>/dev/null || break
  sleep 0.5
done
if [ "$kinds" = "grid-1=forest temp-1=autoencoder temp-2=autoencoder-int8" ]; then
  ok "three devices online with their models: $kinds"
else
  bad "devices online: '$kinds'"; cat "$TMP/demo.out"
fi
sleep 3
for id in temp-1 grid-1 temp-2; do
  n=$(curl -sf "$api/api/telemetry?device=$id&limit=50" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))' || echo 0)
  [ "$n" -gt 0 ] && ok "$id: telemetry stored ($n rows)" || bad "$id: no telemetry stored"
done
if curl -sf "$api/" | grep -q "<title>"; then ok "the dashboard is served"; else bad "no dashboard page at $api/"; fi
grep -q "dashboard http://127.0.0.1:$port/" "$TMP/demo.out" && ok "the dashboard's address is printed" || bad "no dashboard address printed"
broker=$(cat "$TMP/demo/broker/mosquitto.pid")
kill -TERM $demo
for _ in $(seq 1 60); do kill -0 $demo 2>/dev/null || break; sleep 0.5; done
if kill -0 $demo 2>/dev/null; then bad "the demo did not stop on SIGTERM"; kill -KILL $demo; else ok "the demo stopped on SIGTERM"; fi
if kill -0 "$broker" 2>/dev/null; then bad "the broker is still running"; kill "$broker"; else ok "the broker was stopped"; fi
left=$(pgrep -f "$TMP/demo" || true)
[ -z "$left" ] && ok "no process of the demo is left" || { bad "processes left: $left"; pkill -f "$TMP/demo" || true; }
finish
