#!/usr/bin/env bash
# Lanes, netlib-java, EJML and the plain Java loop (JMH, GemmBenchmark.sgemm) and OpenBLAS (numpy) and PyTorch
# (torch.mm) on the GEMM shapes of docs/gemm.md, shape by shape, back to back, so that every ratio comes from the
# same minutes of a machine whose speed drifts; then one report (dev.lanes.jmh.results.Report) with a row per
# shape and thread count and a column per library, in GFLOP/s.
#
#   scripts/bench_gemm_side_by_side.sh [OUT_DIR]      (default target/bench-gemm)
#
# Environment: SHAPES="512x512x512 1x4096x4096" (default: all 11), THREADS="1" (default "1 2"),
# JMH_OPTS (default "-f 2 -wi 3 -i 5"), PY_SECONDS (default 1.0, per shape and thread count).
# Single-threaded libraries (netlib, ejml, java-loop) run only in the threads=1 rows; java-loop skips 2048^3.
# Each timing run holds /tmp/lanes-bench.lock, so it never overlaps another benchmark on this machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/bench-gemm}"
LOCK=/tmp/lanes-bench.lock
SHAPES=(${SHAPES:-64x64x64 128x128x128 256x256x256 512x512x512 1024x1024x1024 2048x2048x2048
        1x4096x4096 32x4096x4096 128x512x784 128x3072x768 512x768x768})
read -r -a JMH_ARGS <<< "${JMH_OPTS:--f 2 -wi 3 -i 5}"
PY_SECONDS="${PY_SECONDS:-1.0}"
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824
mkdir -p "$OUT"
rm -f "$OUT"/*.json

"$ROOT/lanes" bench -l > /dev/null          # builds jmh/target/benchmarks.jar with a JDK 25
JAVA="$("$ROOT/lanes" jdk)/bin/java"
JAR="$ROOT/jmh/target/benchmarks.jar"

for threads in ${THREADS:-1 2}; do
    libraries=lanes
    [[ "$threads" == 1 ]] && libraries=lanes,netlib,ejml,java-loop
    for shape in "${SHAPES[@]}"; do
        echo "== $shape, $threads thread(s)"
        libs="$libraries"
        [[ "$shape" == 2048x2048x2048 ]] && libs="${libs/,java-loop/}"   # the loop refuses it (seconds per call)
        flock "$LOCK" "$JAVA" -jar "$JAR" 'gemm\.GemmBenchmark\.sgemm$' "${JMH_ARGS[@]}" \
            -p shape="$shape" -p threads="$threads" -p library="$libs" \
            --results "$OUT/jmh-$shape-t$threads.json" | grep -E '^GemmBenchmark\.sgemm ' || true
        flock "$LOCK" python3 "$ROOT/scripts/bench_numpy_gemm.py" --threads "$threads" --seconds "$PY_SECONDS" \
            --json "$OUT/numpy-$shape-t$threads.json" "$shape"
        flock "$LOCK" python3 "$ROOT/scripts/bench_torch_gemm.py" --threads "$threads" --seconds "$PY_SECONDS" \
            --json "$OUT/torch-$shape-t$threads.json" "$shape"
    done
done
flock "$LOCK" "$JAVA" -jar "$JAR" 'gemm\.StreamCopyBenchmark' "${JMH_ARGS[@]}" \
    -p threads="$(echo ${THREADS:-1 2} | tr " " ,)" --results "$OUT/jmh-stream-copy.json" | grep -E '^StreamCopyBenchmark' || true
"$JAVA" -cp "$JAR" dev.lanes.jmh.results.Report "$OUT"/*.json | tee "$OUT/report.md"
