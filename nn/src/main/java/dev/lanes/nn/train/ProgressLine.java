package dev.lanes.nn.train;

import java.io.Console;
import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A one-line training progress report:
 * {@code epoch 2/5  step 120/469  loss 0.1234  acc 97.1%  12,345 samples/s  ETA 0:42}.
 *
 * <pre>{@code
 * ProgressLine progress = ProgressLine.builder(epochs, loader.size()).build();
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     progress.startEpoch();
 *     for (Batch b : loader) {
 *         ...
 *         progress.step(b.size(), "loss", loss.item(), "acc", correct / (double) b.size());
 *     }
 *     progress.endEpoch("val_loss", valLoss, "val_acc", valAcc);
 * }
 * }</pre>
 *
 * <p>On a terminal it redraws one line in place ({@code \r}) at most every 100 ms, and leaves the line
 * standing at the end of each epoch. Elsewhere (a log file, CI) it prints a whole line at most once per
 * log interval (default 10 s) and at the end of each epoch, so a log holds a few lines per epoch, not one
 * per step. The mode is detected ({@code System.console()} is a terminal and {@code TERM} is not
 * {@code dumb}) unless forced.
 *
 * <p>Metrics are name/value pairs; the latest value of each is shown, in the order first given. A metric
 * whose name ends in {@code acc} or {@code accuracy}, with a value in [0, 1], is shown as a percentage.
 * Throughput counts the samples of the current epoch; the ETA extrapolates the step rate of the whole run.
 *
 * <p>Not thread-safe: report from the training thread.
 */
public final class ProgressLine {
    /** How lines are written. */
    public enum Mode {
        /** {@link #TERMINAL} when standard output is an interactive terminal, else {@link #LOG}. */
        AUTO,
        /** One line redrawn in place with carriage returns. */
        TERMINAL,
        /** Whole lines, throttled to the log interval. */
        LOG
    }

    private static final long TERMINAL_INTERVAL_NANOS = 100_000_000L;

    private final int epochs;
    private final int stepsPerEpoch;
    private final Appendable out;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long logIntervalNanos;

    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private int epoch;
    private int step;
    private long totalSteps;
    private long epochSamples;
    private long runStart = Long.MIN_VALUE;
    private long epochStart;
    private long lastPrint;
    private static final long EPOCH_LINE_INTERVAL_NANOS = 1_000_000_000L;
    private int lastWidth;
    private boolean inEpoch;

    private ProgressLine(Builder b) {
        this.epochs = b.epochs;
        this.stepsPerEpoch = b.stepsPerEpoch;
        this.out = b.out;
        this.clock = b.clock;
        this.logIntervalNanos = b.logInterval.toNanos();
        this.terminal = switch (b.mode) {
            case TERMINAL -> true;
            case LOG -> false;
            case AUTO -> b.out == System.out && isInteractiveTerminal();
        };
    }

    /**
     * Starts a builder.
     *
     * @param epochs the number of epochs (shown as {@code epoch k/epochs}); 0 if unknown
     * @param stepsPerEpoch steps (batches) per epoch, such as {@code loader.size()}; 0 if unknown (no ETA)
     */
    public static Builder builder(int epochs, int stepsPerEpoch) {
        return new Builder(epochs, stepsPerEpoch);
    }

    /** True when standard output is an interactive terminal that understands carriage returns. */
    public static boolean isInteractiveTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    /** Whether this progress line redraws in place. */
    public boolean isTerminal() {
        return terminal;
    }

    /** Begins the next epoch (the first call begins epoch 1): resets the step count, metrics and throughput. */
    public void startEpoch() {
        long now = clock.getAsLong();
        if (runStart == Long.MIN_VALUE) {
            runStart = now;
            lastPrint = now;
        }
        epoch++;
        step = 0;
        epochSamples = 0;
        epochStart = now;
        metrics.clear();
        inEpoch = true;
    }

    /**
     * Records one step (batch) of {@code samples} samples and the given metrics, and prints if due.
     *
     * @param nameValues alternating metric names (String) and values (Number), e.g. {@code "loss", 0.25}
     * @throws IllegalArgumentException if the pairs are malformed or {@code samples} is negative
     */
    public void step(int samples, Object... nameValues) {
        if (samples < 0) {
            throw new IllegalArgumentException("ProgressLine.step: samples is " + samples + ", need 0 or more");
        }
        if (!inEpoch) {
            startEpoch();
        }
        put("step", nameValues);
        step++;
        totalSteps++;
        epochSamples += samples;
        long now = clock.getAsLong();
        if (terminal) {
            if (now - lastPrint >= TERMINAL_INTERVAL_NANOS) {
                redraw(render(now, false), false);
                lastPrint = now;
            }
        } else if (now - lastPrint >= logIntervalNanos) {
            write(render(now, false) + System.lineSeparator());
            lastPrint = now;
        }
    }

    /**
     * Ends the epoch: adds the given metrics (validation results, say) and prints the epoch's line in
     * either mode.
     */
    public void endEpoch(Object... nameValues) {
        if (!inEpoch) {
            throw new IllegalStateException("ProgressLine.endEpoch: no epoch was started");
        }
        put("endEpoch", nameValues);
        long now = clock.getAsLong();
        String line = render(now, true);
        if (terminal) {
            redraw(line, true);
            lastPrint = now;
        } else if (epoch >= epochs || now - lastPrint >= Math.min(logIntervalNanos, EPOCH_LINE_INTERVAL_NANOS)) {
            // In a log, epochs of a second or more get a line each; a run of very short epochs is thinned
            // out, and its last epoch always printed.
            write(line + System.lineSeparator());
            lastPrint = now;
        }
        inEpoch = false;
    }

    /** The line as it would be printed now (for a caller's own display). */
    public String line() {
        return render(clock.getAsLong(), false);
    }

    private void put(String routine, Object[] nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("ProgressLine." + routine + ": metrics come in name/value pairs, got "
                    + nameValues.length + " arguments");
        }
        for (int i = 0; i < nameValues.length; i += 2) {
            if (!(nameValues[i] instanceof String name) || name.isBlank()) {
                throw new IllegalArgumentException("ProgressLine." + routine + ": argument " + i
                        + " should be a metric name, got " + nameValues[i]);
            }
            if (!(nameValues[i + 1] instanceof Number value)) {
                throw new IllegalArgumentException("ProgressLine." + routine + ": the value of \"" + name
                        + "\" should be a number, got " + nameValues[i + 1]);
            }
            metrics.put(name, value.doubleValue());
        }
    }

    private String render(long now, boolean epochEnd) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("epoch ").append(epoch);
        if (epochs > 0) {
            sb.append('/').append(epochs);
        }
        sb.append("  step ").append(step);
        if (stepsPerEpoch > 0) {
            sb.append('/').append(stepsPerEpoch);
        }
        for (Map.Entry<String, Double> m : metrics.entrySet()) {
            sb.append("  ").append(m.getKey()).append(' ').append(formatMetric(m.getKey(), m.getValue()));
        }
        long epochNanos = now - epochStart;
        if (epochNanos > 0 && epochSamples > 0) {
            sb.append("  ").append(String.format(Locale.US, "%,d", Math.round(epochSamples * 1e9 / epochNanos))).append(" samples/s");
        }
        if (epochEnd) {
            sb.append("  time ").append(formatDuration(epochNanos));
        }
        long runNanos = now - runStart;
        if (epochs > 0 && stepsPerEpoch > 0 && totalSteps > 0 && runNanos > 0) {
            long remaining = (long) (epochs - epoch) * stepsPerEpoch + Math.max(0, stepsPerEpoch - step);
            if (remaining > 0) {
                sb.append("  ETA ").append(formatDuration((long) (remaining * (double) runNanos / totalSteps)));
            }
        }
        return sb.toString();
    }

    /** Four decimals for ordinary magnitudes, scientific notation for very large or small ones. */
    static String formatMetric(String name, double v) {
        String lower = name.toLowerCase(Locale.ROOT);
        if ((lower.endsWith("acc") || lower.endsWith("accuracy")) && v >= 0 && v <= 1) {
            return String.format(Locale.ROOT, "%.1f%%", v * 100);
        }
        double a = Math.abs(v);
        if (Double.isFinite(v) && v != 0 && (a < 1e-3 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String formatDuration(long nanos) {
        long s = Math.max(0, Math.round(nanos / 1e9));
        long h = s / 3600, m = (s / 60) % 60, sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    private void redraw(String line, boolean finish) {
        // Spaces wipe what a longer previous line left behind.
        StringBuilder sb = new StringBuilder(line.length() + 8).append('\r').append(line);
        for (int i = line.length(); i < lastWidth; i++) {
            sb.append(' ');
        }
        lastWidth = finish ? 0 : line.length();
        if (finish) {
            sb.append(System.lineSeparator());
        }
        write(sb.toString());
    }

    private void write(String s) {
        try {
            out.append(s);
            if (out instanceof Flushable f) {
                f.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("ProgressLine: writing the progress line failed", e);
        }
    }

    /** Options for a {@link ProgressLine}. */
    public static final class Builder {
        private final int epochs;
        private final int stepsPerEpoch;
        private Appendable out = System.out;
        private Mode mode = Mode.AUTO;
        private LongSupplier clock = System::nanoTime;
        private Duration logInterval = Duration.ofSeconds(10);

        private Builder(int epochs, int stepsPerEpoch) {
            if (epochs < 0 || stepsPerEpoch < 0) {
                throw new IllegalArgumentException("ProgressLine.builder: epochs " + epochs + " and stepsPerEpoch "
                        + stepsPerEpoch + " must be 0 (unknown) or more");
            }
            this.epochs = epochs;
            this.stepsPerEpoch = stepsPerEpoch;
        }

        /** Where lines go (default {@code System.out}); flushed after each write when {@link Flushable}. */
        public Builder out(Appendable out) {
            this.out = Objects.requireNonNull(out, "ProgressLine.Builder.out");
            return this;
        }

        /** Terminal or log mode (default {@link Mode#AUTO}, which is log mode for any output but System.out). */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "ProgressLine.Builder.mode");
            return this;
        }

        /** A clock in nanoseconds (default {@code System::nanoTime}), for tests. */
        public Builder clock(LongSupplier nanoClock) {
            this.clock = Objects.requireNonNull(nanoClock, "ProgressLine.Builder.clock");
            return this;
        }

        /** The least time between two lines in log mode (default 10 s). */
        public Builder logInterval(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("ProgressLine.Builder.logInterval: got " + interval + ", need 0 or more");
            }
            this.logInterval = interval;
            return this;
        }

        public ProgressLine build() {
            return new ProgressLine(this);
        }
    }
}
