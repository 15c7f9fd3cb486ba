#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two collectors in one shared-subscription group against one private PostgreSQL, through
# tools/broker.sh (passwords, ACLs): 5,000 events from 10 devices are stored once each, both
# collectors store some, PostgreSQL is restarted during the run (the collectors hold their
# rows and retry), and the schema was migrated once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet/lib.sh"
cd "$TMP"
pg_start
ok "private PostgreSQL on port $PG_PORT"
BROKER_PORT=$(free_port)
broker_start "$BROKER_PORT"
collector a --db "$PG_URL" --group g --client-id ca --http 127.0.0.1:0
collector b --db "$PG_URL" --group g --client-id cb --http 127.0.0.1:0
[ "$(psql_q 'SELECT count(*) FROM schema_version')" = 1 ] && ok "schema migrated once (version 1)" || bad "schema_version: $(psql_q 'SELECT * FROM schema_version')"

# Below tools/broker.sh's 1000 queued messages per client even when a collector stalls.
"$VIGIL_LOADGEN" --port "$BROKER_PORT" --devices 10 --count 500 --rate 60 --kind event \
  --password pw --sent sent.txt --timeout 80 2>loadgen.log &
gen=$!
PIDS+=("$gen")
sleep 3
pg_restart_after 2 && ok "PostgreSQL restarted during the run" || bad "PostgreSQL restart"
if wait "$gen"; then ok "generator: $(cat loadgen.log)"; else bad "generator: $(cat loadgen.log)"; fi
count() { psql_q 'SELECT count(*) FROM events'; }
wait_until 30 test "$(count)" -ge 5000 || true
n=$(count)
[ "$n" = 5000 ] && ok "5000 events stored" || bad "$n events stored, want 5000"
psql_q "SELECT device||' '||boot||' '||seq FROM events" | sort > stored.txt
sort sent.txt > sent.sorted
cmp -s stored.txt sent.sorted && ok "stored set == sent set" || bad "sets differ: $(diff stored.txt sent.sorted | head -5)"
sa=$(metric "$a_port" 'vigil_collector_messages_stored_total{kind="event"}')
sb=$(metric "$b_port" 'vigil_collector_messages_stored_total{kind="event"}')
ea=$(metric "$a_port" 'vigil_collector_store_errors_total')
eb=$(metric "$b_port" 'vigil_collector_store_errors_total')
[ "${sa:-0}" -gt 0 ] && [ "${sb:-0}" -gt 0 ] && ok "both collectors stored events: $sa + $sb" || bad "stored by a: $sa, b: $sb"
[ $((${ea:-0} + ${eb:-0})) -gt 0 ] && ok "the restart was seen and retried ($ea + $eb failed transactions)" || bad "no store errors seen during the PostgreSQL restart"
[ "$(psql_q "SELECT count(*) FROM devices WHERE state = 'offline'")" = 10 ] && ok "10 devices, offline after their clean stop" || bad "devices: $(psql_q 'SELECT device, state FROM devices')"
stop_pid "$a_pid"; [ "$rc" = 0 ] && ok "collector a stopped cleanly" || bad "collector a exit $rc"
stop_pid "$b_pid"; [ "$rc" = 0 ] && ok "collector b stopped cleanly" || bad "collector b exit $rc"
finish
