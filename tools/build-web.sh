#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the dashboard (web/) into OUTDIR, the directory `vigil collector --web` serves.
# Installs web/'s npm packages exactly as locked (npm ci) when they are missing or older than
# package-lock.json, then bundles with esbuild (web/build.mjs). docs/dashboard.md.
# Usage: tools/build-web.sh OUTDIR
set -eu
[ $# -eq 1 ] || { echo "usage: tools/build-web.sh OUTDIR" >&2; exit 2; }
web="$(cd "$(dirname "$0")/.." && pwd)/web"
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "build-web.sh: node and npm are needed (tools/install-deps.sh installs them)" >&2; exit 3; }
if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$web/build.mjs" "$1"
