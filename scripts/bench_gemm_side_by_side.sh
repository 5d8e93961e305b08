#!/usr/bin/env bash
# Lanes (JMH) and OpenBLAS (numpy) on each GEMM shape of docs/gemm.md, back to back, so that every ratio comes
# from the same minutes of a machine whose speed drifts. Single-threaded rows also run netlib-java and EJML.
#
#   scripts/bench_gemm_side_by_side.sh [OUT_DIR]      (THREADS="2" for one thread count only)
#
# Each timing run holds /tmp/lanes-bench.lock, so it never overlaps another benchmark on this machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/bench-gemm}"
LOCK=/tmp/lanes-bench.lock
SHAPES=(64x64x64 128x128x128 256x256x256 512x512x512 1024x1024x1024 2048x2048x2048
        1x4096x4096 32x4096x4096 128x512x784 128x3072x768 512x768x768)
JMH_OPTS=(-f 2 -wi 3 -i 5)
mkdir -p "$OUT"

"$ROOT/lanes" bench -l > /dev/null          # builds jmh/target/benchmarks.jar with a JDK 25
JAVA="$("$ROOT/lanes" jdk)/bin/java"

for threads in ${THREADS:-1 2}; do
    for shape in "${SHAPES[@]}"; do
        echo "== $shape, $threads thread(s)"
        flock "$LOCK" "$JAVA" -jar "$ROOT/jmh/target/benchmarks.jar" 'GemmBenchmark.lanes$' "${JMH_OPTS[@]}" \
            -p shape="$shape" -p threads="$threads" -rf json -rff "$OUT/lanes-$shape-t$threads.json" | tail -n 3
        if [[ "$threads" == 1 ]]; then
            flock "$LOCK" "$JAVA" -jar "$ROOT/jmh/target/benchmarks.jar" 'GemmLibrariesBenchmark' "${JMH_OPTS[@]}" \
                -p shape="$shape" -rf json -rff "$OUT/libraries-$shape.json" | tail -n 4
        fi
        flock "$LOCK" python3 "$ROOT/scripts/bench_numpy_gemm.py" --threads "$threads" \
            --out "$OUT/numpy-$shape-t$threads.json" "$shape"
    done
done
flock "$LOCK" "$JAVA" -jar "$ROOT/jmh/target/benchmarks.jar" 'StreamCopyBenchmark' "${JMH_OPTS[@]}" \
    -rf json -rff "$OUT/stream-copy.json" | tail -n 4
python3 "$ROOT/scripts/gemm_table.py" "$OUT"/*.json
