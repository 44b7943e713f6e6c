#!/usr/bin/env bash
# Installs what recad needs on Debian 12 (apt-get), only the packages that are missing.
#   scripts/setup.sh          build and run dependencies
#   scripts/setup.sh --test   also what the tests and benchmarks compare against
#                             (PyTorch, NumPy, SciPy, OpenCASCADE's occt-draw) and the page's
#                             browser tests (Chromium, Node.js, npm ci in web/)
set -euo pipefail
pkgs=(build-essential pkg-config liblua5.4-dev libcjson-dev libopenblas-dev libopenblas0 libstb-dev libmicrohttpd-dev jq)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(python3 python3-torch python3-numpy python3-scipy occt-draw libocct-draw-dev libocct-data-exchange-dev
         chromium)
  command -v node >/dev/null || pkgs+=(nodejs npm) # the browser test needs node >= 20 (it skips on older)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
web="$(dirname "$0")/../web"
if [ "${1:-}" = "--test" ] && [ ! -d "$web/node_modules" ]; then
  echo "setup: npm ci in web/ (esbuild, three.js, CodeMirror, playwright-core)"
  (cd "$web" && npm ci --no-audit --no-fund >/dev/null)
fi
