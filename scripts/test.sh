#!/usr/bin/env bash
# Sets up (Debian packages), checks the source layers (make check), builds and runs the whole test
# suite; ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
make check
make -j"$(nproc)" all build/test_recad
make test
