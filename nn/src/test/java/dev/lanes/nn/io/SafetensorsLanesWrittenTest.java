package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lanes to PyTorch. This test builds two seeded Lanes models, saves them with {@link Safetensors#saveModel}
 * and records inputs and Lanes' outputs; the committed copies ({@code lanes_mlp.safetensors},
 * {@code lanes_cnn.safetensors}, {@code lanes_outputs.txt}) are what
 * {@code scripts/fixtures/gen_safetensors_fixtures.py --check} loads into PyTorch with
 * {@code load_file} + {@code load_state_dict(strict=True)}, asserting PyTorch reproduces the outputs. Here the
 * build checks that the committed files are still exactly what the writer produces, so the Python check
 * stays meaningful. After a deliberate change, regenerate them with
 * {@code mvn -o -q -pl nn test -Dtest=SafetensorsLanesWrittenTest -Dlanes.regenerateFixtures=true} (run from
 * the repository root) and rerun the Python check.
 */
class SafetensorsLanesWrittenTest {
    private static final boolean REGENERATE = Boolean.getBoolean("lanes.regenerateFixtures");
    /** Surefire runs in the module directory. */
    private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "fixtures", "safetensors");

    @TempDir
    Path dir;

    private static Sequential lanesMlp() {
        return StFiles.mlp(new Generator(11));
    }

    /** The CNN with BatchNorm state set from a generator (not trained, so the bytes do not depend on kernels). */
    private static Sequential lanesCnn() {
        Sequential m = StFiles.cnn(new Generator(12));
        Generator g = new Generator(13);
        BatchNorm bn = (BatchNorm) m.get(1);
        Map<String, Tensor> sd = bn.stateDict();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            sd.get("weight").copy_(Tensor.randn(g, 4).mul(0.1f).add(1f));
            sd.get("bias").copy_(Tensor.randn(g, 4).mul(0.1f));
            sd.get("running_mean").copy_(Tensor.randn(g, 4).mul(0.3f));
            sd.get("running_var").copy_(Tensor.rand(g, 4).add(0.5f));
            sd.get("num_batches_tracked").fill_(7);
        }
        return m;
    }

    private static Tensor evalOutput(Module m, Tensor x) {
        m.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return m.forward(x);
        }
    }

    private static Tensor mlpInput() {
        return Tensor.randn(new Generator(14), 5, 4);
    }

    private static Tensor cnnInput() {
        return Tensor.randn(new Generator(15), 2, 2, 6, 6);
    }

    @Test
    void committedLanesFilesAreWhatTheWriterProduces() throws IOException {
        Path mlpFile = dir.resolve("lanes_mlp.safetensors"), cnnFile = dir.resolve("lanes_cnn.safetensors");
        Sequential mlp = lanesMlp(), cnn = lanesCnn();
        Safetensors.saveModel(mlpFile, mlp);
        Safetensors.saveModel(cnnFile, cnn);
        Tensor mlpY = evalOutput(mlp, mlpInput()), cnnY = evalOutput(cnn, cnnInput());
        if (REGENERATE) {
            Path outputs = dir.resolve("lanes_outputs.txt");
            writeOutputs(outputs, mlpY, cnnY);
            for (Path p : new Path[] {mlpFile, cnnFile, outputs}) {
                Files.copy(p, SOURCE_DIR.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        assertArrayEquals(Files.readAllBytes(StFiles.resource("lanes_mlp.safetensors")), Files.readAllBytes(mlpFile),
                "lanes_mlp.safetensors is stale: regenerate it (see the class comment)");
        assertArrayEquals(Files.readAllBytes(StFiles.resource("lanes_cnn.safetensors")), Files.readAllBytes(cnnFile),
                "lanes_cnn.safetensors is stale: regenerate it (see the class comment)");
        // Outputs may differ in the last bits between CPUs (vector widths), so with a tolerance.
        Fixtures recorded = Fixtures.load("safetensors/lanes_outputs.txt");
        assertArrayEquals(mlpInput().toArray(), recorded.floats("mlp.x"));
        assertArrayEquals(cnnInput().toArray(), recorded.floats("cnn.x"));
        StFiles.assertClose(recorded.get("mlp.y"), mlpY, "mlp.y");
        StFiles.assertClose(recorded.get("cnn.y"), cnnY, "cnn.y");
        assertEquals(7, recorded.ints("cnn.num_batches_tracked")[0]);
    }

    @Test
    void savedModelHasPyTorchsDtypesAndLoadsBackExactly() throws IOException {
        Path p = dir.resolve("cnn.safetensors");
        Sequential cnn = lanesCnn();
        Safetensors.saveModel(p, cnn, Map.of("format", "pt"));
        SafetensorsFile file = Safetensors.load(p);
        assertEquals(Map.of("format", "pt"), file.metadata());
        assertEquals(cnn.stateDict().keySet(), file.names());
        for (String name : file.names()) {
            assertEquals(name.equals("1.num_batches_tracked") ? Dtype.I64 : Dtype.F32, file.dtype(name), name);
        }
        assertArrayEquals(new long[] {7}, file.longs("1.num_batches_tracked"));
        assertArrayEquals(new int[0], file.shape("1.num_batches_tracked"));

        Sequential fresh = StFiles.cnn(new Generator(99));
        Safetensors.loadModel(p, fresh, true);
        for (Map.Entry<String, Tensor> e : cnn.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toArray(), fresh.stateDict().get(e.getKey()).toArray(), e.getKey());
        }
        assertArrayEquals(evalOutput(cnn, cnnInput()).toArray(), evalOutput(fresh, cnnInput()).toArray());
    }

    /** The text fixture format of scripts/fixtures/lanes_fixture.py (read there by read_fixture). */
    private static void writeOutputs(Path path, Tensor mlpY, Tensor cnnY) throws IOException {
        StringBuilder sb = new StringBuilder("# Inputs and Lanes' eval-mode outputs for lanes_mlp.safetensors and lanes_cnn.safetensors.\n"
                + "# Written by SafetensorsLanesWrittenTest (-Dlanes.regenerateFixtures=true); checked against PyTorch by\n"
                + "# scripts/fixtures/gen_safetensors_fixtures.py --check. Do not edit by hand.\n");
        tensor(sb, "mlp.x", mlpInput());
        tensor(sb, "mlp.y", mlpY);
        tensor(sb, "cnn.x", cnnInput());
        tensor(sb, "cnn.y", cnnY);
        sb.append("ints cnn.num_batches_tracked scalar\n7\n");
        Files.writeString(path, sb.toString(), StandardCharsets.UTF_8);
    }

    private static void tensor(StringBuilder sb, String name, Tensor t) {
        StringJoiner shape = new StringJoiner("x");
        for (int d : t.shape()) {
            shape.add(Integer.toString(d));
        }
        sb.append("tensor ").append(name).append(' ').append(t.dim() == 0 ? "scalar" : shape.toString()).append('\n');
        StringJoiner values = new StringJoiner(" ");
        for (float v : t.toArray()) {
            values.add(Double.toString(v)); // exact: every float is a double, and Python's float() reads this
        }
        sb.append(values).append('\n');
    }
}
