#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh [BUILD_DIR]: Vigil's autoencoder and isolation forest against scikit-learn's,
# trained and scored on the same vigil-made features in one run (bench/README.md).
# Installs nothing but Debian's python3-numpy and python3-sklearn, and only when missing.
# Writes its data and BUILD_DIR/bench/sklearn_compare.json. Exit 0 whether or not the goal
# is met; non-zero only when something cannot run.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="${1:-build}"
# Relative to the current directory, else to the repository root (make runs from there).
if [ ! -d "$build" ] && [ -d "$root/$build" ]; then build="$root/$build"; fi
vigil="$build/vigil"
if [ ! -x "$vigil" ]; then
  echo "bench: $vigil not found; build first (make build, or cmake --build $build)" >&2
  exit 3
fi

# Debian's python3 (the one apt's python3-sklearn belongs to), not whatever is on PATH.
py=/usr/bin/python3
pkgs=(python3-numpy python3-sklearn)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y python3-sklearn python3-numpy >/dev/null ||
    { $sudo apt-get update -qq && $sudo apt-get install -y python3-sklearn python3-numpy >/dev/null; }
fi

mkdir -p "$build/bench"
"$here/pq.sh" "$build" # power quality (bench/README.md); then the temperature pairs
"$here/fleet/run.sh" "$build" # the collector against Mosquitto (docs/collector.md)
exec "$py" "$here/sklearn_compare.py" --vigil "$vigil" --workdir "$build/bench" \
  --json "$build/bench/sklearn_compare.json"
