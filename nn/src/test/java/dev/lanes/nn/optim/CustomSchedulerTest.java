package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lanes.nn.optim.lr.LRScheduler;
import dev.lanes.nn.optim.lr.SequentialLR;
import dev.lanes.nn.optim.lr.StepLR;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A scheduler written outside the package, through the protected API only, with its own state. */
class CustomSchedulerTest {
    /** Halves the rate every step, counting the halvings as extra state. */
    static final class HalvingLR extends LRScheduler {
        private final double factor;
        private int halvings;

        HalvingLR(Optimizer optimizer, double factor) {
            this.factor = factor; // before super: the base constructor runs the initial step
            super(optimizer);
        }

        @Override
        protected double[] computeLr() {
            if (isInitialStep()) {
                return currentLrs();
            }
            halvings++;
            return scaledLrs(factor);
        }

        @Override
        protected double[] closedFormLr() {
            double[] lrs = new double[groupCount()];
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = baseLr(i) * Math.pow(factor, lastEpoch());
            }
            return lrs;
        }

        @Override
        public Map<String, double[]> stateDict() {
            Map<String, double[]> out = super.stateDict();
            out.put("halvings", new double[] {halvings});
            return out;
        }

        @Override
        protected void restoreState(Map<String, double[]> state) {
            super.restoreState(state);
            halvings = (int) state.get("halvings")[0];
        }
    }

    @Test
    void subclassesWork() {
        TestSgd opt = TestSgd.twoGroups(false, 0.1, 0.05);
        HalvingLR s = new HalvingLR(opt, 0.5);
        s.step();
        s.step();
        assertArrayEquals(new double[] {0.025, 0.0125}, s.getLastLr(), 0);
        TestSgd opt2 = TestSgd.twoGroups(false, 0.1, 0.05);
        HalvingLR t = new HalvingLR(opt2, 0.5);
        t.loadStateDict(s.stateDict());
        assertEquals(2, t.halvings);
        assertEquals(0.025, opt2.paramGroups().get(0).lr(), 0);

        // In a SequentialLR it restarts from the closed form at its milestone
        TestSgd opt3 = TestSgd.twoGroups(false, 0.1, 0.05);
        var seq = new SequentialLR(opt3, List.of(new StepLR(opt3, 100), new HalvingLR(opt3, 0.5)), 2);
        seq.step();
        seq.step();
        assertArrayEquals(new double[] {0.1, 0.05}, seq.getLastLr(), 0);
        seq.step();
        assertArrayEquals(new double[] {0.05, 0.025}, seq.getLastLr(), 0);
    }
}
