package dev.lanes.nn.train;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Module;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Early stopping on a validation metric, with a copy of the best weights:
 *
 * <pre>{@code
 * var stopper = new EarlyStopping(5, 1e-4, EarlyStopping.Mode.MIN);
 * for (int epoch = 0; epoch < 200; epoch++) {
 *     train(model);
 *     if (stopper.step(validationLoss(model), model)) break;
 * }
 * stopper.restoreBest(model);
 * }</pre>
 *
 * <p>A metric improves when it beats the best so far by more than {@code minDelta} (below
 * {@code best - minDelta} in mode MIN, above {@code best + minDelta} in mode MAX), as in Keras and
 * PyTorch Lightning; the first finite metric always improves. {@link #step} asks to stop once
 * {@code patience} epochs in a row have not improved ({@code patience = 0}: at the first one). A NaN metric
 * never improves.
 *
 * <p>The best weights are a deep copy of the model's {@link Module#stateDict()} (parameters and buffers,
 * such as BatchNorm's running statistics), taken at each improvement, so they cost one model's memory.
 */
public final class EarlyStopping {
    /** Whether lower (loss) or higher (accuracy) metrics are better. */
    public enum Mode { MIN, MAX }

    private final int patience;
    private final double minDelta;
    private final Mode mode;
    private double best;
    private int bestEpoch = -1;
    private int epochs;
    private int badEpochs;
    private Map<String, Tensor> bestState;

    /** Mode MIN and {@code minDelta = 0}. */
    public EarlyStopping(int patience) {
        this(patience, 0.0, Mode.MIN);
    }

    /**
     * @param patience epochs without improvement tolerated, {@code >= 0}
     * @param minDelta the margin an improvement must exceed, finite and {@code >= 0}
     * @param mode MIN for losses, MAX for accuracies
     */
    public EarlyStopping(int patience, double minDelta, Mode mode) {
        if (patience < 0) {
            throw new IllegalArgumentException("EarlyStopping: patience = " + patience + " must be >= 0");
        }
        if (!(minDelta >= 0 && minDelta < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("EarlyStopping: min_delta = " + minDelta + " must be finite and >= 0");
        }
        if (mode == null) {
            throw new IllegalArgumentException("EarlyStopping: mode is null; use MIN or MAX");
        }
        this.patience = patience;
        this.minDelta = minDelta;
        this.mode = mode;
        this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /**
     * Records one epoch's metric; on an improvement copies {@code model}'s weights as the best.
     *
     * @return whether to stop: {@code patience} epochs in a row without improvement
     */
    public boolean step(double metric, Module model) {
        if (model == null) {
            throw new IllegalArgumentException("EarlyStopping.step: model is null; use step(metric) to track the metric only");
        }
        return record(metric, model);
    }

    /** {@link #step(double, Module)} without keeping weights. */
    public boolean step(double metric) {
        return record(metric, null);
    }

    private boolean record(double metric, Module model) {
        boolean improved = mode == Mode.MIN ? metric < best - minDelta : metric > best + minDelta;
        if (improved) {
            // First, so a failure leaves the counters as they were. An improvement reported without a model
            // drops older weights: restoreBest must not bring back an epoch that is no longer the best.
            bestState = model != null ? copy(model.stateDict()) : null;
            best = metric;
            bestEpoch = epochs;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        epochs++;
        return shouldStop();
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            out.put(e.getKey(), e.getValue().contiguousClone());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Copies the best weights back into {@code model} (strictly: the same keys and shapes); they stay
     * available for another restore.
     *
     * @throws IllegalStateException if no weights were kept (no improvement yet, or only {@link #step(double)} used)
     */
    public void restoreBest(Module model) {
        if (model == null) {
            throw new IllegalArgumentException("EarlyStopping.restoreBest: model is null");
        }
        if (bestState == null) {
            throw new IllegalStateException("EarlyStopping.restoreBest: no best weights kept yet (no improving step(metric, model))");
        }
        model.loadStateDict(bestState, true);
    }

    /** Whether the last step asked to stop. */
    public boolean shouldStop() {
        return badEpochs >= Math.max(1, patience);
    }

    /** The best metric so far (infinite before the first improvement). */
    public double bestMetric() {
        return best;
    }

    /** The 0-based index of the step that gave the best metric, or -1 before any improvement. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** Steps since the last improvement. */
    public int badEpochs() {
        return badEpochs;
    }

    /** The number of steps recorded. */
    public int epochs() {
        return epochs;
    }

    /** A read-only view of the best weights (copies, not the model's tensors), or null if none were kept. */
    public Map<String, Tensor> bestState() {
        return bestState;
    }
}
