package dev.lanes.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ProgressLine's throttling in both modes with a fake clock, its formatting and its argument checks. */
class ProgressLineTest {
    private static final long MS = 1_000_000L;

    /** A clock the test moves by hand. */
    static final class FakeClock {
        long now;

        long get() {
            return now;
        }
    }

    static final String NL = System.lineSeparator();

    @Test
    void logModePrintsAtMostEveryIntervalAndAtEpochEnd() {
        FakeClock clock = new FakeClock();
        StringBuilder out = new StringBuilder();
        ProgressLine p = ProgressLine.builder(2, 469).out(out).mode(ProgressLine.Mode.LOG).clock(clock::get)
                .logInterval(Duration.ofSeconds(10)).build();
        assertFalse(p.isTerminal());
        for (int epoch = 0; epoch < 2; epoch++) {
            p.startEpoch();
            for (int s = 0; s < 469; s++) {
                clock.now += 50 * MS;
                p.step(64, "loss", 0.5, "acc", 0.971);
            }
            p.endEpoch("val_loss", 0.25);
        }
        List<String> lines = Arrays.asList(out.toString().split(NL));
        assertEquals(6, lines.size(), out.toString()); // steps 200 and 400, then the end, in each epoch
        assertFalse(out.toString().contains("\r"));
        // 200 steps of 64 samples in 10 s; 738 steps left at 20 steps/s.
        assertEquals("epoch 1/2  step 200/469  loss 0.5000  acc 97.1%  1,280 samples/s  ETA 0:37", lines.get(0));
        assertTrue(lines.get(1).startsWith("epoch 1/2  step 400/469  "), lines.get(1));
        // The epoch line adds the validation metric and the epoch's time: 469 x 50 ms = 23.45 s.
        assertEquals("epoch 1/2  step 469/469  loss 0.5000  acc 97.1%  val_loss 0.2500  1,280 samples/s  time 0:23  ETA 0:23",
                lines.get(2));
        assertTrue(lines.get(3).startsWith("epoch 2/2  step 200/469  loss 0.5000  acc 97.1%  1,280 samples/s  ETA 0:13"),
                lines.get(3));
        assertEquals("epoch 2/2  step 469/469  loss 0.5000  acc 97.1%  val_loss 0.2500  1,280 samples/s  time 0:23", lines.get(5));
    }

    @Test
    void logModeStaysQuietForShortEpochsBetweenEpochLines() {
        FakeClock clock = new FakeClock();
        StringBuilder out = new StringBuilder();
        ProgressLine p = ProgressLine.builder(3, 100).out(out).mode(ProgressLine.Mode.LOG).clock(clock::get).build();
        for (int epoch = 0; epoch < 3; epoch++) {
            p.startEpoch();
            for (int s = 0; s < 100; s++) {
                clock.now += 20 * MS; // 2 s per epoch, under the 10 s interval
                p.step(32, "loss", 1.0 / (s + 1));
            }
            p.endEpoch();
        }
        String[] lines = out.toString().split(NL);
        assertEquals(3, lines.length, out.toString());
        assertTrue(lines[2].startsWith("epoch 3/3  step 100/100  loss 0.0100  1,600 samples/s  time 0:02"), lines[2]);
    }

    @Test
    void terminalModeRedrawsOneLineAtMostTenTimesASecond() {
        FakeClock clock = new FakeClock();
        StringBuilder out = new StringBuilder();
        ProgressLine p = ProgressLine.builder(1, 1000).out(out).mode(ProgressLine.Mode.TERMINAL).clock(clock::get).build();
        assertTrue(p.isTerminal());
        p.startEpoch();
        for (int s = 0; s < 1000; s++) {
            clock.now += 2 * MS; // 500 steps a second
            p.step(10, "loss", s < 500 ? 123456.0 : 0.5);
        }
        String before = out.toString();
        long redraws = before.chars().filter(ch -> ch == '\r').count();
        assertEquals(20, redraws, "2 s of steps, one redraw per 100 ms");
        assertFalse(before.contains("\n"), "no line feeds within an epoch");
        p.endEpoch("val_acc", 0.5);
        String all = out.toString();
        assertTrue(all.endsWith(NL));
        String last = all.substring(all.lastIndexOf('\r') + 1, all.length() - NL.length());
        assertTrue(last.startsWith("epoch 1/1  step 1000/1000  loss 0.5000  val_acc 50.0%  5,000 samples/s  time 0:02"), last);
        // The first redraw after the loss shrank from 1.235e+05 to 0.5000 pads with spaces over the old text.
        String[] frames = before.split("\r");
        String longFrame = frames[10], shortFrame = frames[11];
        assertTrue(longFrame.contains("loss 1.235e+05"), longFrame);
        assertTrue(shortFrame.contains("loss 0.5000"), shortFrame);
        assertEquals(longFrame.length(), shortFrame.length());
        assertTrue(shortFrame.endsWith(" "));
    }

    @Test
    void unknownTotalsGiveNoEta() {
        FakeClock clock = new FakeClock();
        StringBuilder out = new StringBuilder();
        ProgressLine p = ProgressLine.builder(0, 0).out(out).mode(ProgressLine.Mode.LOG).clock(clock::get)
                .logInterval(Duration.ZERO).build();
        p.step(5); // starts the first epoch by itself
        clock.now += 1000 * MS;
        p.step(5, "lr", 1e-4);
        assertEquals("epoch 1  step 1" + NL + "epoch 1  step 2  lr 1.000e-04  10 samples/s" + NL, out.toString());
        assertEquals("epoch 1  step 2  lr 1.000e-04  10 samples/s", p.line());
    }

    @Test
    void autoModeIsLogModeForAnyOtherOutput() {
        ProgressLine p = ProgressLine.builder(1, 1).out(new StringBuilder()).build();
        assertFalse(p.isTerminal());
    }

    @Test
    void formatting() {
        assertEquals("0.1234", ProgressLine.formatMetric("loss", 0.12344));
        assertEquals("97.1%", ProgressLine.formatMetric("acc", 0.9714));
        assertEquals("100.0%", ProgressLine.formatMetric("val_accuracy", 1.0));
        assertEquals("97.1000", ProgressLine.formatMetric("acc", 97.1)); // already a percentage: left alone
        assertEquals("1.000e-04", ProgressLine.formatMetric("lr", 1e-4));
        assertEquals("0.0000", ProgressLine.formatMetric("loss", 0));
        assertEquals("NaN", ProgressLine.formatMetric("loss", Double.NaN));
        assertEquals("0:42", ProgressLine.formatDuration(42_000 * MS));
        assertEquals("1:02:05", ProgressLine.formatDuration(3725_000 * MS));
        assertEquals("0:00", ProgressLine.formatDuration(-5));
    }

    @Test
    void badArguments() {
        ProgressLine p = ProgressLine.builder(1, 10).out(new StringBuilder()).mode(ProgressLine.Mode.LOG).build();
        assertThrows(IllegalStateException.class, p::endEpoch);
        p.startEpoch();
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> p.step(1, "loss"));
        assertTrue(odd.getMessage().contains("name/value pairs, got 1"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.step(1, 3, 0.5));
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> p.step(1, "loss", "low"));
        assertTrue(value.getMessage().contains("\"loss\" should be a number"), value.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.step(-1));
        assertThrows(IllegalArgumentException.class, () -> ProgressLine.builder(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> ProgressLine.builder(1, 1).logInterval(Duration.ofSeconds(-1)));
    }
}
