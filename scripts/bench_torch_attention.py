"""PyTorch 2.x CPU timings of scaled dot-product attention, for the table next to AttentionBenchmark in
docs/kernels.md: BH = 8 heads of (T, 64), T = 128, 512, 2048; forward (non-causal and causal) and forward +
backward, with 1 and 2 threads. Prints one JSON line per case: {"case", "t", "threads", "us", "gflops"} with
GFLOP/s counted as 4*BH*T*T*D for the forward (two matrix products), as the JMH benchmark counts it.
Also the two small shapes of AttentionBenchmark: "gpt_forward_backward" (a GPT's causal attention in training,
batch 16 x 4 heads of T = 128, D = 64) and "decode" (generation with a KV cache: 4 heads, one query against
512 keys), as (1, 4, 1, 64) x (1, 4, 512, 64).
Run it under the benchmark lock:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_attention.py
"""
import json
import torch
import torch.nn.functional as F

from torch_timing import median_seconds

BH, D = 8, 64


def main():
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for t in (128, 512, 2048):
            q, k, v = (torch.randn(1, BH, t, D) for _ in range(3))
            flops = 4.0 * BH * t * t * D
            with torch.no_grad():
                for case, causal in (("forward", False), ("forward_causal", True)):
                    s = median_seconds(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), seconds=2.0, warmup=5, min_samples=5)
                    print(json.dumps({"case": case, "t": t, "threads": threads, "us": round(s * 1e6, 1),
                                      "gflops": round(flops / s / 1e9, 1), "torch": torch.__version__}), flush=True)
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
        q1, kc, vc = torch.randn(1, 4, 1, D), torch.randn(1, 4, 512, D), torch.randn(1, 4, 512, D)
        with torch.no_grad():
            s = median_seconds(lambda: F.scaled_dot_product_attention(q1, kc, vc), seconds=2.0, warmup=50,
                               min_samples=50)
        print(json.dumps({"case": "decode", "t": 512, "threads": threads, "us": round(s * 1e6, 1),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
