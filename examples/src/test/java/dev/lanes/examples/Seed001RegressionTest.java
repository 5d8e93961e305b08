package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Seed001RegressionTest {
    @Test
    void linearRegressionRecoversTheLineAndLogisticRegressionSeparatesTheBlobs() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Seed001Regression.Result r = Seed001Regression.run(1, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String printed = buffer.toString(StandardCharsets.UTF_8);

        // Gradient descent reaches the least-squares line of the points; with noise std 0.1 on 100 points
        // that line is within a few hundredths of y = 3x + 2.
        assertEquals(r.leastSquaresW(), r.w(), 1e-3, r.toString());
        assertEquals(r.leastSquaresB(), r.b(), 1e-3, r.toString());
        assertEquals(3, r.w(), 0.1, r.toString());
        assertEquals(2, r.b(), 0.1, r.toString());
        assertEquals(0.01, r.linearLoss(), 0.005, r.toString());  // the noise variance

        assertTrue(r.logisticLoss() < r.logisticFirstLoss() / 5, r.toString());
        assertTrue(r.trainAccuracy() > 0.95, r.toString());
        assertTrue(r.testAccuracy() > 0.95, r.toString());
        assertTrue(printed.contains("learned  y = ") && printed.contains("accuracy: "), printed);
    }
}
