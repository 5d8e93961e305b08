"""PyTorch 2.x CPU timings of nn.LSTM(64, 256) over 100 steps at batch 32 (time first), the workload of
LstmBenchmark in jmh/: forward + backward of a fixed random upstream gradient (parameter gradients zeroed
first, the input needs no gradient), and the forward in no_grad, with 1 and 2 threads. Prints one JSON line
per case: {"case", "threads", "ms", "mean_ms", "seq_per_s"} (ms is the median of single calls, mean_ms their
mean: JMH's average-time scores are means, so --mean writes the mean to the results file instead, and
seq_per_s from it, for a comparison with the same statistic on both sides; the file does not say which it
holds, so name it accordingly); with --json FILE also a results file the JMH report reads
(rows LstmBenchmark.forwardBackward/forward with its tokens counter, steps x batch = 3200 per call). Run it under
the benchmark lock:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_lstm.py
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_timing import Results, median_and_mean_seconds  # noqa: E402

INPUT, HIDDEN, STEPS, BATCH = 64, 256, 100, 32


def workload():
    """The two timed calls, {"forwardBackward": fn, "forward": fn} (named after LstmBenchmark's methods)."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(INPUT, HIDDEN)
    x = torch.randn(STEPS, BATCH, INPUT)
    dy = torch.randn(STEPS, BATCH, HIDDEN)

    def fwd_bwd():
        lstm.zero_grad(set_to_none=False)
        out, _ = lstm(x)
        out.backward(dy)

    def fwd():
        with torch.no_grad():
            lstm(x)

    return {"forwardBackward": fwd_bwd, "forward": fwd}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="also write the timings as a Lanes results file")
    parser.add_argument("--mean", action="store_true", help="write the mean, not the median, to the results file")
    args = parser.parse_args()
    results = Results()
    calls = workload()
    fwd_bwd, fwd = calls["forwardBackward"], calls["forward"]

    for threads in (1, 2):
        torch.set_num_threads(threads)
        for case, method, fn in (("forward_backward", "forwardBackward", fwd_bwd), ("forward", "forward", fwd)):
            s, mean = median_and_mean_seconds(fn, seconds=3.0, warmup=5, min_samples=10)
            results.add("dev.lanes.jmh.nn.LstmBenchmark." + method, mean if args.mean else s, {"threads": threads},
                        unit="ms/op", work={"tokens": STEPS * BATCH})
            print(json.dumps({"case": case, "threads": threads, "ms": round(s * 1e3, 2), "mean_ms": round(mean * 1e3, 2),
                              "seq_per_s": round(BATCH / (mean if args.mean else s), 1), "torch": torch.__version__}),
                  flush=True)
    if args.json:
        results.write(args.json)


if __name__ == "__main__":
    main()
