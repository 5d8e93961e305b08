package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Sequential;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Files written by PyTorch's {@code safetensors.torch.save_file} (see
 * {@code scripts/fixtures/gen_safetensors_fixtures.py}) load into the same Lanes models, which then reproduce
 * PyTorch's outputs; every dtype Lanes reads converts to PyTorch's {@code tensor.float()} bit for bit.
 */
class SafetensorsTorchFixturesTest {
    private static final Fixtures MODELS = Fixtures.load("safetensors/torch_models.txt");

    /** The fixture's state-dict keys for a model, in PyTorch's order. */
    private static List<String> torchKeys(String model) {
        List<String> keys = new ArrayList<>();
        String prefix = model + ".sd.";
        for (String name : MODELS.entries().keySet()) {
            if (name.startsWith(prefix)) {
                keys.add(name.substring(prefix.length()));
            }
        }
        return keys;
    }

    @Test
    void mlpFromPyTorchReproducesItsOutput() throws IOException {
        Sequential m = StFiles.mlp(new Generator(1));
        assertEquals(torchKeys("mlp"), new ArrayList<>(m.stateDict().keySet()), "Lanes' state-dict keys and order are PyTorch's");
        Safetensors.IncompatibleKeys r = Safetensors.loadModel(StFiles.resource("torch_mlp.safetensors"), m, true);
        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty(), r.toString());
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            StFiles.assertSameFloats(MODELS.get("mlp.sd." + e.getKey()).values(), e.getValue().toArray(), e.getKey());
        }
        m.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            StFiles.assertClose(MODELS.get("mlp.y"), m.forward(StFiles.tensor(MODELS, "mlp.x")), "mlp.y");
        }
        assertEquals(Map.of("format", "pt"), Safetensors.load(StFiles.resource("torch_mlp.safetensors")).metadata());
    }

    @Test
    void cnnWithBatchNormFromPyTorchReproducesEvalAndTrainingOutputs() throws IOException {
        Sequential m = StFiles.cnn(new Generator(2));
        assertEquals(torchKeys("cnn"), new ArrayList<>(m.stateDict().keySet()), "Lanes' state-dict keys and order are PyTorch's");

        SafetensorsFile file = Safetensors.load(StFiles.resource("torch_cnn.safetensors"));
        assertEquals(Dtype.I64, file.dtype("1.num_batches_tracked"));
        assertArrayEquals(new int[0], file.shape("1.num_batches_tracked"));
        assertArrayEquals(new long[] {3}, file.longs("1.num_batches_tracked"));
        assertTrue(file.metadata().isEmpty());

        Safetensors.loadModel(StFiles.resource("torch_cnn.safetensors"), m, true);
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            StFiles.assertSameFloats(MODELS.get("cnn.sd." + e.getKey()).values(), e.getValue().toArray(), e.getKey());
        }
        Tensor x = StFiles.tensor(MODELS, "cnn.x");
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            m.eval();
            StFiles.assertClose(MODELS.get("cnn.y"), m.forward(x), "cnn.y");
            m.train();
            StFiles.assertClose(MODELS.get("cnn.y_train"), m.forward(x), "cnn.y_train");
        }
        // The loaded counter went on counting, and the running statistics moved as PyTorch's did.
        BatchNorm bn = (BatchNorm) m.get(1);
        Map<String, Tensor> buffers = bn.namedBuffers();
        assertEquals(MODELS.scalar("cnn.train.num_batches_tracked"), buffers.get("num_batches_tracked").item());
        StFiles.assertClose(MODELS.get("cnn.train.running_mean"), bn.runningMean(), "running_mean");
        StFiles.assertClose(MODELS.get("cnn.train.running_var"), bn.runningVar(), "running_var");
    }

    @Test
    void halfAndBfloat16WeightsWidenExactly() throws IOException {
        for (String kind : new String[] {"f16", "bf16"}) {
            SafetensorsFile file = Safetensors.load(StFiles.resource("torch_mlp_" + kind + ".safetensors"));
            for (String name : file.names()) {
                assertEquals(kind.equals("f16") ? Dtype.F16 : Dtype.BF16, file.dtype(name), name);
            }
            Sequential m = StFiles.mlp(new Generator(3));
            Safetensors.loadModel(file.path(), m, true);
            m.eval();
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                StFiles.assertClose(MODELS.get("mlp_" + kind + ".y"), m.forward(StFiles.tensor(MODELS, "mlp.x")), kind);
            }
        }
    }

    @Test
    void everyDtypeConvertsAsTensorFloatDoes() throws IOException {
        Fixtures expected = Fixtures.load("safetensors/torch_dtypes.txt");
        SafetensorsFile file = Safetensors.load(StFiles.resource("torch_dtypes.safetensors"));
        Map<String, Dtype> dtypes = Map.ofEntries(Map.entry("f16", Dtype.F16), Map.entry("bf16", Dtype.BF16),
                Map.entry("f32", Dtype.F32), Map.entry("f64", Dtype.F64), Map.entry("i64", Dtype.I64),
                Map.entry("i32", Dtype.I32), Map.entry("u8", Dtype.U8), Map.entry("bool", Dtype.BOOL),
                Map.entry("scalar", Dtype.F16), Map.entry("empty", Dtype.BF16), Map.entry("i64_big", Dtype.I64));
        assertEquals(dtypes.keySet(), file.names());
        for (Map.Entry<String, Dtype> d : dtypes.entrySet()) {
            String name = d.getKey();
            assertEquals(d.getValue(), file.dtype(name), name);
            assertArrayEquals(expected.get(name).shape(), file.shape(name), name);
            if (!name.equals("i64_big")) {
                Tensor t = file.tensor(name);
                assertArrayEquals(expected.get(name).shape(), t.shape(), name);
                StFiles.assertSameFloats(expected.get(name).values(), t.toArray(), name);
            }
        }
        assertArrayEquals(new long[] {-(1L << 24), 1L << 24, 0, -1, 7, 123456}, file.longs("i64"));
        assertArrayEquals(new long[] {-(1L << 24), 1L << 24, -5, 0}, file.longs("i32"));
        assertArrayEquals(new long[] {0, 1, 127, 128, 255}, file.longs("u8"));
        assertArrayEquals(new long[] {1, 0, 0, 1}, file.longs("bool"));
        IllegalArgumentException notInt = assertThrows(IllegalArgumentException.class, () -> file.longs("f32"));
        assertTrue(notInt.getMessage().contains("'f32'") && notInt.getMessage().contains("F32"), notInt.getMessage());

        // Integers beyond 2^24 stay available exactly, but not as (inexact) floats.
        double[] big = expected.get("i64_big").values();
        assertArrayEquals(new long[] {(long) big[0], (long) big[1], (long) big[2]}, file.longs("i64_big"));
        IllegalStateException inexact = assertThrows(IllegalStateException.class, () -> file.tensor("i64_big"));
        assertTrue(inexact.getMessage().contains("16777217") && inexact.getMessage().contains("index 0")
                && inexact.getMessage().contains("longs(\"i64_big\")"), inexact.getMessage());
        assertThrows(IllegalStateException.class, file::tensors);
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> file.tensor("nope"));
        assertTrue(unknown.getMessage().contains("'nope'"), unknown.getMessage());
    }
}
