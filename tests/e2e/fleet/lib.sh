# SPDX-License-Identifier: MIT
# Helpers for the fleet tests (sourced after tests/e2e/lib.sh): a real Mosquitto (through
# tools/broker.sh), a private PostgreSQL cluster, collectors in the background. Everything
# started here is stopped by PID when the test exits.
: "${VIGIL_LOADGEN:=$(dirname "$VIGIL")/vigil-loadgen}"
BROKER_SH=$VIGIL_SOURCE_DIR/tools/broker.sh
PIDS=()
PG_DIR=""
PG_USER_RUN=""

fleet_cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  [ -f "$TMP/broker/mosquitto.pid" ] && "$BROKER_SH" stop "$TMP/broker" 2>/dev/null || true
  [ -n "$PG_DIR" ] && pg_as pg_ctl -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
  if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap fleet_cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_until SECONDS COMMAND...: poll every 0.2 s until COMMAND succeeds; 1 on time-out.
wait_until() {
  local t=$1
  shift
  local end=$((SECONDS + t))
  while [ $SECONDS -lt $end ]; do
    "$@" && return 0
    sleep 0.2
  done
  "$@"
}

# broker_start PORT [broker.sh options]: tools/broker.sh in $TMP/broker with the collector
# user "collector:cpw" and devices dev0001..dev0020 (password "pw").
broker_start() {
  local port=$1
  shift
  local devs=() i
  for i in $(seq -f '%04g' 1 20); do devs+=(--device "dev$i:pw"); done
  "$BROKER_SH" start "$TMP/broker" --port "$port" --collector collector:cpw "${devs[@]}" "$@" 2>/dev/null
}
broker_stop() { "$BROKER_SH" stop "$TMP/broker"; }

# own_broker_start PORT: Mosquitto with a generated configuration in tools/broker.sh's style
# plus what a collector that may be away under load needs and the launcher does not set yet:
# max_queued_messages (Mosquitto keeps only 1000 QoS 1 messages per absent client by default,
# and a SIGHUP does not raise that limit). Anonymous: the credentials are tested elsewhere.
own_broker_start() {
  local port=$1 dir=$TMP/broker
  mkdir -p "$dir/data"
  cat >"$dir/mosquitto.conf" <<CONF
user $(id -un)
per_listener_settings false
allow_anonymous true
persistence true
persistence_location $dir/data/
log_dest file $dir/mosquitto.log
connection_messages true
max_queued_messages 1000000
max_inflight_messages 100
listener $port 127.0.0.1
protocol mqtt
CONF
  mosquitto -c "$dir/mosquitto.conf" </dev/null >>"$dir/mosquitto.out" 2>&1 &
  echo $! >"$dir/mosquitto.pid"
  wait_until 5 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
}

# collector NAME ARGS...: start `vigil collector` in the background (log $TMP/NAME.log);
# sets NAME_pid and, when it serves HTTP, NAME_port.
collector() {
  local name=$1
  shift
  "$VIGIL" collector --broker "127.0.0.1:$BROKER_PORT" ${BROKER_AUTH---user collector --password cpw} "$@" \
    >"$TMP/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  eval "${name}_pid=$pid"
  if wait_until 10 grep -qs 'connected to' "$TMP/$name.log"; then
    local port
    port=$(grep -o 'http on [0-9.]*:[0-9]*' "$TMP/$name.log" | grep -o '[0-9]*$' || true)
    eval "${name}_port=${port:-0}"
  else
    echo "collector $name did not connect:"; cat "$TMP/$name.log"
    return 1
  fi
}

# stop_pid PID: SIGTERM and wait; the exit status in $rc.
stop_pid() {
  kill -TERM "$1"
  rc=0
  wait "$1" || rc=$?
}

# metric PORT NAME_WITH_LABELS: one value from /metrics.
metric() {
  curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'
}

# ---- PostgreSQL: a private cluster on a free port, run as an unprivileged user ----
pg_as() { if [ -n "$PG_USER_RUN" ]; then (cd / && runuser -u "$PG_USER_RUN" -- "$@"); else "$@"; fi; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -1
}

pg_start() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed (tools/install-deps.sh)"; return 1; }
  export PATH="$bin:$PATH"
  PG_DIR=$(mktemp -d /tmp/vigil-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    PG_USER_RUN=postgres
    id postgres >/dev/null 2>&1 || { PG_USER_RUN=vigil-pg; id vigil-pg >/dev/null 2>&1 || useradd --system --no-create-home vigil-pg; }
    chown "$PG_USER_RUN" "$PG_DIR"
  fi
  PG_PORT=$(free_port)
  pg_as initdb -D "$PG_DIR/data" -U vigil --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log"; return 1; }
  pg_as pg_ctl -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$PG_DIR/pg.log"; return 1; }
  PG_URL="postgresql://vigil@127.0.0.1:$PG_PORT/postgres"
}
pg_stop() { pg_as pg_ctl -D "$PG_DIR/data" -m fast -w stop >/dev/null; }
pg_restart_after() { # pg_restart_after SECONDS: stop, stay down SECONDS, start again
  pg_stop
  sleep "$1"
  pg_as pg_ctl -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
}
psql_q() { psql -X -q -A -t "$PG_URL" -c "$1"; }
