#!/usr/bin/env bash
# The one-session side-by-side table of docs/benchmarks.md: Lanes against OpenBLAS (numpy), PyTorch, ONNX Runtime
# (Java), netlib-java, EJML and a plain Java loop, on the shapes of the GEMM, kernel, MLP, CNN and Transformer
# work, all measured in one sitting on one machine, then one report (dev.lanes.jmh.results.Report) with a row per
# workload, a column per library and the ratio Lanes / best other.
#
#   scripts/bench_side_by_side.sh [OUT_DIR]          (default target/side-by-side; about 35 minutes)
#   DOCS=1 scripts/bench_side_by_side.sh             also regenerate docs/benchmarks.md's report block, its
#                                                    charts (docs/benchmarks/) and docs/results/side-by-side/
#   QUICK=1 scripts/bench_side_by_side.sh OUT        a wiring check: one short fork per JMH benchmark (the
#                                                    Python scripts keep their own timing); no figure to keep
#
# Needs a JDK 25 (found by ./lanes) and Python 3 with torch, numpy, onnx and onnxruntime
# (pip install torch numpy onnx onnxruntime onnxscript). Every timing step holds /tmp/lanes-bench.lock, so no
# other benchmark on this machine runs at the same time; the JMH steps use 2 forks each (Vector API code can
# compile differently from one JVM to the next) with fewer iterations than the classes' own settings, so that
# the whole table fits one sitting. The jar is copied into OUT_DIR first, so a rebuild cannot disturb the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/target/side-by-side}" && cd "${1:-$ROOT/target/side-by-side}" && pwd)"
LOCK=/tmp/lanes-bench.lock
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824   # PyTorch: no mmap churn

if ! python3 -c "import torch, numpy, onnx, onnxruntime" 2>/dev/null; then
    echo "bench_side_by_side: Python needs torch, numpy, onnx and onnxruntime:" >&2
    echo "    pip install torch numpy onnx onnxruntime onnxscript" >&2
    exit 1
fi
rm -f "$OUT"/*.json
"$ROOT/lanes" bench -l > /dev/null                       # builds jmh/target/benchmarks.jar with a JDK 25
JAVA="$("$ROOT/lanes" jdk)/bin/java"
cp "$ROOT/jmh/target/benchmarks.jar" "$OUT/benchmarks.jar"
JAR="$OUT/benchmarks.jar"
python3 "$ROOT/scripts/export_onnx.py" --out "$OUT/onnx"

step() { echo; echo "== $(date -u +%H:%M:%S) $*"; }
# jmh NAME ARGS...: one JMH run (Bench's --results records the environment) under the lock; the full output goes
# to OUT/lanes-NAME.log, the result lines to the terminal.
jmh() {
    local name="$1"; shift
    flock "$LOCK" "$JAVA" --sun-misc-unsafe-memory-access=allow -Dlanes.onnx.dir="$OUT/onnx" \
        --add-modules jdk.incubator.vector -jar "$JAR" "$@" --results "$OUT/lanes-$name.json" > "$OUT/lanes-$name.log" 2>&1 \
        || echo "bench_side_by_side: the JMH step $name failed; see $OUT/lanes-$name.log" >&2
    grep -E '^(# Lanes|[A-Z][A-Za-z]+Benchmark\.)' "$OUT/lanes-$name.log" || true
}
py() { flock "$LOCK" python3 "$@"; }

SHORT=(-f 2 -wi 3 -i 3 -w 1 -r 1)            # kernels and GEMM: 3 s of warm-up is enough for C2 there
MODEL=(-f 2 -wi 6 -w 2 -i 5 -r 1)            # whole models: C2 compiles some paths only after ~8 s
if [[ "${QUICK:-0}" == 1 ]]; then
    SHORT=(-f 1 -wi 1 -i 1 -w 100ms -r 100ms)
    MODEL=("${SHORT[@]}")
fi

step "GEMM"
GEMM_SHAPES=(256x256x256 1024x1024x1024 1x4096x4096 128x512x784 128x3072x768)
GEMM_LIST="$(IFS=,; echo "${GEMM_SHAPES[*]}")"
jmh gemm-t1 'gemm\.GemmBenchmark\.sgemm$' -p shape="$GEMM_LIST" -p threads=1 -p library=lanes,netlib,ejml,java-loop "${SHORT[@]}"
jmh gemm-t2 'gemm\.GemmBenchmark\.sgemm$' -p shape="$GEMM_LIST" -p threads=2 -p library=lanes "${SHORT[@]}"
py "$ROOT/scripts/bench_numpy_gemm.py" --threads 1,2 --seconds 1 --json "$OUT/numpy-gemm.json" "${GEMM_SHAPES[@]}"
py "$ROOT/scripts/bench_torch_gemm.py" --threads 1,2 --seconds 1 --json "$OUT/torch-gemm.json" "${GEMM_SHAPES[@]}"

step "kernels (4096 x 1024 floats: 16 MB per operand, out of cache)"
KERNELS='kernels\.(ActivationBenchmark\.(reluForward|geluErfForward)|SoftmaxBenchmark\.(softmaxForward|crossEntropy)|NormBenchmark\.layerNorm(Forward|Backward)|OptimizerBenchmark\.adamW|ElementwiseBenchmark\.axpy)$'
jmh kernels "$KERNELS" -p shape=4096x1024 -p threads=1,2 -p library=lanes "${SHORT[@]}"
jmh kernels-loop "${KERNELS/|Backward/}" -p shape=4096x1024 -p threads=1 -p library=java-loop "${SHORT[@]}"
py "$ROOT/scripts/bench_torch_kernels.py" --ops reluForward,geluErfForward,softmaxForward,crossEntropy,layerNormForward,layerNormBackward,adamW,axpy \
    --shapes 4096x1024 --threads 1,2 --seconds 1 --json "$OUT/torch-kernels.json" > /dev/null

step "attention (B*H 8, T 512, d 64; decode: 4 heads, 1 query x 512 keys)"
jmh attention 'kernels\.AttentionBenchmark\.(fusedForward|fusedForwardCausal|decodeForward)$' -p t=512 -p threads=1,2 "${SHORT[@]}"
py "$ROOT/scripts/bench_torch_attention.py" --t 512 --json "$OUT/torch-attention.json" > /dev/null

step "whole models: MLP, CNN, GPT, LSTM"
jmh models 'nn\.(MlpInferenceBenchmark\.forwardNoGrad|MlpTrainingBenchmark\.fused|CnnStepBenchmark\.(step|inference)|GptBenchmark\.(trainStep|forward|generate)|LstmBenchmark\.forwardBackward)$' \
    -p library=lanes,onnxruntime -p threads=1,2 "${MODEL[@]}"
py "$ROOT/scripts/bench_torch_training.py" --json "$OUT/torch-training.json" > /dev/null
py "$ROOT/scripts/bench_torch_nn.py" --json "$OUT/torch-nn.json" > /dev/null
py "$ROOT/scripts/bench_torch_lstm.py" --json "$OUT/torch-lstm.json" > /dev/null
py "$ROOT/scripts/bench_torch_gpt.py" --json "$OUT/torch-gpt.json" > /dev/null

step "report"
# --lanes-rows-only: the PyTorch scripts time a few workloads this run leaves out (MlpStep, LSTM forward, ...)
"$JAVA" -cp "$JAR" dev.lanes.jmh.results.Report "$OUT"/lanes-*.json "$OUT"/numpy-*.json "$OUT"/torch-*.json \
    --lanes-rows-only --out "$OUT/report.md" --charts "$OUT/charts"
if [[ "${DOCS:-0}" == 1 ]]; then
    rm -rf "$ROOT/docs/results/side-by-side" "$ROOT/docs/benchmarks"
    mkdir -p "$ROOT/docs/results/side-by-side"
    cp "$OUT"/*.json "$ROOT/docs/results/side-by-side/"
    (cd "$ROOT" && "$JAVA" -cp "$JAR" dev.lanes.jmh.results.Report docs/results/side-by-side/*.json \
        --lanes-rows-only --out docs/benchmarks.md --charts docs/benchmarks)
fi
echo "report: $OUT/report.md"
