#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `vigil export --tflite` writes files TensorFlow Lite's own runtime loads and runs with the
# same outputs as Vigil's core: each network shape and activation is exported, fed 200 input
# vectors in TFLite (the WebAssembly build in @tensorflow/tfjs-tflite, in headless Chromium)
# and compared with the core's reconstruction (relative difference <= 1e-5). The int8 models
# `vigil quantize` makes of three of them are exported too and their int8 outputs compared
# with the core's int8 network. TFLite's WebAssembly runtime computes int8 layers with its
# XNNPACK kernels, which requantize in float rather than with the fixed-point multiplier the
# artifact (and TFLite's reference kernels, and TFLite Micro) use, and approximate tanh with
# integers; a rounding can move by one step and compound over layers. Measured over 500 inputs:
# 98-99.5 % of the outputs identical, at most 2 steps apart (3 with tanh). The test asks for at
# least 97 % identical and at most 2 steps (3 with tanh).
. "$(dirname "$0")/lib.sh"
WEB="$VIGIL_SOURCE_DIR/tests/browser"
if [ ! -d "$WEB/node_modules/@tensorflow/tfjs-tflite" ] || ! command -v node >/dev/null || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "FAIL - node, Chromium or $WEB/node_modules missing: run 'make deps' (tools/install-deps.sh installs them)"
  exit 1
fi
cd "$TMP"
cc -std=c99 -Wall -Wextra -Werror -O2 -I"$VIGIL_SOURCE_DIR/core/include" \
   "$VIGIL_SOURCE_DIR/tests/e2e/tflite_ref.c" "$VIGIL_SOURCE_DIR"/core/src/*.c -lm -o ref
$VIGIL simulate temperature -o normal.csv --minutes 10 --seed 5
# name | training options: the default ReLU bottleneck, tanh, sigmoid, a 1 -> 16 -> 16 -> 1
# network (TFLite Micro's hello_world shape) and a wider multi-feature one
while IFS='|' read -r name opts; do
  # shellcheck disable=SC2086
  $VIGIL train -q -i normal.csv -o $name.vgm --kind autoencoder --epochs 20 $opts
  $VIGIL export -m $name.vgm --tflite $name.tflite
  $VIGIL export -m $name.vgm --tflite again.tflite
  if cmp -s $name.tflite again.tflite; then ok "$name: export is deterministic"; else bad "$name: two exports differ"; fi
  ./ref $name.vgm 200 > $name.json
  if node "$WEB/tflite_check.mjs" $name.tflite $name.json --tolerance 1e-5; then
    ok "$name: TFLite runs the exported model with Vigil's outputs"
  else
    bad "$name: TFLite's outputs differ or the file did not load"
  fi
done <<'MODELS'
relu|
tanh|--activation tanh --hidden 8,4,8
sigmoid|--activation sigmoid --hidden 6,2,6
hello_world_shape|--features last --hidden 16,16 --window 8
wide|--features mean,std,min,max,slope,diff,range,adiff --hidden 24,6,24
MODELS
while IFS='|' read -r name tol share; do
  $VIGIL quantize -q -m $name.vgm -o ${name}_s8.vgm --calibrate normal.csv
  $VIGIL export -m ${name}_s8.vgm --tflite ${name}_s8.tflite
  ./ref ${name}_s8.vgm 500 > ${name}_s8.json
  if node "$WEB/tflite_check.mjs" ${name}_s8.tflite ${name}_s8.json --tolerance $tol --min-equal $share; then
    ok "${name} int8: TFLite runs the exported int8 model with Vigil's int8 outputs"
  else
    bad "${name} int8: TFLite's outputs differ or the file did not load"
  fi
done <<'INT8'
relu|2|0.97
sigmoid|2|0.97
tanh|3|0.97
INT8
# models TFLite cannot express are refused with a reason
$VIGIL train -q -i normal.csv -o if.vgm --kind iforest --trees 10
expect 1 "only autoencoders" -- $VIGIL export -m if.vgm --tflite if.tflite
[ ! -e if.tflite ] && ok "nothing written for a refused model" || bad "a refused model left a file"
expect 2 "separate runs" -- $VIGIL export -m relu.vgm --tflite x.tflite --c-header x.h
printf 'not a model' > junk.vgm
expect 1 "junk.vgm" -- $VIGIL export -m junk.vgm --tflite junk.tflite
finish
