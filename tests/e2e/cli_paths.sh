#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command paths not covered elsewhere: threshold tuning on validation data, live streaming
# from standard input, deterministic training, info --json, features, where a written model
# or header goes when its path is a link, a FIFO, a device, or sits next to a user's file.
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

# Outputs (vgh_write_file): a symlink's target is replaced and the link stays; a FIFO or a
# device is written into; the temporary never collides with a user's file; modes as open().
$VIGIL simulate power --mode snippets --per-class 2 --seed 5 -o snip.csv
trainf() { $VIGIL train -q -i snip.csv --kind forest --trees 2 "$@"; }
trainf -o ref.vgm
$VIGIL export -m ref.vgm --c-header ref.h
echo keep > real.vgm
ln -s real.vgm link.vgm
trainf -o link.vgm
if [ -L link.vgm ] && [ "$(readlink link.vgm)" = real.vgm ] && cmp -s real.vgm ref.vgm; then
  ok "train -o LINK replaces the link's target, the link stays"; else bad "train -o LINK: $(ls -l link.vgm real.vgm)"; fi
mkfifo fifo.h
timeout 20 cat fifo.h > fifo.out &
reader=$!
timeout 20 $VIGIL export -m ref.vgm --c-header fifo.h && rc=0 || rc=$?
wait $reader || true
if [ "$rc" = 0 ] && [ -p fifo.h ] && cmp -s fifo.out ref.h; then
  ok "export --c-header FIFO: the reader gets the header, the FIFO stays"
  # Only once the FIFO shows devices are written into: a build that renames over them
  # would replace /dev/stdout or /dev/full when run as root.
  $VIGIL export -m ref.vgm --c-header /dev/stdout | cmp -s - ref.h && ok "export --c-header /dev/stdout into a pipe" || bad "export --c-header /dev/stdout"
  expect 3 "/dev/full: cannot write: No space left on device" -- $VIGIL export -m ref.vgm --c-header /dev/full
  test -c /dev/full && ok "/dev/full is still a character device" || bad "/dev/full replaced"
else
  bad "export to a FIFO: exit $rc, $(ls -l fifo.h), $(wc -c < fifo.out) bytes read (device cases skipped)"
fi
echo precious > out.vgm.tmp
trainf -o out.vgm
[ "$(cat out.vgm.tmp 2>/dev/null)" = precious ] && cmp -s out.vgm ref.vgm && ok "out.vgm.tmp of the user's survives train -o out.vgm" || bad "out.vgm.tmp clobbered or out.vgm wrong"
(umask 022 && trainf -o mode.vgm)
[ "$(stat -c %a mode.vgm)" = 644 ] && ok "new model under umask 022 is 0644" || bad "new model mode $(stat -c %a mode.vgm)"
chmod 640 mode.vgm
(umask 022 && trainf -o mode.vgm)
[ "$(stat -c %a mode.vgm)" = 640 ] && ok "a replaced model keeps its mode 0640" || bad "replaced model mode $(stat -c %a mode.vgm)"
# A write that fails (file size limit) leaves the old file and no temporary.
echo old > big.vgm
(trap '' XFSZ && ulimit -f 1 && trainf -o big.vgm 2>/dev/null) && rc=0 || rc=$?
left=$(ls -A | grep -c '^\.big\.vgm\.' || true)
[ "$rc" = 3 ] && [ "$(cat big.vgm)" = old ] && [ "$left" = 0 ] && ok "failed write: exit 3, old file kept, temporary removed" || bad "failed write: exit $rc, $(head -c 8 big.vgm), $left temporaries"

# eval --plots: the three figures, as PNG, through gnuplot.
$VIGIL eval -m plain.vgm -i test.csv --plots plots > /dev/null 2>&1
for f in signal errors roc features; do
  if [ "$(head -c 8 plots/$f.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && [ "$(stat -c %s plots/$f.png)" -gt 5000 ]; then
    ok "eval --plots wrote $f.png"; else bad "eval --plots: $f.png missing or not a PNG"; fi
done
finish
