#!/usr/bin/env bash
# Sets up (Debian packages), builds, and runs recad: generates a part from an example description
# with the shipped model (models/default), writing its parametric program, STL and a 2x2 sheet of
# views into out/; then executes the example programs in examples/ and renders them the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
make -j"$(nproc)" all
mkdir -p out
prompt=${1:-"Plate 80 x 50 x 6; 4x dia 6.6 thru holes in a 2 x 2 grid, 64 x 34 apart, 8 from the left/right edges and 8 from the front/back edges"}
echo "== generate: $prompt"
build/recad generate --text "$prompt" -o out/generated
echo "== the generated program (out/generated.lua)"
cat out/generated.lua
for prog in examples/*.lua; do
  name=$(basename "$prog" .lua)
  echo "== $prog"
  build/recad info "$prog"
  build/recad run "$prog" -o "out/$name.png"
  build/recad run "$prog" -o "out/$name.stl"
done
echo "the generated part and the examples' renders and meshes are in out/"
