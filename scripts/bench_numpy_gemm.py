#!/usr/bin/env python3
"""Times numpy's float32 matmul (OpenBLAS) on the GEMM shapes of docs/gemm.md, with 1 and 2 threads.

Optional tooling, not a build dependency. Writes a lanes-bench/1 results file (scripts/torch_timing.Results)
whose entries are named as the JMH benchmark, dev.lanes.jmh.gemm.GemmBenchmark.sgemm, with the same shape and
threads params and library=numpy, so that the report (dev.lanes.jmh.results.Report) puts OpenBLAS in the same
rows as Lanes; the work counter is gflop = 2mnk / 1e9 per product, as in JMH.

    python3 scripts/bench_numpy_gemm.py --json numpy.json [--threads 1,2] [SHAPE ...]

Prints a readable line per shape and thread count as well. The time is the best per-call time of repeated
batches (after a warm-up), each shape in its own child process whose OpenBLAS thread count is set through
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (set before numpy loads, so no threadpoolctl is needed).

Some machines set OPENBLAS_CORETYPE (to work around old OpenBLAS bugs); that pins an older kernel and
slows a current OpenBLAS. By default this script drops it for its own child processes and reports which
kernel OpenBLAS then runs (pass --keep-coretype to leave the environment alone).
"""
import argparse
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_timing  # noqa: E402
from torch_timing import Results  # noqa: E402

BENCHMARK = "dev.lanes.jmh.gemm.GemmBenchmark.sgemm"

SHAPES = ["64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
          "1x4096x4096", "32x4096x4096", "128x512x784", "128x3072x768", "512x768x768"]

CHILD = r"""
import json, sys, time
import numpy as np
shape, min_seconds = sys.argv[1], float(sys.argv[2])
m, n, k = (int(x) for x in shape.split("x"))
rng = np.random.default_rng(42)
a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
c = np.empty((m, n), dtype=np.float32)
np.matmul(a, b, out=c)
flops = 2.0 * m * n * k
best = float("inf")
# Warm-up, then the best of repeated batches (each batch long enough for the clock).
reps = max(1, int(2e7 / flops))
deadline = time.perf_counter() + 0.3
while time.perf_counter() < deadline:
    np.matmul(a, b, out=c)
deadline = time.perf_counter() + min_seconds
while time.perf_counter() < deadline:
    t0 = time.perf_counter()
    for _ in range(reps):
        np.matmul(a, b, out=c)
    best = min(best, (time.perf_counter() - t0) / reps)
arch = ""
try:
    from threadpoolctl import threadpool_info
    arch = ",".join(f"{i.get('internal_api')}:{i.get('architecture')}:{i.get('num_threads')}" for i in threadpool_info())
except Exception:
    pass
print(json.dumps({"gflops": flops / best / 1e9, "seconds": best, "blas": arch}))
"""


def write(results, path, blas):
    """Results.write, but the environment names NumPy and its BLAS instead of PyTorch."""
    import numpy
    environment = torch_timing.environment(source="numpy")
    environment["runtime"] = f"NumPy {numpy.__version__} ({blas or 'BLAS unknown'})"
    environment["threads"] = 0
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"format": "lanes-bench/1", "environment": environment, "benchmarks": results.entries}, f, indent=2)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="write the lanes-bench/1 results file here")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seconds", type=float, default=2.0, help="timing budget per shape and thread count")
    parser.add_argument("--keep-coretype", action="store_true")
    parser.add_argument("shapes", nargs="*", default=SHAPES)
    args = parser.parse_args()

    results = Results()
    blas = ""
    for threads in (int(t) for t in args.threads.split(",")):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        if not args.keep_coretype:
            env.pop("OPENBLAS_CORETYPE", None)
            env.pop("OPENBLAS_L2_SIZE", None)
        for shape in args.shapes:
            out = subprocess.run([sys.executable, "-c", CHILD, shape, str(args.seconds)], env=env,
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout)
            m, n, k = (int(x) for x in shape.split("x"))
            blas = result["blas"] or blas
            results.add(BENCHMARK, result["seconds"], {"shape": shape, "threads": threads}, unit="us/op",
                        library="numpy", work={"gflop": 2.0 * m * n * k / 1e9})
            print(f"{shape:>16} threads={threads} {result['gflops']:7.1f} GFLOP/s  [{result['blas']}]", flush=True)
    write(results, args.json, blas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
