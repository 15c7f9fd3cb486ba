#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pq.sh [BUILD_DIR]: the power-quality benchmarks (bench/README.md, "Power quality").
#  1. pq_compare.py: our forest training against scikit-learn's RandomForestClassifier on the
#     same vigil-made feature matrix (time ratio, accuracies side by side).
#  2. pq_throughput.c: streaming samples per second per core of the band-pass, the frontend
#     and the full detector (per-sample and block push APIs), the memory per stream, and
#     instructions per sample (callgrind).
# Installs nothing but Debian's python3-numpy, python3-sklearn and valgrind, and only when
# missing. Writes its data and BUILD_DIR/bench/pq_compare.json and pq_throughput.json. Exit 0
# whether or not a goal is met (look for MISSED); non-zero only when something cannot run.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="${1:-build}"
# Relative to the current directory, else to the repository root (make runs from there).
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then build="$root/$build"; fi
if [ ! -d "$build" ]; then
  echo "bench: build directory $build not found; build first (make build)" >&2
  exit 3
fi
build="$(cd "$build" && pwd)"
vigil="$build/vigil"
if [ ! -x "$vigil" ]; then
  echo "bench: $vigil not found; build first (make build, or cmake --build $build)" >&2
  exit 3
fi

# Debian's python3 (the one apt's python3-sklearn belongs to), not whatever is on PATH.
py=/usr/bin/python3
pkgs=(python3-numpy python3-sklearn valgrind)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y "${pkgs[@]}" >/dev/null ||
    { $sudo apt-get update -qq && $sudo apt-get install -y "${pkgs[@]}" >/dev/null; }
fi

out="$build/bench"
mkdir -p "$out"

echo "== pq_compare: training time and accuracy against scikit-learn =="
"$py" "$here/pq_compare.py" --vigil "$vigil" --workdir "$out" --json "$out/pq_compare.json"

echo
echo "== pq_throughput: streaming samples per second per core =="
# Plain -O2 (no -march=native), the flags of the core's RelWithDebInfo build; -g for
# callgrind_annotate's line attribution.
tp="$out/pq_throughput"
cc -O2 -g -DNDEBUG -std=c11 -Wall -Wextra -I"$root/core/include" "$here/pq_throughput.c" \
  "$root"/core/src/*.c -lm -o "$tp"
"$tp" "$out/pq_f100.vgm" --seconds 2.5 --json "$out/pq_throughput_f100.json"
echo
"$tp" "$out/pq_f300.vgm" --seconds 2.5 --json "$out/pq_throughput_f300.json" |
  grep -E "^model|full detector|^memory|^block API|^forest alone|^VERDICT"
# A forest sized for a device's flash (docs/power-quality.md, "A window forest that fits a
# device's flash"): 20 trees of depth 12, on the same training file.
"$vigil" train -q -i "$out/pq_train.csv" -o "$out/pq_f20.vgm" --kind forest --trees 20 --depth 12 \
  --seed 1 --threads 2
echo
"$tp" "$out/pq_f20.vgm" --seconds 2.5 --json "$out/pq_throughput_f20.json" |
  grep -E "^model|full detector|^memory|^forest alone|^VERDICT"

echo
echo "== callgrind: instructions per sample =="
# Ir per sample = (Ir(N2) - Ir(N1)) / (N2 - N1): the difference removes start-up (artifact
# CRC and parse, waveform synthesis). N1 fills the first window; N2 - N1 is the whole 10 s
# signal (64000 samples = 500 cycles), so every window kind in it is counted once.
n1=12800
n2=76800
cg="$out/callgrind"
mkdir -p "$cg"
ir() { # model stage samples -> Ir total
  local f
  f="$cg/$(basename "$1" .vgm).$2.$3.out"
  if ! valgrind --tool=callgrind --callgrind-out-file="$f" "$tp" "$1" --stage "$2" \
    --samples "$3" >/dev/null 2>"$f.log"; then
    echo "bench: callgrind failed; see $f.log" >&2
    return 1
  fi
  awk '/^(summary|totals):/ {print $2; exit}' "$f"
}
specs=(f100:sos f100:sos_block f100:pq f100:pq_block f100:detector f100:detector_block
  f300:detector f300:detector_block f20:detector f20:detector_block)
declare -A irps
for spec in "${specs[@]}"; do
  m="${spec%%:*}"
  s="${spec##*:}"
  a=$(ir "$out/pq_$m.vgm" "$s" $n1) || exit 1
  b=$(ir "$out/pq_$m.vgm" "$s" $n2) || exit 1
  irps[$spec]=$(awk -v a="$a" -v b="$b" -v n=$((n2 - n1)) 'BEGIN {printf "%.1f", (b - a) / n}')
done
rate_core() { # json stage -> samples/s per core
  "$py" -c 'import json, sys
print(json.load(open(sys.argv[1]))["stages"][sys.argv[2]]["samples_per_s_core"])' "$1" "$2"
}
printf "%-28s %10s %15s %14s %17s\n" "stage (model)" "Ir/sample" "samples/s/core" \
  "G Ir/s (core)" "Ir/sample at 50M"
for spec in "${specs[@]}"; do
  m="${spec%%:*}"
  s="${spec##*:}"
  r=$(rate_core "$out/pq_throughput_$m.json" "$s")
  # At the instruction rate this stage reaches on this core, the goal of 50 M samples/s
  # leaves (Ir/s) / 50e6 instructions per sample.
  awk -v n="$s ($m)" -v i="${irps[$spec]}" -v r="$r" 'BEGIN {
    printf "%-28s %10.1f %14.2fM %14.2f %17.1f\n", n, i, r / 1e6, i * r / 1e9, i * r / 50e6 }'
done

# Hot spots of the full detector: self cost inside run_stage only (--toggle-collect), so
# start-up (CRC, parse, waveform synthesis) is left out of the shares.
echo
echo "callgrind_annotate, full detector (block API), 100 trees, $n2 samples, streaming only" \
  "(self Ir, top functions):"
hot="$cg/pq_f100.detector_block.hot.out"
valgrind --tool=callgrind --toggle-collect=run_stage --callgrind-out-file="$hot" \
  "$tp" "$out/pq_f100.vgm" --stage detector_block --samples $n2 >/dev/null 2>"$hot.log"
callgrind_annotate --inclusive=no --auto=no "$hot" 2>/dev/null | sed -n '/file:function/,$p' |
  sed -e '1,2d' -e 's/ \[.*\]$//' | head -12

# One JSON with everything, next to pq_compare.json.
irargs=()
for spec in "${specs[@]}"; do irargs+=("$spec=${irps[$spec]}"); done
"$py" - "$out" "$n1" "$n2" "${irargs[@]}" <<'EOF'
import json, sys
out, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ir = {k: float(v) for k, v in (a.split("=") for a in sys.argv[4:])}
res = {"callgrind": {"n1": n1, "n2": n2, "ir_per_sample": ir}}
for m in ("f100", "f300", "f20"):
    res[m] = json.load(open("%s/pq_throughput_%s.json" % (out, m)))
# The verdict takes the faster of the two detector APIs (same results, bit for bit).
def fastest(m):
    st = res[m]["stages"]
    s = max(("detector", "detector_block"), key=lambda s: st[s]["samples_per_s_core"])
    return s, st[s]["samples_per_s_core"]
best, full = fastest("f100")
res["goal_samples_per_s_core"] = 50e6
res["full_detector_f100_stage"] = best
res["full_detector_f100_ratio_to_goal"] = full / 50e6
res["goal_met"] = full >= 50e6
best20, full20 = fastest("f20")
res["full_detector_f20_ratio_to_goal"] = full20 / 50e6
json.dump(res, open("%s/pq_throughput.json" % out, "w"), indent=2)
print("\nVERDICT streaming %s: full detector (100 trees, %s) %.2f M samples/s per core = %.3fx "
      "the goal of 50 M; %.0f instructions per sample" % ("MET" if res["goal_met"] else "MISSED",
      best, full / 1e6, full / 50e6, ir["f100:" + best]))
print("          with 20 trees of depth 12 (a device's forest): %.2f M samples/s per core = %.3fx; "
      "%.0f instructions per sample" % (full20 / 1e6, full20 / 50e6, ir["f20:" + best20]))
print("JSON: %s/pq_compare.json, %s/pq_throughput.json" % (out, out))
EOF
