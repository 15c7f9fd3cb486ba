#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Malformed payloads on every device topic are counted per kind and logged with the topic and
# the field; they never stop the collector, and the good messages around them are stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet/lib.sh"
cd "$TMP"
BROKER_PORT=$(free_port)
broker_start "$BROKER_PORT"
collector c --db "$TMP/m.sqlite" --http 127.0.0.1:0
pub() { mosquitto_pub -p "$BROKER_PORT" -u dev0001 -P pw -i dev0001-pub -q 1 -t "vigil/dev0001/$1" -m "$2"; }
good_ev() { echo "{\"v\":1,\"boot\":3,\"seq\":$1,\"ts\":1763900023500,\"event\":1,\"phase\":\"open\",\"score\":0.9,\"t_end\":null,\"class\":null}"; }
pub event "$(good_ev 1)"
bad_payloads=(
  'event|{"v":1,"boot":3,"seq":"x","ts":1,"event":1,"phase":"open","score":0.9}|seq'
  'event|{"v":1,"boot":3,"seq":5,"ts":1,"event":1,"phase":"middle","score":0.9}|phase'
  'event|{"v":2,"boot":3,"seq":6,"ts":1,"event":1,"phase":"open","score":0.9}|v'
  'event|not json at all|payload'
  'event|{"v":1,"boot":3,"seq":7,"ts":1,"event":1,"phase":"open","score":0.9} trailing|payload'
  'event|[1,2,3]|payload'
  'telemetry|{"v":1,"boot":3,"seq":8,"ts":1,"score":0.1,"anomaly":"no"}|anomaly'
  'telemetry|{"v":1,"boot":3,"seq":9,"ts":1,"score":0.1,"anomaly":false,"values":{"temp":"hot"}}|values.temp'
  'telemetry|{"v":1,"boot":-1,"seq":10,"ts":1,"score":0.1,"anomaly":false}|boot'
  'status|{"v":1,"state":"sleeping"}|state'
  'status|{"v":1,"state":"online","model":{"threshold":"high"}}|model.threshold'
  'ack|{"v":1,"boot":3,"seq":11,"ts":1,"op":"status","ok":true}|id'
  'ack|{"v":1,"boot":3,"seq":12,"ts":1,"id":"c-1","op":"status","ok":1}|ok'
)
for b in "${bad_payloads[@]}"; do
  IFS='|' read -r kind payload field <<<"$b"
  pub "$kind" "$payload"
done
printf '\xff\xfe{"v":1}' | mosquitto_pub -p "$BROKER_PORT" -u dev0001 -P pw -i dev0001-pub -q 1 -t vigil/dev0001/event -s
pub event ""
pub event "$(good_ev 2)"
pub telemetry '{"v":1,"boot":3,"seq":3,"ts":1763900021000,"t":20.5,"values":{"temp":21.37},"score":0.31,"raw":0.0038,"thr":0.0123,"anomaly":false}'
pub ack '{"v":1,"boot":3,"seq":4,"ts":1763900030000,"id":"c-42","op":"set_threshold","ok":true,"error":null}'
pub status '{"v":1,"boot":3,"seq":13,"ts":1763900000123,"state":"online","fw":"0.1.0","model":{"kind":"autoencoder","crc":"9f3a01c2","rate_hz":2,"threshold":0.0123},"uptime_s":0,"queued":0,"dropped":0}'
stored() { metric "$c_port" "vigil_collector_messages_stored_total{kind=\"$1\"}"; }
wait_until 10 test "$(stored ack)" = 1 || true
mal() { metric "$c_port" "vigil_collector_messages_malformed_total{kind=\"$1\"}"; }
[ "$(mal event)" = 8 ] && ok "8 malformed events counted" || bad "malformed events: $(mal event)"
[ "$(mal telemetry)" = 3 ] && ok "3 malformed telemetry counted" || bad "malformed telemetry: $(mal telemetry)"
[ "$(mal status)" = 2 ] && ok "2 malformed status counted" || bad "malformed status: $(mal status)"
[ "$(mal ack)" = 2 ] && ok "2 malformed acks counted" || bad "malformed acks: $(mal ack)"
[ "$(stored event)" = 2 ] && [ "$(stored telemetry)" = 1 ] && [ "$(stored ack)" = 1 ] && [ "$(stored status)" = 1 ] &&
  ok "the good messages around them were stored" || bad "stored: $(curl -s 127.0.0.1:$c_port/metrics | grep stored_total)"
for b in "${bad_payloads[@]}"; do
  IFS='|' read -r kind payload field <<<"$b"
  grep -q "malformed: vigil/dev0001/$kind: $field:" c.log || bad "log lacks 'vigil/dev0001/$kind: $field:'"
done
ok "each refusal logged with topic and field, e.g. '$(grep -m1 'malformed:' c.log)'"
grep -q 'not UTF-8' c.log && ok "invalid UTF-8 refused" || bad "no UTF-8 refusal logged"
kill -0 "$c_pid" && ok "collector still running" || bad "collector died"
[ "$(sqlite3 m.sqlite 'SELECT state||fw FROM devices')" = "online0.1.0" ] && ok "device online from its status" || bad "devices: $(sqlite3 m.sqlite 'SELECT * FROM devices')"
stop_pid "$c_pid"; [ "$rc" = 0 ] && ok "clean stop" || bad "exit $rc"
finish
