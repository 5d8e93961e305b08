#!/usr/bin/env bash
# Lanes and the plain Java loop (JMH: library=lanes and library=java-loop) and PyTorch (CPU) on the memory-bound
# kernels of docs/kernels.md, op family by op family, so that every ratio comes from the same minute or two of a
# machine whose speed drifts; then the VectorMath ns/element suite, a STREAM-style copy at the start and the
# end as the DRAM yardstick, and one report (dev.lanes.jmh.results.Report over every results file: a row per
# op, shape and thread count, a column per library, GB/s in each cell) in OUT_DIR/report.md.
#
#   scripts/bench_kernels_side_by_side.sh [OUT_DIR]        (default jmh/target/kernels-bench)
#
# Environment:
#   FAMILIES="relu softmax adamW"  only these op families (default: all 18; see FAMILY_CLASS below)
#   SHAPES="256x1024"              only these shapes (default: 4096x1024 256x1024)
#   THREADS="1"                    only these thread counts (default: 1 2)
#   JMH_OPTS="-f 2"                JMH options (default "-f 1 -i 3 -r 600ms": the classes' @Warmup of 3 x 1 s,
#                                  then 3 measurement iterations of 0.6 s, in one fork instead of their
#                                  @Fork(2) x 5 x 1 s; that keeps the full matrix (about 150 JMH configurations)
#                                  near 25 minutes on a quiet machine. "-f 2" is the classes' own
#                                  configuration, about 70 minutes. Do not shorten the warm-up below ~3 s:
#                                  until C2 compiles them, Vector API loops run 100-1000x slower)
#   TORCH_SECONDS=0.5              timing budget per PyTorch op, shape and thread count
#   VECTOR_MATH=0                  skip VectorMathBenchmark;   STREAM=0  skip the copy yardstick
#   JAR=path/to/benchmarks.jar     use this jar instead of building one (e.g. while the tree does not compile)
#   QUIET_BUSY=30 QUIET_WAIT=600   before each step, wait up to QUIET_WAIT s until the CPUs are less than
#                                  QUIET_BUSY % busy for 3 s (other people's builds and tests); 0 = do not wait
#
# The jar is copied into OUT_DIR first, so a rebuild of jmh/target by someone else cannot disturb the run.
# Each family (its JMH run and its PyTorch run, back to back) holds /tmp/lanes-bench.lock, as do the other
# steps, so no other benchmark on this machine runs at the same time; other people's benchmarks may run
# between two families.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/jmh/target/kernels-bench}"
LOCK=/tmp/lanes-bench.lock
read -r -a JMH_ARGS <<< "${JMH_OPTS:--f 1 -i 3 -r 600ms}"
SHAPES="${SHAPES:-4096x1024 256x1024}"
THREADS="${THREADS:-1 2}"
TORCH_SECONDS="${TORCH_SECONDS:-0.5}"

# Op family -> the JMH class holding its benchmarks; the family is also the prefix of its op ids (the JMH
# method names) that bench_torch_kernels.py --ops takes. In every family the method named the family, or the
# family + "Forward", has the java-loop library (a plain single-threaded loop); the backwards are Lanes-only.
declare -A FAMILY_CLASS=(
    [relu]=Activation [geluErf]=Activation [geluTanh]=Activation [silu]=Activation [sigmoid]=Activation
    [tanh]=Activation [softmax]=Softmax [logSoftmax]=Softmax [crossEntropy]=Softmax
    [layerNorm]=Norm [rmsNorm]=Norm [batchNorm]=Norm
    [dropout]=Elementwise [addRow]=Elementwise [axpy]=Elementwise [sum]=Elementwise
    [sgdMomentum]=Optimizer [adamW]=Optimizer
)
ALL_FAMILIES="relu geluErf geluTanh silu sigmoid tanh softmax logSoftmax crossEntropy layerNorm rmsNorm batchNorm
              dropout addRow axpy sum sgdMomentum adamW"
FAMILIES="${FAMILIES:-$ALL_FAMILIES}"

mkdir -p "$OUT"
JDK="$("$ROOT/lanes" jdk)"
JAVA="$JDK/bin/java"
if [[ -n "${JAR:-}" ]]; then
    cp "$JAR" "$OUT/benchmarks.jar"
else
    # jmh/target/benchmarks.jar and what it needs, without compiling the tests (which may be mid-edit).
    (cd "$ROOT" && JAVA_HOME="$JDK" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
        mvn -B -q -Dstyle.color=never -Dmaven.test.skip=true package -pl jmh -am) || { echo "build failed" >&2; exit 1; }
    cp "$ROOT/jmh/target/benchmarks.jar" "$OUT/benchmarks.jar"
fi
rm -f "$OUT"/*.json "$OUT"/*.jsonl "$OUT"/report.md
BENCH=("$JAVA" --add-modules jdk.incubator.vector -jar "$OUT/benchmarks.jar")
PARAMS=(-p shape="${SHAPES// /,}" -p threads="${THREADS// /,}")
start=$(date +%s)

# Percent of all CPUs busy over the next second, from /proc/stat (this script's own steps are not running).
cpu_busy() {
    local a b
    read -r -a a < /proc/stat
    sleep 1
    read -r -a b < /proc/stat
    local idle=$(( b[4] + b[5] - a[4] - a[5] )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

# Waits (up to QUIET_WAIT seconds, default 600) until other processes keep the CPUs less than QUIET_BUSY percent
# busy (default 30) for 3 seconds in a row: compiles and test runs by other people on a 2-core machine distort
# every timing, and 2-thread ones most. Then runs anyway and says so.
wait_quiet() {
    [[ "${QUIET_WAIT:-600}" == 0 ]] && return
    local limit="${QUIET_BUSY:-30}" deadline=$(( $(date +%s) + ${QUIET_WAIT:-600} )) calm=0 busy
    while (( calm < 3 )); do
        busy=$(cpu_busy)
        if (( busy < limit )); then calm=$(( calm + 1 )); else calm=0; fi
        if (( $(date +%s) > deadline )); then
            echo "   (machine still ${busy}% busy after ${QUIET_WAIT:-600} s; measuring anyway)"
            return
        fi
    done
}

exec 9>> "$LOCK"
locked() {  # runs "$@" holding the benchmark lock, once the machine is quiet
    wait_quiet
    flock 9
    wait_quiet
    "$@"
    local status=$?
    flock -u 9
    return $status
}

stream_copy() {
    "${BENCH[@]}" 'gemm.StreamCopyBenchmark' "${JMH_ARGS[@]}" -p threads="${THREADS// /,}" \
        --results "$OUT/stream-copy-$1.json" | grep -E '^StreamCopy' || true
}

family() {
    local name="$1" class="${FAMILY_CLASS[$1]}"
    echo "== $name ($class, $(( ($(date +%s) - start) / 60 )) min elapsed, CPUs $(cpu_busy)% busy before)"
    "${BENCH[@]}" "kernels\\.${class}Benchmark\\.${name}([A-Z]|\$)" "${JMH_ARGS[@]}" "${PARAMS[@]}" \
        -p library=lanes --results "$OUT/jmh-$name.json" | grep -E "^${class}Benchmark\." || true
    if [[ " $THREADS " == *" 1 "* ]]; then   # the plain loop: one thread only, the forward (or the only) method
        "${BENCH[@]}" "kernels\\.${class}Benchmark\\.${name}(Forward)?\$" "${JMH_ARGS[@]}" -p shape="${SHAPES// /,}" \
            -p threads=1 -p library=java-loop --results "$OUT/jmh-$name-java-loop.json" \
            | grep -E "^${class}Benchmark\." || true
    fi
    python3 "$ROOT/scripts/bench_torch_kernels.py" --ops "$name" --shapes "${SHAPES// /,}" \
        --threads "${THREADS// /,}" --seconds "$TORCH_SECONDS" --json "$OUT/torch-$name.json" > /dev/null
}

for name in $FAMILIES; do
    [[ -n "${FAMILY_CLASS[$name]:-}" ]] || { echo "unknown family '$name' (known: $ALL_FAMILIES)" >&2; exit 2; }
done

[[ "${STREAM:-1}" == 0 ]] || locked stream_copy start
for name in $FAMILIES; do
    locked family "$name"
done
if [[ "${VECTOR_MATH:-1}" != 0 ]]; then
    echo "== VectorMath"
    locked "${BENCH[@]}" 'kernels\.VectorMathBenchmark' "${JMH_ARGS[@]}" --results "$OUT/vector-math.json" \
        | grep -E '^VectorMathBenchmark\.' || true
fi
[[ "${STREAM:-1}" == 0 ]] || locked stream_copy end
exec 9>&-

echo "== done in $(( ($(date +%s) - start) / 60 )) min; results in $OUT"
"$JAVA" -cp "$OUT/benchmarks.jar" dev.lanes.jmh.results.Report "$OUT"/*.json | tee "$OUT/report.md"
