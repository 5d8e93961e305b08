"""PyTorch 2.x CPU timings of the nn-core issue's training steps, for the side-by-side table in docs/nn.md.

Forward + backward with cross-entropy (no optimizer step, as the Lanes JMH MlpStepBenchmark and
CnnStepBenchmark) of
  MLP: Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10), batch 128
  CNN: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10), batch 64
with 1 and 2 threads. Prints one JSON line per case: {"model", "threads", "us", "samples_per_s"} (median of
repeated timed runs after a warm-up). Run it under the benchmark lock:
    flock /tmp/lanes-bench.lock python3 scripts/bench_torch_nn.py
"""
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def time_step(model, x, y, seconds=2.0):
    def step():
        model.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()

    for _ in range(20):
        step()
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 10:
        t = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main():
    torch.manual_seed(0)
    cases = [("mlp", mlp(), torch.rand(128, 784), torch.randint(0, 10, (128,))),
             ("cnn", cnn(), torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)))]
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name, model, x, y in cases:
            seconds = time_step(model, x, y)
            print(json.dumps({"model": name, "threads": threads, "us": round(seconds * 1e6, 1),
                              "samples_per_s": round(x.shape[0] / seconds, 1),
                              "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
