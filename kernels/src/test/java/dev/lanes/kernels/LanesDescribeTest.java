package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The startup line every demo and benchmark prints: the vector shape, FMA, threads and JDK, all detected. */
class LanesDescribeTest {
    @Test
    void describesTheVectorShapeFmaThreadsAndJdk() {
        String line = Lanes.describe();
        assertTrue(line.startsWith("Lanes: "), line);
        if (Lanes.vectorized()) {
            int bits = Lanes.vectorBitSize();
            assertTrue(line.contains(bits + "-bit, " + bits / 32 + " floats per vector"), line);
        } else {
            assertTrue(line.contains("scalar kernels ("), line);
        }
        assertTrue(line.contains(Threads.count() + " thread"), line);
        assertTrue(line.contains("JDK " + Runtime.version()), line);
        String fma = Lanes.fma();
        assertTrue(fma.isEmpty() || line.contains(", " + fma + ", "), line);
    }

    @Test
    void fmaFollowsTheCpuFlagsLinuxReports() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!System.getProperty("os.arch").equals("amd64") || !Files.isReadable(cpuinfo)) {
            return; // other machines: nothing independent to check against here
        }
        String flags = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst().orElseThrow();
        boolean hasFma = Arrays.asList(flags.substring(flags.indexOf(':') + 1).trim().split("\\s+")).contains("fma");
        assertEquals(hasFma ? "FMA" : "no FMA", Lanes.fma());
    }
}
