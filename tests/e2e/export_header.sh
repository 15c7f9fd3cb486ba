#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `vigil export --c-header` produces the same bytes, loadable by the same core reader: a
# program built from the header and the core sources reproduces `vigil detect` exactly.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
$VIGIL simulate temperature -o normal.csv --minutes 10 --seed 5
$VIGIL simulate temperature -o test.csv --minutes 60 --seed 6 --anomalies spike,stuck,noise,dropout
for kind in autoencoder iforest zscore; do
  $VIGIL train -q -i normal.csv -o $kind.vgm --kind $kind --epochs 50 --trees 20
  $VIGIL export -m $kind.vgm --c-header model_data.h --name temp_model
  cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" -I. \
     "$VIGIL_SOURCE_DIR/tests/e2e/export_check.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o check
  ./check < test.csv > from_header.csv
  $VIGIL detect -m $kind.vgm -i test.csv | cut -d, -f2,3 > from_vigil.csv
  if cmp -s from_header.csv from_vigil.csv; then ok "$kind: header build matches vigil detect"; else bad "$kind: outputs differ"; diff from_header.csv from_vigil.csv | head -5; fi
done
finish
