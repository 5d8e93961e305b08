"""PyTorch 2.x CPU timings of the nn-core issue's models, the workloads of jmh's MlpStepBenchmark and
CnnStepBenchmark, for the side-by-side tables (docs/nn.md, the JMH report).

Forward + backward with cross-entropy (no optimizer step, as MlpStepBenchmark and CnnStepBenchmark.step) of
  MLP: Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10), batch 128
  CNN: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10), batch 64
and the CNN's inference forward under torch.inference_mode() (CnnStepBenchmark.inference), with 1 and 2 threads.
Prints one JSON line per case: {"model", "case", "threads", "us", "samples_per_s"} (median of repeated timed runs
after a warm-up); with --json FILE also a results file the JMH report reads (rows MlpStepBenchmark.nnFused/nnModules,
CnnStepBenchmark.step/inference, with the JMH benchmarks' samples counter). Run it under the benchmark lock:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_nn.py
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_timing import Results, median_seconds  # noqa: E402

JMH = "dev.lanes.jmh.nn."


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def step_fn(model, x, y):
    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    return step


def inference_fn(model, x):
    def infer():
        with torch.inference_mode():
            model(x)
    return infer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="also write the timings as a Lanes results file")
    args = parser.parse_args()
    results = Results()
    torch.manual_seed(0)
    mlp_model, mlp_x, mlp_y = mlp(), torch.rand(128, 784), torch.randint(0, 10, (128,))
    cnn_model, cnn_x, cnn_y = cnn(), torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    # (model, case, timed call, batch, JMH methods that get this timing)
    cases = [("mlp", "step", step_fn(mlp_model, mlp_x, mlp_y), 128,
              ["MlpStepBenchmark.nnFused", "MlpStepBenchmark.nnModules"]),
             ("cnn", "step", step_fn(cnn_model, cnn_x, cnn_y), 64, ["CnnStepBenchmark.step"]),
             ("cnn", "inference", inference_fn(cnn_model, cnn_x), 64, ["CnnStepBenchmark.inference"])]
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for model, case, fn, batch, methods in cases:
            seconds = median_seconds(fn, seconds=2.0, warmup=20, min_samples=10)
            for method in methods:
                results.add(JMH + method, seconds, {"threads": threads}, work={"samples": batch})
            print(json.dumps({"model": model, "case": case, "threads": threads, "us": round(seconds * 1e6, 1),
                              "samples_per_s": round(batch / seconds, 1), "torch": torch.__version__}), flush=True)
    if args.json:
        results.write(args.json)


if __name__ == "__main__":
    main()
