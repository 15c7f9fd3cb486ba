#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dashboard end to end: a real Mosquitto, the collector (SQLite, --web with the built
# dashboard, --recordings), devices publishing docs/protocol.md payloads (a recording replayed
# through its model with mosquitto_pub, vigil-loadgen, hand-written status and power-quality
# events), and headless Chromium driving the page (tests/e2e/dashboard_check.mjs): the page
# loads, live telemetry reaches the chart, injected events reach the log within 2 s, the
# tuning view replays the recording at another threshold and sending it puts a cmd on the
# broker whose ack the page shows; after a collector restart the page reconnects and fills the
# gap. Screenshots: $VIGIL_BUILD_DIR/artifacts/dashboard*.png.
. "$(dirname "$0")/lib.sh"
: "${VIGIL_BUILD_DIR:?set VIGIL_BUILD_DIR}"
: "${VIGIL_LOADGEN:?set VIGIL_LOADGEN}"
. "$(dirname "$0")/fleet/lib.sh"
HERE="$VIGIL_SOURCE_DIR/tests/e2e"
WEB="$VIGIL_BUILD_DIR/web"
SHOT="$VIGIL_BUILD_DIR/artifacts/dashboard.png"

for p in mosquitto mosquitto_pub mosquitto_sub node curl; do
  command -v "$p" >/dev/null || { echo "FAIL - $p not found (tools/install-deps.sh installs it)"; exit 1; }
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "FAIL - no chromium (tools/install-deps.sh installs it)"; exit 1; }
[ -f "$WEB/index.html" ] || { echo "FAIL - $WEB/index.html missing: the build makes it (web/, tools/build-web.sh)"; exit 1; }
[ -f "$VIGIL_SOURCE_DIR/web/node_modules/playwright-core/index.mjs" ] ||
  { echo "FAIL - web/node_modules missing: run tools/install-deps.sh (npm ci in web/)"; exit 1; }
cd "$TMP"

http() { # http PATH: prints "STATUS BODY"
  local body code
  body=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$HTTP_PORT$1")
  code=${body##*$'\n'}
  echo "$code ${body%$'\n'*}"
}
json_get() { $PY -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
rows() { $PY -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" fleet.sqlite "$1"; }

# ---- a device's recording and model (what --recordings holds) ----
mkdir -p recs
"$VIGIL" simulate temperature -o train.csv --minutes 60 --seed 2 2>/dev/null
"$VIGIL" simulate temperature -o recs/dev-a.csv --minutes 120 --seed 5 \
  --anomalies spike,drift,stuck,noise --events 2 2>/dev/null
"$VIGIL" train -i train.csv -o recs/dev-a.vgm --kind zscore 2>/dev/null
"$VIGIL" detect -m recs/dev-a.vgm -i recs/dev-a.csv -o detect.csv
ok "recording and model for dev-a"

# ---- broker (passwords and per-device ACLs: tools/broker.sh) and collector ----
BROKER_PORT=$(free_port)
devs=(--device dev-a:pw --device dev-c:pw --device pq-01:pw)
for i in 1 2 3; do devs+=(--device "lg-000$i:pw"); done
broker_start "$BROKER_PORT" "${devs[@]}" && ok "mosquitto on 127.0.0.1:$BROKER_PORT" ||
  { bad "mosquitto did not start"; finish; exit 1; }
collector c --db "$TMP/fleet.sqlite" --http 127.0.0.1:0 --web "$WEB" --recordings "$TMP/recs" ||
  { bad "collector did not start"; finish; exit 1; }
HTTP_PORT=$c_port
ok "collector on 127.0.0.1:$HTTP_PORT, connected to the broker"

# ---- the replay endpoint itself ----
base=$(http "/api/replay?device=dev-a")
[ "${base%% *}" = 200 ] && ok "GET /api/replay?device=dev-a -> 200" || bad "replay: $base"
THR=$(echo "${base#* }" | json_get "d['model']['threshold']")
CRC=$(echo "${base#* }" | json_get "d['model']['crc']")
CANDIDATE=$($PY -c "print(round($THR * 0.6, 4))")
got=$(http "/api/replay?device=dev-a&threshold=$CANDIDATE&points=0")
"$VIGIL" eval -m recs/dev-a.vgm -i recs/dev-a.csv --threshold "$CANDIDATE" --json >eval.json
same=$(echo "${got#* }" | $PY -c "
import json, sys
r = json.load(sys.stdin); e = json.load(open('eval.json'))
close = lambda a, b: abs(a - b) <= 1e-5 * max(1, abs(b))
print(all(close(r['pointwise'][k], e['pointwise'][k]) for k in ('precision', 'recall', 'f1'))
      and r['events']['detected'] == e['events']['detected'] and r['events']['predicted'] == e['events']['predicted']
      and r['events']['false_alarms'] == e['events']['false_alarms'] and r['windows']['count'] == len(r['windows']['raw']))")
[ "$same" = True ] && ok "replay at $CANDIDATE agrees with vigil eval --threshold $CANDIDATE" ||
  bad "replay and eval differ: ${got:0:300} / $(head -c 300 eval.json)"
for q in "threshold=0" "threshold=-1" "threshold=nan" "threshold=inf" "threshold=1e999" "threshold=abc"; do
  r=$(http "/api/replay?device=dev-a&$q")
  case "$r" in "400 "*'"threshold: must be a finite number > 0'*) ok "$q -> 400 naming threshold" ;;
    *) bad "$q -> $r" ;; esac
done
r=$(http "/api/replay?threshold=1"); case "$r" in "400 "*'"device: '*) ok "no device -> 400 naming device" ;; *) bad "no device -> $r" ;; esac
r=$(http "/api/replay?device=nobody"); case "$r" in "404 "*'no recording'*) ok "device without a recording -> 404" ;; *) bad "nobody -> $r" ;; esac
cut -d, -f1,2 recs/dev-a.csv >recs/nolabel.csv
cp recs/dev-a.vgm recs/nolabel.vgm
r=$(http "/api/replay?device=nolabel"); case "$r" in "422 "*"no 'label' column"*) ok "recording without labels -> 422" ;; *) bad "nolabel -> $r" ;; esac
"$VIGIL" simulate temperature -o recs/slow.csv --minutes 30 --rate 1 --anomalies spike --events 1 2>/dev/null
cp recs/dev-a.vgm recs/slow.vgm
r=$(http "/api/replay?device=slow"); case "$r" in "422 "*"sampled at 1 Hz"*) ok "recording at another rate -> 422" ;; *) bad "slow -> $r" ;; esac
r=$(http "/api/replay?device=dev-a&points=50")
thin=$(echo "${r#* }" | json_get "len(d['windows']['raw']) == 50 and d['windows']['thinned'] and max(d['windows']['raw']) == max(p['peak'] for p in d['raised'])")
[ "$thin" = True ] && ok "points=50: 50 window scores, the highest kept" || bad "points=50: ${r:0:200}"

# ---- devices ----
pubm() { # pubm DEVICE mosquitto_pub-options...: publish as that device, QoS 1
  local d=$1
  shift
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -u "$d" -P pw -q 1 "$@"
}
now() { date +%s%3N; }
BOOT=3
pubm dev-a -r -t vigil/dev-a/status -m "{\"v\":1,\"boot\":$BOOT,\"seq\":1,\"ts\":$(now),\"state\":\"online\",\"fw\":\"0.1.0\",\"model\":{\"kind\":\"zscore\",\"crc\":\"$CRC\",\"rate_hz\":2,\"threshold\":$THR},\"uptime_s\":3600,\"queued\":0,\"dropped\":0}"
pubm dev-c -r -t vigil/dev-c/status -m "{\"v\":1,\"boot\":5,\"seq\":88,\"ts\":$(($(now) - 600000)),\"state\":\"offline\",\"reason\":\"lost\",\"fw\":\"0.1.0\",\"model\":{\"kind\":\"autoencoder\",\"crc\":\"9f3a01c2\",\"rate_hz\":2,\"threshold\":0.0123},\"uptime_s\":0,\"queued\":2,\"dropped\":0}"
pubm pq-01 -r -t vigil/pq-01/status -m "{\"v\":1,\"boot\":2,\"seq\":1,\"ts\":$(now),\"state\":\"online\",\"fw\":\"0.1.0\",\"model\":{\"kind\":\"forest\",\"crc\":\"1b2c3d4e\",\"rate_hz\":6400,\"threshold\":0.5},\"uptime_s\":120,\"queued\":0,\"dropped\":0}"
t=$(($(now) - 90000))
pq_event() { # pq_event SEQ TS EVENT PHASE CLASS NAME MAGNITUDE
  local tend=null
  [ "$4" = close ] && tend=41.2
  pubm pq-01 -t vigil/pq-01/event -m "{\"v\":1,\"boot\":2,\"seq\":$1,\"ts\":$2,\"event\":$3,\"phase\":\"$4\",\"t_start\":40.1,\"t_end\":$tend,\"score\":0.91,\"raw\":0.91,\"thr\":0.5,\"kind\":\"forest\",\"class\":$5,\"class_name\":\"$6\",\"magnitude\":$7,\"features\":{}}"
}
pq_event 2 "$t" 1 open 2 sag '{"sag_pu":0.62}'
pq_event 3 $((t + 1100)) 1 close 2 sag '{"sag_pu":0.58}'
pq_event 4 $((t + 45000)) 2 open 3 swell '{"swell_pu":1.21}'
# pq-01's last minute of telemetry: three channels of very different scales.
$PY - "$(now)" >pq.lines <<'EOF'
import json, math, sys
now = int(sys.argv[1])
for i in range(120):
    sag = 40 <= i < 43
    print(json.dumps({"v": 1, "boot": 2, "seq": 10 + i, "ts": now - (119 - i) * 500, "t": 60 + i / 2,
                      "values": {"rms": round((0.6 if sag else 1.0) * 230 + math.sin(i / 5), 2),
                                 "freq": round(50 + 0.01 * math.sin(i / 9), 4),
                                 "thd": round(0.03 + 0.005 * math.sin(i / 7), 4)},
                      "score": 0.9 if sag else 0.05, "raw": 0.9 if sag else 0.05, "thr": 0.5,
                      "anomaly": sag}, separators=(",", ":")))
EOF
pubm pq-01 -q 0 -t vigil/pq-01/telemetry -l <pq.lines

# dev-a: ten minutes of history (with the recording's spike), then live at 2 rows a second.
START=4000 HIST=1800
SEQ=$($PY "$HERE/dashboard_device.py" history recs/dev-a.csv detect.csv --start $START --rows $HIST \
  --boot $BOOT --thr "$THR" --out .)
pubm dev-a -q 0 -t vigil/dev-a/telemetry -l <telemetry.lines
pubm dev-a -t vigil/dev-a/event -l <events.lines
n_ev=$(wc -l <events.lines)
tele_in() { [ "$(rows "SELECT count(*) FROM telemetry WHERE device='dev-a'")" -ge $((HIST - 20)) ]; }
wait_until 15 tele_in && ok "history stored: $(rows "SELECT count(*) FROM telemetry WHERE device='dev-a'") telemetry rows, $n_ev events" ||
  bad "history not stored: $(rows "SELECT count(*) FROM telemetry") rows"
$PY "$HERE/dashboard_device.py" live recs/dev-a.csv detect.csv --start $((START + HIST)) --seq "$SEQ" \
  --boot $BOOT --thr "$THR" 2>live.log |
  mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -u dev-a -P pw -q 0 -t vigil/dev-a/telemetry -l >>live.log 2>&1 &
PIDS+=($!) # mosquitto_pub; the generator ends on the broken pipe
"$VIGIL_LOADGEN" --port "$BROKER_PORT" --password pw --devices 3 --prefix lg- --count 100000 --rate 2 \
  --kind mix --event-every 40 -q >loadgen.log 2>&1 &
PIDS+=($!)
sleep 1

# ---- the page ----
CMD=$($PY -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$VIGIL" collector \
  --broker "127.0.0.1:$BROKER_PORT" --user collector --password cpw --db "$TMP/fleet.sqlite" \
  --http "127.0.0.1:$HTTP_PORT" --web "$WEB" --recordings "$TMP/recs")
out=$(DASH_URL="http://127.0.0.1:$HTTP_PORT" BROKER_PORT=$BROKER_PORT DEVICE=dev-a MQTT_PASS=pw BOOT=$BOOT \
  COLLECTOR_PID=$c_pid COLLECTOR_CMD="$CMD" \
  EVENT_SEQ=1000000 CANDIDATE=$CANDIDATE SCREENSHOT="$SHOT" \
  timeout 80 node "$HERE/dashboard_check.mjs" 2>&1) || true
echo "$out" | grep -v '^RESULT '
passes=$((passes + $(echo "$out" | grep -c '^ok - ' || true)))
fails=$((fails + $(echo "$out" | grep -c '^FAIL - ' || true)))
echo "$out" | grep -q '^RESULT ' || bad "the browser check ended without a result"
result=$(echo "$out" | sed -n 's/^RESULT //p')
[ -n "$result" ] && echo "# event publish -> page latency (ms): $(echo "$result" | json_get "d.get('latencies_ms')") max $(echo "$result" | json_get "d.get('latency_max_ms')")"
[ -s "$SHOT" ] && ok "screenshot kept: $SHOT" || bad "no screenshot at $SHOT"

# ---- the ack was stored; the collector the check stopped had exited cleanly ----
[ "$(rows "SELECT count(*) FROM acks WHERE device='dev-a' AND ok=1")" -ge 1 ] && ok "the ack is stored" || bad "no ack stored"
kill -TERM "$c_pid" 2>/dev/null || true # the browser check stopped it already
rc=0
wait "$c_pid" || rc=$?
[ "$rc" = 0 ] && ok "the first collector stopped cleanly" || bad "collector exit $rc: $(tail -3 c.log)"
finish
