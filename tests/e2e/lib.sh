# SPDX-License-Identifier: MIT
# Shared helpers for the end-to-end tests (sourced, not run).
set -eu
: "${VIGIL:?set VIGIL to the vigil binary}"
: "${VIGIL_SOURCE_DIR:?set VIGIL_SOURCE_DIR}"
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
bad() { fails=$((fails + 1)); echo "FAIL - $*"; }
# expect CODE TEXT -- command...: exit status CODE and TEXT in stderr
expect() {
  local code=$1 text=$2; shift 3
  local out rc=0
  out=$("$@" 2>&1 >/dev/null) || rc=$?
  if [ "$rc" != "$code" ]; then bad "$* -> exit $rc, want $code ($out)"; return; fi
  case "$out" in *"$text"*) ok "exit $code, '$text'" ;; *) bad "$* -> message '$out' lacks '$text'" ;; esac
}
# jget FILE KEY: a value from a one-line JSON report
jget() { $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# atleast NAME VALUE FLOOR: VALUE (a number, not empty) >= FLOOR
atleast() {
  if [ -n "$2" ] && awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= b) }'; then ok "$1 $2 >= $3"; else bad "$1 '$2' < $3"; fi
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ]
}
