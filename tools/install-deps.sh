#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages the build, tests and demo need, skipping those already there.
set -eu
# The fleet collector and its tests: MQTT, SQLite, PostgreSQL, HTTP, JSON, curl.
fleet_pkgs=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev sqlite3 libpq-dev postgresql
            libmicrohttpd-dev libcjson-dev curl)

pkgs=(build-essential cmake pkg-config clang clang-format libclang-rt-14-dev libcmocka-dev gnuplot-nox python3
      gcc-arm-none-eabi libnewlib-arm-none-eabi
      # microcontroller images under QEMU (docs/mcu.md) and x86-64 instruction counts
      qemu-system-arm gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc valgrind
      # TFLite's runtime in a headless browser (docs/tflite.md)
      chromium
      # the fleet: broker, device and collector (docs/fleet.md)
      mosquitto mosquitto-clients libmosquitto-dev openssl jq)
# Node.js and npm: the machine's own if present, else Debian's.
command -v npm >/dev/null || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}" "${fleet_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt (a second checkout's make, unattended-upgrades) instead of failing.
  lock=(-o DPkg::Lock::Timeout=600)
  $sudo apt-get "${lock[@]}" update -qq
  $sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm packages, exactly as locked: the dashboard's (esbuild, uPlot, Playwright for its test)
# and the browser tests' (TFLite's runtime).
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in "$root/web" "$root/tests/browser"; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "npm ci in ${dir#"$root"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
