"""PyTorch 2.x CPU timings of scaled dot-product attention, for the table next to AttentionBenchmark in
docs/kernels.md: BH = 8 heads of (T, 64), T = 128, 512, 2048; forward (non-causal and causal) and forward +
backward, with 1 and 2 threads. Prints one JSON line per case: {"case", "t", "threads", "us", "gflops"} with
GFLOP/s counted as 4*BH*T*T*D for the forward (two matrix products), as the JMH benchmark counts it.
Also the two small shapes of AttentionBenchmark: "gpt_forward_backward" (a GPT's causal attention in training,
batch 16 x 4 heads of T = 128, D = 64) and "decode" (generation with a KV cache: 4 heads, one query against
512 keys), as (1, 4, 1, 64) x (1, 4, 512, 64).
--json FILE also writes a lanes-bench/1 results file (torch_timing.Results) for dev.lanes.jmh.results.Report:
the forward, causal forward, GPT and decode cases as entries of the JMH benchmarks
dev.lanes.jmh.kernels.AttentionBenchmark.fusedForward / fusedForwardCausal / gptForwardBackward / decodeForward
with the same params (t, threads) and library=pytorch, and the same gflop work per call as the JMH methods
(4 BH T^2 D; half that causal; 7 BH T^2 D for the GPT forward + backward; 4 BH TK D decoding).
PyTorch's forward_backward case has no JMH twin (Lanes times the backward alone) and stays in the JSON lines.
Run it under the benchmark lock:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_attention.py [--json FILE] [--t 128,512,2048]
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_timing import Results, median_seconds  # noqa: E402

JMH = "dev.lanes.jmh.kernels.AttentionBenchmark."

BH, D = 8, 64


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="write a lanes-bench/1 results file here too")
    parser.add_argument("--t", default="128,512,2048", help="sequence lengths")
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    results = Results()
    torch.manual_seed(0)
    for threads in (int(x) for x in args.threads.split(",")):
        torch.set_num_threads(threads)
        for t in (int(x) for x in args.t.split(",")):
            q, k, v = (torch.randn(1, BH, t, D) for _ in range(3))
            flops = 4.0 * BH * t * t * D
            with torch.no_grad():
                for case, causal in (("forward", False), ("forward_causal", True)):
                    s = median_seconds(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), seconds=2.0, warmup=5, min_samples=5)
                    print(json.dumps({"case": case, "t": t, "threads": threads, "us": round(s * 1e6, 1),
                                      "gflops": round(flops / s / 1e9, 1), "torch": torch.__version__}), flush=True)
                    results.add(JMH + ("fusedForwardCausal" if causal else "fusedForward"), s,
                                {"t": t, "threads": threads}, unit="ms/op",
                                work={"gflop": flops / 1e9 / (2 if causal else 1)})
            qg, kg, vg = (x.clone().requires_grad_(True) for x in (q, k, v))
            dout = torch.randn(1, BH, t, D)

            def fwd_bwd():
                out = F.scaled_dot_product_attention(qg, kg, vg)
                out.backward(dout)

            s = median_seconds(fwd_bwd, seconds=2.0, warmup=5, min_samples=5)
            print(json.dumps({"case": "forward_backward", "t": t, "threads": threads, "us": round(s * 1e6, 1),
                              "torch": torch.__version__}), flush=True)
        qg, kg, vg = (torch.randn(16, 4, 128, D).requires_grad_(True) for _ in range(3))
        dout = torch.randn(16, 4, 128, D)

        def gpt():
            out = F.scaled_dot_product_attention(qg, kg, vg, is_causal=True)
            out.backward(dout)

        s = median_seconds(gpt, seconds=2.0, warmup=5, min_samples=5)
        print(json.dumps({"case": "gpt_forward_backward", "t": 128, "threads": threads, "us": round(s * 1e6, 1),
                          "torch": torch.__version__}), flush=True)
        results.add(JMH + "gptForwardBackward", s, {"threads": threads}, unit="ms/op",
                    work={"gflop": 7.0 * 64 * 128 * 128 * D / 1e9})
        q1, kc, vc = torch.randn(1, 4, 1, D), torch.randn(1, 4, 512, D), torch.randn(1, 4, 512, D)
        with torch.no_grad():
            s = median_seconds(lambda: F.scaled_dot_product_attention(q1, kc, vc), seconds=2.0, warmup=50,
                               min_samples=50)
        print(json.dumps({"case": "decode", "t": 512, "threads": threads, "us": round(s * 1e6, 1),
                          "torch": torch.__version__}), flush=True)
        results.add(JMH + "decodeForward", s, {"threads": threads}, unit="ms/op", work={"gflop": 4.0 * 4 * 512 * D / 1e9})
    if args.json:
        results.write(args.json)


if __name__ == "__main__":
    main()
