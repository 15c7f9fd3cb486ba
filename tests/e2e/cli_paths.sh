#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command paths not covered elsewhere: threshold tuning on validation data, live streaming
# from standard input, deterministic training, info --json, features.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
$VIGIL simulate temperature -o normal.csv --minutes 10 --seed 61
$VIGIL simulate temperature -o val.csv --minutes 120 --seed 62 --anomalies spike,stuck,noise --events 2
$VIGIL simulate temperature -o test.csv --minutes 120 --seed 63 --anomalies spike,stuck,noise --events 2

# --validate tunes the threshold for the best F1 on the labelled file, and says so.
$VIGIL train -q -i normal.csv -o plain.vgm --kind autoencoder --seed 2
$VIGIL train -q -i normal.csv -o tuned.vgm --kind autoencoder --seed 2 --validate val.csv
rule=$($VIGIL info -m tuned.vgm | grep threshold)
case "$rule" in *"best point-wise F1"*"val.csv"*) ok "validated threshold recorded: $rule" ;; *) bad "rule: $rule" ;; esac
f1() { $VIGIL eval -m "$1" -i "$2" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['pointwise']['f1'])"; }
fp=$(f1 plain.vgm val.csv) ft=$(f1 tuned.vgm val.csv)
if $PY -c "import sys; sys.exit(0 if $ft >= $fp - 1e-9 else 1)"; then ok "tuned F1 on validation $ft >= default $fp"; else bad "tuned $ft < default $fp"; fi
$VIGIL train -q -i normal.csv -o bad.vgm --kind zscore --validate normal.csv 2>err.txt && bad "validate without anomalies accepted" || ok "validate needs labels: $(cat err.txt)"

# Deterministic for a seed: identical artifacts, for every kind.
for kind in autoencoder iforest zscore; do
  $VIGIL train -q -i normal.csv -o a.vgm --kind $kind --seed 9
  $VIGIL train -q -i normal.csv -o b.vgm --kind $kind --seed 9
  cmp -s a.vgm b.vgm && ok "$kind training is deterministic" || bad "$kind artifacts differ for one seed"
done

# detect -i - streams: output for each row as it arrives, same as reading the file.
$VIGIL detect -m plain.vgm -i test.csv -o file.out
$VIGIL detect -m plain.vgm -i - < test.csv > stdin.out
cmp -s file.out stdin.out && ok "stdin and file give the same detections" || bad "stdin differs"
[ "$(wc -l < file.out)" = "$(wc -l < test.csv)" ] && ok "one output row per input row" || bad "row count"
# Live: the first rows come out before the input ends (a FIFO held open).
mkfifo live
( head -200 test.csv; sleep 3; tail -n +201 test.csv | head -10 ) > live &
$VIGIL detect -m plain.vgm -i live -o live.out &
pid=$!
sleep 1.5
n=$(wc -l < live.out)
wait $pid
[ "$n" -ge 150 ] && ok "rows written while the input is still open ($n lines after 1.5 s)" || bad "no live output ($n lines)"

# info --json holds the device budget; features writes the model's matrix.
$VIGIL info -m plain.vgm --json > info.json
$PY - <<'PY' && ok "info --json: flash = artifact size, RAM = view + detector + arena" || bad "info --json"
import json, os
i = json.load(open("info.json"))
assert i["flash_bytes"] == os.path.getsize("plain.vgm"), i
d = i["ram_detail"]
assert i["ram_bytes"] == d["model_view"] + d["detector"] + d["arena"] > 0, i
assert i["kind"] == "autoencoder" and i["channels"] == ["value"], i
PY
cp plain.vgm 'we"ird\name.vgm'
if $VIGIL info -m 'we"ird\name.vgm' --json | $PY -c 'import json,sys; assert json.load(sys.stdin)["model"] == "we\"ird\\name.vgm"'; then
  ok "JSON escapes quotes and backslashes in paths"; else bad "JSON with a quoted path does not parse"; fi
$VIGIL features -m plain.vgm -i test.csv -o feats.csv
head -1 feats.csv | grep -q "timestamp,value.std,value.slope,value.adiff,raw,label" && ok "features header" || bad "features header: $(head -1 feats.csv)"

# eval --plots: the three figures, as PNG, through gnuplot.
$VIGIL eval -m plain.vgm -i test.csv --plots plots > /dev/null 2>&1
for f in signal errors roc features; do
  if [ "$(head -c 8 plots/$f.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && [ "$(stat -c %s plots/$f.png)" -gt 5000 ]; then
    ok "eval --plots wrote $f.png"; else bad "eval --plots: $f.png missing or not a PNG"; fi
done
finish
