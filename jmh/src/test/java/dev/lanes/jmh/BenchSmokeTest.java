package dev.lanes.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.jmh.results.BenchmarkResult;
import dev.lanes.jmh.results.RegressionGate;
import dev.lanes.jmh.results.ResultsFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness wiring, end to end and short: one real benchmark for two 50 ms iterations in this JVM, its
 * results written with the environment, read back, and passed through the gate against themselves.
 */
class BenchSmokeTest {
    @Test
    void oneTinyBenchmarkRunsAndItsResultsFeedTheGate(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("smoke.json");
        int code = Bench.run(new String[] {"ElementwiseBenchmark.axpy$", "-p", "shape=256x1024", "-p", "threads=1",
            "-f", "0", "-wi", "0", "-i", "2", "-r", "50ms", "--results", results.toString()});
        assertEquals(0, code);
        ResultsFile file = ResultsFile.read(results);
        assertTrue(file.environment().cpus() > 0 && !file.environment().jdk().isEmpty(), file.environment().toString());
        assertEquals(1, file.results().size());
        BenchmarkResult r = file.results().get(0);
        // axpy is a comparison benchmark: its library param (lanes by default) is part of the key.
        assertEquals("ElementwiseBenchmark.axpy (library=lanes, shape=256x1024, threads=1) avgt", r.key());
        assertTrue(r.primary().score() > 0 && r.primary().unit().equals("us/op"), r.primary().toString());
        var outcome = RegressionGate.compare(file, file, RegressionGate.Options.DEFAULTS);
        assertTrue(!outcome.failed() && outcome.warnings().isEmpty(), outcome.toString());
        assertEquals(2, Bench.run(new String[] {"NoSuchBenchmarkAnywhere", "-f", "0"}));
    }
}
