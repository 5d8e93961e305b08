package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.AttentionMasks;
import dev.lanes.nn.layers.LayerNorm;
import dev.lanes.nn.layers.LearnedPositionalEmbedding;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.MultiheadAttention;
import dev.lanes.nn.layers.RotaryEmbedding;
import dev.lanes.nn.layers.SinusoidalPositionalEncoding;
import dev.lanes.nn.layers.SwiGLU;
import dev.lanes.nn.layers.TransformerDecoder;
import dev.lanes.nn.layers.TransformerDecoderLayer;
import dev.lanes.nn.layers.TransformerEncoder;
import dev.lanes.nn.layers.TransformerEncoderLayer;
import dev.lanes.nn.layers.TransformerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Properties of the attention and Transformer layers that the PyTorch fixtures do not cover: finite-difference
 * gradients, the fused and explicit attention paths agreeing, layouts, masks, dropout, copies, RoPE's relative
 * position property, and shape errors that name the shapes.
 */
class TransformerLayersTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static void assertClose(Tensor expected, Tensor actual, float tol) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * (1 + Math.abs(e[i])), "element " + i);
        }
    }

    // ------------------------------------------------------------------------------------- gradcheck

    @Test
    void ropeGradCheck() {
        Generator g = new Generator(1);
        for (boolean half : new boolean[] {false, true}) {
            Tensor x = Tensor.randn(g, 2, 3, 4).requiresGrad(true);
            GradCheck.check(in -> F.rope(in[0], 5, 10000f, half), x);
        }
    }

    @Test
    void multiheadAttentionGradCheck() {
        Generator g = new Generator(2);
        MultiheadAttention mha = new MultiheadAttention(4, 2, 0f, true, true, 2, g);
        Tensor q = Tensor.randn(g, 2, 3, 4).requiresGrad(true), kv = Tensor.randn(g, 2, 5, 4).requiresGrad(true);
        Tensor kpm = AttentionMasks.keyPadding(new int[] {5, 3}, 5);
        // fused path, then the explicit path with the weights in the output
        GradCheck.check(in -> mha.forward(in[0], in[1], in[1], kpm, null, false, false).output(), q, kv, mha.inProjWeight(),
                mha.outProj().weight());
        GradCheck.check(in -> {
            MultiheadAttention.Output o = mha.forward(in[0], in[1], in[1], kpm, null, true, false, false);
            return Tensor.cat(-1, o.output().reshape(2, -1), o.weights().reshape(2, -1));
        }, q, kv, mha.inProjBias());
        MultiheadAttention gqa = new MultiheadAttention(8, 4, 0f, true, false, 2, g);
        Tensor x = Tensor.randn(g, 3, 2, 8).requiresGrad(true);
        GradCheck.check(in -> gqa.forward(in[0], in[0], in[0], null, null, false, true).output(), x,
                gqa.namedParameters().get("k_proj.weight"));
    }

    @Test
    void transformerLayersGradCheck() {
        Generator g = new Generator(3);
        TransformerOptions o = new TransformerOptions().dimFeedforward(6).dropout(0f).activation("gelu").generator(g);
        TransformerEncoderLayer enc = new TransformerEncoderLayer(4, 2, o.clone().normFirst(true));
        Tensor x = Tensor.randn(g, 3, 2, 4).requiresGrad(true);
        GradCheck.check(in -> enc.forward(in[0], null, null, true), x, enc.namedParameters().get("linear1.weight"));
        TransformerDecoderLayer dec = new TransformerDecoderLayer(4, 2, o.clone().norm(TransformerOptions.Norm.RMS_NORM)
                .feedForward(TransformerOptions.FeedForward.SWIGLU));
        Tensor tgt = Tensor.randn(g, 3, 2, 4).requiresGrad(true), mem = Tensor.randn(g, 4, 2, 4).requiresGrad(true);
        GradCheck.check(in -> dec.forward(in[0], in[1]), tgt, mem, dec.namedParameters().get("feed_forward.w3.weight"));
    }

    // ------------------------------------------------------------------------- multi-head attention

    @Test
    void pyTorchNamesAndInitialisation() {
        MultiheadAttention mha = new MultiheadAttention(8, 2);
        assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                new ArrayList<>(mha.stateDict().keySet()));
        assertArrayEquals(new int[] {24, 8}, mha.inProjWeight().shape());
        float bound = (float) Math.sqrt(6.0 / (8 + 24));
        float max = 0;
        for (float v : mha.inProjWeight().toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max <= bound && max > 0.5f * bound, "xavier_uniform bound " + bound + ", max " + max);
        for (float v : mha.inProjBias().toArray()) {
            assertEquals(0f, v);
        }
        for (float v : mha.outProj().bias().toArray()) {
            assertEquals(0f, v);
        }
        assertEquals(List.of("in_proj_weight", "out_proj.weight"), new ArrayList<>(new MultiheadAttention(8, 2, 0f, false, false)
                .stateDict().keySet()));
        MultiheadAttention gqa = new MultiheadAttention(8, 4, 0f, true, false, 2, null);
        assertEquals(List.of("q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias",
                "out_proj.weight", "out_proj.bias"), new ArrayList<>(gqa.stateDict().keySet()));
        assertArrayEquals(new int[] {4, 8}, gqa.stateDict().get("k_proj.weight").shape());
        assertNull(gqa.inProjWeight());
    }

    /** The fused kernel path and the explicit softmax path compute the same output, for each kind of mask. */
    @Test
    void fusedAndExplicitPathsAgree() {
        Generator g = new Generator(4);
        for (int kvHeads : new int[] {4, 2, 1}) {
            MultiheadAttention mha = new MultiheadAttention(16, 4, 0f, true, false, kvHeads, g);
            Tensor q = Tensor.randn(g, 5, 2, 16), kv = Tensor.randn(g, 7, 2, 16), x = Tensor.randn(g, 6, 2, 16);
            Tensor kpm = AttentionMasks.keyPadding(new int[] {7, 2}, 7);
            Tensor am = Tensor.randn(g, 5, 7);
            assertClose(mha.forward(q, kv, kv, kpm, am, true, false).output(), mha.forward(q, kv, kv, kpm, am, false, false).output(), 1e-5f);
            assertClose(mha.forward(x, x, x, null, null, true, true).output(), mha.forward(x, x, x, null, null, false, true).output(), 1e-5f);
            assertClose(mha.forward(x, x, x, AttentionMasks.keyPadding(new int[] {3, 6}, 6), null, true, true).output(),
                    mha.forward(x, x, x, AttentionMasks.keyPadding(new int[] {3, 6}, 6), null, false, true).output(), 1e-5f);
            // isCausal alone equals passing the causal mask
            assertClose(mha.forward(x, x, x, null, AttentionMasks.squareSubsequentMask(6), false, false).output(),
                    mha.forward(x, x, x, null, null, false, true).output(), 1e-6f);
        }
    }

    @Test
    void layoutsAgree() {
        Generator g = new Generator(5);
        MultiheadAttention seqFirst = new MultiheadAttention(8, 2);
        MultiheadAttention batchFirst = new MultiheadAttention(8, 2, 0f, true, true);
        batchFirst.loadStateDict(seqFirst.stateDict(), true);
        Tensor x = Tensor.randn(g, 4, 3, 8);
        MultiheadAttention.Output a = seqFirst.forward(x, x, x);
        MultiheadAttention.Output b = batchFirst.forward(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1));
        assertClose(a.output(), b.output().transpose(0, 1), 1e-6f);
        assertClose(a.weights(), b.weights(), 1e-6f);
        assertArrayEquals(new int[] {3, 4, 4}, a.weights().shape());
        // unbatched (L, E) is batch 1 without the batch dimension
        Tensor one = x.select(1, 0);
        MultiheadAttention.Output u = seqFirst.forward(one, one, one, null, null, true, false, false);
        assertArrayEquals(new int[] {2, 4, 4}, u.weights().shape());
        assertClose(a.output().select(1, 0), u.output(), 1e-6f);
        assertClose(a.weights().select(0, 0), u.weights().mean(0, false), 1e-6f);
        // single-tensor forward: self-attention without weights
        assertClose(a.output(), seqFirst.forward(x), 1e-6f);
    }

    @Test
    void booleanMaskHelpers() {
        assertArrayEquals(new float[] {0, NEG_INF, NEG_INF, 0, 0, NEG_INF, 0, 0, 0}, AttentionMasks.squareSubsequentMask(3).toArray());
        assertArrayEquals(new float[] {0, NEG_INF, NEG_INF, 0, 0, NEG_INF}, AttentionMasks.causal(2, 3).reshape(6).toArray());
        assertArrayEquals(new float[] {0, 0, NEG_INF, 0, NEG_INF, NEG_INF}, AttentionMasks.keyPadding(new int[] {2, 1}, 3).toArray());
        assertArrayEquals(new float[] {NEG_INF, 0}, AttentionMasks.fromNotAllowed(new boolean[] {true, false}, 1, 2).toArray());
        assertArrayEquals(new float[] {0, NEG_INF}, AttentionMasks.fromAllowed(new boolean[] {true, false}, 2).toArray());
        assertArrayEquals(new float[] {NEG_INF, 0, 0}, AttentionMasks.fromNotAllowed(Tensor.of(new float[] {1, 0, 0})).toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionMasks.fromNotAllowed(Tensor.of(new float[] {1, 0.5f})));
        assertTrue(e.getMessage().contains("0.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.fromAllowed(new boolean[3], 2, 2));
        assertThrows(IllegalArgumentException.class, () -> AttentionMasks.keyPadding(new int[] {4}, 3));
        // a padded key has no influence on the output
        Generator g = new Generator(6);
        MultiheadAttention mha = new MultiheadAttention(8, 2, 0f, true, true, 2, g);
        Tensor q = Tensor.randn(g, 1, 2, 8), kv = Tensor.randn(g, 1, 4, 8);
        Tensor kpm = AttentionMasks.fromNotAllowed(new boolean[] {false, false, false, true}, 1, 4);
        Tensor changed = kv.copy();
        changed.set(100f, 0, 3, 0);
        assertClose(mha.forward(q, kv, kv, kpm, null, false, false).output(), mha.forward(q, changed, changed, kpm, null, false, false).output(), 1e-6f);
    }

    @Test
    void dropoutOnlyInTraining() {
        MultiheadAttention mha = new MultiheadAttention(8, 2, 0.5f, true, false, 2, new Generator(7));
        MultiheadAttention plain = new MultiheadAttention(8, 2);
        plain.loadStateDict(mha.stateDict(), true);
        Tensor x = Tensor.randn(new Generator(8), 4, 2, 8);
        Tensor trainOut = mha.forward(x);
        Tensor trainWeights = mha.forward(x, x, x).weights();
        assertFalse(java.util.Arrays.equals(plain.forward(x).toArray(), trainOut.toArray()));
        mha.eval();
        assertClose(plain.forward(x), mha.forward(x), 0f);
        assertClose(plain.forward(x, x, x).weights(), mha.forward(x, x, x).weights(), 0f);
        assertFalse(java.util.Arrays.equals(plain.forward(x, x, x).weights().toArray(), trainWeights.toArray()));
    }

    @Test
    void attentionShapeErrorsNameTheShapes() {
        MultiheadAttention mha = new MultiheadAttention(8, 2);
        Tensor x = Tensor.zeros(4, 2, 8);
        String m = assertThrows(IllegalArgumentException.class, () -> mha.forward(Tensor.zeros(4, 2, 6))).getMessage();
        assertTrue(m.contains("[4, 2, 6]") && m.contains("embed_dim = 8"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, Tensor.zeros(5, 2, 8), Tensor.zeros(6, 2, 8))).getMessage();
        assertTrue(m.contains("[5, 2, 8]") && m.contains("[6, 2, 8]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, Tensor.zeros(5, 3, 8), Tensor.zeros(5, 3, 8))).getMessage();
        assertTrue(m.contains("batch size") && m.contains("[5, 3, 8]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, x, x, null, Tensor.zeros(4, 5), false, false)).getMessage();
        assertTrue(m.contains("attn_mask") && m.contains("[4, 5]") && m.contains("[4, 4]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(x, x, x, Tensor.zeros(4, 2), null, false, false)).getMessage();
        assertTrue(m.contains("key_padding_mask") && m.contains("[2, 4]") && m.contains("[4, 2]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> mha.forward(Tensor.zeros(8))).getMessage();
        assertTrue(m.contains("[8]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3)).getMessage();
        assertTrue(m.contains("10") && m.contains("3"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(8, 4, 0f, true, false, 3, null)).getMessage();
        assertTrue(m.contains("num_kv_heads (3)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new TransformerOptions().activation("tanh")).getMessage();
        assertTrue(m.contains("tanh"), m);
    }

    // ---------------------------------------------------------------------------------- Transformer

    @Test
    void layerNamesFollowPyTorch() {
        TransformerEncoderLayer enc = new TransformerEncoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, true);
        assertEquals(List.of("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                "norm1.bias", "norm2.weight", "norm2.bias"), new ArrayList<>(enc.stateDict().keySet()));
        TransformerDecoderLayer dec = new TransformerDecoderLayer(8, 2, new TransformerOptions().bias(false)
                .norm(TransformerOptions.Norm.RMS_NORM).feedForward(TransformerOptions.FeedForward.SWIGLU).numKvHeads(1));
        assertEquals(List.of("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                "self_attn.out_proj.weight", "multihead_attn.q_proj.weight", "multihead_attn.k_proj.weight",
                "multihead_attn.v_proj.weight", "multihead_attn.out_proj.weight", "feed_forward.w1.weight", "feed_forward.w2.weight",
                "feed_forward.w3.weight", "norm1.weight", "norm2.weight", "norm3.weight"), new ArrayList<>(dec.stateDict().keySet()));
        assertEquals(List.of("w1.weight", "w2.weight", "w3.weight"), new ArrayList<>(new SwiGLU(4, 6).stateDict().keySet()));
        assertEquals(2048, new TransformerEncoderLayer(8, 2).stateDict().get("linear1.weight").size(0));
    }

    /** The layers print as PyTorch 2.13 prints them (the fused activation of linear1 is not a module there). */
    @Test
    void printsAsPyTorch() {
        String mha = "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)";
        assertEquals(mha, new MultiheadAttention(8, 2).toString());
        String norm = "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)";
        assertEquals("TransformerEncoderLayer(\n  (self_attn): " + mha.replace("\n", "\n  ") + "\n"
                + "  (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
                + "  (dropout): Dropout(p=0.1, inplace=False)\n"
                + "  (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
                + "  (norm1): " + norm + "\n  (norm2): " + norm + "\n"
                + "  (dropout1): Dropout(p=0.1, inplace=False)\n  (dropout2): Dropout(p=0.1, inplace=False)\n)",
                new TransformerEncoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, true).toString());
    }

    /** The stacks copy the layer, as PyTorch's deep copies: equal starting weights, separate tensors. */
    @Test
    void stacksCopyTheLayer() {
        TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 2, new TransformerOptions().dimFeedforward(8));
        TransformerEncoder enc = new TransformerEncoder(layer, 3, new LayerNorm(8));
        assertEquals(3, enc.numLayers());
        assertEquals(3 * layer.parameterCount() + 16, enc.parameterCount());
        assertTrue(enc.stateDict().containsKey("layers.2.linear2.bias") && enc.stateDict().containsKey("norm.weight"));
        for (int i = 0; i < 3; i++) {
            for (Map.Entry<String, Tensor> e : layer.stateDict().entrySet()) {
                Tensor copy = enc.layer(i).stateDict().get(e.getKey());
                assertNotSame(e.getValue(), copy);
                assertArrayEquals(e.getValue().toArray(), copy.toArray(), e.getKey());
            }
        }
        TransformerDecoder dec = new TransformerDecoder(new TransformerDecoderLayer(8, 2, new TransformerOptions().dimFeedforward(8)), 2);
        assertEquals(List.of("layers"), new ArrayList<>(dec.children().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> dec.forward(Tensor.zeros(2, 1, 8)));
        // the stack is the layers in turn
        enc.eval();
        Tensor x = Tensor.randn(new Generator(9), 4, 2, 8);
        Tensor manual = x;
        for (int i = 0; i < 3; i++) {
            manual = enc.layer(i).forward(manual);
        }
        manual = ((Module) enc.children().get("norm")).forward(manual);
        assertClose(manual, enc.forward(x), 0f);
    }

    @Test
    void encoderLayerDropoutAndTrainingMode() {
        TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 2, new TransformerOptions().dimFeedforward(16)
                .generator(new Generator(10)));
        Tensor x = Tensor.randn(new Generator(11), 4, 2, 8);
        Tensor train = layer.forward(x);
        layer.eval();
        Tensor eval1 = layer.forward(x), eval2 = layer.forward(x);
        assertClose(eval1, eval2, 0f);
        assertFalse(java.util.Arrays.equals(train.toArray(), eval1.toArray()));
    }

    /** The example of docs/nn.md ("Attention and Transformer layers"), as written there. */
    @Test
    void docsExample() {
        Generator g = new Generator(17);
        Tensor x = Tensor.randn(g, 2, 10, 64), q = Tensor.randn(g, 5, 2, 64), k = Tensor.randn(g, 7, 2, 64), v = Tensor.randn(g, 7, 2, 64);
        Tensor qHeads = Tensor.randn(g, 2, 4, 3, 16);
        int cacheLength = 5;

        var layer = new TransformerEncoderLayer(64, 4, 256, 0.1f, "relu", 1e-5f, true, true, true);
        var encoder = new TransformerEncoder(layer, 2, new LayerNorm(64));
        Tensor mask = AttentionMasks.squareSubsequentMask(10);
        Tensor pad = AttentionMasks.keyPadding(new int[] {10, 7}, 10);         // -inf on padding
        Tensor y = encoder.forward(x, mask, pad, false);                       // x: (2, 10, 64)

        var mha = new MultiheadAttention(64, 4);
        MultiheadAttention.Output o = mha.forward(q, k, v);                    // o.output(), o.weights()
        Tensor fast = mha.forward(q, k, v, null, null, false, false).output(); // no weights: the fused kernel

        // Lanes options: a Llama-style block (pre-norm, RMSNorm, SwiGLU, 2 key/value heads, no biases)
        var llama = new TransformerEncoderLayer(64, 4, new TransformerOptions().dimFeedforward(172).dropout(0f)
                .normFirst(true).bias(false).batchFirst(true).norm(TransformerOptions.Norm.RMS_NORM)
                .feedForward(TransformerOptions.FeedForward.SWIGLU).numKvHeads(2));
        var rope = new RotaryEmbedding(16);                                    // head size 16, torchtune's defaults
        Tensor qr = rope.forward(qHeads, cacheLength);                         // (B, H, T, 16), positions from cacheLength

        assertArrayEquals(new int[] {2, 10, 64}, y.shape());
        assertArrayEquals(new int[] {5, 2, 64}, o.output().shape());
        assertArrayEquals(new int[] {2, 5, 7}, o.weights().shape());
        assertClose(o.output(), fast, 1e-5f);
        assertArrayEquals(new int[] {2, 10, 64}, llama.forward(x, null, null, true).shape());
        assertArrayEquals(qHeads.shape(), qr.shape());
    }

    // ------------------------------------------------------------------------------------ positions

    /** RoPE rotates pairs, so q . k after RoPE depends only on the distance between their positions. */
    @Test
    void ropeIsRelative() {
        Generator g = new Generator(12);
        Tensor q = Tensor.randn(g, 1, 16), k = Tensor.randn(g, 1, 16);
        for (boolean half : new boolean[] {false, true}) {
            float d1 = F.rope(q, 3, 10000f, half).mul(F.rope(k, 1, 10000f, half)).sum().item();
            float d2 = F.rope(q, 40, 10000f, half).mul(F.rope(k, 38, 10000f, half)).sum().item();
            assertEquals(d1, d2, 1e-4f * (1 + Math.abs(d1)));
            // a rotation keeps the length
            assertEquals(q.mul(q).sum().item(), F.rope(q, 17, 10000f, half).pow(2f).sum().item(), 1e-4f);
        }
        // position 0 is the identity
        assertClose(q, F.rope(q, 0, 10000f, false), 0f);
    }

    /** Applying RoPE to the new tokens with an offset equals applying it to the whole sequence (a KV cache). */
    @Test
    void ropeOffsetMatchesFullSequence() {
        Tensor x = Tensor.randn(new Generator(13), 2, 2, 9, 8);
        RotaryEmbedding rope = new RotaryEmbedding(8, 32, 10000f, true);
        Tensor full = rope.forward(x);
        assertClose(full.slice(2, 6, 9), rope.forward(x.slice(2, 6, 9), 6), 0f);
        assertTrue(rope.stateDict().isEmpty());
        String m = assertThrows(IllegalArgumentException.class, () -> rope.forward(x, 30)).getMessage();
        assertTrue(m.contains("30 .. 38") && m.contains("32 positions") && m.contains("[2, 2, 9, 8]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> rope.forward(Tensor.zeros(2, 6))).getMessage();
        assertTrue(m.contains("[2, 6]") && m.contains("dim=8"), m);
        m = assertThrows(IllegalArgumentException.class, () -> F.rope(Tensor.zeros(3, 5), 0, 10000f, false)).getMessage();
        assertTrue(m.contains("[3, 5]"), m);
        m = assertThrows(IllegalArgumentException.class, () -> F.rope(Tensor.zeros(3, 4), Tensor.zeros(4, 3), Tensor.zeros(4, 3), 0,
                false)).getMessage();
        assertTrue(m.contains("[4, 3]") && m.contains("(positions, 2)"), m);
    }

    @Test
    void sinusoidalAndLearnedPositions() {
        SinusoidalPositionalEncoding pe = new SinusoidalPositionalEncoding(6, 20);
        Tensor table = pe.table();
        assertEquals(0f, table.get(0, 0));
        assertEquals(1f, table.get(0, 1));
        assertEquals((float) Math.sin(3.0), table.get(3, 0), 1e-6f);
        assertEquals((float) Math.cos(3.0 * Math.exp(-2 * Math.log(10000.0) / 6)), table.get(3, 3), 1e-6f);
        assertTrue(pe.stateDict().isEmpty());
        Tensor x = Tensor.randn(new Generator(14), 4, 2, 6);
        Tensor y = pe.forward(x, 5);
        assertClose(x.add(table.slice(0, 5, 9).unsqueeze(1)), y, 0f);
        SinusoidalPositionalEncoding bf = new SinusoidalPositionalEncoding(6, 20, 0f, true);
        assertClose(y.transpose(0, 1), bf.forward(x.transpose(0, 1), 5), 0f);
        String m = assertThrows(IllegalArgumentException.class, () -> pe.forward(x, 17)).getMessage();
        assertTrue(m.contains("17 .. 20") && m.contains("[4, 2, 6]"), m);
        assertThrows(IllegalArgumentException.class, () -> new SinusoidalPositionalEncoding(5, 10));

        LearnedPositionalEmbedding learned = new LearnedPositionalEmbedding(10, 6, true, new Generator(15));
        assertEquals(List.of("weight"), new ArrayList<>(learned.stateDict().keySet()));
        Tensor xb = Tensor.randn(new Generator(16), 2, 3, 6);
        Tensor out = learned.forward(xb, 4);
        assertClose(xb.add(learned.weight().slice(0, 4, 7)), out, 0f);
        out.sum().backward();
        Tensor grad = learned.weight().grad();
        for (int p = 0; p < 10; p++) {
            assertEquals(p >= 4 && p < 7 ? 2f : 0f, grad.get(p, 0), "position " + p);
        }
        m = assertThrows(IllegalArgumentException.class, () -> learned.forward(Tensor.zeros(2, 3, 5))).getMessage();
        assertTrue(m.contains("[2, 3, 5]"), m);
    }
}
