package dev.lanes.nn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.optim.AdamW;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GPT} against nanoGPT in PyTorch, weight tying, and the KV-cache generation path against the plain forward. */
class GptTest {
    @TempDir
    Path tmp;

    private static Path resource(String name) {
        try {
            return Path.of(GptTest.class.getResource("/fixtures/gpt/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GPT fromFixture(String name, Fixtures f) throws IOException {
        int[] c = f.ints(name + "_config");
        GPT model = new GPT(new GPT.Config(c[0], c[1], c[2], c[3], c[4], 0f, c[5] == 1), new Generator(99));
        Safetensors.loadModel(resource(name + ".safetensors"), model, true);
        return model;
    }

    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), what + " element " + i);
        }
    }

    @Test
    void forwardLossAndGradientsMatchNanoGptInPyTorch() throws IOException {
        for (String name : new String[] {"tiny", "tiny_nobias"}) {
            Fixtures f = Fixtures.load("gpt/" + name + ".txt");
            GPT model = fromFixture(name, f);
            Fixtures.Entry idx = f.get(name + "_idx"), targets = f.get(name + "_targets");
            Tensor logits = model.forward(Tensor.of(idx.floats(), idx.shape()));
            assertArrayEquals(f.get(name + "_logits").shape(), logits.shape());
            assertClose(f.floats(name + "_logits"), logits.toArray(), 2e-5f, name + " logits");
            Tensor loss = GPT.loss(logits, Tensor.of(targets.floats(), targets.shape()));
            assertEquals(f.scalar(name + "_loss"), loss.item(), 2e-5f, name + " loss");
            loss.backward();
            Map<String, Tensor> p = model.stateDict();
            assertClose(f.floats(name + "_grad_wte"), p.get("transformer.wte.weight").grad().toArray(), 1e-4f, name + " wte grad");
            assertClose(f.floats(name + "_grad_wpe"), p.get("transformer.wpe.weight").grad().toArray(), 1e-4f, name + " wpe grad");
            assertClose(f.floats(name + "_grad_h0_c_attn_weight"), p.get("transformer.h.0.attn.c_attn.weight").grad().toArray(),
                    1e-4f, name + " c_attn grad");
            assertClose(f.floats(name + "_grad_h1_mlp_c_proj_weight"),
                    p.get("transformer.h.1.mlp.c_proj.weight").grad().toArray(), 1e-4f, name + " mlp c_proj grad");
            assertClose(f.floats(name + "_grad_ln_f_weight"), p.get("transformer.ln_f.weight").grad().toArray(), 1e-4f,
                    name + " ln_f grad");
        }
    }

    @Test
    void namesAreNanoGptsAndTheHeadIsTiedToTheEmbedding() throws IOException {
        GPT model = new GPT(new GPT.Config(13, 8, 2, 2, 8, 0f, true), new Generator(1));
        Map<String, Tensor> state = model.stateDict();
        // The keys PyTorch's state_dict() has, in its order.
        List<String> expected = new ArrayList<>(List.of("transformer.wte.weight", "transformer.wpe.weight"));
        for (int i = 0; i < 2; i++) {
            for (String s : new String[] {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                    "mlp.c_proj.weight", "mlp.c_proj.bias"}) {
                expected.add("transformer.h." + i + "." + s);
            }
        }
        expected.addAll(List.of("transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight"));
        assertEquals(expected, new ArrayList<>(state.keySet()));
        assertEquals(Safetensors.load(resource("tiny.safetensors")).names().stream().sorted().toList(),
                expected.stream().sorted().toList());
        assertSame(state.get("transformer.wte.weight"), state.get("lm_head.weight"));
        // named_parameters() lists the shared tensor once.
        assertEquals(expected.size() - 1, model.namedParameters().size());
        assertTrue(!model.namedParameters().containsKey("lm_head.weight"));
        assertEquals(expected.size() - 1, model.parameters().size());
    }

    @Test
    void initialisationHasNanoGptsStandardDeviations() {
        GPT model = new GPT(new GPT.Config(256, 64, 4, 4, 64, 0f, true), new Generator(3));
        Map<String, Tensor> p = model.stateDict();
        assertEquals(0.02, std(p.get("transformer.wte.weight")), 0.002);
        assertEquals(0.02, std(p.get("transformer.h.0.attn.c_attn.weight")), 0.002);
        assertEquals(0.02 / Math.sqrt(8), std(p.get("transformer.h.3.mlp.c_proj.weight")), 0.001);
        assertEquals(0.02 / Math.sqrt(8), std(p.get("transformer.h.1.attn.c_proj.weight")), 0.001);
        assertEquals(0.0, p.get("transformer.h.0.mlp.c_fc.bias").abs().sum().item(), 0.0);
        assertEquals(64f, p.get("transformer.ln_f.weight").sum().item(), 0f);
    }

    private static double std(Tensor t) {
        float[] v = t.toArray();
        double s = 0, s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        double m = s / v.length;
        return Math.sqrt(s2 / v.length - m * m);
    }

    @Test
    void tiedWeightTakesOneAdamWStepWithBothGradientsSummed() {
        GPT model = new GPT(new GPT.Config(11, 6, 1, 2, 8, 0f, true), new Generator(5));
        Tensor wte = model.stateDict().get("transformer.wte.weight");
        AdamW opt = new AdamW(model.parameters(), 1e-2); // would throw if the tied tensor were listed twice
        Tensor idx = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 6), targets = Tensor.of(new float[] {2, 3, 4, 5, 6, 7}, 1, 6);
        Tensor loss = GPT.loss(model.forward(idx), targets);
        loss.backward();
        // The gradient holds the embedding's rows (only at used tokens) plus the head's (every row).
        float[] g = wte.grad().toArray();
        boolean unusedRowHasGrad = false;
        for (int j = 0; j < 8; j++) {
            unusedRowHasGrad |= g[10 * 8 + j] != 0; // token 10 is not in the input but is a class of the head
        }
        assertTrue(unusedRowHasGrad);
        float[] before = wte.toArray();
        opt.step();
        float[] after = wte.toArray();
        // One AdamW step moves each element by about lr (first step: m / sqrt(v) = sign(g)), not 2 lr.
        for (int i = 0; i < before.length; i++) {
            if (g[i] != 0) {
                assertEquals(1e-2, Math.abs(after[i] - before[i] * (1 - 1e-2 * 1e-2)), 1e-3, "element " + i);
            }
        }
        assertSame(model.stateDict().get("lm_head.weight"), wte);
    }

    @Test
    void safetensorsRoundTripKeepsBothKeysAndTheTie() throws IOException {
        GPT model = new GPT(new GPT.Config(13, 8, 2, 2, 8, 0f, true), new Generator(7));
        Path file = tmp.resolve("gpt.safetensors");
        Safetensors.saveModel(file, model);
        assertTrue(Safetensors.load(file).names().contains("lm_head.weight"));
        GPT other = new GPT(new GPT.Config(13, 8, 2, 2, 8, 0f, true), new Generator(8));
        Safetensors.loadModel(file, other, true);
        Tensor idx = Tensor.of(new float[] {1, 5, 7, 2}, 1, 4);
        assertArrayEquals(model.forward(idx).toArray(), other.forward(idx).toArray());
        assertSame(other.stateDict().get("lm_head.weight"), other.stateDict().get("transformer.wte.weight"));
        // A file with only one of the shared names (safetensors.torch.save_model keeps one) loads non-strictly.
        Map<String, Tensor> state = new java.util.LinkedHashMap<>(model.stateDict());
        state.remove("transformer.wte.weight");
        Path one = tmp.resolve("one.safetensors");
        Safetensors.save(one, state);
        GPT third = new GPT(new GPT.Config(13, 8, 2, 2, 8, 0f, true), new Generator(9));
        var keys = Safetensors.loadModel(one, third, false);
        assertEquals(List.of("transformer.wte.weight"), keys.missingKeys());
        assertArrayEquals(model.forward(idx).toArray(), third.forward(idx).toArray());
        assertTrue(Files.size(file) > Files.size(one));
    }

    @Test
    void cachedLogitsEqualTheForwardAtEveryStep() throws IOException {
        for (String name : new String[] {"tiny", "tiny_nobias"}) {
            GPT model = fromFixture(name, Fixtures.load("gpt/" + name + ".txt"));
            model.eval();
            int bs = model.config().blockSize(), v = model.config().vocabSize();
            int[] seq = new int[bs];
            Generator g = new Generator(11);
            for (int i = 0; i < bs; i++) {
                seq[i] = g.nextInt(v);
            }
            for (int prompt = 1; prompt <= 3; prompt++) {
                GPT.KVCache cache = model.newCache();
                float[] logits = cache.feed(java.util.Arrays.copyOf(seq, prompt)).clone();
                for (int n = prompt; ; n++) {
                    float[] ref;
                    try (var ignored = GradMode.noGrad()) {
                        float[] ctx = new float[n];
                        for (int i = 0; i < n; i++) {
                            ctx[i] = seq[i];
                        }
                        Tensor full = model.forward(Tensor.wrap(ctx, 1, n));
                        ref = full.slice(1, n - 1, n).contiguous().toArray();
                    }
                    assertClose(ref, logits, 1e-5f, name + " prompt " + prompt + " position " + n);
                    assertEquals(n, cache.length());
                    if (n == bs) {
                        break;
                    }
                    logits = cache.feed(seq[n]).clone();
                }
                int[] tooMany = {1};
                assertThrows(IllegalArgumentException.class, () -> cache.feed(tooMany));
            }
        }
    }

    @Test
    void generationWithAndWithoutTheCacheGivesTheSameTokens() throws IOException {
        GPT model = fromFixture("tiny", Fixtures.load("gpt/tiny.txt"));
        Sampler[] samplers = {Sampler.greedy(), new Sampler(1.0, 0, 1.0), new Sampler(0.8, 5, 1.0), new Sampler(1.2, 0, 0.9),
                new Sampler(1.0, 6, 0.8)};
        for (Sampler s : samplers) {
            for (long seed = 1; seed <= 3; seed++) {
                int[] prompt = {3, 1, 4};
                // 20 new tokens from a block of 8: the context is cropped and the cache refilled past position 8.
                int[] cached = model.generate(prompt, 20, s, new Generator(seed));
                int[] plain = model.generateWithoutCache(prompt, 20, s, new Generator(seed));
                assertArrayEquals(plain, cached, s + " seed " + seed);
                assertArrayEquals(prompt, java.util.Arrays.copyOf(cached, 3));
            }
        }
        // A prompt longer than the block is cropped to its last blockSize tokens, as nanoGPT does.
        int[] longPrompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        assertArrayEquals(model.generateWithoutCache(longPrompt, 5, new Sampler(1, 0, 1), new Generator(4)),
                model.generate(longPrompt, 5, new Sampler(1, 0, 1), new Generator(4)));
        int[] a = model.generate(new int[] {1}, 30, new Sampler(1, 0, 1), new Generator(1));
        int[] b = model.generate(new int[] {1}, 30, new Sampler(1, 0, 1), new Generator(2));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b), "different seeds should differ");
    }

    /**
     * generate packs the weights for the call only: weights changed between two calls with the same cache (as
     * training does) are seen by the second call, and feed afterwards reads the live weights too.
     */
    @Test
    void generationSeesWeightsChangedBetweenCalls() throws IOException {
        GPT model = fromFixture("tiny", Fixtures.load("gpt/tiny.txt"));
        GPT.KVCache cache = model.newCache();
        int[] prompt = {3, 1, 4};
        model.generate(prompt, 6, Sampler.greedy(), new Generator(1), cache);
        for (Tensor p : model.parameters()) { // a deterministic change of every weight, in place
            float[] d = p.array();
            for (int i = 0; i < p.numel(); i++) {
                d[p.arrayOffset() + i] = d[p.arrayOffset() + i] * -1.5f + 0.01f * (i % 7);
            }
        }
        assertArrayEquals(model.generateWithoutCache(prompt, 6, Sampler.greedy(), new Generator(1)),
                model.generate(prompt, 6, Sampler.greedy(), new Generator(1), cache));
        cache.reset();
        float[] fed = cache.feed(prompt).clone();
        float[] want;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor logits = model.forward(Tensor.wrap(new float[] {3, 1, 4}, 1, 3));
            want = java.util.Arrays.copyOfRange(logits.contiguous().array(), 2 * fed.length, 3 * fed.length);
        }
        for (int i = 0; i < fed.length; i++) {
            assertEquals(want[i], fed[i], 1e-4f, "logit " + i);
        }
    }

    @Test
    void aSmallerKeepOnOverflowRefillsTheCacheFromThatManyTokens() throws IOException {
        GPT model = fromFixture("tiny", Fixtures.load("gpt/tiny.txt"));
        int bs = model.config().blockSize(), v = model.config().vocabSize();
        Sampler s = new Sampler(1.0, 0, 1.0);
        for (int keep : new int[] {1, 3, bs / 2, bs}) {
            int[] prompt = {3, 1, 4, 1, 5};
            int[] cached = model.generate(prompt, 25, s, new Generator(keep), model.newCache(), keep);
            // The reference: the context starts at `from`; when it outgrows the block it restarts at the last `keep` tokens.
            int[] out = java.util.Arrays.copyOf(prompt, prompt.length + 25);
            int n = prompt.length, from = 0;
            Generator g = new Generator(keep);
            try (var ignored = GradMode.noGrad()) {
                for (int i = 0; i < 25; i++) {
                    float[] ctx = new float[n - from];
                    for (int j = from; j < n; j++) {
                        ctx[j - from] = out[j];
                    }
                    Tensor logits = model.forward(Tensor.wrap(ctx, 1, n - from)).contiguous();
                    int last = n - from - 1;
                    out[n] = s.sample(logits.array(), logits.arrayOffset() + last * v, v, g);
                    n++;
                    if (n - from > bs) {
                        from = n - keep;
                    }
                }
            }
            assertArrayEquals(out, cached, "keep " + keep);
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> model.generate(new int[] {1}, 2, Sampler.greedy(), new Generator(1), model.newCache(), bs + 1));
        assertTrue(e.getMessage().contains("keepOnOverflow = " + (bs + 1)), e.getMessage());
    }

    @Test
    void badInputsAreRefusedWithTheirValues() {
        GPT model = new GPT(new GPT.Config(11, 6, 1, 2, 8, 0f, true), new Generator(5));
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(Tensor.zeros(1, 7)));
        assertTrue(e.getMessage().contains("length 7") && e.getMessage().contains("6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.forward(new int[][] {{1, 11}}));
        assertTrue(e.getMessage().contains("11"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.generate(new int[0], 3, Sampler.greedy(), new Generator(1)));
        assertThrows(IllegalArgumentException.class, () -> model.generate(new int[] {1}, -1, Sampler.greedy(), new Generator(1)));
        e = assertThrows(IllegalArgumentException.class, () -> new GPT.Config(11, 6, 1, 3, 8, 0f, true));
        assertTrue(e.getMessage().contains("nHead = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GPT.Config(11, 6, 1, 2, 8, 1f, true));
        GPT other = new GPT(new GPT.Config(11, 6, 1, 2, 8, 0f, true), new Generator(6));
        assertThrows(IllegalArgumentException.class,
                () -> model.generate(new int[] {1}, 2, Sampler.greedy(), new Generator(1), other.newCache()));
        assertArrayEquals(model.forward(new int[][] {{1, 2}}).toArray(),
                model.forward(Tensor.of(new float[] {1, 2}, 1, 2)).toArray());
    }

    @Test
    void dropoutIsActiveInTrainingOnly() {
        GPT model = new GPT(new GPT.Config(11, 6, 2, 2, 8, 0.5f, true), new Generator(5));
        Tensor idx = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        float[] train1 = model.forward(idx).toArray(), train2 = model.forward(idx).toArray();
        assertNotEquals(java.util.Arrays.toString(train1), java.util.Arrays.toString(train2));
        model.eval();
        assertArrayEquals(model.forward(idx).toArray(), model.forward(idx).toArray());
        // The cache path never drops: it equals the eval forward.
        float[] cached = model.newCache().feed(1, 2, 3);
        float[] ref = model.forward(idx).slice(1, 2, 3).contiguous().toArray();
        assertClose(ref, cached, 1e-5f, "eval logits");
    }
}
