#!/usr/bin/env bash
# Sets up (Debian packages), builds, and runs recad on the shipped example parts:
# executes each examples/*.lua program, reports its geometry, and writes a rendered
# 2x2 multi-view sheet (PNG) and a binary STL per part into out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j"$(nproc)" all
mkdir -p out
for prog in examples/*.lua; do
  name=$(basename "$prog" .lua)
  echo "== $prog"
  build/recad info "$prog"
  build/recad run "$prog" -o "out/$name.png"
  build/recad run "$prog" -o "out/$name.stl"
done
echo "renders and meshes are in out/"
