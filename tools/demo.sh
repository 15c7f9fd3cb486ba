#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: the live fleet on embedded defaults (docs/demo.md). Trains the three devices'
# models when they are missing, then starts a real Mosquitto (loopback, passwords, per-device
# ACL), `vigil collector` (SQLite, HTTP API, dashboard) and three simulated devices running
# the firmware's application in real time:
#   temp-1  a temperature sensor, the first document's autoencoder (float)
#   grid-1  a power-quality monitor, 6.4 kHz voltage, the random forest (29 classes)
#   temp-2  a second temperature sensor running the same autoencoder quantized to int8
# and prints the dashboard's address. Ctrl-C stops everything.
# Environment: DEMO_DIR (default out/demo), DEMO_HTTP (default 127.0.0.1:8080),
# DEMO_SPEED (time-lapse factor of the temperature devices, default 20: a simulated day in
# 72 minutes), DEMO_SECONDS (stop by itself after that many seconds; default: run until
# Ctrl-C).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
vigil=$build/vigil
out=${DEMO_DIR:-$root/out/demo}
http=${DEMO_HTTP:-127.0.0.1:8080}
speed=${DEMO_SPEED:-20}
mkdir -p "$out/models" "$out/state" "$out/logs"
cd "$out"
say() { printf '== %s\n' "$*"; }

# ---- models (trained once, kept in $out/models) ----
if [ ! -f models/temp.vgm ] || [ ! -f models/temp8.vgm ]; then
  say "training the temperature autoencoder on 10 minutes of normal data"
  $vigil simulate temperature -o models/normal.csv --minutes 10 --rate 2 --seed 101
  $vigil train -q -i models/normal.csv -o models/temp.vgm --kind autoencoder --seed 7
  say "quantizing it to int8"
  $vigil quantize -q -m models/temp.vgm -o models/temp8.vgm --calibrate models/normal.csv
fi
if [ ! -f recordings/temp-1.csv ]; then
  say "a labelled day of temperature for the dashboard's threshold tuning"
  mkdir -p recordings
  $vigil simulate temperature -o recordings/temp-1.csv --minutes 1440 --rate 2 --seed 202 \
    --anomalies all
  cp recordings/temp-1.csv recordings/temp-2.csv
fi
# the recording is replayed with the model the device runs
cp models/temp.vgm recordings/temp-1.vgm
cp models/temp8.vgm recordings/temp-2.vgm
if [ ! -f models/grid.vgm ]; then
  say "training the power-quality forest on a 30-minute 30 dB stream (about a minute)"
  $vigil simulate power --mode stream --minutes 30 --snr 30 --events-per-hour 1500 --seed 5 \
    -o models/grid_train.csv
  $vigil train -q -i models/grid_train.csv -o models/grid.vgm --kind forest
  rm -f models/grid_train.csv
fi

# ---- broker ----
say "starting Mosquitto on 127.0.0.1"
port=$("$root/tools/broker.sh" free-port)
pw() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
p_t1=$(pw) p_g1=$(pw) p_t2=$(pw) p_col=$(pw)
"$root/tools/broker.sh" start "$out/broker" --port "$port" --device "temp-1:$p_t1" \
  --device "grid-1:$p_g1" --device "temp-2:$p_t2" --collector "collector:$p_col" >/dev/null

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  say "stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$root/tools/broker.sh" stop "$out/broker" >/dev/null 2>&1 || true
}
trap stop_all INT TERM EXIT

# ---- collector and dashboard ----
web=()
[ -f "$build/web/index.html" ] && web=(--web "$build/web")
VIGIL_MQTT_PASSWORD=$p_col $vigil collector --broker "127.0.0.1:$port" --user collector \
  --db "$out/fleet.sqlite" --http "$http" --recordings "$out/recordings" "${web[@]}" -q >logs/collector.log 2>&1 &
pids+=($!)

# ---- devices ----
dev() { # dev ID PASS MODEL SOURCE [options]
  local id=$1 pass=$2 model=$3 src=$4
  shift 4
  $vigil device --id "$id" --password "$pass" -m "models/$model" --source "$src" \
    --broker "mqtt://127.0.0.1:$port" --state-dir state --ha-discovery "$@" \
    >"logs/$id.events" 2>"logs/$id.log" &
  pids+=($!)
}
dev temp-1 "$p_t1" temp.vgm "sim:temperature:seed=11:anomalies=all" --speed "$speed"
dev grid-1 "$p_g1" grid.vgm "sim:power:seed=12:snr=30:events_per_hour=120:minutes=1440" \
  --telemetry-hz 5
dev temp-2 "$p_t2" temp8.vgm "sim:temperature:seed=13:anomalies=spike,stuck,noise" \
  --speed "$speed"

sleep 1
for p in "${pids[@]}"; do
  kill -0 "$p" 2>/dev/null || { say "a process failed to start; see $out/logs/"; exit 1; }
done
say "broker   mqtt://127.0.0.1:$port (users and passwords in $out/broker)"
say "devices  temp-1 (autoencoder), grid-1 (power-quality forest), temp-2 (int8 autoencoder)"
say "          temperature at ${speed}x real time; events in $out/logs/<id>.events"
if [ ${#web[@]} -gt 0 ]; then
  say "dashboard http://$http/"
else
  say "API      http://$http/api/devices (the dashboard is not built)"
fi
say "Ctrl-C stops everything"
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  wait "${pids[0]}"
fi
