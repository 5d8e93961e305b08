package dev.lanes.nn;

import static dev.lanes.nn.TorchOpsFixturesTest.ATOL;
import static dev.lanes.nn.TorchOpsFixturesTest.RTOL;
import static dev.lanes.nn.TorchOpsFixturesTest.assertClose;
import static dev.lanes.nn.TorchOpsFixturesTest.leaf;
import static dev.lanes.nn.TorchOpsFixturesTest.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Dropout;
import dev.lanes.nn.layers.Embedding;
import dev.lanes.nn.layers.LayerNorm;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.RMSNorm;
import dev.lanes.nn.layers.Sequential;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The nn layers against PyTorch (CPU, float32), from {@code fixtures/nn/layers.txt}: PyTorch's parameters are
 * loaded with {@code loadStateDict(map, strict = true)} (so the state-dict names must be PyTorch's), then the
 * forward, the input gradient and every parameter gradient for a random upstream gradient are compared.
 * Comparison rule and helpers: {@link TorchOpsFixturesTest}.
 */
class TorchLayersFixturesTest {
    private static final Fixtures LAYERS = TorchOpsFixturesTest.load("layers.txt");

    @AfterAll
    static void printErrors() {
        TorchOpsFixturesTest.printWorst("layer ");
    }

    /** PyTorch's state dict of case {@code name}, in its order. */
    static Map<String, Tensor> stateDict(Fixtures f, String name) {
        String prefix = name + ".sd.";
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String key : f.entries().keySet()) {
            if (key.startsWith(prefix)) {
                sd.put(key.substring(prefix.length()), tensor(f, key));
            }
        }
        return sd;
    }

    /** Loads PyTorch's state dict strictly, and checks the key order too. */
    static void loadTorchState(Module m, Fixtures f, String name) {
        Map<String, Tensor> sd = stateDict(f, name);
        assertEquals(new ArrayList<>(sd.keySet()), new ArrayList<>(m.stateDict().keySet()), name + ": state dict keys");
        m.loadStateDict(sd, true);
    }

    /**
     * Compares each parameter's gradient with {@code prefix.grad.<name>}; PyTorch's parameter names (in order)
     * must be Lanes'. Where {@code prefix.gradrows.<name>} exists, only those rows are stored and compared.
     */
    static void checkParameterGrads(String family, Module m, Fixtures f, String prefix, double rtol, double atol) {
        String gp = prefix + ".grad.";
        List<String> torchNames = new ArrayList<>();
        for (String key : f.entries().keySet()) {
            if (key.startsWith(gp)) {
                torchNames.add(key.substring(gp.length()));
            }
        }
        assertEquals(torchNames, new ArrayList<>(m.namedParameters().keySet()), prefix + ": parameter names");
        for (String p : torchNames) {
            Tensor grad = m.namedParameters().get(p).grad();
            assertNotNull(grad, prefix + ": no gradient for " + p);
            Fixtures.Entry expected = f.get(gp + p);
            if (f.has(prefix + ".gradrows." + p)) {
                int[] rows = f.ints(prefix + ".gradrows." + p);
                int cols = grad.size(1);
                float[] all = grad.toArray(), picked = new float[rows.length * cols];
                for (int r = 0; r < rows.length; r++) {
                    System.arraycopy(all, rows[r] * cols, picked, r * cols, cols);
                }
                assertClose(family + " (grad)", prefix + " grad " + p + " rows", expected.floats(), picked, rtol, atol);
            } else {
                assertClose(family + " (grad)", prefix + " grad " + p, expected, grad, rtol, atol);
            }
        }
    }

    /** Loads the state, runs the forward on {@code name.x}, compares y, dx (when x is float) and the parameter grads. */
    static void checkModule(String family, Module m, String name, boolean indexInput, double rtol, double atol) {
        loadTorchState(m, LAYERS, name);
        Tensor x = indexInput ? tensor(LAYERS, name + ".x") : leaf(LAYERS, name + ".x");
        Tensor y = m.forward(x);
        assertClose(family, name + " forward", LAYERS.get(name + ".y"), y, rtol, atol);
        y.backward(tensor(LAYERS, name + ".dy"));
        if (!indexInput) {
            assertClose(family + " (grad)", name + " dx", LAYERS.get(name + ".dx"), x.grad(), rtol, atol);
        }
        checkParameterGrads(family, m, LAYERS, name, rtol, atol);
    }

    /** Linear with and without bias on 2-D and 3-D inputs: sums of 5 products (and of 4 or 8 for the grads). */
    @Test
    void linear() {
        checkModule("layer linear", new Linear(5, 3), "linear_2d", false, RTOL, ATOL);
        checkModule("layer linear", new Linear(5, 3), "linear_3d", false, RTOL, ATOL);
        checkModule("layer linear", new Linear(5, 3, false), "linear_nobias_2d", false, RTOL, ATOL);
        checkModule("layer linear", new Linear(5, 3, false), "linear_nobias_3d", false, RTOL, ATOL);
    }

    /** Linear with a fused activation against PyTorch's Linear followed by the activation (pre-activations keep 1e-4 from 0). */
    @Test
    void linearWithFusedActivation() {
        Map<String, Activation> acts = Map.of("relu", Activation.RELU, "sigmoid", Activation.SIGMOID, "tanh", Activation.TANH,
                "gelu", Activation.GELU, "silu", Activation.SILU);
        for (Map.Entry<String, Activation> e : acts.entrySet()) {
            checkModule("layer linear fused " + e.getKey(), new Linear(6, 4, true, e.getValue()), "fused_" + e.getKey(),
                    false, RTOL, ATOL);
        }
    }

    /**
     * {@code Sequential(Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10))} at batch 2, with
     * PyTorch's state-dict keys {@code 0.weight}, {@code 0.bias}, {@code 2.weight}, ... and hashed parameters
     * (see the generator). Tolerance 2e-5 relative + 1e-5 absolute: outputs are dot products of 784, 512 and
     * 256 terms (weight gradients: sums over the batch of 2), accumulated in a different order and with fused
     * multiply-adds; the rounding error of such a sum is up to about n * 2^-24 * sum |terms| (~1e-5 here),
     * typically far less.
     */
    @Test
    void mlp() {
        Module mlp = new Sequential(new Linear(784, 512), new Activations.ReLU(), new Linear(512, 256),
                new Activations.ReLU(), new Linear(256, 10));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        String prefix = "mlp.gen.";
        for (String key : LAYERS.entries().keySet()) {
            if (key.startsWith(prefix)) {
                int[] spec = LAYERS.ints(key);
                int[] shape = java.util.Arrays.copyOfRange(spec, 2, spec.length);
                sd.put(key.substring(prefix.length()), Tensor.of(hashed(spec[0], spec[1], Shapes.numel(shape)), shape));
            }
        }
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), new ArrayList<>(sd.keySet()));
        mlp.loadStateDict(sd, true);
        assertEquals(784L * 512 + 512 + 512L * 256 + 256 + 256L * 10 + 10, mlp.parameterCount());
        Tensor x = leaf(LAYERS, "mlp.x");
        Tensor y = mlp.forward(x);
        assertClose("layer mlp", "mlp forward", LAYERS.get("mlp.y"), y, 2e-5, 1e-5);
        y.backward(tensor(LAYERS, "mlp.dy"));
        assertClose("layer mlp (grad)", "mlp dx", LAYERS.get("mlp.dx"), x.grad(), 2e-5, 1e-5);
        checkParameterGrads("layer mlp", mlp, LAYERS, "mlp", 2e-5, 1e-5);
    }

    /** The generator's hashed_param: exact floats in [-1, 1) * 2^scaleExp from an integer hash of the index. */
    static float[] hashed(long seed, int scaleExp, int n) {
        long mask = 0xFFFFFFFFL;
        float[] v = new float[n];
        double scale = Math.scalb(1.0, -15 + scaleExp);
        for (int i = 0; i < n; i++) {
            long h = ((i + 1L) * 0x9E3779B1L + seed * 0x85EBCA77L) & mask;
            h ^= h >>> 15;
            h = (h * 0x2C1B3C6DL) & mask;
            h ^= h >>> 12;
            v[i] = (float) (((h >>> 16) - 32768) * scale);
        }
        return v;
    }

    /** LayerNorm over the last dimension (affine, plain) and over the last two; rows of 4 or 12 values. */
    @Test
    void layerNorm() {
        checkModule("layer layernorm", new LayerNorm(4), "layernorm_affine", false, RTOL, ATOL);
        checkModule("layer layernorm", new LayerNorm(new int[] {4}, 1e-5f, false, true), "layernorm_plain", false, RTOL, ATOL);
        checkModule("layer layernorm", new LayerNorm(3, 4), "layernorm_2d", false, RTOL, ATOL);
    }

    /**
     * RMSNorm with PyTorch's default eps ({@code finfo(float32).eps}) and eps = 1e-6; each input has a row of
     * values around 1e-3, where eps is a sizeable part of mean(x^2), so a wrong eps shows.
     */
    @Test
    void rmsNorm() {
        assertEquals(LAYERS.scalar("rmsnorm_default.eps"), F.FLOAT_EPS);
        checkModule("layer rmsnorm", new RMSNorm(4), "rmsnorm_default", false, RTOL, ATOL);
        checkModule("layer rmsnorm", new RMSNorm(new int[] {4}, LAYERS.scalar("rmsnorm_eps6.eps"), true), "rmsnorm_eps6",
                false, RTOL, ATOL);
        checkModule("layer rmsnorm", new RMSNorm(new int[] {4}, F.FLOAT_EPS, false), "rmsnorm_plain", false, RTOL, ATOL);
    }

    /**
     * BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W): two training steps (forward, gradients,
     * running_mean / running_var / num_batches_tracked after each), then eval with gradients (the affine
     * path) and eval without (the inference kernel). Statistics over 4 to 32 values per channel.
     */
    @Test
    void batchNorm() {
        checkBatchNorm("bn1d_nc", BatchNorm.batchNorm1d(3));
        checkBatchNorm("bn1d_ncl", BatchNorm.batchNorm1d(3));
        checkBatchNorm("bn2d", BatchNorm.batchNorm2d(3));
    }

    private static void checkBatchNorm(String name, BatchNorm bn) {
        String family = "layer batchnorm";
        loadTorchState(bn, LAYERS, name);
        bn.train();
        for (int step = 1; step <= 2; step++) {
            String s = name + ".s" + step;
            bn.zeroGrad();
            Tensor x = leaf(LAYERS, s + ".x");
            Tensor y = bn.forward(x);
            assertClose(family, s + " forward", LAYERS.get(s + ".y"), y, RTOL, ATOL);
            y.backward(tensor(LAYERS, s + ".dy"));
            assertClose(family + " (grad)", s + " dx", LAYERS.get(s + ".dx"), x.grad(), RTOL, ATOL);
            checkParameterGrads(family, bn, LAYERS, s, RTOL, ATOL);
            for (Map.Entry<String, Tensor> buffer : bn.namedBuffers().entrySet()) {
                assertClose(family + " buffers", s + " " + buffer.getKey(), LAYERS.get(s + "." + buffer.getKey()),
                        buffer.getValue(), RTOL, ATOL);
            }
        }
        assertEquals(2f, bn.namedBuffers().get("num_batches_tracked").item());
        float[] meanAfterTraining = bn.runningMean().toArray(), varAfterTraining = bn.runningVar().toArray();
        bn.eval();
        bn.zeroGrad();
        String s = name + ".eval";
        Tensor x = leaf(LAYERS, s + ".x");
        Tensor y = bn.forward(x);
        assertClose(family + " eval", s + " forward", LAYERS.get(s + ".y"), y, RTOL, ATOL);
        y.backward(tensor(LAYERS, s + ".dy"));
        assertClose(family + " eval (grad)", s + " dx", LAYERS.get(s + ".dx"), x.grad(), RTOL, ATOL);
        checkParameterGrads(family + " eval", bn, LAYERS, s, RTOL, ATOL);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor inference = bn.forward(tensor(LAYERS, s + ".x"));
            assertClose(family + " eval", s + " forward (no grad)", LAYERS.get(s + ".y"), inference, RTOL, ATOL);
        }
        assertEquals(2f, bn.namedBuffers().get("num_batches_tracked").item(), "eval must not count batches");
        assertArrayEquals(meanAfterTraining, bn.runningMean().toArray(), "eval must not update running_mean");
        assertArrayEquals(varAfterTraining, bn.runningVar().toArray(), "eval must not update running_var");
    }

    /** Embedding with repeated indices: the rows are copies (exact); the weight gradient sums repeated rows. */
    @Test
    void embedding() {
        checkModule("layer embedding", new Embedding(10, 4), "embedding", true, RTOL, ATOL);
    }

    /** Dropout in eval mode is the identity, forward and backward, bit for bit; in training it is not. */
    @Test
    void dropoutInEvalIsTheIdentity() {
        Dropout dropout = new Dropout(0.5f, new Generator(3));
        Tensor x = Tensor.randn(new Generator(4), 4, 6).requiresGrad(true);
        Tensor dy = Tensor.randn(new Generator(5), 4, 6);
        dropout.eval();
        assertFalse(dropout.isTraining());
        Tensor y = dropout.forward(x);
        assertArrayEquals(x.toArray(), y.toArray());
        y.backward(dy);
        assertArrayEquals(dy.toArray(), x.grad().toArray());
        Module net = new Sequential(new Linear(6, 6), new Dropout(0.9f)).eval();
        Tensor in = Tensor.randn(new Generator(6), 4, 6);
        assertArrayEquals(net.forward(in).toArray(), ((Sequential) net).get(0).forward(in).toArray());
        dropout.train();
        float[] trained = dropout.forward(x).toArray();
        int zeros = 0;
        for (float v : trained) {
            zeros += v == 0 ? 1 : 0;
        }
        assertFalse(zeros == 0 || zeros == trained.length, "training-mode dropout zeroes some but not all of 24 values");
        assertSame(x, F.dropout(x, 0.5f, false, new Generator(1)), "F.dropout outside training returns its input");
    }
}
