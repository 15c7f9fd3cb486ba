#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages the build, tests and demo need, skipping those already there.
set -eu
# The fleet collector and its tests: MQTT, SQLite, PostgreSQL, HTTP, JSON, curl.
fleet_pkgs=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev sqlite3 libpq-dev postgresql
            libmicrohttpd-dev libcjson-dev curl)

pkgs=(build-essential cmake pkg-config clang clang-format libclang-rt-14-dev libcmocka-dev gnuplot-nox python3
      gcc-arm-none-eabi libnewlib-arm-none-eabi)
missing=()
for p in "${pkgs[@]}" "${fleet_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
