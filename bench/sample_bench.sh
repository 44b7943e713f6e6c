#!/bin/sh
# sample_bench.sh - batched sampling throughput of recad against the PyTorch reference program,
# both in this one invocation, same configuration and thread count:
#   V=4096 D=256 L=6 H=4 FF=704, prompt P=64, N=256 new tokens, groups of G=8 and G=64;
#   then the GRPO case: 4 prompts of different lengths (40, 56, 72, 88 tokens: 64 on average)
#   x 16 samples in one batch (smp_generate_multi). The PyTorch program has no mixed batch; the
#   mixed line is compared with its G=64 P=64 run of this invocation (same rows, same mean
#   prompt length) and with ours.
#   Then the reduced-precision mode (PRECISION=bf16: bfloat16 KV cache, bfloat16 decode products
#   where the CPU has AVX512_BF16) at G=64 and in the mixed batch, each against PyTorch's G=64 run
#   of this invocation and against our float32 line; then the 8-bit KV cache mode (PRECISION=kv8:
#   int8 keys and values with a scale per position and head, the same bfloat16 products) likewise.
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
rate() { echo "$1" | sed -n 's/.*decode_tokens_per_s=\([0-9.]*\).*/\1/p'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
torch=0
if [ -f "$REF" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then torch=1; fi
for G in 8 64; do
    ours=$(build/bench/bench_sample 4096 256 6 4 704 "$G" 64 "$N")
    echo "recad:   $ours"
    if [ $torch = 1 ]; then
        rc=0
        theirs=$(/usr/bin/python3 "$REF" 4096 256 6 4 704 "$G" 64 "$N") || rc=$?
        [ $rc = 0 ] || { echo "pytorch: the program failed (exit status $rc)"; exit 1; }
        echo "pytorch: $theirs"
        a=$(rate "$ours")
        b=$(rate "$theirs")
        awk -v a="$a" -v b="$b" -v g="$G" 'BEGIN { printf "G=%d ratio recad/pytorch = %.1fx (%s vs %s decode tokens/s)\n", g, a / b, a, b }'
    else
        echo "pytorch: not available ($REF or python3-torch missing)"
    fi
    if [ "$G" = 64 ]; then ours64=$(rate "$ours"); theirs64=${b:-}; fi
done
mixed=$(build/bench/bench_sample 4096 256 6 4 704 16 40 "$N" 56 72 88)
echo "recad:   $mixed"
m=$(rate "$mixed")
awk -v a="$m" -v b="$ours64" 'BEGIN { printf "mixed 4x16 / recad G=64 = %.2f (%s vs %s decode tokens/s)\n", a / b, a, b }'
if [ $torch = 1 ]; then
    awk -v a="$m" -v b="$theirs64" 'BEGIN { printf "mixed 4x16 ratio recad/pytorch G=64 = %.1fx (%s vs %s decode tokens/s)\n", a / b, a, b }'
fi
for what in bf16:G64 bf16:mixed kv8:G64 kv8:mixed; do
    prec=${what%%:*}
    if [ "${what#*:}" = G64 ]; then
        line=$(PRECISION=$prec build/bench/bench_sample 4096 256 6 4 704 64 64 "$N"); f32=$ours64; name="$prec G=64"
    else
        line=$(PRECISION=$prec build/bench/bench_sample 4096 256 6 4 704 16 40 "$N" 56 72 88); f32=$m; name="$prec mixed 4x16"
    fi
    echo "recad:   $line"
    a=$(rate "$line")
    awk -v a="$a" -v b="$f32" -v n="$name" 'BEGIN { printf "%s / recad float32 = %.2f (%s vs %s decode tokens/s)\n", n, a / b, a, b }'
    if [ $torch = 1 ]; then
        awk -v a="$a" -v b="$theirs64" -v n="$name" 'BEGIN { printf "%s ratio recad/pytorch G=64 = %.1fx (%s vs %s decode tokens/s)\n", n, a / b, a, b }'
    fi
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
