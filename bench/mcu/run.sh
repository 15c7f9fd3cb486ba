#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/mcu/run.sh [BUILD_DIR]: instructions per inference on an emulated Cortex-M4F and
# RV32IMC (tools/qemu-icount, exact counts) and on x86-64 (callgrind), and the flash and RAM
# of a minimal image per model, against TensorFlow Lite Micro's figures measured on this
# machine (docs/mcu.md). Instruction counts, not cycles. Writes BUILD_DIR/bench/mcu/ and
# BUILD_DIR/bench/mcu.json. Exit 0 whatever the figures; non-zero only when something
# cannot run.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-build}"
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then build="$root/$build"; fi
build="$(cd "$build" && pwd)"
vigil="$build/vigil"
for f in "$vigil" "$build/vigil-stream-header" "$build/qemu-icount.so"; do
  [ -e "$f" ] || { echo "bench/mcu: $f not found; build first (make build)" >&2; exit 3; }
done
. "$root/tests/mcu/lib.sh"
need_tools >&2
command -v valgrind >/dev/null || { echo "bench/mcu: valgrind not found (tools/install-deps.sh)" >&2; exit 3; }
work="$build/bench/mcu"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
img="$root/firmware/build-image.sh"

# TensorFlow Lite Micro, hello_world (1 -> 16 -> 16 -> 1), reference kernels, measured on
# this machine (shared notes, 2026-11): instructions per Invoke and a minimal program's text.
TFLM_M4_FLOAT=3587 TFLM_X86_FLOAT=3866 TFLM_M4_INT8_LO=5423 TFLM_M4_INT8_HI=5479
TFLM_X86_INT8=6763 TFLM_TEXT=44484

# ---- models: NAME|what is counted|how it is made ----
# The first document's autoencoder is 1 -> 8 -> 1 on the latest reading: --features last
# --hidden 8 (vigil's output layer is linear on z-scored input, where the document's
# sigmoid squeezed a min-max scaled one). 1 -> 16 -> 16 -> 1 is TFLM hello_world's shape.
$vigil simulate temperature -o normal.csv --minutes 10 --seed 5
$vigil simulate temperature -o test.csv --minutes 60 --seed 6 --anomalies spike,stuck,noise,dropout
$vigil train -q -i normal.csv -o ae_1_8_1.vgm --kind autoencoder --features last --hidden 8 \
  --window 8 --hop 1 --epochs 30
$vigil train -q -i normal.csv -o ae_1_16_16_1.vgm --kind autoencoder --features last \
  --hidden 16,16 --window 8 --hop 1 --epochs 30
$vigil train -q -i normal.csv -o temperature.vgm --kind autoencoder --epochs 30
$vigil simulate power -o ptrain.csv --mode stream --minutes 2 --events-per-hour 900 --seed 3
$vigil train -q -i ptrain.csv -o pq.vgm --kind forest --trees 20 --depth 10
$vigil simulate power -o ptest.csv --mode stream --minutes 0.1 --events-per-hour 1800 --seed 4
# int8: the same networks quantized by `vigil quantize` (calibrated on the training data);
# NAME_s8 is NAME's int8 artifact. Their ratios are to TFLM's int8 Invoke.
for m in ae_1_8_1 ae_1_16_16_1; do
  $vigil quantize -q -m $m.vgm -o ${m}_s8.vgm --calibrate normal.csv
done
FLOAT_MODELS="ae_1_8_1 ae_1_16_16_1 temperature pq"
INT8_MODELS="${INT8_MODELS:-ae_1_8_1_s8 ae_1_16_16_1_s8}"
# MCU_MODELS="a b" limits a run to those models (e.g. while working on one kernel).
MODELS="${MCU_MODELS:-$FLOAT_MODELS $INT8_MODELS}"
stream_of() { case $1 in pq*) echo ptest.csv ;; *) echo test.csv ;; esac; }

# counted NAME TARGET BENCH: instructions over all marked spans, and the span count.
counted() {
  local m=$1 t=$2 bench=$3 elf="$work/$1-$2-b$3.elf"
  "$img" --target $t --vigil "$vigil" --model $m.vgm --stream $m.stream.h -o "$elf" --bench $bench >&2
  if [ $t = host ]; then
    local fn=vg_bench_model
    [ $bench = 1 ] && fn=vg_detector_push
    valgrind --tool=callgrind --toggle-collect=$fn --callgrind-out-file="$elf.cg" "$elf" \
      >"$elf.out" 2>/dev/null
    local total spans
    total=$(awk '/^summary:/ { print $2 }' "$elf.cg")
    if [ $bench = 1 ]; then spans=$(awk '$1 == "end" { print $2 }' "$elf.out")
    else spans=$(awk '$1 == "w" && $7 == 0 { n++ } END { print n + 0 }' "$elf.out"); fi
    echo "$total $spans $(awk '$1 == "end" { print $3 }' "$elf.out")"
  else
    local b e
    b=$(sym_addr $t "$elf" vg_bench_begin) e=$(sym_addr $t "$elf" vg_bench_end)
    run_image $t "$elf" "$elf.out" -plugin "$build/qemu-icount.so,begin=$b,end=$e,out=$elf.count" >&2
    awk -v w="$(awk '$1 == "end" { print $3 }' "$elf.out")" '{ print $5, $3, w, $7, $9 }' "$elf.count"
  fi
}

json="$build/bench/mcu.json"
echo "{\"tflm\":{\"m4_float\":$TFLM_M4_FLOAT,\"x86_float\":$TFLM_X86_FLOAT,\"m4_int8\":[$TFLM_M4_INT8_LO,$TFLM_M4_INT8_HI],\"text\":$TFLM_TEXT},\"models\":[" >"$json"
sep=""
printf '\n== Instructions per inference (exact counts; -O2; TFLM hello_world float: %s on M4, %s on x86-64; int8: %s-%s on M4, %s on x86-64) ==\n' \
  $TFLM_M4_FLOAT $TFLM_X86_FLOAT $TFLM_M4_INT8_LO $TFLM_M4_INT8_HI $TFLM_X86_INT8
echo "(ratios of int8 models are to TFLM's int8 Invoke, the M4 one to its lower figure, $TFLM_M4_INT8_LO)"
printf '%-16s %-22s %12s %12s %12s %10s %10s\n' model "what" "Cortex-M4F" "RV32IMC" "x86-64" "M4/TFLM" "x86/TFLM"
for m in $MODELS; do
  "$build/vigil-stream-header" -m $m.vgm -i "$(stream_of $m)" -o $m.stream.h
  case $m in
    pq*) kinds="1" ;;        # the pipeline per sample (and per window)
    temperature) kinds="1" ;; # the detector per window
    *) kinds="2 1" ;;         # the model alone (TFLM's Invoke), then the whole pipeline
  esac
  for bench in $kinds; do
    read -r am an _ amin amax < <(counted $m cortex-m $bench)
    read -r rm rn _ rmin rmax < <(counted $m rv32 $bench)
    read -r xm xn _ < <(counted $m host $bench)
    windows=$(awk '$1 == "end" { print $3 }' "$work/$m-host-b1.elf.out" 2>/dev/null || true)
    per() { awk -v t=$1 -v n=$2 'BEGIN { printf "%.0f", n ? t / n : 0 }'; }
    ratio() { awk -v a=$1 -v b=$2 'BEGIN { printf "%.2f", a / b }'; }
    tm4=$TFLM_M4_FLOAT tx86=$TFLM_X86_FLOAT
    case $m in *_s8) tm4=$TFLM_M4_INT8_LO tx86=$TFLM_X86_INT8 ;; esac
    if [ $bench = 2 ]; then
      what="model (vg_model_score)"
      a=$(per $am $an) r=$(per $rm $rn) x=$(per $xm $xn)
    elif [ $m = pq ] || [ $m = temperature ]; then
      # per window: all the samples' pushes divided by the windows they completed
      wn=$(awk '$1 == "end" { print $3 }' "$work/$m-cortex-m-b1.elf.out")
      what="pipeline per window"
      a=$(per $am $wn) r=$(per $rm $wn) x=$(per $xm $wn)
      if [ $m = pq ]; then
        printf '%-16s %-22s %12s %12s %12s\n' $m "pipeline per sample" "$(per $am $an)" "$(per $rm $rn)" "$(per $xm $xn)"
        printf '%s{"model":"%s","counted":"pipeline per sample","m4":%s,"rv32":%s,"x86_64":%s,"m4_spans":%s}' \
          "$sep" $m "$(per $am $an)" "$(per $rm $rn)" "$(per $xm $xn)" $an >>"$json"
        sep=","
      fi
    else
      what="pipeline per sample"
      a=$(per $am $an) r=$(per $rm $rn) x=$(per $xm $xn)
    fi
    printf '%-16s %-22s %12s %12s %12s %10s %10s\n' $m "$what" $a $r $x "$(ratio $a $tm4)" "$(ratio $x $tx86)"
    printf '%s{"model":"%s","counted":"%s","m4":%s,"rv32":%s,"x86_64":%s,"m4_spans":%s,"m4_min":%s,"m4_max":%s}' \
      "$sep" $m "$what" $a $r $x $an $amin $amax >>"$json"
    sep=","
  done
done
echo '],"sizes":[' >>"$json"

# ---- minimal images (tests/mcu/lib.sh measure_minimal): the model's kind alone (vg_opts.h
# switches; waveform models keep every part), -Os, no console, the artifact without META ----
printf '\n== Minimal Cortex-M4F image per model (-Os, one model kind; TFLM minimal program text: %s B) ==\n' $TFLM_TEXT
printf '%-16s %9s %9s %9s %10s | %9s %9s %8s | %s\n' model "flash" "code" "artifact" "flash/TFLM" "RAM" "static" "stack" "vigil info: artifact, static RAM"
sep=""
for m in $MODELS; do
  read -r flash code art _ ram static stack < <(measure_minimal "$vigil" "$build" $m.vgm "$(stream_of $m)" "$work/$m")
  info=$($vigil info -m $m.vgm --json)
  p_art=$(echo "$info" | sed -n 's/.*"min_artifact":\([0-9]*\).*/\1/p')
  p_ram=$(echo "$info" | sed -n 's/.*"min_ram":\([0-9]*\).*/\1/p')
  [ -n "$p_art" ] || { p_art=$(echo "$info" | sed -n 's/.*"flash_bytes":\([0-9]*\).*/\1/p'); p_ram=$(echo "$info" | sed -n 's/.*"ram_bytes":\([0-9]*\).*/\1/p'); }
  printf '%-16s %9s %9s %9s %10s | %9s %9s %8s | %s, %s\n' $m $flash $code $art \
    "$(awk -v a=$flash -v b=$TFLM_TEXT 'BEGIN { printf "%.3f", a / b }')" $ram $static $stack $p_art $p_ram
  printf '%s{"model":"%s","flash":%s,"code":%s,"artifact":%s,"ram":%s,"static":%s,"stack":%s,"info_artifact":%s,"info_static":%s}' \
    "$sep" $m $flash $code $art $ram $static $stack $p_art $p_ram >>"$json"
  sep=","
done
echo ']}' >>"$json"
echo "flash = text + data of the minimal image without the test stream; code = flash - artifact;"
echo "RAM = .data + .bss (model view, detector, arena) + the stack's high-water mark (painted stack,"
echo "measured on the same configuration over the whole stream before any output code runs)."
echo "wrote $json"
