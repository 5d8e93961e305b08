package dev.lanes.nn.models;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Activations;
import dev.lanes.kernels.Attention;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Norms;
import dev.lanes.kernels.Softmax;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.PackedAttention;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;
import dev.lanes.nn.layers.Embedding;
import dev.lanes.nn.layers.LayerNorm;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.ModuleList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A decoder-only transformer language model with the structure, parameter names and initialisation of
 * Karpathy's nanoGPT ({@code model.py}), so weights move between the two by name:
 *
 * <pre>
 * transformer.wte.weight (V, E)          token embedding, tied to lm_head.weight
 * transformer.wpe.weight (blockSize, E)  learned position embedding
 * transformer.h.N.ln_1.{weight,bias}     pre-norm LayerNorm (eps 1e-5; no bias when !bias)
 * transformer.h.N.attn.c_attn.{weight (3E, E), bias}   q, k, v in that order, heads E/nHead wide
 * transformer.h.N.attn.c_proj.{weight (E, E), bias}
 * transformer.h.N.ln_2.{weight,bias}
 * transformer.h.N.mlp.c_fc.{weight (4E, E), bias}      followed by exact (erf) GELU
 * transformer.h.N.mlp.c_proj.{weight (E, 4E), bias}
 * transformer.ln_f.{weight,bias}
 * lm_head.weight (V, E)                  the same tensor as transformer.wte.weight
 * </pre>
 *
 * Each block computes {@code x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))}; attention is
 * {@link F#scaledDotProductAttention} with {@code isCausal} over the heads of {@code c_attn}'s output, run as
 * one autograd node by {@link PackedAttention} (the same kernel without the split/transpose copies). Initialisation: every Linear weight and both
 * embeddings from N(0, 0.02), biases zero, and the two {@code c_proj} weights of each block from
 * N(0, 0.02 / sqrt(2 nLayer)). Dropout ({@code config.dropout}) is applied where nanoGPT applies it (after
 * the embeddings, on the attention weights, after each {@code c_proj}) in training mode only.
 *
 * <p><b>Weight tying.</b> {@code lm_head.weight} and {@code transformer.wte.weight} are one tensor.
 * {@link #namedParameters()} and {@link #parameters()} list it once, under {@code transformer.wte.weight}
 * (PyTorch's {@code named_parameters()} removes duplicates the same way), so an optimizer updates it once
 * with the sum of both uses' gradients. {@link #stateDict()} has both keys, as nanoGPT's
 * {@code state_dict()} has, and {@link dev.lanes.nn.io.Safetensors#saveModel} therefore writes the values
 * twice: the file loads with {@code model.load_state_dict(load_file(path))} into nanoGPT's {@code GPT} (strict),
 * and back into this class (strict). A file written by {@code safetensors.torch.save_model}, which keeps only
 * one of two shared names, loads with {@code strict = false} (either key fills the shared tensor).
 *
 * <p><b>Generation.</b> {@link #generate} runs the KV-cache path: a {@link KVCache} holds every layer's keys
 * and values for up to {@code blockSize} positions; the prompt is processed once (causal attention over the
 * prompt), then each new token costs one position: a matrix-vector product per weight matrix and attention of
 * one query against the cached keys, on preallocated arrays through the kernels, allocating nothing per token.
 * {@link #generateWithoutCache} is nanoGPT's {@code generate}: the whole (cropped) context through
 * {@link #forward} for every token. When the context would exceed {@code blockSize}, both crop it to the last
 * {@code blockSize} tokens, as nanoGPT does; because the position embeddings are absolute, the cached keys
 * then no longer fit (every token moves one position), so the cache is refilled from the cropped window
 * for each further token: past {@code blockSize}, the cost per token is that of a prompt pass. The overload
 * with {@code keepOnOverflow} refills it from fewer tokens instead, which makes long generations cheap at the
 * price of a shorter context right after each refill.
 */
public final class GPT extends Module {
    /**
     * nanoGPT's {@code GPTConfig}.
     *
     * @param vocabSize the number of token ids (256 for bytes)
     * @param blockSize the longest context (the number of position embeddings)
     * @param nLayer    the number of transformer blocks
     * @param nHead     attention heads; must divide {@code nEmbd}
     * @param nEmbd     the model width E
     * @param dropout   dropout probability in training, in [0, 1)
     * @param bias      whether Linear and LayerNorm layers have biases (nanoGPT: true, like GPT-2)
     */
    public record Config(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, float dropout, boolean bias) {
        public Config {
            if (vocabSize < 1 || blockSize < 1 || nLayer < 1 || nHead < 1 || nEmbd < 1) {
                throw new IllegalArgumentException("GPT.Config: vocabSize = " + vocabSize + ", blockSize = " + blockSize
                        + ", nLayer = " + nLayer + ", nHead = " + nHead + " and nEmbd = " + nEmbd + " must all be >= 1");
            }
            if (nEmbd % nHead != 0) {
                throw new IllegalArgumentException("GPT.Config: nEmbd = " + nEmbd + " is not a multiple of nHead = " + nHead);
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("GPT.Config: dropout must be in [0, 1), got " + dropout);
            }
        }

        /** The head size {@code nEmbd / nHead}. */
        public int headSize() {
            return nEmbd / nHead;
        }
    }

    private final Config config;
    private final Generator generator;
    private final Embedding wte, wpe;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm lnF;
    private final Tensor lnFWeight, lnFBias;

    /** A model with nanoGPT's initialisation drawn from {@code generator} (also the source of dropout masks). */
    public GPT(Config config, Generator generator) {
        this.config = config;
        this.generator = generator == null ? Generator.defaultGenerator() : generator;
        Generator g = this.generator;
        int e = config.nEmbd();
        Container transformer = registerModule("transformer", new Container("ModuleDict", ""));
        wte = transformer.add("wte", new Embedding(config.vocabSize(), e, g));
        wpe = transformer.add("wpe", new Embedding(config.blockSize(), e, g));
        ModuleList h = transformer.add("h", new ModuleList());
        for (int i = 0; i < config.nLayer(); i++) {
            Block b = new Block(config, g);
            blocks.add(b);
            h.add(b);
        }
        lnF = transformer.add("ln_f", new LayerNorm(new int[] {e}, 1e-5f, true, config.bias()));
        lnFWeight = lnF.namedParameters().get("weight");
        lnFBias = lnF.namedParameters().get("bias");
        Container lmHead = registerModule("lm_head", new Container("Linear",
                "in_features=" + e + ", out_features=" + config.vocabSize() + ", bias=False, tied to transformer.wte"));
        lmHead.tie("weight", wte.weight());
        // nanoGPT's _init_weights, then the scaled c_proj weights (residual projections).
        float projStd = (float) (0.02 / Math.sqrt(2.0 * config.nLayer()));
        synchronized (g) {
            Init.normal(wte.weight(), 0f, 0.02f, g);
            Init.normal(wpe.weight(), 0f, 0.02f, g);
            for (Block b : blocks) {
                for (Linear l : new Linear[] {b.cAttn, b.cProj, b.cFc, b.mlpProj}) {
                    Init.normal(l.weight(), 0f, l == b.cProj || l == b.mlpProj ? projStd : 0.02f, g);
                    if (l.bias() != null) {
                        Init.zeros(l.bias());
                    }
                }
            }
        }
    }

    /** The configuration the model was built with. */
    public Config config() {
        return config;
    }

    /** Parameters by name, each tensor once: the tied head is listed as {@code transformer.wte.weight} only. */
    @Override
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = super.namedParameters();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> en : all.entrySet()) {
            if (seen.add(en.getValue())) {
                out.put(en.getKey(), en.getValue());
            }
        }
        return out;
    }

    /** Logits {@code (B, T, vocabSize)} for token ids {@code (B, T)} held as exact floats ({@code T <= blockSize}). */
    @Override
    public Tensor forward(Tensor idx) {
        if (idx.dim() != 2) {
            throw new IllegalArgumentException("GPT.forward: idx must be (B, T) token ids, got shape " + Arrays.toString(idx.shape()));
        }
        int t = idx.size(1);
        if (t > config.blockSize()) {
            throw new IllegalArgumentException("GPT.forward: cannot forward a sequence of length " + t + ", block size is only "
                    + config.blockSize());
        }
        boolean training = isTraining();
        Tensor x = wte.forward(idx).add(wpe.weight().slice(0, 0, t));
        x = F.dropout(x, config.dropout(), training, generator);
        for (Block b : blocks) {
            x = b.forward(x, training, generator);
        }
        x = lnF.forward(x);
        return F.linear(x, wte.weight(), null);
    }

    /** {@link #forward(Tensor)} for token ids given as {@code int[B][T]}. */
    public Tensor forward(int[][] idx) {
        return forward(tokens("GPT.forward", idx));
    }

    /**
     * nanoGPT's loss: the mean cross-entropy of {@code logits (B, T, V)} against {@code targets (B, T)}, with
     * target {@code -1} ignored.
     */
    public static Tensor loss(Tensor logits, Tensor targets) {
        int v = logits.size(-1);
        return F.crossEntropy(logits.reshape(-1, v), targets.reshape(-1), -1, 0f, dev.lanes.nn.Reduction.MEAN);
    }

    private Tensor tokens(String who, int[][] idx) {
        int b = idx.length, t = b == 0 ? 0 : idx[0].length;
        float[] data = new float[b * t];
        for (int i = 0; i < b; i++) {
            if (idx[i].length != t) {
                throw new IllegalArgumentException(who + ": row " + i + " has " + idx[i].length + " tokens, row 0 has " + t);
            }
            for (int j = 0; j < t; j++) {
                checkToken(who, idx[i][j]);
                data[i * t + j] = idx[i][j];
            }
        }
        return Tensor.wrap(data, b, t);
    }

    private void checkToken(String who, int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException(who + ": token id " + token + " is out of range [0, " + config.vocabSize() + ")");
        }
    }

    // ------------------------------------------------------------------------------------------ generation

    /**
     * Appends {@code maxNewTokens} tokens to {@code prompt} (batch 1) with the KV cache and returns the prompt
     * followed by the new tokens. Sampling draws from {@code generator} (null: the default generator) once per
     * token (not at all when greedy); the model is used in evaluation mode without autograd.
     */
    public int[] generate(int[] prompt, int maxNewTokens, Sampler sampler, Generator generator) {
        return generate(prompt, maxNewTokens, sampler, generator, newCache());
    }

    /** {@link #generate(int[], int, Sampler, Generator)} with a cache made by {@link #newCache()} (reused; it is reset first). */
    public int[] generate(int[] prompt, int maxNewTokens, Sampler sampler, Generator generator, KVCache cache) {
        return generate(prompt, maxNewTokens, sampler, generator, cache, config.blockSize());
    }

    /**
     * {@link #generate(int[], int, Sampler, Generator, KVCache)} with a choice of what happens when the context
     * outgrows {@code blockSize}: the cache is refilled from the last {@code keepOnOverflow} tokens (a prompt
     * pass over them), then grows one position per token again until it is full. {@code keepOnOverflow =
     * blockSize} is nanoGPT's crop exactly (the model always sees the last {@code blockSize} tokens, at the
     * cost of a prompt pass per token once the window is full); a smaller value, such as {@code blockSize / 2},
     * costs one prompt pass per {@code blockSize - keepOnOverflow + 1} tokens, and the model then sees between
     * {@code keepOnOverflow} and {@code blockSize} tokens of context.
     */
    public int[] generate(int[] prompt, int maxNewTokens, Sampler sampler, Generator generator, KVCache cache,
                          int keepOnOverflow) {
        int[] out = start("GPT.generate", prompt, maxNewTokens);
        if (cache.model != this) {
            throw new IllegalArgumentException("GPT.generate: the cache was made by another model");
        }
        int n = prompt.length, bs = config.blockSize();
        if (keepOnOverflow < 1 || keepOnOverflow > bs) {
            throw new IllegalArgumentException("GPT.generate: keepOnOverflow = " + keepOnOverflow + " must be in [1, blockSize = "
                    + bs + "]");
        }
        cache.reset();
        // The weights cannot change during this call (one thread runs it), so they are packed once for it (into
        // the buffers of the previous call) and repacked by the next call, which may see trained weights.
        cache.packWeights();
        try {
            float[] logits = cache.prefill(out, Math.max(0, n - bs), Math.min(n, bs));
            for (int i = 0; i < maxNewTokens; i++) {
                int next = sampler.sample(logits, 0, config.vocabSize(), generator);
                out[n++] = next;
                if (i == maxNewTokens - 1) {
                    break;
                }
                if (cache.length() < bs) {
                    logits = cache.step(next);
                } else {
                    // Absolute positions: once the window slides every position changes, so the cache is refilled.
                    cache.reset();
                    logits = cache.prefill(out, n - keepOnOverflow, keepOnOverflow);
                }
            }
        } finally {
            cache.releaseWeights();
        }
        return out;
    }

    /**
     * nanoGPT's {@code generate}: for every new token the whole context, cropped to the last {@code blockSize}
     * tokens, goes through {@link #forward} (no cache), in evaluation mode without autograd (the mode is restored
     * afterwards). Same sampling and generator use as {@link #generate}.
     */
    public int[] generateWithoutCache(int[] prompt, int maxNewTokens, Sampler sampler, Generator generator) {
        int[] out = start("GPT.generateWithoutCache", prompt, maxNewTokens);
        int n = prompt.length, v = config.vocabSize();
        boolean wasTraining = isTraining();
        eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = 0; i < maxNewTokens; i++) {
                int from = Math.max(0, n - config.blockSize());
                float[] ctx = new float[n - from];
                for (int j = from; j < n; j++) {
                    ctx[j - from] = out[j];
                }
                Tensor logits = forward(Tensor.wrap(ctx, 1, n - from)).contiguous();
                int last = logits.arrayOffset() + (n - from - 1) * v;
                out[n++] = sampler.sample(logits.array(), last, v, generator);
            }
        } finally {
            if (wasTraining) {
                train();
            }
        }
        return out;
    }

    private int[] start(String who, int[] prompt, int maxNewTokens) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException(who + ": the prompt is empty; give at least one token");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException(who + ": maxNewTokens = " + maxNewTokens + " is negative");
        }
        for (int token : prompt) {
            checkToken(who, token);
        }
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        return out;
    }

    /** A KV cache for batch-1 generation with this model, sized for {@code blockSize} positions. */
    public KVCache newCache() {
        return new KVCache(this);
    }

    /**
     * Keys and values of every layer for up to {@code blockSize} positions of one sequence, with every buffer
     * the inference path needs, allocated once. It reads the model's weights when used, so it follows
     * training. {@link #feed} appends tokens and returns the next-token logits; not thread-safe (one cache per
     * thread; the model itself may be shared by caches in different threads while it is not trained).
     */
    public static final class KVCache {
        private final GPT model;
        private final int e, h, hd, v, bs, ff;
        private final float scale;
        private final float[][] keys, values; // per layer: (nHead, blockSize, headSize)
        private int length;
        // One position (decode step).
        private final float[] x, ln, qkv, att, hid, scores, logits;
        // A prompt pass over up to blockSize positions, allocated on first use.
        private float[] px, pln, pqkv, pq, po, patt, phid, ps;
        /**
         * During {@link GPT#generate} only (null otherwise): every weight the token path multiplies by, packed
         * by {@link Gemm#packB} into k-major panels, four per layer (c_attn, c_proj, c_fc, mlp c_proj) then the
         * head. A batch-1 product then runs in the axpy form ({@link Gemm#sgemmPacked} with one row), which
         * streams the panels in order with no per-output lane sums: about twice the speed of {@link Gemm#sgemv}
         * on rows of 256 floats (docs/sequence-models.md). The prompt pass reuses the packs instead of packing
         * in every GEMM. Packing costs one pass over the weights per call, so it pays from a few tokens on.
         */
        private Gemm.PackedB[] packed;
        /** The pack storage kept across {@link GPT#generate} calls (see {@link #packWeights}). */
        private Gemm.PackedB[] buffers;

        KVCache(GPT model) {
            this.model = model;
            Config c = model.config;
            e = c.nEmbd();
            h = c.nHead();
            hd = c.headSize();
            v = c.vocabSize();
            bs = c.blockSize();
            ff = 4 * e;
            scale = Attention.defaultScale(hd);
            keys = new float[c.nLayer()][h * bs * hd];
            values = new float[c.nLayer()][h * bs * hd];
            x = new float[e];
            ln = new float[e];
            qkv = new float[3 * e];
            att = new float[e];
            hid = new float[ff];
            scores = new float[bs];
            logits = new float[v];
        }

        /** The number of cached positions. */
        public int length() {
            return length;
        }

        /** Packs the weights for one {@link GPT#generate} call (see {@link #packed}). */
        void packWeights() {
            int layers = keys.length;
            // The buffers are kept between calls (contents repacked every call, so trained weights are seen):
            // no 12.6 MB of fresh arrays per call.
            Gemm.PackedB[] p = buffers != null ? buffers : new Gemm.PackedB[4 * layers + 1];
            for (int l = 0; l < layers; l++) {
                Block b = model.blocks.get(l);
                p[4 * l] = pack(p[4 * l], b.cAttn.weight(), b.cAttn.outFeatures(), b.cAttn.inFeatures());
                p[4 * l + 1] = pack(p[4 * l + 1], b.cProj.weight(), b.cProj.outFeatures(), b.cProj.inFeatures());
                p[4 * l + 2] = pack(p[4 * l + 2], b.cFc.weight(), b.cFc.outFeatures(), b.cFc.inFeatures());
                p[4 * l + 3] = pack(p[4 * l + 3], b.mlpProj.weight(), b.mlpProj.outFeatures(), b.mlpProj.inFeatures());
            }
            p[4 * layers] = pack(p[4 * layers], model.wte.weight(), v, e);
            buffers = p;
            packed = p;
        }

        /** {@code W^T} ({@code in x out}) of a row-major {@code (out, in)} weight, packed into {@code old} if any. */
        private static Gemm.PackedB pack(Gemm.PackedB old, Tensor w, int out, int in) {
            return old == null ? Gemm.packB(true, in, out, w.array(), w.arrayOffset(), in)
                    : Gemm.packB(true, in, out, w.array(), w.arrayOffset(), in, old);
        }

        /** Ends the packed path: after the call the model may be trained again (the next call repacks). */
        void releaseWeights() {
            packed = null;
        }

        /** The packed weight {@code which} (0 c_attn, 1 c_proj, 2 c_fc, 3 mlp c_proj) of layer {@code l}, or null. */
        private Gemm.PackedB packed(int l, int which) {
            return packed == null ? null : packed[4 * l + which];
        }

        /** Forgets every cached position. */
        public void reset() {
            length = 0;
        }

        /**
         * Appends tokens and returns the logits for the token after the last one (an array owned by the
         * cache, overwritten by the next call). An empty cache takes the tokens in one causal prompt pass;
         * otherwise they are added one position at a time.
         *
         * @throws IllegalArgumentException if the cache would hold more than {@code blockSize} positions
         */
        public float[] feed(int... tokens) {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("KVCache.feed: no tokens");
            }
            if (length + tokens.length > bs) {
                throw new IllegalArgumentException("KVCache.feed: " + length + " cached + " + tokens.length
                        + " new positions exceed the block size " + bs + "; crop the context and reset the cache");
            }
            for (int t : tokens) {
                model.checkToken("KVCache.feed", t);
            }
            if (length == 0) {
                return prefill(tokens, 0, tokens.length);
            }
            float[] out = logits;
            for (int t : tokens) {
                out = step(t);
            }
            return out;
        }

        /** One new position: matrix-vector products against the weights, attention over the cache. */
        float[] step(int token) {
            int p = length;
            float[] wteW = model.wte.weight().array();
            int wteOff = model.wte.weight().arrayOffset();
            float[] wpeW = model.wpe.weight().array();
            int wpeOff = model.wpe.weight().arrayOffset();
            for (int i = 0; i < e; i++) {
                x[i] = wteW[wteOff + token * e + i] + wpeW[wpeOff + p * e + i];
            }
            for (int l = 0; l < keys.length; l++) {
                Block b = model.blocks.get(l);
                layerNorm(1, x, b.ln1W, b.ln1B, ln);
                linearVec(b.cAttn, packed(l, 0), ln, qkv);
                float[] kc = keys[l], vc = values[l];
                for (int hh = 0; hh < h; hh++) {
                    System.arraycopy(qkv, e + hh * hd, kc, (hh * bs + p) * hd, hd);
                    System.arraycopy(qkv, 2 * e + hh * hd, vc, (hh * bs + p) * hd, hd);
                }
                int t = p + 1;
                for (int hh = 0; hh < h; hh++) {
                    int base = hh * bs * hd;
                    // One query against the cached keys: every cached key is earlier, so no mask.
                    Gemm.sgemv(false, t, hd, scale, kc, base, hd, qkv, hh * hd, 1, 0f, scores, 0, 1);
                    Softmax.softmax(1, t, scores, 0, scores, 0);
                    Gemm.sgemv(true, t, hd, 1f, vc, base, hd, scores, 0, 1, 0f, att, hh * hd, 1);
                }
                residualVec(b.cProj, packed(l, 1), att, x);
                layerNorm(1, x, b.ln2W, b.ln2B, ln);
                linearVec(b.cFc, packed(l, 2), ln, hid);
                Activations.gelu(ff, false, hid, 0, hid, 0);
                residualVec(b.mlpProj, packed(l, 3), hid, x);
            }
            length = p + 1;
            return head(x, 0);
        }

        /** The causal prompt pass over {@code tokens[from .. from + n)} into an empty cache. */
        float[] prefill(int[] tokens, int from, int n) {
            if (px == null) {
                px = new float[bs * e];
                pln = new float[bs * e];
                pqkv = new float[bs * 3 * e];
                pq = new float[bs * e];
                po = new float[bs * e];
                patt = new float[bs * e];
                phid = new float[bs * ff];
                ps = new float[bs * bs];
            }
            float[] wteW = model.wte.weight().array();
            int wteOff = model.wte.weight().arrayOffset();
            float[] wpeW = model.wpe.weight().array();
            int wpeOff = model.wpe.weight().arrayOffset();
            for (int t = 0; t < n; t++) {
                int tok = tokens[from + t];
                for (int i = 0; i < e; i++) {
                    px[t * e + i] = wteW[wteOff + tok * e + i] + wpeW[wpeOff + t * e + i];
                }
            }
            for (int l = 0; l < keys.length; l++) {
                Block b = model.blocks.get(l);
                layerNorm(n, px, b.ln1W, b.ln1B, pln);
                linearRows(n, b.cAttn, packed(l, 0), pln, pqkv, Activation.IDENTITY);
                float[] kc = keys[l], vc = values[l];
                for (int t = 0; t < n; t++) {
                    for (int hh = 0; hh < h; hh++) {
                        System.arraycopy(pqkv, t * 3 * e + hh * hd, pq, (hh * n + t) * hd, hd);
                        System.arraycopy(pqkv, t * 3 * e + e + hh * hd, kc, (hh * bs + t) * hd, hd);
                        System.arraycopy(pqkv, t * 3 * e + 2 * e + hh * hd, vc, (hh * bs + t) * hd, hd);
                    }
                }
                for (int hh = 0; hh < h; hh++) {
                    // Causal attention over the prompt as GEMM + softmax + GEMM, reading each head's keys and
                    // values in place in the cache. (Not measured against the fused kernel for this forward-only
                    // pass; PackedAttention found the fused kernel faster for training at T 128.)
                    Gemm.sgemm(false, true, n, n, hd, scale, pq, hh * n * hd, hd, kc, hh * bs * hd, hd, 0f, ps, 0, n);
                    for (int i = 0; i < n - 1; i++) {
                        Arrays.fill(ps, i * n + i + 1, (i + 1) * n, Float.NEGATIVE_INFINITY);
                    }
                    Softmax.softmax(n, n, ps, 0, ps, 0);
                    Gemm.sgemm(false, false, n, hd, n, 1f, ps, 0, n, vc, hh * bs * hd, hd, 0f, po, hh * n * hd, hd);
                }
                for (int t = 0; t < n; t++) {
                    for (int hh = 0; hh < h; hh++) {
                        System.arraycopy(po, (hh * n + t) * hd, patt, t * e + hh * hd, hd);
                    }
                }
                residualRows(n, b.cProj, packed(l, 1), patt, px);
                layerNorm(n, px, b.ln2W, b.ln2B, pln);
                linearRows(n, b.cFc, packed(l, 2), pln, phid, Activation.GELU);
                residualRows(n, b.mlpProj, packed(l, 3), phid, px);
            }
            length = n;
            return head(px, (n - 1) * e);
        }

        /** {@code lm_head(ln_f(x))} for the row of {@code x} at {@code off}. */
        private float[] head(float[] src, int off) {
            Tensor w = model.lnFWeight, bias = model.lnFBias;
            Norms.layerNorm(1, e, src, off, w.array(), w.arrayOffset(), bias == null ? null : bias.array(),
                    bias == null ? 0 : bias.arrayOffset(), 1e-5f, ln, 0, null, 0, null, 0);
            if (packed != null) {
                Gemm.sgemmPacked(1, 1f, ln, 0, e, packed[packed.length - 1], 0f, logits, 0, v, null, 0);
            } else {
                Tensor emb = model.wte.weight();
                Gemm.sgemv(false, v, e, 1f, emb.array(), emb.arrayOffset(), e, ln, 0, 1, 0f, logits, 0, 1);
            }
            return logits;
        }

        private void layerNorm(int rows, float[] src, Tensor w, Tensor b, float[] dst) {
            Norms.layerNorm(rows, e, src, 0, w.array(), w.arrayOffset(), b == null ? null : b.array(),
                    b == null ? 0 : b.arrayOffset(), 1e-5f, dst, 0, null, 0, null, 0);
        }

        /** {@code y = W x + b} for one position, through the packed weight {@code pw} when there is one. */
        private static void linearVec(Linear l, Gemm.PackedB pw, float[] in, float[] y) {
            Tensor w = l.weight(), b = l.bias();
            int out = l.outFeatures(), n = l.inFeatures();
            if (pw != null) {
                Gemm.sgemmPacked(1, 1f, in, 0, n, pw, 0f, y, 0, out, b == null ? null : b.array(),
                        b == null ? 0 : b.arrayOffset());
                return;
            }
            if (b != null) {
                System.arraycopy(b.array(), b.arrayOffset(), y, 0, out);
            }
            Gemm.sgemv(false, out, n, 1f, w.array(), w.arrayOffset(), n, in, 0, 1, b == null ? 0f : 1f, y, 0, 1);
        }

        /** {@code x += W in + b} for one position (a residual branch's output projection). */
        private static void residualVec(Linear l, Gemm.PackedB pw, float[] in, float[] x) {
            Tensor w = l.weight(), b = l.bias();
            int out = l.outFeatures(), n = l.inFeatures();
            if (pw != null) {
                Gemm.sgemmPacked(1, 1f, in, 0, n, pw, 1f, x, 0, out, b == null ? null : b.array(),
                        b == null ? 0 : b.arrayOffset());
                return;
            }
            Gemm.sgemv(false, out, n, 1f, w.array(), w.arrayOffset(), n, in, 0, 1, 1f, x, 0, 1);
            if (b != null) {
                float[] bd = b.array();
                int bo = b.arrayOffset();
                for (int i = 0; i < out; i++) {
                    x[i] += bd[bo + i];
                }
            }
        }

        /** {@code Y = act(X W^T + b)} for {@code rows} positions ({@code act} identity or GELU with a packed weight). */
        private static void linearRows(int rows, Linear l, Gemm.PackedB pw, float[] in, float[] y, Activation act) {
            Tensor w = l.weight(), b = l.bias();
            int out = l.outFeatures(), n = l.inFeatures();
            if (pw != null) {
                Gemm.sgemmPacked(rows, 1f, in, 0, n, pw, 0f, y, 0, out, b == null ? null : b.array(),
                        b == null ? 0 : b.arrayOffset());
                if (act == Activation.GELU) {
                    Activations.gelu(rows * out, false, y, 0, y, 0);
                } else if (act != Activation.IDENTITY) {
                    throw new IllegalStateException("no packed path for " + act);
                }
                return;
            }
            Gemm.sgemmFused(false, true, rows, out, n, 1f, in, 0, n, w.array(), w.arrayOffset(), n, 0f, y, 0, out,
                    b == null ? null : b.array(), b == null ? 0 : b.arrayOffset(), act);
        }

        /** {@code X += IN W^T + b} for {@code rows} positions, accumulated by the GEMM itself ({@code beta = 1}). */
        private static void residualRows(int rows, Linear l, Gemm.PackedB pw, float[] in, float[] x) {
            Tensor w = l.weight(), b = l.bias();
            int out = l.outFeatures(), n = l.inFeatures();
            if (pw != null) {
                Gemm.sgemmPacked(rows, 1f, in, 0, n, pw, 1f, x, 0, out, b == null ? null : b.array(),
                        b == null ? 0 : b.arrayOffset());
                return;
            }
            Gemm.sgemmFused(false, true, rows, out, n, 1f, in, 0, n, w.array(), w.arrayOffset(), n, 1f, x, 0, out,
                    b == null ? null : b.array(), b == null ? 0 : b.arrayOffset(), Activation.IDENTITY);
        }
    }

    // ------------------------------------------------------------------------------------------- modules

    /** A named container without a forward (PyTorch's {@code ModuleDict} for {@code transformer}, and {@code lm_head}). */
    private static final class Container extends Module {
        private final String type, extra;

        /** {@code type} and {@code extra} are what {@link #toString} prints, as PyTorch prints nanoGPT's module. */
        Container(String type, String extra) {
            this.type = type;
            this.extra = extra;
        }

        <M extends Module> M add(String name, M module) {
            return registerModule(name, module);
        }

        void tie(String name, Tensor shared) {
            registerParameter(name, shared);
        }

        @Override
        public Tensor forward(Tensor input) {
            throw new UnsupportedOperationException("this container has no forward; GPT.forward runs it");
        }

        @Override
        protected String typeName() {
            return type;
        }

        @Override
        protected String extraRepr() {
            return extra;
        }
    }

    /** One transformer block: nanoGPT's {@code Block} with its {@code CausalSelfAttention} and {@code MLP}. */
    private static final class Block extends Module {
        private final int e, heads;
        private final float dropout;
        final LayerNorm ln1, ln2;
        final Tensor ln1W, ln1B, ln2W, ln2B;
        final Linear cAttn, cProj, cFc, mlpProj;

        Block(Config c, Generator g) {
            e = c.nEmbd();
            heads = c.nHead();
            dropout = c.dropout();
            ln1 = registerModule("ln_1", new LayerNorm(new int[] {e}, 1e-5f, true, c.bias()));
            Container attn = registerModule("attn", new Container("CausalSelfAttention", ""));
            cAttn = attn.add("c_attn", new Linear(e, 3 * e, c.bias(), Activation.IDENTITY, g));
            cProj = attn.add("c_proj", new Linear(e, e, c.bias(), Activation.IDENTITY, g));
            ln2 = registerModule("ln_2", new LayerNorm(new int[] {e}, 1e-5f, true, c.bias()));
            Container mlp = registerModule("mlp", new Container("MLP", ""));
            // GELU fused into c_fc's GEMM; the parameter names stay nn.Linear's.
            cFc = mlp.add("c_fc", new Linear(e, 4 * e, c.bias(), Activation.GELU, g));
            mlpProj = mlp.add("c_proj", new Linear(4 * e, e, c.bias(), Activation.IDENTITY, g));
            ln1W = ln1.namedParameters().get("weight");
            ln1B = ln1.namedParameters().get("bias");
            ln2W = ln2.namedParameters().get("weight");
            ln2B = ln2.namedParameters().get("bias");
        }

        Tensor forward(Tensor x, boolean training, Generator g) {
            // F.scaledDotProductAttention(q, k, v, isCausal) over the heads of c_attn's output, in one node.
            Tensor y = PackedAttention.selfAttention(cAttn.forward(ln1.forward(x)), heads, true, training ? dropout : 0f, g);
            x = x.add(F.dropout(cProj.forward(y), dropout, training, g));
            Tensor m = mlpProj.forward(cFc.forward(ln2.forward(x)));
            return x.add(F.dropout(m, dropout, training, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            return forward(x, isTraining(), Generator.defaultGenerator());
        }
    }
}
