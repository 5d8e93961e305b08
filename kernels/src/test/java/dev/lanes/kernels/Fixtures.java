package dev.lanes.kernels;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the reference tensors written by {@code scripts/fixtures/lanes_fixture.py} (generated with PyTorch
 * and committed under {@code src/test/resources/fixtures}), so tests need no Python.
 */
public final class Fixtures {
    /** One named tensor: its shape and its values (integer tensors are stored exactly as doubles). */
    public record Entry(int[] shape, double[] values) {
        public float[] floats() {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            return f;
        }

        public int[] ints() {
            return Arrays.stream(values).mapToInt(v -> (int) v).toArray();
        }

        public float scalar() {
            if (values.length != 1) {
                throw new IllegalStateException("not a scalar: shape " + Arrays.toString(shape));
            }
            return (float) values[0];
        }
    }

    private final String resource;
    private final Map<String, Entry> entries;

    private Fixtures(String resource, Map<String, Entry> entries) {
        this.resource = resource;
        this.entries = entries;
    }

    /** Loads {@code /fixtures/<name>} from the test class path. */
    public static Fixtures load(String name) {
        String resource = "/fixtures/" + name;
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + resource + "; regenerate it with scripts/fixtures/");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] head = line.trim().split(" ");
                if (head.length != 3 || !(head[0].equals("tensor") || head[0].equals("ints"))) {
                    throw new IllegalStateException(resource + ": bad header line: " + line);
                }
                int[] shape = head[2].equals("scalar") ? new int[0]
                        : Arrays.stream(head[2].split("x")).mapToInt(Integer::parseInt).toArray();
                String data = reader.readLine();
                double[] values = data == null || data.isBlank() ? new double[0]
                        : Arrays.stream(data.trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
                long expected = Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
                if (values.length != expected) {
                    throw new IllegalStateException(resource + ": " + head[1] + " has " + values.length
                            + " values for shape " + head[2]);
                }
                entries.put(head[1], new Entry(shape, values));
            }
            return new Fixtures(resource, entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Entry get(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalStateException(resource + " has no tensor '" + name + "'; it has " + entries.keySet());
        }
        return e;
    }

    public float[] floats(String name) {
        return get(name).floats();
    }

    public int[] ints(String name) {
        return get(name).ints();
    }

    public float scalar(String name) {
        return get(name).scalar();
    }

    /** A scalar as the fixture wrote it (a Python float), not rounded to float. */
    public double number(String name) {
        get(name).scalar(); // checks that it is one value
        return get(name).values[0];
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public Map<String, Entry> entries() {
        return entries;
    }
}
