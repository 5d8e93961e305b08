package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class GemmDemoTest {
    @Test
    void naiveLoopMultiplies() {
        float[] c = new float[4];
        GemmDemo.naive(2, new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8}, c);
        assertArrayEquals(new float[] {19, 22, 43, 50}, c);
    }

    @Test
    void demoPrintsHardwareLineAndOneRowPerSize() {
        PrintStream old = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true));
        try {
            GemmDemo.main(new String[] {"17", "33"});
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString();
        assertTrue(out.startsWith("Lanes: "), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("17 ")), out);
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("33 ")), out);
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> GemmDemo.main(new String[] {"ten"}));
        assertThrows(IllegalArgumentException.class, () -> GemmDemo.main(new String[] {"0"}));
    }
}
