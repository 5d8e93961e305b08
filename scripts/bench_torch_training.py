"""PyTorch 2.x CPU timings for the training-toolkit issue, for the side-by-side table in docs/nn.md.

  train: one full Adam training step of Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10) at batch 128
         (zero_grad, forward, cross-entropy, backward, optimizer.step), as the Lanes JMH MlpTrainingBenchmark;
  infer: one call of the same model at batch 1 under torch.inference_mode(), as MlpInferenceBenchmark.
With 1 and 2 threads. Prints one JSON line per case: {"case", "threads", "us", "samples_per_s", "torch"}
(median of repeated timed runs after a warm-up); with --json FILE, also a results file the JMH report reads
(rows MlpTrainingBenchmark.fused/modules and MlpInferenceBenchmark.plan/forwardNoGrad, with the JMH benchmarks'
samples counter). Run it under the benchmark lock, with glibc told to keep
freed memory (fresh pages are slow to touch on this VM):
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_training.py
"""
import argparse
import json
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import Results, median_seconds


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="also write the timings as a Lanes results file")
    args = parser.parse_args()
    results = Results()
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model = mlp()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))

        def train_step():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

        s = median_seconds(train_step)
        for method in ("fused", "modules"):
            results.add("dev.lanes.jmh.nn.MlpTrainingBenchmark." + method, s, {"threads": threads},
                        work={"samples": 128})
        print(json.dumps({"case": "train", "threads": threads, "us": round(s * 1e6, 1),
                          "samples_per_s": round(128 / s, 1), "torch": torch.__version__}), flush=True)

        model.eval()
        one = torch.rand(1, 784)

        def infer():
            with torch.inference_mode():
                model(one)

        s = median_seconds(infer, warmup=1000)
        for method in ("plan", "forwardNoGrad"):
            results.add("dev.lanes.jmh.nn.MlpInferenceBenchmark." + method, s, {"threads": threads},
                        work={"samples": 1})
        print(json.dumps({"case": "infer", "threads": threads, "us": round(s * 1e6, 2),
                          "samples_per_s": round(1 / s, 1), "torch": torch.__version__}), flush=True)
    if args.json:
        results.write(args.json)


if __name__ == "__main__":
    main()
