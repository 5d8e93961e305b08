"""PyTorch 2.x CPU timings of the GPT workloads that jmh/.../nn/GptBenchmark.java measures in Lanes, for the
table in docs/sequence-models.md. The model is nanoGPT's (the same modules as scripts/fixtures/gen_gpt_fixtures.py,
F.scaled_dot_product_attention with is_causal), vocab 256, width 256, 4 heads, 4 layers, FFN 1024, bias, float32:

  train     one AdamW step (zero_grad, forward, cross-entropy, backward, step) on a (16, 128) batch: tokens/s
  forward   the no-grad forward of a (16, 128) batch to logits: tokens/s
  generate  batch 1, a 128-token prompt then 128 new tokens (block size 256), sampled at temperature 1 with a
            KV cache written the obvious way (per layer, preallocated (1, H, 256, hd) key and value tensors filled
            in place; one position per step; the prompt in one causal pass): new tokens/s, prompt pass included

each with torch.set_num_threads(1) and (2). Prints one JSON line per case; with --json FILE also writes a results
file the JMH report reads (rows GptBenchmark.trainStep/forward/generate, as the JMH benchmark's, with its tokens
counter: B*T per train step or forward, the new tokens per generate). Run it under the benchmark lock:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_torch_gpt.py
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_timing import Results, median_seconds  # noqa: E402

V, E, H, L, T, B = 256, 256, 4, 4, 128, 16
PROMPT, NEW, BLOCK_GEN = 128, 128, 256


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(E)
        self.c_attn = nn.Linear(E, 3 * E)
        self.c_proj = nn.Linear(E, E)
        self.ln_2 = nn.LayerNorm(E)
        self.c_fc = nn.Linear(E, 4 * E)
        self.mlp_proj = nn.Linear(4 * E, E)

    def forward(self, x, cache=None, pos=0):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(E, dim=2)
        q = q.view(b, t, H, c // H).transpose(1, 2)
        k = k.view(b, t, H, c // H).transpose(1, 2)
        v = v.view(b, t, H, c // H).transpose(1, 2)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            kc, vc = cache
            kc[:, :, pos:pos + t] = k
            vc[:, :, pos:pos + t] = v
            if t > 1:  # the prompt: causal over itself (pos is 0)
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:      # one new position against every cached one: no mask needed
                y = F.scaled_dot_product_attention(q, kc[:, :, :pos + 1], vc[:, :, :pos + 1])
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, block):
        super().__init__()
        self.wte = nn.Embedding(V, E)
        self.wpe = nn.Embedding(block, E)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(E)
        self.lm_head = nn.Linear(E, V, bias=False)
        self.wte.weight = self.lm_head.weight
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx, caches=None, pos=0):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(pos, pos + t))
        for i, blk in enumerate(self.h):
            x = blk(x, None if caches is None else caches[i], pos)
        return self.lm_head(self.ln_f(x))


@torch.no_grad()
def generate(model, prompt, new, gen):
    caches = [(torch.zeros(1, H, BLOCK_GEN, E // H), torch.zeros(1, H, BLOCK_GEN, E // H)) for _ in range(L)]
    logits = model(prompt, caches, 0)[:, -1, :]
    pos = prompt.shape[1]
    out = []
    for _ in range(new):
        probs = F.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=gen)
        out.append(nxt)
        logits = model(nxt, caches, pos)[:, -1, :]
        pos += 1
    return out


def main():
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="also write the timings as a Lanes results file")
    args = parser.parse_args()
    results = Results()
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model = GPT(T)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        idx = torch.randint(0, V, (B, T))
        tgt = torch.randint(0, V, (B, T))

        def train():
            opt.zero_grad(set_to_none=True)
            logits = model(idx)
            F.cross_entropy(logits.view(-1, V), tgt.view(-1)).backward()
            opt.step()

        s = median_seconds(train, seconds=5.0, warmup=5, min_samples=10)
        results.add("dev.lanes.jmh.nn.GptBenchmark.trainStep", s, {"threads": threads}, unit="ms/op",
                    work={"tokens": B * T})
        print(json.dumps({"case": "train", "threads": threads, "ms": round(s * 1e3, 2), "tokens_per_s": round(B * T / s),
                          "torch": torch.__version__}), flush=True)

        def forward():
            with torch.no_grad():
                model(idx)

        s = median_seconds(forward, seconds=5.0, warmup=5, min_samples=10)
        results.add("dev.lanes.jmh.nn.GptBenchmark.forward", s, {"threads": threads}, unit="ms/op",
                    work={"tokens": B * T})
        print(json.dumps({"case": "forward", "threads": threads, "ms": round(s * 1e3, 2), "tokens_per_s": round(B * T / s),
                          "torch": torch.__version__}), flush=True)

        gmodel = GPT(BLOCK_GEN).eval()
        prompt = torch.randint(0, V, (1, PROMPT))
        gen = torch.Generator().manual_seed(1)
        s = median_seconds(lambda: generate(gmodel, prompt, NEW, gen), seconds=5.0, warmup=2, min_samples=5)
        results.add("dev.lanes.jmh.nn.GptBenchmark.generate", s, {"threads": threads}, unit="ms/op",
                    work={"tokens": NEW})
        print(json.dumps({"case": "generate", "threads": threads, "ms": round(s * 1e3, 2), "tokens_per_s": round(NEW / s),
                          "torch": torch.__version__}), flush=True)
    if args.json:
        results.write(args.json)


if __name__ == "__main__":
    main()
