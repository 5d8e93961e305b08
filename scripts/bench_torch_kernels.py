#!/usr/bin/env python3
"""Times PyTorch's CPU kernels on the ops and shapes of the Lanes memory-bound kernel suites (jmh/.../kernels).

    python3 scripts/bench_torch_kernels.py [--ops relu,softmax,...] [--shapes 4096x1024,256x1024]
                                           [--threads 1,2] [--seconds 1.0] [--json FILE] [--out FILE.jsonl]

--json FILE writes a lanes-bench/1 results file (scripts/torch_timing.Results) for
dev.lanes.jmh.results.Report: one entry per op, shape and thread count, named as the JMH benchmark of the op
(dev.lanes.jmh.kernels.<Suite>Benchmark.<op>, CLASS below) with the params shape, threads and
library=pytorch, and the work counter gbyte (the same bytes per element as the JMH method counts, BYTES below),
so that PyTorch lands in the same report rows as Lanes and the java-loop library. Only the primary
implementation of an op goes there; the variants stay in the JSON lines.

Prints one JSON object a line, {"op", "shape", "threads", "us", "gbps", "us_min", "impl", "primary"}, to
stdout (and appends them to --out), and a readable line for each to stderr. "us" is the median time per call,
"us_min" the fastest sample (a hint of how noisy the machine was). "op" is the JMH method name of the Lanes
kernel. --ops takes op ids or prefixes ("gelu" = both GELUs, forward and backward; "tanh" = Tanh only, since
ids are matched by prefix).

What is timed: the ATen kernel a training step runs, on preallocated float32 tensors, under no_grad except
where autograd is the op.
  - forwards through torch.nn.functional: relu, gelu (none / tanh), silu, sigmoid, tanh, softmax,
    log_softmax, layer_norm, rms_norm, batch_norm(training=True), dropout(p=0.1);
  - backwards through the ATen op autograd calls: threshold_backward, gelu_backward, silu_backward,
    sigmoid_backward, tanh_backward, _softmax_backward_data, _log_softmax_backward_data,
    native_layer_norm_backward, native_batch_norm_backward, native_dropout_backward; RMSNorm's backward
    through autograd.grad (PyTorch 2.13 has no CPU kernel for _fused_rms_norm_backward, so the backward of
    the composite runs);
  - cross-entropy as F.cross_entropy + torch.autograd.grad (the loss and d logits, what a user runs);
  - x + row, y.add_(x, alpha=), x.sum();
  - one optimizer step, the gradient already in p.grad: torch.optim.AdamW(fused=True) (foreach=True if fused
    is unavailable) and torch.optim.SGD(momentum=0.9, foreach=True).
Lines with "primary": false are other variants for reference (AdamW foreach, SGD fused, aten._fused_rms_norm
forward); the table lists them apart.

Timing: a warm-up, then samples of back-to-back calls (each sample at least ~5 ms), the median per-call time
over --seconds (at least 5 samples). Threads: torch.set_num_threads(t) in this process, for each t in --threads.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no scripts/__pycache__ from importing torch_timing
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_timing import Results  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

EPS = 1e-5
DROPOUT_P = 0.1

# Op id (= the JMH method of the Lanes kernel, whose java-loop library is the plain loop), display name, bytes
# read + written per element of the rows x cols block by the kernel's contract.
# Per-row and per-column terms (targets, gamma/beta, row statistics, the broadcast row) are left out: they
# are below 0.5% of the traffic at 1024 columns.
OPS = [
    ("reluForward", "ReLU fwd", 8),                 # read x, write y
    ("reluBackward", "ReLU bwd", 12),               # read y, dy; write dx
    ("geluErfForward", "GELU (erf) fwd", 8),
    ("geluErfBackward", "GELU (erf) bwd", 12),      # read x, dy; write dx
    ("geluTanhForward", "GELU (tanh) fwd", 8),
    ("geluTanhBackward", "GELU (tanh) bwd", 12),
    ("siluForward", "SiLU fwd", 8),
    ("siluBackward", "SiLU bwd", 12),
    ("sigmoidForward", "Sigmoid fwd", 8),
    ("sigmoidBackward", "Sigmoid bwd", 12),
    ("tanhForward", "Tanh fwd", 8),
    ("tanhBackward", "Tanh bwd", 12),
    ("softmaxForward", "Softmax fwd", 8),
    ("softmaxBackward", "Softmax bwd", 12),         # read y, dy; write dx
    ("logSoftmaxForward", "LogSoftmax fwd", 8),
    ("logSoftmaxBackward", "LogSoftmax bwd", 12),
    ("crossEntropy", "CrossEntropy loss+grad", 8),  # read logits, write dlogits
    ("layerNormForward", "LayerNorm fwd", 8),
    ("layerNormBackward", "LayerNorm bwd", 12),     # read x, dy; write dx
    ("rmsNormForward", "RMSNorm fwd", 8),
    ("rmsNormBackward", "RMSNorm bwd", 12),
    ("batchNormForward", "BatchNorm (train) fwd", 8),
    ("batchNormBackward", "BatchNorm bwd", 12),
    ("dropoutForward", "Dropout fwd", 8),           # Lanes regenerates the mask; PyTorch's 1-byte mask not counted
    ("dropoutBackward", "Dropout bwd", 8),
    ("addRow", "add row (broadcast)", 8),           # read a, write y
    ("axpy", "axpy", 12),                           # read x, y; write y
    ("sum", "sum", 4),                              # read x
    ("sgdMomentum", "SGD momentum step", 20),       # read p, g, buf; write p, buf
    ("adamW", "AdamW step", 28),                    # read p, g, m, v; write p, m, v
]
BYTES = {op: b for op, _, b in OPS}
NAMES = {op: name for op, name, _ in OPS}


def elements(shape):
    rows, cols = (int(v) for v in shape.split("x"))
    return rows * cols


def gbps(op, shape, microseconds):
    return BYTES[op] * elements(shape) / (microseconds * 1e-6) / 1e9


# The JMH suite of each op family (the op id's prefix up to the first capital or the whole id).
SUITE = {"relu": "Activation", "geluErf": "Activation", "geluTanh": "Activation", "silu": "Activation",
         "sigmoid": "Activation", "tanh": "Activation", "softmax": "Softmax", "logSoftmax": "Softmax",
         "crossEntropy": "Softmax", "layerNorm": "Norm", "rmsNorm": "Norm", "batchNorm": "Norm",
         "dropout": "Elementwise", "addRow": "Elementwise", "axpy": "Elementwise", "sum": "Elementwise",
         "sgdMomentum": "Optimizer", "adamW": "Optimizer"}


def benchmark_name(op):
    family = op[:-len("Forward")] if op.endswith("Forward") else op[:-len("Backward")] if op.endswith("Backward") else op
    return f"dev.lanes.jmh.kernels.{SUITE[family]}Benchmark.{op}"


def make_ops(rows, cols):
    """{op id: [(impl, primary, fn)]}; each fn runs one call of the op on tensors made here."""
    g = torch.Generator().manual_seed(42)
    x = torch.randn(rows, cols, generator=g)
    dy = torch.randn(rows, cols, generator=g)
    row = torch.randn(cols, generator=g)
    y_acc = torch.randn(rows, cols, generator=g)
    gamma = torch.rand(cols, generator=g) + 0.5
    beta = torch.randn(cols, generator=g) * 0.1
    running_mean = torch.zeros(cols)
    running_var = torch.ones(cols)
    targets = torch.randint(0, cols, (rows,), generator=g)
    ops = {}

    def add(op, fn, impl="torch", primary=True):
        ops.setdefault(op, []).append((impl, primary, fn))

    with torch.no_grad():
        relu_y = F.relu(x)
        sig_y = torch.sigmoid(x)
        tanh_y = torch.tanh(x)
        soft_y = F.softmax(x, dim=-1)
        logsoft_y = F.log_softmax(x, dim=-1)
        _, ln_mean, ln_rstd = torch.native_layer_norm(x, [cols], gamma, beta, EPS)
        _, bn_mean, bn_invstd = torch.native_batch_norm(x, gamma, beta, running_mean.clone(), running_var.clone(),
                                                        True, 0.1, EPS)
        _, drop_mask = torch.ops.aten.native_dropout(x, DROPOUT_P, True)
    aten = torch.ops.aten

    add("reluForward", lambda: F.relu(x), "F.relu")
    add("reluBackward", lambda: aten.threshold_backward(dy, relu_y, 0), "aten.threshold_backward")
    add("geluErfForward", lambda: F.gelu(x), "F.gelu(approximate='none')")
    add("geluErfBackward", lambda: aten.gelu_backward(dy, x), "aten.gelu_backward")
    add("geluTanhForward", lambda: F.gelu(x, approximate="tanh"), "F.gelu(approximate='tanh')")
    add("geluTanhBackward", lambda: aten.gelu_backward(dy, x, approximate="tanh"), "aten.gelu_backward(tanh)")
    add("siluForward", lambda: F.silu(x), "F.silu")
    add("siluBackward", lambda: aten.silu_backward(dy, x), "aten.silu_backward")
    add("sigmoidForward", lambda: torch.sigmoid(x), "torch.sigmoid")
    add("sigmoidBackward", lambda: aten.sigmoid_backward(dy, sig_y), "aten.sigmoid_backward")
    add("tanhForward", lambda: torch.tanh(x), "torch.tanh")
    add("tanhBackward", lambda: aten.tanh_backward(dy, tanh_y), "aten.tanh_backward")
    add("softmaxForward", lambda: F.softmax(x, dim=-1), "F.softmax")
    add("softmaxBackward", lambda: aten._softmax_backward_data(dy, soft_y, -1, torch.float32),
        "aten._softmax_backward_data")
    add("logSoftmaxForward", lambda: F.log_softmax(x, dim=-1), "F.log_softmax")
    add("logSoftmaxBackward", lambda: aten._log_softmax_backward_data(dy, logsoft_y, -1, torch.float32),
        "aten._log_softmax_backward_data")

    logits = x.detach().clone().requires_grad_(True)

    def cross_entropy():
        with torch.enable_grad():
            loss = F.cross_entropy(logits, targets)
            (grad,) = torch.autograd.grad(loss, logits)
        return loss, grad

    add("crossEntropy", cross_entropy, "F.cross_entropy + autograd.grad")
    add("layerNormForward", lambda: F.layer_norm(x, (cols,), gamma, beta, EPS), "F.layer_norm")
    add("layerNormBackward", lambda: aten.native_layer_norm_backward(dy, x, [cols], ln_mean, ln_rstd, gamma, beta,
                                                                     [True, True, True]),
        "aten.native_layer_norm_backward")
    add("rmsNormForward", lambda: F.rms_norm(x, (cols,), gamma, EPS), "F.rms_norm")
    add("rmsNormForward", lambda: aten._fused_rms_norm(x, [cols], gamma, EPS), "aten._fused_rms_norm", False)
    # PyTorch 2.13 has no CPU kernel for aten._fused_rms_norm_backward: autograd runs the composite's backward.
    rms_x = x.detach().clone().requires_grad_(True)
    rms_gamma = gamma.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        rms_y = F.rms_norm(rms_x, (cols,), rms_gamma, EPS)

    def rms_norm_backward():
        with torch.enable_grad():
            return torch.autograd.grad(rms_y, (rms_x, rms_gamma), dy, retain_graph=True)

    add("rmsNormBackward", rms_norm_backward, "autograd.grad of F.rms_norm (composite)")
    add("batchNormForward", lambda: F.batch_norm(x, running_mean, running_var, gamma, beta, training=True,
                                                 momentum=0.1, eps=EPS), "F.batch_norm(training=True)")
    add("batchNormBackward", lambda: aten.native_batch_norm_backward(dy, x, gamma, running_mean, running_var, bn_mean,
                                                                     bn_invstd, True, EPS, [True, True, True]),
        "aten.native_batch_norm_backward")
    add("dropoutForward", lambda: F.dropout(x, DROPOUT_P, training=True), "F.dropout(p=0.1)")
    add("dropoutBackward", lambda: aten.native_dropout_backward(dy, drop_mask, 1 / (1 - DROPOUT_P)),
        "aten.native_dropout_backward")
    add("addRow", lambda: x + row, "x + row")
    add("axpy", lambda: y_acc.add_(x, alpha=1e-3), "y.add_(x, alpha=)")
    add("sum", lambda: x.sum(), "x.sum()")

    def optimizer(op, make, variants):
        for impl, primary, kwargs in variants:
            p = torch.nn.Parameter(torch.randn(rows, cols, generator=g))
            p.grad = torch.randn(rows, cols, generator=g) * 1e-2
            try:
                opt = make([p], **kwargs)
                opt.step()  # creates the state (momentum buffer, m and v)
            except (RuntimeError, TypeError) as e:
                print(f"# {op} {impl}: unavailable ({e})", file=sys.stderr)
                continue
            add(op, opt.step, impl, primary)

    fused_adamw = True
    try:
        probe = torch.nn.Parameter(torch.zeros(4))
        probe.grad = torch.zeros(4)
        torch.optim.AdamW([probe], fused=True).step()
    except (RuntimeError, TypeError):
        fused_adamw = False
    adam_kwargs = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    optimizer("adamW", torch.optim.AdamW,
              [("AdamW(fused=True)", True, dict(adam_kwargs, fused=True)),
               ("AdamW(foreach=True)", False, dict(adam_kwargs, foreach=True))] if fused_adamw else
              [("AdamW(foreach=True)", True, dict(adam_kwargs, foreach=True))])
    sgd_kwargs = dict(lr=0.01, momentum=0.9)
    optimizer("sgdMomentum", torch.optim.SGD,
              [("SGD(momentum, foreach=True)", True, dict(sgd_kwargs, foreach=True)),
               ("SGD(momentum, fused=True)", False, dict(sgd_kwargs, fused=True))])
    return ops


def median_us(fn, seconds):
    """Warm-up, then the median (and the minimum) per-call time of samples of back-to-back calls, in us."""
    for _ in range(3):
        fn()
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < max(0.2, seconds / 5):
        fn()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    reps = max(1, int(0.005 / per_call))
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t) / reps)
    return statistics.median(samples) * 1e6, min(samples) * 1e6


def selected(op, patterns):
    return not patterns or any(op.startswith(p) for p in patterns)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", default="", help="comma-separated op ids or prefixes (default: all)")
    parser.add_argument("--shapes", default="4096x1024,256x1024")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per op, shape and thread count")
    parser.add_argument("--out", help="append the JSON lines to this file too")
    parser.add_argument("--json", help="write a lanes-bench/1 results file (for the report) here")
    args = parser.parse_args()
    patterns = [p for p in args.ops.split(",") if p]
    unknown = [p for p in patterns if not any(op.startswith(p) for op in BYTES)]
    if unknown:
        parser.error(f"no op matches {unknown}; ops: {', '.join(op for op, _, _ in OPS)}")

    out = open(args.out, "a") if args.out else None
    results = Results()
    print(f"# torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{os.cpu_count()} CPUs", file=sys.stderr)
    for shape in args.shapes.split(","):
        rows, cols = (int(v) for v in shape.split("x"))
        ops = make_ops(rows, cols)
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            for op, _, _ in OPS:
                if not selected(op, patterns) or op not in ops:
                    continue
                for impl, primary, fn in ops[op]:
                    with torch.no_grad():
                        us, us_min = median_us(fn, args.seconds)
                    record = {"op": op, "shape": shape, "threads": threads, "us": round(us, 3),
                              "gbps": round(gbps(op, shape, us), 3), "us_min": round(us_min, 3),
                              "impl": impl, "primary": primary}
                    line = json.dumps(record)
                    print(line, flush=True)
                    print(f"torch {op:<20} {shape:>9} t={threads} {us:10.1f} us {record['gbps']:7.1f} GB/s  {impl}"
                          + ("" if primary else "  (variant)"), file=sys.stderr, flush=True)
                    if out:
                        out.write(line + "\n")
                        out.flush()
                    if primary:
                        results.add(benchmark_name(op), us * 1e-6, {"shape": shape, "threads": threads},
                                    unit="us/op", work={"gbyte": BYTES[op] * rows * cols / 1e9})
    if out:
        out.close()
    if args.json:
        results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
