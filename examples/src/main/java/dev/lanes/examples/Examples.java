package dev.lanes.examples;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Mnist;
import dev.lanes.nn.data.TensorDataset;
import dev.lanes.nn.inference.InferencePlan;
import dev.lanes.nn.layers.Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the examples share: finding the data sets that {@code scripts/data/fetch.sh} downloads, and options. */
final class Examples {
    private Examples() {}

    /**
     * The folder of a data set fetched by {@code scripts/data/fetch.sh}: {@code explicit} if given, else
     * {@code $LANES_DATA/name}, else {@code ~/.cache/lanes/data/name} (the script's defaults).
     */
    static Path dataDir(Path explicit, String name) {
        if (explicit != null) {
            return explicit;
        }
        String root = System.getenv("LANES_DATA");
        return root != null && !root.isEmpty() ? Path.of(root, name)
                : Path.of(System.getProperty("user.home"), ".cache", "lanes", "data", name);
    }

    /** Loads an MNIST-format data set, or stops with what to run to fetch it. */
    static Mnist loadMnist(Path explicit, String name, Mnist.Options options) throws IOException {
        Path dir = dataDir(explicit, name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no " + name + " data in " + dir + ": run scripts/data/fetch.sh " + name
                    + " (it downloads into $LANES_DATA or ~/.cache/lanes/data), or pass --data DIR");
        }
        return Mnist.load(dir, options);
    }

    /**
     * The share of {@code test} rows whose largest output is the label, computed through an allocation-free
     * {@link InferencePlan} 1000 rows at a time (the model must be a feed-forward stack the plan supports).
     */
    static double accuracy(Module model, TensorDataset test) {
        model.eval();
        InferencePlan plan = InferencePlan.of(model, 1000);
        int in = plan.inputFeatures(), classes = plan.outputFeatures();
        Tensor inputs = test.inputs().contiguous();
        float[] labels = test.targets().toArray();
        float[] outputs = new float[1000 * classes];
        int rows = inputs.size(0), correct = 0;
        for (int start = 0; start < rows; start += 1000) {
            int n = Math.min(1000, rows - start);
            plan.run(inputs.array(), inputs.arrayOffset() + start * in, n, outputs, 0);
            for (int i = 0; i < n; i++) {
                if (argmax(outputs, i * classes, classes) == (int) labels[start + i]) {
                    correct++;
                }
            }
        }
        return rows == 0 ? Double.NaN : (double) correct / rows;
    }

    /** The index of the largest of {@code values[offset .. offset + length)}, the first one on ties. */
    static int argmax(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    static String required(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }
}
