#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 10,000 events from 10 simulated devices at QoS 1 while the broker is stopped and started
# and then the collector is stopped and started: every event is stored exactly once (the
# stored (device, boot, seq) set equals the generator's), into SQLite. The broker is stopped
# with SIGTERM (it saves its sessions) and the collector with SIGTERM (it commits what it
# holds): see docs/collector.md for what a SIGKILL of either can lose.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet/lib.sh"
cd "$TMP"
BROKER_PORT=$(free_port)
BROKER_AUTH=""
own_broker_start "$BROKER_PORT"
collector c1 --db "$TMP/fleet.sqlite" --client-id c1 --http 127.0.0.1:0

"$VIGIL_LOADGEN" --port "$BROKER_PORT" --devices 10 --count 1000 --rate 150 --kind event \
  --password pw --sent sent.txt --timeout 80 2>loadgen.log &
gen=$!
PIDS+=("$gen")
sleep 2
broker_stop
ok "broker stopped during the run"
sleep 1.5
own_broker_start "$BROKER_PORT"
ok "broker started again"
sleep 1.5
stop_pid "$c1_pid"
[ "$rc" = 0 ] && ok "collector stopped cleanly (exit 0)" || bad "collector exit $rc: $(tail -3 c1.log)"
sleep 1.5
collector c2 --db "$TMP/fleet.sqlite" --client-id c1 --http 127.0.0.1:0
grep -q 'resumed session' c2.log && ok "collector resumed its session" || bad "session not resumed: $(cat c2.log)"
if wait "$gen"; then ok "generator: every event acknowledged ($(cat loadgen.log))"; else bad "generator: $(cat loadgen.log)"; fi

count() { sqlite3 fleet.sqlite 'SELECT count(*) FROM events'; }
wait_until 30 test "$(count)" -ge 10000 || true
n=$(count)
[ "$n" = 10000 ] && ok "10000 events stored" || bad "$n events stored, want 10000"
sqlite3 fleet.sqlite "SELECT device||' '||boot||' '||seq FROM events" | sort > stored.txt
sort sent.txt > sent.sorted
[ "$(wc -l < sent.sorted)" = 10000 ] && ok "generator sent 10000 distinct events" || bad "sent $(wc -l < sent.sorted)"
if cmp -s stored.txt sent.sorted; then ok "stored (device, boot, seq) set == sent set"; else
  bad "sets differ: $(diff stored.txt sent.sorted | head -5)"; fi
d=$(sqlite3 fleet.sqlite 'SELECT count(*) - count(DISTINCT device||boot||seq) FROM events')
[ "$d" = 0 ] && ok "no duplicate rows" || bad "$d duplicate rows"
dups=$(metric "$c2_port" 'vigil_collector_messages_duplicate_total{kind="event"}')
echo "# duplicates dropped by the second collector run: ${dups:-?}; republished by devices: $(grep -o '[0-9]* republished' loadgen.log)"
stop_pid "$c2_pid"
[ "$rc" = 0 ] && ok "collector stopped cleanly" || bad "collector exit $rc"
finish
