package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.MaxPool2d;
import dev.lanes.nn.layers.Sequential;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared pieces of the safetensors tests: fixture paths, raw file building, the two test models. */
final class StFiles {
    /** Tolerance for outputs computed by PyTorch and Lanes in float32 with different summation orders. */
    static final double RTOL = 1e-5, ATOL = 1e-6;

    private StFiles() {
    }

    /** A committed fixture under {@code fixtures/safetensors/} on the test class path, as a file. */
    static Path resource(String name) {
        URL url = StFiles.class.getResource("/fixtures/safetensors/" + name);
        if (url == null) {
            throw new IllegalStateException("missing fixture " + name + "; see scripts/fixtures/gen_safetensors_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file: the 8-byte little-endian length of {@code header}'s UTF-8 bytes, the header, then {@code data}. */
    static byte[] raw(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, data);
    }

    /** A file with an arbitrary length field. */
    static byte[] raw(long lengthField, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthField).put(header).put(data);
        return b.array();
    }

    static Path write(Path dir, String name, byte[] contents) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, contents);
        return p;
    }

    /** The fixtures' MLP: {@code Sequential(Linear(4, 8), ReLU(), Linear(8, 3))}. */
    static Sequential mlp(Generator g) {
        return new Sequential(new Linear(4, 8, true, null, g), new Activations.ReLU(), new Linear(8, 3, true, null, g));
    }

    /**
     * The fixtures' CNN: {@code Sequential(Conv2d(2, 4, 3, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2),
     * Flatten(), Linear(36, 5))}.
     */
    static Sequential cnn(Generator g) {
        return new Sequential(
                new Conv2d(2, 4, new int[] {3}, new int[] {1}, new int[] {1}, new int[] {1}, 1, true, g),
                BatchNorm.batchNorm2d(4), new Activations.ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(36, 5, true, null, g));
    }

    static Tensor tensor(Fixtures f, String name) {
        Fixtures.Entry e = f.get(name);
        return Tensor.of(e.floats(), e.shape());
    }

    /** {@code |actual - expected| <= RTOL |expected| + ATOL max(1, max |expected|)} per element. */
    static void assertClose(Fixtures.Entry expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.values();
        float[] a = actual.toArray();
        double scale = 1;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs(e[i] - a[i]);
            if (!(err <= RTOL * Math.abs(e[i]) + ATOL * scale)) {
                throw new AssertionError(what + " at " + i + ": expected " + e[i] + ", got " + a[i] + " (error " + err + ")");
            }
        }
    }

    /** Exact equality of every float, NaN equal to NaN and -0 distinct from 0. */
    static void assertSameFloats(double[] expected, float[] actual, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits((float) expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": expected " + (float) expected[i] + ", got " + actual[i]);
            }
        }
    }
}
