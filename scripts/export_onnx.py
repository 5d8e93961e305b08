#!/usr/bin/env python3
"""Exports the Lanes whole-model benchmarks' models to ONNX, for the ONNX Runtime column of the JMH report.

    python3 scripts/export_onnx.py [--out DIR]     # DIR defaults to target/onnx under the repository root
    # needs torch (CPU), onnx and onnxruntime: pip install onnx onnxruntime onnxscript

The same models and shapes as the JMH benchmarks (jmh/src/main/java/dev/lanes/jmh/nn/), float32, fixed seeds:

    mlp_b1.onnx        MlpInferenceBenchmark: Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10), x (1, 784)
    cnn_b64.onnx       CnnStepBenchmark.inference: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-
                       MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10), x (64, 1, 28, 28)
    gpt_b16_t128.onnx  GptBenchmark.forward: the nanoGPT model of scripts/bench_torch_gpt.py (vocab 256, width 256,
                       4 heads, 4 layers, FFN 1024, bias), idx int64 (16, 128) -> logits (16, 128, 256)

Every model has one input (x or idx) and one output (logits) with static shapes, opset 17. Each file is checked
with onnxruntime against PyTorch (the max abs difference is printed; over 1e-3 is an error) and only then moved
into place, so a failed run leaves no half-written model. The weights are PyTorch's seeded initialisation, not
Lanes': only the arithmetic is compared, not the numbers.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_torch_gpt  # noqa: E402  (the GPT module the PyTorch timings use)
from bench_torch_nn import cnn, mlp  # noqa: E402  (the same MLP and CNN the PyTorch timings use)

ROOT = os.path.abspath(os.path.join(HERE, ".."))
OPSET = 17
TOLERANCE = 1e-3


class GptLogits(nn.Module):
    """GPT.forward(idx) alone: its optional cache and position arguments would otherwise become graph inputs."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, idx):
        return self.gpt(idx)


def models():
    """(file name, model, example input, input name), each built under its own seed."""
    torch.manual_seed(1)
    yield "mlp_b1.onnx", mlp(), torch.rand(1, 784), "x"
    torch.manual_seed(2)
    yield "cnn_b64.onnx", cnn(), torch.rand(64, 1, 28, 28), "x"
    torch.manual_seed(3)
    gpt = bench_torch_gpt.GPT(bench_torch_gpt.T)
    yield "gpt_b16_t128.onnx", GptLogits(gpt), torch.randint(0, bench_torch_gpt.V, (bench_torch_gpt.B, bench_torch_gpt.T)), "idx"


def export(name, model, example, input_name, out):
    import onnx
    import onnxruntime as ort

    model.eval()
    path = os.path.join(out, name)
    tmp = path + ".tmp"
    try:
        with torch.no_grad():
            expected = model(example).numpy()
            # The TorchScript exporter: static shapes, no extra packages; dynamo=True gives the same graph
            # here but needs onnxscript.
            torch.onnx.export(model, (example,), tmp, input_names=[input_name], output_names=["logits"],
                              opset_version=OPSET, dynamo=False, do_constant_folding=True)
        onnx.checker.check_model(tmp)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(tmp, options, providers=["CPUExecutionProvider"])
        (got,) = session.run(["logits"], {input_name: example.numpy()})
        diff = float(np.max(np.abs(got - expected)))
        print(f"{name}: input {input_name} {tuple(example.shape)} {example.dtype}, logits {tuple(got.shape)}, "
              f"max abs diff onnxruntime {ort.__version__} vs torch {torch.__version__}: {diff:.3g}", flush=True)
        if got.shape != expected.shape or not diff <= TOLERANCE:
            raise SystemExit(f"export_onnx: {name} does not match PyTorch (max abs diff {diff}, shapes "
                             f"{got.shape} vs {expected.shape})")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "onnx"),
                        help="directory for the .onnx files (default: target/onnx under the repository root)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name, model, example, input_name in models():
        export(name, model, example, input_name, args.out)
    print(f"wrote {os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
