package dev.lanes.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    private static Sequential model() {
        return new Sequential(new Linear(3, 4, true, null, new Generator(1)), BatchNorm.batchNorm1d(4));
    }

    /** Sets every parameter and buffer of the model to {@code v}, as a stand-in for a training epoch. */
    private static void fill(Sequential m, float v) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Tensor t : m.stateDict().values()) {
                t.fill_(v);
            }
        }
    }

    @Test
    void stopsAfterPatienceBadEpochsAndRestoresTheBest() {
        Sequential m = model();
        EarlyStopping stop = new EarlyStopping(2, 0.01, EarlyStopping.Mode.MIN);
        double[] losses = {1.0, 0.8, 0.795, 0.7, 0.75, 0.695, 0.71};
        boolean[] expected = {false, false, false, false, false, true, true};
        for (int epoch = 0; epoch < losses.length; epoch++) {
            fill(m, epoch);
            assertEquals(expected[epoch], stop.step(losses[epoch], m), "epoch " + epoch);
        }
        // 0.795 and 0.695 are better but not by more than min_delta: they do not count as improvements
        assertEquals(0.7, stop.bestMetric(), 0);
        assertEquals(3, stop.bestEpoch());
        assertEquals(3, stop.badEpochs());
        assertEquals(7, stop.epochs());
        assertTrue(stop.shouldStop());
        stop.restoreBest(m);
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            for (float v : e.getValue().toArray()) {
                assertEquals(3f, v, e.getKey() + " (buffers too)");
            }
        }
        assertTrue(m.stateDict().containsKey("1.running_mean"));
        fill(m, -1);
        stop.restoreBest(m);
        assertEquals(3f, m.stateDict().get("0.weight").toArray()[0], "the copy survives a restore");
        assertNotSame(m.stateDict().get("0.weight"), stop.bestState().get("0.weight"));
    }

    @Test
    void maxModeAndZeroPatience() {
        EarlyStopping stop = new EarlyStopping(0, 0, EarlyStopping.Mode.MAX);
        assertFalse(stop.step(0.5));
        assertFalse(stop.step(0.6));
        assertTrue(stop.step(0.6), "patience 0 stops at the first epoch without improvement");
        assertEquals(1, stop.bestEpoch());
        assertNull(stop.bestState());
    }

    @Test
    void anImprovementResetsTheCount() {
        EarlyStopping stop = new EarlyStopping(2);
        assertFalse(stop.step(3));
        assertFalse(stop.step(4));
        assertFalse(stop.step(2));
        assertFalse(stop.step(5));
        assertTrue(stop.step(2.5));
        assertEquals(2, stop.bestMetric(), 0);
    }

    @Test
    void nanNeverImproves() {
        EarlyStopping stop = new EarlyStopping(1);
        assertTrue(stop.step(Double.NaN));
        assertEquals(-1, stop.bestEpoch());
        assertEquals(Double.POSITIVE_INFINITY, stop.bestMetric());
        assertFalse(stop.step(1.0));
        assertTrue(stop.step(Double.NaN));
    }

    @Test
    void weightsAreADeepCopy() {
        Sequential m = model();
        EarlyStopping stop = new EarlyStopping(3);
        stop.step(1.0, m);
        float[] kept = stop.bestState().get("0.weight").toArray();
        fill(m, 9);
        assertArrayEquals(kept, stop.bestState().get("0.weight").toArray(), 0);
        assertFalse(stop.bestState().get("0.weight").requiresGrad());
        assertThrows(UnsupportedOperationException.class, () -> stop.bestState().clear());
    }

    @Test
    void badArgumentsAndMisuse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(-1));
        assertEquals("EarlyStopping: patience = -1 must be >= 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(1, -0.1, EarlyStopping.Mode.MIN));
        assertTrue(e.getMessage().contains("min_delta = -0.1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(1, Double.NaN, EarlyStopping.Mode.MIN));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(1, 0, null));
        EarlyStopping stop = new EarlyStopping(1);
        assertThrows(IllegalArgumentException.class, () -> stop.step(1.0, null));
        assertEquals(0, stop.epochs(), "a refused step records nothing");
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> stop.restoreBest(model()));
        assertTrue(s.getMessage().contains("no best weights"), s.getMessage());
        stop.step(1.0, model());
        Linear other = new Linear(3, 4);
        assertThrows(IllegalArgumentException.class, () -> stop.restoreBest(other), "another architecture is refused");
    }
}
