#!/usr/bin/env python3
"""Times PyTorch's float32 torch.mm (its CPU BLAS path: MKL or oneDNN as built) on the GEMM shapes of
docs/gemm.md, with 1 and 2 threads, as entries of the JMH benchmark dev.lanes.jmh.gemm.GemmBenchmark.sgemm
(params shape, threads, library=pytorch; work gflop = 2mnk / 1e9 per product) in a lanes-bench/1 results file,
so that dev.lanes.jmh.results.Report puts it in the same rows as Lanes, netlib, EJML, the Java loop and numpy.

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        python3 scripts/bench_torch_gemm.py --json torch-gemm.json [--threads 1,2] [--seconds 1.0] [SHAPE ...]

Timing: torch_timing.median_seconds (a warm-up, then the median of single calls over --seconds) of
torch.mm(a, b, out=c) on preallocated row-major tensors; threads via torch.set_num_threads in this process.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_timing import Results, median_seconds  # noqa: E402

import torch  # noqa: E402

BENCHMARK = "dev.lanes.jmh.gemm.GemmBenchmark.sgemm"
SHAPES = ["64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
          "1x4096x4096", "32x4096x4096", "128x512x784", "128x3072x768", "512x768x768"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="write the lanes-bench/1 results file here")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per shape and thread count")
    parser.add_argument("shapes", nargs="*", default=SHAPES)
    args = parser.parse_args()

    results = Results()
    g = torch.Generator().manual_seed(42)
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        for shape in args.shapes:
            m, n, k = (int(x) for x in shape.split("x"))
            a = torch.rand(m, k, generator=g) * 2 - 1
            b = torch.rand(k, n, generator=g) * 2 - 1
            c = torch.empty(m, n)
            gflop = 2.0 * m * n * k / 1e9
            with torch.no_grad():
                seconds = median_seconds(lambda: torch.mm(a, b, out=c), seconds=args.seconds,
                                         warmup=max(3, min(50, int(2 / gflop))), min_samples=5)
            results.add(BENCHMARK, seconds, {"shape": shape, "threads": threads}, unit="us/op",
                        library="pytorch", work={"gflop": gflop})
            print(f"{shape:>16} threads={threads} {seconds * 1e6:12.1f} us {gflop / seconds:8.1f} GFLOP/s", flush=True)
    results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
