package dev.lanes.nn;

import static dev.lanes.nn.TorchOpsFixturesTest.assertClose;
import static dev.lanes.nn.TorchOpsFixturesTest.leaf;
import static dev.lanes.nn.TorchOpsFixturesTest.tensor;

import dev.lanes.nn.layers.AttentionMasks;
import dev.lanes.nn.layers.LayerNorm;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.MultiheadAttention;
import dev.lanes.nn.layers.RotaryEmbedding;
import dev.lanes.nn.layers.SinusoidalPositionalEncoding;
import dev.lanes.nn.layers.TransformerDecoder;
import dev.lanes.nn.layers.TransformerDecoderLayer;
import dev.lanes.nn.layers.TransformerEncoder;
import dev.lanes.nn.layers.TransformerEncoderLayer;
import dev.lanes.nn.layers.TransformerOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Attention, Transformer layers and position encodings against PyTorch ({@code fixtures/nn/transformer.txt},
 * written by {@code scripts/fixtures/gen_transformer_fixtures.py}): PyTorch's state dict is loaded strictly (so
 * the names and their order are PyTorch's), then the output, the attention weights where returned, every input
 * gradient and every parameter gradient are compared.
 *
 * <p>Tolerance: 1e-4 relative + 1e-5 absolute for the layers. Each output is a chain of GEMMs (sums of 8 to 16
 * products), a softmax and norms, evaluated in a different order and with fused multiply-adds (Lanes' GEMM and
 * fused attention kernel) against PyTorch's unfused float32 ops; the gradients run the chain again backwards
 * and the norms' backward divides by a standard deviation. The worst elements seen are 8e-7 absolute in the
 * outputs and 4e-6 absolute in the gradients (at most 16% of the tolerance; the run prints the figures).
 * RoPE and the tables are element-wise: 1e-5 relative + 1e-6 absolute.
 */
class TransformerFixturesTest {
    private static final Fixtures T = TorchOpsFixturesTest.load("transformer.txt");
    private static final double RTOL = 1e-4, ATOL = 1e-5;
    private static final double EW_RTOL = 1e-5, EW_ATOL = 1e-6;

    @AfterAll
    static void printErrors() {
        TorchOpsFixturesTest.printWorst("transformer ");
    }

    private static Tensor c(String key) {
        return tensor(T, key);
    }

    /**
     * Loads case {@code name}'s state into {@code m}, makes leaves of {@code inputs}, runs {@code call}
     * (returning the output and the attention weights or null), back-propagates {@code sum(y * dy) + sum(w * dw)}
     * and compares everything with PyTorch's.
     */
    private static void check(String family, Module m, String name, String[] inputs, Function<Map<String, Tensor>, Tensor[]> call) {
        TorchLayersFixturesTest.loadTorchState(m, T, name);
        Map<String, Tensor> leaves = new LinkedHashMap<>();
        for (String in : inputs) {
            leaves.put(in, leaf(T, name + "." + in));
        }
        Tensor[] out = call.apply(leaves);
        assertClose(family, name + " forward", T.get(name + ".y"), out[0], RTOL, ATOL);
        Tensor loss = out[0].mul(c(name + ".dy")).sum();
        if (T.has(name + ".w")) {
            assertClose(family + " weights", name + " weights", T.get(name + ".w"), out[1], RTOL, ATOL);
            loss = loss.add(out[1].mul(c(name + ".dw")).sum());
        } else if (out[1] != null) {
            throw new AssertionError(name + ": weights returned but not asked for");
        }
        loss.backward();
        for (Map.Entry<String, Tensor> e : leaves.entrySet()) {
            assertClose(family + " (grad)", name + " d" + e.getKey(), T.get(name + ".d" + e.getKey()), e.getValue().grad(), RTOL, ATOL);
        }
        TorchLayersFixturesTest.checkParameterGrads(family, m, T, name, RTOL, ATOL);
    }

    private static Tensor[] outputs(MultiheadAttention.Output o) {
        return new Tensor[] {o.output(), o.weights()};
    }

    /** Without weights (the fused kernel): self-attention, a causal mask, a key padding mask with batch_first. */
    @Test
    void multiheadAttentionFusedPath() {
        MultiheadAttention self = new MultiheadAttention(8, 2);
        check("transformer mha", self, "mha_self", new String[] {"x"}, in -> {
            Tensor x = in.get("x");
            return outputs(self.forward(x, x, x, null, null, false, false));
        });
        MultiheadAttention causal = new MultiheadAttention(8, 2);
        check("transformer mha", causal, "mha_causal", new String[] {"q", "k", "v"}, in ->
                outputs(causal.forward(in.get("q"), in.get("k"), in.get("v"), null, c("mha_causal.attn_mask"), false, true)));
        // the same without the mask: isCausal alone builds it
        MultiheadAttention causalFlag = new MultiheadAttention(8, 2);
        check("transformer mha", causalFlag, "mha_causal", new String[] {"q", "k", "v"}, in ->
                outputs(causalFlag.forward(in.get("q"), in.get("k"), in.get("v"), null, null, false, true)));
        MultiheadAttention padded = new MultiheadAttention(8, 2, 0f, true, true);
        check("transformer mha", padded, "mha_kpm", new String[] {"q", "kv"}, in -> {
            Tensor kv = in.get("kv");
            return outputs(padded.forward(in.get("q"), kv, kv, c("mha_kpm.kpm"), null, false, false));
        });
    }

    /** With weights (PyTorch's default): averaged with both masks, per head with a (N * H, L, S) mask, unbatched. */
    @Test
    void multiheadAttentionWithWeights() {
        MultiheadAttention avg = new MultiheadAttention(8, 2);
        check("transformer mha", avg, "mha_weights_avg", new String[] {"q", "kv"}, in -> {
            Tensor kv = in.get("kv");
            return outputs(avg.forward(in.get("q"), kv, kv, c("mha_weights_avg.kpm"), c("mha_weights_avg.attn_mask"), true, false));
        });
        MultiheadAttention heads = new MultiheadAttention(8, 2, 0f, true, true);
        check("transformer mha", heads, "mha_weights_heads", new String[] {"x"}, in -> {
            Tensor x = in.get("x");
            return outputs(heads.forward(x, x, x, null, c("mha_weights_heads.attn_mask"), true, false, false));
        });
        MultiheadAttention unbatched = new MultiheadAttention(8, 2, 0f, false, false);
        check("transformer mha", unbatched, "mha_unbatched_nobias", new String[] {"x"}, in -> {
            Tensor x = in.get("x");
            return outputs(unbatched.forward(x, x, x));
        });
    }

    /** Grouped-query attention (4 query heads, 2 key/value heads) against the generator's Llama-style module. */
    @Test
    void groupedQueryAttention() {
        MultiheadAttention causal = new MultiheadAttention(16, 4, 0f, true, false, 2, null);
        check("transformer gqa", causal, "gqa_causal", new String[] {"x"}, in -> {
            Tensor x = in.get("x");
            return outputs(causal.forward(x, x, x, null, null, false, true));
        });
        MultiheadAttention weights = new MultiheadAttention(16, 4, 0f, true, true, 2, null);
        check("transformer gqa", weights, "gqa_weights", new String[] {"x"}, in -> {
            Tensor x = in.get("x");
            return outputs(weights.forward(x, x, x, null, null, true, false));
        });
    }

    /**
     * Post- and pre-norm encoder layers with ReLU ((S, N, E)) and GELU (batch first), dropout 0 in training mode; one
     * without biases (its LayerNorms too) and eps 1e-3; one with a causal mask and key padding.
     */
    @Test
    void encoderLayers() {
        for (String norm : new String[] {"post", "pre"}) {
            for (String act : new String[] {"relu", "gelu"}) {
                boolean batchFirst = act.equals("gelu");
                TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 2, 16, 0f, act, 1e-5f, batchFirst, norm.equals("pre"), true);
                check("transformer encoder", layer, "enc_" + norm + "_" + act, new String[] {"x"},
                        in -> new Tensor[] {layer.forward(in.get("x")), null});
            }
        }
        TransformerEncoderLayer noBias = new TransformerEncoderLayer(8, 2, 16, 0f, "relu", T.scalar("enc_nobias.eps"), true, true, false);
        check("transformer encoder", noBias, "enc_nobias", new String[] {"x"}, in -> new Tensor[] {noBias.forward(in.get("x")), null});
        TransformerEncoderLayer masked = new TransformerEncoderLayer(8, 2, 16, 0f, "relu", 1e-5f, true, false, true);
        check("transformer encoder", masked, "enc_masked", new String[] {"x"},
                in -> new Tensor[] {masked.forward(in.get("x"), c("enc_masked.mask"), c("enc_masked.kpm"), false), null});
    }

    /** Post-norm (ReLU) and pre-norm (GELU) decoder layers with a causal target mask and memory key padding. */
    @Test
    void decoderLayers() {
        for (String norm : new String[] {"post", "pre"}) {
            boolean pre = norm.equals("pre");
            TransformerDecoderLayer layer = new TransformerDecoderLayer(8, 2, 16, 0f, pre ? "gelu" : "relu", 1e-5f, false, pre, true);
            String name = "dec_" + norm;
            check("transformer decoder", layer, name, new String[] {"tgt", "mem"}, in -> new Tensor[] {layer.forward(in.get("tgt"),
                    in.get("mem"), c(name + ".tgt_mask"), null, null, c(name + ".mkpm"), true, false), null});
        }
    }

    /** A decoder layer with a float memory mask {@code (T, S)}, batch first. */
    @Test
    void decoderMemoryMask() {
        TransformerDecoderLayer layer = new TransformerDecoderLayer(8, 2, 16, 0f, "relu", 1e-5f, true, false, true);
        check("transformer decoder", layer, "dec_memmask", new String[] {"tgt", "mem"}, in -> new Tensor[] {layer.forward(in.get("tgt"),
                in.get("mem"), null, c("dec_memmask.mem_mask"), null, null, false, false), null});
    }

    /** Two-layer stacks with a final LayerNorm: PyTorch's names {@code layers.0. ...} and {@code norm.}. */
    @Test
    void stacks() {
        TransformerEncoder enc = new TransformerEncoder(new TransformerEncoderLayer(8, 2, 16, 0f, "relu", 1e-5f, false, false, true),
                2, new LayerNorm(8));
        check("transformer encoder", enc, "encoder_stack", new String[] {"x"}, in -> new Tensor[] {enc.forward(in.get("x")), null});
        TransformerDecoder dec = new TransformerDecoder(new TransformerDecoderLayer(8, 2, 16, 0f, "relu", 1e-5f, true, false, true),
                2, new LayerNorm(8));
        check("transformer decoder", dec, "decoder_stack", new String[] {"tgt", "mem"},
                in -> new Tensor[] {dec.forward(in.get("tgt"), in.get("mem")), null});
    }

    /** The Lanes options: pre-norm with RMSNorm (eps 1e-6), a SwiGLU feed-forward and no biases, causal. */
    @Test
    void rmsNormSwiGluLayer() {
        TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 2, new TransformerOptions().dimFeedforward(12).dropout(0f)
                .normFirst(true).bias(false).batchFirst(true).norm(TransformerOptions.Norm.RMS_NORM)
                .feedForward(TransformerOptions.FeedForward.SWIGLU).layerNormEps(T.scalar("enc_rms_swiglu.eps")));
        check("transformer encoder", layer, "enc_rms_swiglu", new String[] {"x"},
                in -> new Tensor[] {layer.forward(in.get("x"), AttentionMasks.squareSubsequentMask(5), null, false), null});
    }

    /** RoPE against torchtune's formula (pairs 2i, 2i+1) and GPT-NeoX's rotate_half, with position offsets. */
    @Test
    void rope() {
        for (String name : new String[] {"rope_llama", "rope_llama_offset", "rope_neox_offset"}) {
            int offset = (int) T.scalar(name + ".offset");
            boolean half = name.contains("neox");
            Tensor x = leaf(T, name + ".x");
            Tensor y = F.rope(x, offset, 10000f, half);
            assertClose("transformer rope", name + " forward", T.get(name + ".y"), y, EW_RTOL, EW_ATOL);
            y.backward(c(name + ".dy"));
            assertClose("transformer rope (grad)", name + " dx", T.get(name + ".dx"), x.grad(), EW_RTOL, EW_ATOL);
            Tensor viaModule = new RotaryEmbedding(8, 64, 10000f, half).forward(c(name + ".x"), offset);
            assertClose("transformer rope", name + " module", T.get(name + ".y"), viaModule, EW_RTOL, EW_ATOL);
        }
        Tensor ones = Tensor.ones(1, 1, 128, 32);
        assertClose("transformer rope", "rope_long", T.get("rope_long.y"), new RotaryEmbedding(32).forward(ones), EW_RTOL, EW_ATOL);
    }

    /** The sinusoidal table of PyTorch's Transformer tutorial. */
    @Test
    void sinusoidalTable() {
        assertClose("transformer sinusoidal", "sinusoidal table", T.get("sinusoidal.table"), SinusoidalPositionalEncoding.table(60, 16),
                EW_RTOL, EW_ATOL);
    }
}
