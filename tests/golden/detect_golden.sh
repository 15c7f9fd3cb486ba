#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden test: checked-in artifacts (format 1.0) still load and give the checked-in detections
# (scores within 1e-5, decisions exactly). Catches silent changes to the format, features,
# normalisation, models or decision logic. Regenerate with tools/gen-golden.sh only on purpose.
set -eu
: "${VIGIL:?}" "${VIGIL_SOURCE_DIR:?}"
g=$VIGIL_SOURCE_DIR/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for kind in autoencoder iforest zscore; do
  $VIGIL detect -m "$g/$kind.vgm" -i "$g/input.csv" -o "$tmp/$kind.csv"
  if awk -F, 'NR == FNR { s[FNR] = $2; a[FNR] = $3; next }
       FNR > 1 && (($2 - s[FNR])^2 > 1e-10 || $3 != a[FNR]) { bad++; if (bad < 4) print "row " FNR ": " $0 " expected score " s[FNR] " anomaly " a[FNR] }
       END { exit bad > 0 }' "$g/$kind.expected.csv" "$tmp/$kind.csv" &&
     [ "$(wc -l < "$tmp/$kind.csv")" = "$(wc -l < "$g/$kind.expected.csv")" ]; then
    echo "ok - $kind golden detections"; pass=$((pass + 1))
  else
    echo "FAIL - $kind detections differ from tests/golden/$kind.expected.csv"; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
