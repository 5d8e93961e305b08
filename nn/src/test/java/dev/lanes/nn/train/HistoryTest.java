package dev.lanes.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {
    @TempDir
    Path dir;

    @Test
    void recordsAndExportsPerEpochMetrics() throws IOException {
        History h = new History();
        h.addEpoch(1, "train_loss", 0.5f, "val_loss", 0.75);
        h.addEpoch(2, "train_loss", 0.25);
        h.addEpoch(3, "train_loss", 0.125, "val_loss", 0.5, "val_acc", 0.9);
        assertEquals(List.of("train_loss", "val_loss", "val_acc"), h.metrics());
        assertArrayEquals(new double[] {0.5, 0.25, 0.125}, h.values("train_loss"));
        assertArrayEquals(new double[] {1, 3}, h.epochs("val_loss"));
        assertEquals(0.5, h.last("val_loss"));
        assertEquals(0.125, h.min("train_loss"));
        assertEquals("""
                epoch,train_loss,val_loss,val_acc
                1,0.5,0.75,
                2,0.25,,
                3,0.125,0.5,0.9
                """, h.toCsv());
        Path csv = dir.resolve("out/history.csv");
        h.writeCsv(csv);
        assertEquals(h.toCsv(), Files.readString(csv));

        Series s = h.series("val_loss");
        assertEquals("val_loss", s.name());
        assertArrayEquals(new double[] {1, 3}, s.x());
        String svg = h.chart("Loss", "train_loss", "val_loss").logY(true).toSvg();
        assertTrue(svg.contains(">epoch</text>") && svg.contains(">val_loss</text>"), svg);
    }

    @Test
    void perStepMetrics() {
        History h = new History();
        h.addStep("loss", 0, 2.0).addStep("loss", 10, Double.NaN).addStep("lr", 10, 1e-3);
        assertEquals(List.of("loss", "lr"), h.stepMetrics());
        assertEquals(List.of(), h.metrics());
        assertEquals("step,loss,lr\n0,2,\n10,nan,0.001\n", h.stepsToCsv());
        assertEquals(2, h.stepSeries("loss").size());
    }

    @Test
    void badInput() {
        History h = new History().add("loss", 2, 1.0);
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class, () -> h.add("loss", 2, 0.5));
        assertTrue(order.getMessage().contains("\"loss\" at 2 does not follow its last point at 2"), order.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> h.values("acc"));
        assertTrue(missing.getMessage().contains("no metric \"acc\"; recorded: loss"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.add("a,b", 3, 1));
        assertThrows(IllegalArgumentException.class, () -> h.addEpoch(3, "loss"));
        assertThrows(IllegalArgumentException.class, () -> h.addEpoch(3, "loss", "x"));
        assertThrows(IllegalArgumentException.class, () -> h.chart("nothing"));
    }
}
