#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs the whole test suite; ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
make -j"$(nproc)" all build/test_recad
make test
