#!/usr/bin/env python3
"""Turns JMH results (and optionally numpy/OpenBLAS results) into the GFLOP/s table of docs/gemm.md.

    python3 scripts/gemm_table.py RESULT.json [RESULT.json ...]

Reads the JSON that `./lanes bench ... -rf json -rff FILE` writes (and that scripts/bench_numpy_gemm.py
writes, recognised by its "rows" key; later files win on the same row), converts each benchmark's mean time per
product into GFLOP/s (2 m n k / time; for GEMV and the STREAM copy, also GB/s), and prints Markdown.
Optional tooling: nothing in the build needs Python.
"""
import json
import sys
from collections import defaultdict


def shape_flops(shape):
    m, n, k = (int(x) for x in shape.split("x"))
    return 2.0 * m * n * k


def to_seconds(score, unit):
    scale = {"s/op": 1.0, "ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9}[unit]
    return score * scale


def load_jmh(path):
    """{(library, shape, threads): (gflops, error_gflops)}, plus the STREAM copy rows."""
    rows, copy = {}, {}
    for result in json.load(open(path)):
        name = result["benchmark"].rsplit(".", 2)
        cls, method = name[-2], name[-1]
        params = result.get("params", {})
        metric = result["primaryMetric"]
        seconds = to_seconds(metric["score"], metric["scoreUnit"])
        error = metric.get("scoreError")
        error = 0.0 if error in (None, "NaN") or error != error else to_seconds(error, metric["scoreUnit"])
        if cls == "StreamCopyBenchmark":
            copy[int(params["threads"])] = 2 * 4.0 * 4096 * 4096 / seconds / 1e9
            continue
        shape = params["shape"]
        threads = int(params.get("threads", 1))
        library = {"lanes": "Lanes", "lanesFusedLinear": "Lanes fused Linear (NT + bias + ReLU)",
                   "netlib": "netlib VectorBLAS", "ejml": "EJML", "plainLoop": "plain Java loop"}.get(method, method)
        gflops = shape_flops(shape) / seconds / 1e9
        rel_error = error / seconds if seconds else 0
        rows[(library, shape, threads)] = (gflops, gflops * rel_error)
    return rows, copy


def load_numpy(path):
    rows = {}
    data = json.load(open(path))
    for row in data["rows"]:
        rows[("OpenBLAS (numpy)", row["shape"], int(row["threads"]))] = (row["gflops"], 0.0)
    return rows


def main():
    rows, copy = {}, {}
    for path in sys.argv[1:]:
        if isinstance(json.load(open(path)), dict):
            rows.update(load_numpy(path))
        else:
            jmh_rows, jmh_copy = load_jmh(path)
            rows.update(jmh_rows)
            copy.update(jmh_copy)
    shapes = []
    for (_, shape, _) in rows:
        if shape not in shapes:
            shapes.append(shape)
    shapes.sort(key=lambda s: (int(s.split("x")[0]) != int(s.split("x")[1]), shape_flops(s)))
    others = ["OpenBLAS (numpy)", "netlib VectorBLAS", "EJML", "plain Java loop"]

    def cell(key):
        if key not in rows:
            return "-"
        value, error = rows[key]
        return f"{value:.1f}" + (f" ± {error:.1f}" if error >= 0.05 else "")

    for threads in (1, 2):
        print(f"\n#### {threads} thread{'s' if threads > 1 else ''} (GFLOP/s, higher is better)\n")
        header = ["m x n x k", "Lanes"] + [o for o in others if threads == 1 or o == "OpenBLAS (numpy)"]
        header += ["Lanes / OpenBLAS"] + (["Lanes / netlib"] if threads == 1 else ["2-thread / 1-thread"])
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for shape in shapes:
            lanes = rows.get(("Lanes", shape, threads))
            line = [shape, cell(("Lanes", shape, threads))]
            for other in header[2:-2]:
                line.append(cell((other, shape, threads if other == "OpenBLAS (numpy)" else 1)))
            blas = rows.get(("OpenBLAS (numpy)", shape, threads))
            line.append(f"{lanes[0] / blas[0]:.2f}" if lanes and blas else "-")
            if threads == 1:
                netlib = rows.get(("netlib VectorBLAS", shape, 1))
                line.append(f"{lanes[0] / netlib[0]:.2f}" if lanes and netlib else "-")
            else:
                single = rows.get(("Lanes", shape, 1))
                line.append(f"{lanes[0] / single[0]:.2f}" if lanes and single else "-")
            print("| " + " | ".join(line) + " |")

    if copy:
        print("\n#### GEMV 1 x 4096 x 4096 against a STREAM-style copy (GB/s)\n")
        print("| threads | GEMV reads B | STREAM copy (read + write) | GEMV / copy |")
        print("|---|---|---|---|")
        for threads in sorted(copy):
            gemv = rows.get(("Lanes", "1x4096x4096", threads))
            if gemv:
                gbs = gemv[0] / 2 * 4  # 2 flops per 4-byte element of B
                print(f"| {threads} | {gbs:.1f} | {copy[threads]:.1f} | {gbs / copy[threads]:.2f} |")


if __name__ == "__main__":
    main()
