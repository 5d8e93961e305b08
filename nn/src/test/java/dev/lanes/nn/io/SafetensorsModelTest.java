package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Sequential;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Safetensors#loadModel} checks everything before it changes a weight; what it reports. */
class SafetensorsModelTest {
    @TempDir
    Path dir;

    private int files;

    private static Map<String, float[]> snapshot(Sequential m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static void assertUnchanged(Map<String, float[]> before, Sequential m) {
        Map<String, float[]> after = snapshot(m);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " changed"));
    }

    /** The CNN's state dict from another seed, as a writer, so tests can drop, add or reshape entries. */
    private static Map<String, Tensor> donor() {
        return new LinkedHashMap<>(StFiles.cnn(new Generator(5)).stateDict());
    }

    private Path save(Map<String, Tensor> tensors) throws IOException {
        Path p = dir.resolve("m" + (files++) + ".safetensors");
        Safetensors.save(p, tensors);
        return p;
    }

    @Test
    void strictLoadListsMissingUnexpectedAndMismatchedKeysAndChangesNothing() throws IOException {
        Map<String, Tensor> sd = donor();
        sd.remove("1.running_var");
        sd.remove("5.bias");
        sd.put("extra.weight", Tensor.zeros(2, 7));
        sd.put("0.weight", Tensor.zeros(4, 2, 3, 2));
        Path p = save(sd);
        Sequential m = StFiles.cnn(new Generator(6));
        Map<String, float[]> before = snapshot(m);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.loadModel(p, m, true));
        SafetensorsWriterTest.assertMessage(e, p.toString(), "missing keys [1.running_var [4], 5.bias [5]]",
                "unexpected keys [extra.weight [2, 7]]", "shape mismatches [0.weight: file [4, 2, 3, 2], module [4, 2, 3, 3]]",
                "nothing was loaded");
        assertUnchanged(before, m);
    }

    @Test
    void nonStrictLoadSkipsMissingAndUnexpectedButNotMismatchedShapes() throws IOException {
        Map<String, Tensor> sd = donor();
        Tensor donorWeight = sd.get("5.weight");
        sd.remove("1.running_var");
        sd.put("extra", Tensor.zeros(3));
        Path p = save(sd);
        Sequential m = StFiles.cnn(new Generator(7));
        float[] runningVar = m.stateDict().get("1.running_var").toArray();
        Safetensors.IncompatibleKeys r = Safetensors.loadModel(p, m, false);
        assertEquals(List.of("1.running_var"), r.missingKeys());
        assertEquals(List.of("extra"), r.unexpectedKeys());
        assertArrayEquals(donorWeight.toArray(), m.stateDict().get("5.weight").toArray());
        assertArrayEquals(runningVar, m.stateDict().get("1.running_var").toArray(), "missing keys keep their values");

        sd.put("5.weight", Tensor.zeros(36, 5));
        Path bad = save(sd);
        Sequential m2 = StFiles.cnn(new Generator(8));
        Map<String, float[]> before = snapshot(m2);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.loadModel(bad, m2, false));
        SafetensorsWriterTest.assertMessage(e, "5.weight: file [36, 5], module [5, 36]", "missing keys [1.running_var [4]]");
        assertUnchanged(before, m2);
    }

    @Test
    void aCorruptFileLeavesTheModelUnchanged() throws IOException {
        Sequential source = StFiles.cnn(new Generator(9));
        Path good = dir.resolve("good.safetensors");
        Safetensors.saveModel(good, source);
        byte[] bytes = Files.readAllBytes(good);

        Sequential m = StFiles.cnn(new Generator(10));
        Map<String, float[]> before = snapshot(m);
        Path truncated = StFiles.write(dir, "truncated.safetensors", Arrays.copyOf(bytes, bytes.length - 3));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.loadModel(truncated, m, true));
        SafetensorsWriterTest.assertMessage(e, "reach past the data region");
        assertUnchanged(before, m);

        byte[] broken = bytes.clone();
        broken[8] = 'x'; // the header's opening brace
        Path notJson = StFiles.write(dir, "notjson.safetensors", broken);
        e = assertThrows(SafetensorsException.class, () -> Safetensors.loadModel(notJson, m, true));
        SafetensorsWriterTest.assertMessage(e, "not valid JSON");
        assertUnchanged(before, m);
    }

    @Test
    void anIntegerBeyondFloatRangeIsRefusedBeforeAnythingIsCopied() throws IOException {
        Map<String, Tensor> sd = donor();
        SafetensorsWriter w = new SafetensorsWriter();
        sd.forEach((k, v) -> {
            if (!k.equals("1.num_batches_tracked")) {
                w.putF32(k, v);
            }
        });
        w.putI64("1.num_batches_tracked", new long[] {(1L << 24) + 1});
        Path p = dir.resolve("bigcount.safetensors");
        w.write(p);
        Sequential m = StFiles.cnn(new Generator(11));
        Map<String, float[]> before = snapshot(m);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.loadModel(p, m, true));
        SafetensorsWriterTest.assertMessage(e, "1.num_batches_tracked", "16777217", "nothing was loaded");
        assertUnchanged(before, m);
    }

    @Test
    void saveModelRefusesAFractionalBatchCounter() {
        Sequential m = StFiles.cnn(new Generator(12));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            m.stateDict().get("1.num_batches_tracked").fill_(2.5f);
        }
        Path p = dir.resolve("frac.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.saveModel(p, m));
        SafetensorsWriterTest.assertMessage(e, "1.num_batches_tracked = 2.5");
        assertFalse(Files.exists(p));
    }

    @Test
    void modelsWithoutBatchNormAreAllF32() throws IOException {
        Sequential m = StFiles.mlp(new Generator(13));
        Path p = dir.resolve("mlp.safetensors");
        Safetensors.saveModel(p, m);
        SafetensorsFile f = Safetensors.load(p);
        assertEquals(m.stateDict().keySet(), f.names());
        f.names().forEach(n -> assertEquals(Dtype.F32, f.dtype(n), n));
    }
}
