#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The collector's HTTP side: the JSON API and the live stream deliver a published event,
# /metrics is valid Prometheus text, static files are served and path traversal is refused,
# the token is enforced, commands reach the device's cmd topic; the command line's exit codes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet/lib.sh"
cd "$TMP"
BROKER_PORT=$(free_port)
broker_start "$BROKER_PORT"
mkdir -p web/js outside
echo '<h1>vigil</h1>' > web/index.html
echo 'console.log(1)' > web/js/app.js
echo 'SECRET' > outside/secret.txt
ln -s ../outside/secret.txt web/link.txt
T=s3cret-token
collector c --db "$TMP/h.sqlite" --http 127.0.0.1:0 --web "$TMP/web" --token "$T"
U="http://127.0.0.1:$c_port"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# token
[ "$(code "$U/api/devices")" = 401 ] && ok "no token: 401" || bad "no token: $(code "$U/api/devices")"
[ "$(code -H "Authorization: Bearer wrong" "$U/api/devices")" = 401 ] && ok "wrong token: 401" || bad "wrong token accepted"
[ "$(code -H "Authorization: Bearer $T" "$U/api/devices")" = 200 ] && ok "Bearer token: 200" || bad "bearer refused"
[ "$(code "$U/api/devices?token=$T")" = 200 ] && ok "?token=: 200" || bad "query token refused"
[ "$(code "$U/metrics")" = 401 ] && ok "/metrics needs the token too" || bad "/metrics open"
[ "$(code "$U/index.html")" = 200 ] && ok "static files need no token" || bad "index.html: $(code "$U/index.html")"
A=(-H "Authorization: Bearer $T")

# live stream, then an event published by a device
curl -s -N "${A[@]}" "$U/api/stream" > stream.txt &
sse=$!
PIDS+=("$sse")
wait_until 5 grep -q connected stream.txt || bad "stream did not start"
ev='{"v":1,"boot":9,"seq":77,"ts":1763900023500,"event":3,"phase":"close","t_start":22.0,"t_end":27.5,"score":0.93,"raw":0.081,"thr":0.0123,"kind":"forest","class":2,"class_name":"sag","magnitude":{"sag_pu":0.6},"features":{"rms.min":0.6}}'
mosquitto_pub -p "$BROKER_PORT" -u dev0002 -P pw -i dev0002 -q 1 -t vigil/dev0002/event -m "$ev"
mosquitto_pub -p "$BROKER_PORT" -u dev0002 -P pw -i dev0002 -q 0 -t vigil/dev0002/telemetry \
  -m '{"v":1,"boot":9,"seq":78,"ts":1763900024000,"t":1.5,"values":{"rms":230.1},"score":0.2,"raw":0.01,"thr":0.05,"anomaly":false}'
if wait_until 10 grep -q '"seq":77' stream.txt; then
  grep -q '^event: event$' stream.txt && ok "SSE delivered the event: $(grep -m1 '"seq":77' stream.txt | cut -c1-80)..." || bad "no 'event: event' line"
else bad "SSE did not deliver the event: $(cat stream.txt)"; fi
wait_until 5 grep -q '"seq":78' stream.txt && ok "SSE delivered the telemetry" || bad "no telemetry on the stream"
j=$(curl -s "${A[@]}" "$U/api/events?device=dev0002&since=1763900000000&until=1763900030000&class=2&limit=5")
echo "$j" | "$PY" -c 'import json,sys; a=json.load(sys.stdin); assert len(a)==1 and a[0]["msg"]["seq"]==77 and a[0]["device"]=="dev0002" and a[0]["msg"]["class_name"]=="sag"' &&
  ok "/api/events filters by device, time and class" || bad "/api/events: $j"
[ "$(curl -s "${A[@]}" "$U/api/events?class=3")" = "[]" ] && ok "class filter excludes" || bad "class=3 not empty"
[ "$(curl -s "${A[@]}" "$U/api/events?until=1763900023500")" = "[]" ] && ok "until is exclusive" || bad "until"
j=$(curl -s "${A[@]}" "$U/api/telemetry?device=dev0002&limit=1")
echo "$j" | "$PY" -c 'import json,sys; a=json.load(sys.stdin); assert a[0]["msg"]["values"]["rms"]==230.1' && ok "/api/telemetry" || bad "/api/telemetry: $j"
j=$(curl -s "${A[@]}" "$U/api/devices")
echo "$j" | "$PY" -c 'import json,sys; a=json.load(sys.stdin); d=[x for x in a if x["device"]=="dev0002"][0]; assert d["last_telemetry_ts"]==1763900024000' && ok "/api/devices lists the device" || bad "/api/devices: $j"
for q in "limit=0" "limit=10001" "since=abc" "device=../x" "class=-1"; do
  [ "$(code "${A[@]}" "$U/api/events?$q")" = 400 ] || bad "$q accepted"
done
ok "bad query arguments: 400"

# metrics: every sample line parses as Prometheus text
curl -s "${A[@]}" "$U/metrics" > metrics.txt
if "$PY" - metrics.txt <<'PY'
import re, sys
names = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        names.add(line.split()[2]); continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+-]+|NaN)', line)
    assert m, "bad line: " + line
    base = re.sub(r'_(sum|count)$', '', m.group(1))
    assert m.group(1) in names or base in names, "no TYPE for " + line
PY
then ok "/metrics parses ($(grep -c '^vigil' metrics.txt) samples)"; else bad "/metrics does not parse"; fi
grep -q 'vigil_collector_messages_stored_total{kind="event"} 1' metrics.txt && ok "metrics count the stored event" || bad "stored event not counted"

# static files and traversal
[ "$(curl -s "$U/")" = "<h1>vigil</h1>" ] && ok "/ serves index.html" || bad "/: $(curl -s "$U/")"
curl -s -D - -o /dev/null "$U/js/app.js" | grep -qi 'content-type: text/javascript' && ok "app.js as text/javascript" || bad "js content type"
for p in "/../outside/secret.txt" "/%2e%2e/outside/secret.txt" "/js/../../outside/secret.txt" "/..%2foutside%2fsecret.txt" "/link.txt" "/./index.html" "/js/..%5c..%5coutside/secret.txt"; do
  out=$(curl -s --path-as-is "$U$p")
  c=$(code --path-as-is "$U$p")
  case "$out" in *SECRET*) bad "$p served the secret" ;; *) [ "$c" = 403 ] || [ "$c" = 404 ] || bad "$p: $c" ;; esac
done
ok "path traversal and symbolic links out of --web refused (403/404)"
[ "$(code "$U/nope.html")" = 404 ] && ok "missing file: 404" || bad "missing file"
[ "$(code -X DELETE "${A[@]}" "$U/api/devices")" = 405 ] && ok "DELETE: 405" || bad "DELETE"

# commands reach the device
mosquitto_sub -p "$BROKER_PORT" -u dev0003 -P pw -i dev0003 -q 1 -t vigil/dev0003/cmd -C 1 -W 10 > cmd.txt &
sub=$!
sleep 0.5
r=$(curl -s "${A[@]}" -X POST -d '{"op":"set_threshold","threshold":0.02}' "$U/api/devices/dev0003/cmd")
wait "$sub" || true
"$PY" -c 'import json,sys; c=json.loads(open("cmd.txt").read()); r=json.loads(sys.argv[1]); assert c["v"]==1 and c["op"]=="set_threshold" and c["threshold"]==0.02 and c["id"]==r["id"]' "$r" &&
  ok "POST cmd published $(cat cmd.txt)" || bad "cmd: got '$(cat cmd.txt)', answer $r"
[ "$(code "${A[@]}" -X POST -d '{"op":"set_threshold","threshold":-1}' "$U/api/devices/dev0003/cmd")" = 400 ] && ok "bad threshold: 400" || bad "bad threshold accepted"
[ "$(code "${A[@]}" -X POST -d '{"op":"reboot"}' "$U/api/devices/dev0003/cmd")" = 400 ] && ok "unknown op: 400" || bad "unknown op accepted"
[ "$(code -X POST -d '{"op":"status"}' "$U/api/devices/dev0003/cmd")" = 401 ] && ok "cmd needs the token" || bad "cmd without token"
stop_pid "$c_pid"; [ "$rc" = 0 ] && ok "clean stop" || bad "exit $rc"
wait "$sse" 2>/dev/null || true

# command line
expect 2 "beyond loopback" -- "$VIGIL" collector --http 0.0.0.0:0 --db x.sqlite
expect 2 "not HOST:PORT" -- "$VIGIL" collector --broker nohost --db x.sqlite
expect 2 "unknown option" -- "$VIGIL" collector --frobnicate
"$VIGIL" collector --help | grep -q 'shared-subscription\|\$share' && ok "--help" || bad "--help"
sqlite3 new.sqlite 'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL); INSERT INTO schema_version VALUES (99, 0);'
expect 1 "schema version 99" -- "$VIGIL" collector --db new.sqlite --http off --broker 127.0.0.1:$BROKER_PORT
expect 3 "cannot listen" -- "$VIGIL" collector --db y.sqlite --http 127.0.0.1:$BROKER_PORT --broker 127.0.0.1:$BROKER_PORT
finish
