#!/usr/bin/env python3
"""Turns the memory-bound kernel benchmarks into the GB/s tables of docs/kernels.md.

    python3 scripts/kernels_table.py RESULT [RESULT ...]

RESULT files are JMH JSON (`-rf json -rff FILE`, from the dev.lanes.jmh.kernels suites, StreamCopyBenchmark
and VectorMathBenchmark) and the JSON lines of scripts/bench_torch_kernels.py (one object a line, key "op");
later files win on the same row. Each JMH score (us per call) becomes GB/s with the byte count of the
kernel's contract per element below (BYTES, which bench_torch_kernels.py imports, so both sides divide the
same bytes by their own time). Prints Markdown: the side-by-side table, the STREAM copy yardstick, and the
VectorMath ns/element table. Optional tooling: nothing in the build needs Python.
"""
import json
import sys

# Op id (= the JMH method of the Lanes kernel; the plain-loop baseline is the same name + "ScalarLoop"),
# display name, bytes read + written per element of the rows x cols block by the kernel's contract.
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
SHAPES = ["4096x1024", "256x1024"]
DRAM_SHAPE = "4096x1024"
STREAM_FLOATS = 4096 * 4096  # StreamCopyBenchmark.FLOATS


def elements(shape):
    rows, cols = (int(v) for v in shape.split("x"))
    return rows * cols


def gbps(op, shape, microseconds):
    return BYTES[op] * elements(shape) / (microseconds * 1e-6) / 1e9


def to_microseconds(score, unit):
    return score * {"s/op": 1e6, "ms/op": 1e3, "us/op": 1.0, "ns/op": 1e-3}[unit]


def load(paths):
    """{(impl, op, shape, threads): us}, {threads: copy GB/s}, {method: ns per element}, {op: torch impl}."""
    rows, copy, vector_math, torch_impl = {}, {}, {}, {}
    for path in paths:
        with open(path) as f:
            text = f.read().strip()
        if not text:
            continue
        if text.startswith("["):  # JMH
            for result in json.loads(text):
                cls, method = result["benchmark"].rsplit(".", 2)[-2:]
                params = result.get("params") or {}
                metric = result["primaryMetric"]
                if cls == "StreamCopyBenchmark":
                    seconds = to_microseconds(metric["score"], metric["scoreUnit"]) * 1e-6
                    copy.setdefault(int(params["threads"]), []).append(2 * 4.0 * STREAM_FLOATS / seconds / 1e9)
                    continue
                if cls == "VectorMathBenchmark":
                    vector_math[method] = metric["score"]  # ns/op with OperationsPerInvocation = ns per element
                    continue
                impl, op = "lanes", method
                if method.endswith("ScalarLoop"):
                    impl, op = "scalar", method[: -len("ScalarLoop")]
                if op not in BYTES:
                    continue
                us = to_microseconds(metric["score"], metric["scoreUnit"])
                rows[(impl, op, params["shape"], int(params.get("threads", 1)))] = us
        else:  # JSON lines from bench_torch_kernels.py
            for line in text.splitlines():
                line = line.strip()
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                if r.get("op") not in BYTES:
                    continue
                key = ("torch" if r.get("primary", True) else "torch:" + r.get("impl", "?"),
                       r["op"], r["shape"], int(r["threads"]))
                rows[key] = r["us"]
                if r.get("primary", True) and r.get("impl"):
                    torch_impl[r["op"]] = r["impl"]
    return rows, copy, vector_math, torch_impl


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows, copy, vector_math, torch_impl = load(sys.argv[1:])

    def value(impl, op, shape, threads):
        us = rows.get((impl, op, shape, threads))
        return None if us is None else gbps(op, shape, us)

    copy_gbs = {t: max(v) for t, v in copy.items()}
    present = [op for op, _, _ in OPS if any(k[1] == op for k in rows)]
    if present:
        print("#### Memory-bound kernels (GB/s by each kernel's contract, higher is better)\n")
        header = ["op", "shape", "threads", "Lanes GB/s", "scalar loop GB/s", "PyTorch GB/s", "Lanes / PyTorch",
                  "Lanes / scalar", "Lanes / copy"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for op in present:
            for shape in SHAPES:
                for threads in (1, 2):
                    lanes = value("lanes", op, shape, threads)
                    scalar = value("scalar", op, shape, threads) if threads == 1 else None
                    torch = value("torch", op, shape, threads)
                    if lanes is None and torch is None and scalar is None:
                        continue
                    copy_ratio = ratio(lanes, copy_gbs.get(threads)) if shape == DRAM_SHAPE else "-"
                    print(f"| {NAMES[op]} | {shape} | {threads} | {fmt(lanes)} | {fmt(scalar)} | {fmt(torch)} | "
                          f"{ratio(lanes, torch)} | {ratio(lanes, scalar)} | {copy_ratio} |")
        print("\nBytes per element (read + written by contract): " + ", ".join(
            f"{NAMES[op]} {BYTES[op]}" for op in present) + ".")
        print("The scalar loop is single-threaded (1-thread rows only). Lanes / copy: Lanes' GB/s over the "
              "STREAM copy's at the same thread count (DRAM-resident shape only).")
        if torch_impl:
            print("PyTorch implementations: " + ", ".join(f"{NAMES[op]}: {impl}" for op, impl in torch_impl.items()
                                                          if op in NAMES) + ".")
        variants = sorted({k[0] for k in rows if k[0].startswith("torch:")})
        if variants:
            print("\n#### Other PyTorch variants (GB/s)\n")
            print("| op | variant | shape | threads | GB/s | vs the PyTorch column |")
            print("|---|---|---|---|---|---|")
            for (impl, op, shape, threads) in sorted(k for k in rows if k[0].startswith("torch:")):
                v = value(impl, op, shape, threads)
                print(f"| {NAMES[op]} | {impl[6:]} | {shape} | {threads} | {fmt(v)} | "
                      f"{ratio(v, value('torch', op, shape, threads))} |")

    if copy:
        print("\n#### STREAM-style copy, 64 MB (read + write), the DRAM yardstick (GB/s)\n")
        print("| threads | copy GB/s (each run) |")
        print("|---|---|")
        for threads in sorted(copy):
            print(f"| {threads} | " + ", ".join(f"{v:.1f}" for v in copy[threads]) + " |")

    if vector_math:
        print("\n#### Elementary functions, 4096 floats in L1, 1 thread (ns per element, lower is better)\n")
        print("| function | Lanes VectorMath | lanewise (SVML) | lanewise (VectorMathLibrary=java) | scalar Math.* |")
        print("|---|---|---|---|---|")
        for fn in ("exp", "tanh", "log", "erf"):
            cells = [vector_math.get(fn + suffix) for suffix in ("Lanes", "Lanewise", "LanewiseJavaLibrary", "Scalar")]
            if any(c is not None for c in cells):
                print(f"| {fn} | " + " | ".join(fmt(c, 3) for c in cells) + " |")
        print("\nerf has no Vector API operator; its scalar column is a float Abramowitz-Stegun 7.1.26 formula "
              "with Math.exp (the JDK has no erf).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
