#!/bin/sh
# sample_bench.sh - batched sampling throughput of recad against the PyTorch reference program,
# both in this one invocation, same configuration and thread count:
#   V=4096 D=256 L=6 H=4 FF=704, prompt P=64, N=256 new tokens, groups of G=8 and G=64.
# usage (from the repository root): bench/sample_bench.sh [N]      THREADS=n (default 2)
# Prints each program's line and the ratio of decode tokens/s (recad / PyTorch).
set -e
cd "$(dirname "$0")/.."
N=${1:-256}
THREADS=${THREADS:-2}
export THREADS
SHARED=${RECAD_SHARED:-../shared}
[ -f "$SHARED/bench/torch_sample_bench.py" ] || SHARED=../../shared
REF="$SHARED/bench/torch_sample_bench.py"
make -s bench >/dev/null
for G in 8 64; do
    ours=$(build/bench/bench_sample 4096 256 6 4 704 "$G" 64 "$N")
    echo "recad:   $ours"
    if [ -f "$REF" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        theirs=$(/usr/bin/python3 "$REF" 4096 256 6 4 704 "$G" 64 "$N")
        echo "pytorch: $theirs"
        a=$(echo "$ours" | sed -n 's/.*decode_tokens_per_s=\([0-9.]*\).*/\1/p')
        b=$(echo "$theirs" | sed -n 's/.*decode_tokens_per_s=\([0-9.]*\).*/\1/p')
        awk -v a="$a" -v b="$b" -v g="$G" 'BEGIN { printf "G=%d ratio recad/pytorch = %.1fx (%s vs %s decode tokens/s)\n", g, a / b, a, b }'
    else
        echo "pytorch: not available ($REF or python3-torch missing)"
    fi
done
