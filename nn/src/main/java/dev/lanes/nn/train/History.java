package dev.lanes.nn.train;

import dev.lanes.nn.internal.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Named metric series recorded during training, per epoch and optionally per step, like Keras'
 * {@code History} or a list of dicts in a PyTorch loop:
 *
 * <pre>{@code
 * History history = new History();
 * for (int epoch = 1; epoch <= epochs; epoch++) {
 *     ...
 *     history.addEpoch(epoch, "train_loss", trainLoss, "val_loss", valLoss, "val_acc", valAcc);
 * }
 * Files.writeString(Path.of("history.csv"), history.toCsv());
 * history.chart("Loss", "train_loss", "val_loss").logY(true).writePng(Path.of("loss.png"));
 * }</pre>
 *
 * <p>Within a metric the epochs (or steps) must increase. Not thread-safe.
 */
public final class History {
    private final Map<String, Track> epochs = new LinkedHashMap<>();
    private final Map<String, Track> steps = new LinkedHashMap<>();

    /** The points of one metric, in increasing x. */
    private static final class Track {
        double[] x = new double[16];
        double[] y = new double[16];
        int n;

        void add(String routine, String name, double at, double value) {
            if (n > 0 && !(at > x[n - 1])) {
                throw new IllegalArgumentException("History." + routine + ": \"" + name + "\" at " + fmt(at)
                        + " does not follow its last point at " + fmt(x[n - 1]));
            }
            if (n == x.length) {
                x = Arrays.copyOf(x, 2 * n);
                y = Arrays.copyOf(y, 2 * n);
            }
            x[n] = at;
            y[n++] = value;
        }

        Double at(double xv) {
            int i = Arrays.binarySearch(x, 0, n, xv);
            return i >= 0 ? y[i] : null;
        }
    }

    /** Records {@code value} of {@code metric} at {@code epoch}. */
    public History add(String metric, int epoch, double value) {
        track(epochs, "add", metric).add("add", metric, epoch, value);
        return this;
    }

    /**
     * Records several metrics at {@code epoch}.
     *
     * @param nameValues alternating names (String) and values (Number): {@code "loss", 0.3, "acc", 0.9}
     */
    public History addEpoch(int epoch, Object... nameValues) {
        checkPairs("addEpoch", nameValues);
        for (int i = 0; i < nameValues.length; i += 2) {
            add((String) nameValues[i], epoch, ((Number) nameValues[i + 1]).doubleValue());
        }
        return this;
    }

    /** Records {@code value} of {@code metric} at a global step (per-batch curves). */
    public History addStep(String metric, long step, double value) {
        track(steps, "addStep", metric).add("addStep", metric, step, value);
        return this;
    }

    private static Track track(Map<String, Track> map, String routine, String metric) {
        Objects.requireNonNull(metric, "History." + routine + ": metric");
        if (metric.isBlank() || metric.contains(",") || metric.contains("\"") || metric.contains("\n")) {
            throw new IllegalArgumentException("History." + routine + ": metric name \"" + metric
                    + "\" must be non-blank and without commas, quotes or line breaks (it becomes a CSV column)");
        }
        return map.computeIfAbsent(metric, k -> new Track());
    }

    private static void checkPairs(String routine, Object[] nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("History." + routine + ": metrics come in name/value pairs, got "
                    + nameValues.length + " arguments");
        }
        for (int i = 0; i < nameValues.length; i += 2) {
            if (!(nameValues[i] instanceof String)) {
                throw new IllegalArgumentException("History." + routine + ": argument " + i + " should be a metric name, got "
                        + nameValues[i]);
            }
            if (!(nameValues[i + 1] instanceof Number)) {
                throw new IllegalArgumentException("History." + routine + ": the value of \"" + nameValues[i]
                        + "\" should be a number, got " + nameValues[i + 1]);
            }
        }
    }

    /** The per-epoch metric names, in the order first recorded. */
    public List<String> metrics() {
        return List.copyOf(epochs.keySet());
    }

    /** The per-step metric names, in the order first recorded. */
    public List<String> stepMetrics() {
        return List.copyOf(steps.keySet());
    }

    /** The values of a per-epoch metric, in epoch order. */
    public double[] values(String metric) {
        Track t = get(epochs, "values", metric);
        return Arrays.copyOf(t.y, t.n);
    }

    /** The epochs at which a metric was recorded. */
    public double[] epochs(String metric) {
        Track t = get(epochs, "epochs", metric);
        return Arrays.copyOf(t.x, t.n);
    }

    /** The last value of a per-epoch metric. */
    public double last(String metric) {
        Track t = get(epochs, "last", metric);
        return t.y[t.n - 1];
    }

    /** The smallest value of a per-epoch metric (NaN values ignored; NaN if all are). */
    public double min(String metric) {
        Track t = get(epochs, "min", metric);
        double m = Double.NaN;
        for (int i = 0; i < t.n; i++) {
            if (!Double.isNaN(t.y[i]) && (Double.isNaN(m) || t.y[i] < m)) {
                m = t.y[i];
            }
        }
        return m;
    }

    /** A per-epoch metric as a chart line named after it, x = epoch. */
    public Series series(String metric) {
        Track t = get(epochs, "series", metric);
        return Series.line(metric, Arrays.copyOf(t.x, t.n), Arrays.copyOf(t.y, t.n));
    }

    /** A per-step metric as a chart line, x = step. */
    public Series stepSeries(String metric) {
        Track t = get(steps, "stepSeries", metric);
        return Series.line(metric, Arrays.copyOf(t.x, t.n), Arrays.copyOf(t.y, t.n));
    }

    /** A chart of per-epoch metrics (x axis "epoch"), to adjust further and write. */
    public Chart chart(String title, String... metrics) {
        if (metrics.length == 0) {
            throw new IllegalArgumentException("History.chart: name at least one metric; recorded: " + metrics());
        }
        Chart c = new Chart(title).xLabel("epoch");
        for (String m : metrics) {
            c.add(series(m));
        }
        return c;
    }

    private static Track get(Map<String, Track> map, String routine, String metric) {
        Track t = map.get(metric);
        if (t == null || t.n == 0) {
            throw new IllegalArgumentException("History." + routine + ": no metric \"" + metric + "\"; recorded: "
                    + (map.isEmpty() ? "none" : String.join(", ", map.keySet())));
        }
        return t;
    }

    /**
     * The per-epoch metrics as CSV: a header {@code epoch,<metric>,...}, then one row per epoch at which
     * any metric was recorded, an empty field where a metric has no value. Numbers are written in Java's
     * shortest round-trip form, which Python's {@code float()} and pandas read back exactly.
     */
    public String toCsv() {
        return csv("epoch", epochs);
    }

    /** The per-step metrics as CSV, like {@link #toCsv()} with a {@code step} column. */
    public String stepsToCsv() {
        return csv("step", steps);
    }

    /** Writes {@link #toCsv()} to {@code file} atomically. */
    public void writeCsv(Path file) throws IOException {
        AtomicFiles.writeCreatingFolder(file, toCsv().getBytes(StandardCharsets.UTF_8));
    }

    private static String csv(String xName, Map<String, Track> map) {
        TreeSet<Double> xs = new TreeSet<>();
        for (Track t : map.values()) {
            for (int i = 0; i < t.n; i++) {
                xs.add(t.x[i]);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(xName);
        for (String name : map.keySet()) {
            sb.append(',').append(name);
        }
        sb.append('\n');
        List<Track> tracks = new ArrayList<>(map.values());
        for (double x : xs) {
            sb.append(fmt(x));
            for (Track t : tracks) {
                sb.append(',');
                Double v = t.at(x);
                if (v != null) {
                    sb.append(number(v));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static String fmt(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }
}
