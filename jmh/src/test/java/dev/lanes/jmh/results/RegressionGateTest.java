package dev.lanes.jmh.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.jmh.results.RegressionGate.Options;
import dev.lanes.jmh.results.RegressionGate.Status;
import dev.lanes.jmh.results.RegressionGate.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegressionGateTest {
    private static final String CPU = "AMD EPYC 9B45";
    private static final String GEMM = "dev.lanes.jmh.gemm.GemmBenchmark.sgemm";

    @TempDir
    Path dir;

    private RegressionGate.Outcome gate(ResultsTestFiles base, ResultsTestFiles cur, Options options) throws IOException {
        return RegressionGate.compare(ResultsFile.read(base.writeLanes(dir, "base.json", "lanes-jmh", CPU)),
                ResultsFile.read(cur.writeLanes(dir, "cur.json", "lanes-jmh", CPU)), options);
    }

    private static Verdict only(RegressionGate.Outcome o) {
        assertEquals(1, o.verdicts().size(), o.verdicts().toString());
        return o.verdicts().get(0);
    }

    @Test
    void aRealSlowdownFails() throws IOException {
        var o = gate(new ResultsTestFiles().add(GEMM, "avgt", 100, 2, "us/op", "size", "512"),
                new ResultsTestFiles().add(GEMM, "avgt", 120, 3, "us/op", "size", "512"), Options.DEFAULTS);
        Verdict v = only(o);
        assertEquals(Status.REGRESSION, v.status());
        assertEquals(0.20, v.change(), 1e-9);
        assertTrue(o.failed());
    }

    @Test
    void aSlowdownInsideTheErrorBarsPasses() throws IOException {
        // 8 % slower, beyond the 5 % threshold, but the two intervals (100 +- 5, 108 +- 5) overlap.
        var o = gate(new ResultsTestFiles().add(GEMM, "avgt", 100, 5, "us/op"),
                new ResultsTestFiles().add(GEMM, "avgt", 108, 5, "us/op"), Options.DEFAULTS);
        assertEquals(Status.UNCHANGED, only(o).status());
        assertFalse(o.failed());
    }

    @Test
    void aSmallSeparatedSlowdownBelowTheThresholdPasses() throws IOException {
        var o = gate(new ResultsTestFiles().add(GEMM, "avgt", 100, 0.1, "us/op"),
                new ResultsTestFiles().add(GEMM, "avgt", 103, 0.1, "us/op"), Options.DEFAULTS);
        assertEquals(Status.UNCHANGED, only(o).status());
    }

    @Test
    void throughputGoingDownIsASlowdownAndUnitsConvert() throws IOException {
        var o = gate(new ResultsTestFiles().add("a.B.relu", "thrpt", 50, 1, "ops/ms"),
                new ResultsTestFiles().add("a.B.relu", "thrpt", 40_000, 500, "ops/s"), Options.DEFAULTS);
        Verdict v = only(o);
        assertEquals(Status.REGRESSION, v.status());
        assertEquals(0.25, v.change(), 1e-9);
        var faster = gate(new ResultsTestFiles().add(GEMM, "avgt", 2, 0.01, "ms/op"),
                new ResultsTestFiles().add(GEMM, "avgt", 1500, 10, "us/op"), Options.DEFAULTS);
        assertEquals(Status.IMPROVEMENT, only(faster).status());
        assertFalse(faster.failed());
    }

    @Test
    void noisyBenchmarksAreNotJudgedAndSaySo() throws IOException {
        var o = gate(new ResultsTestFiles().add(GEMM, "avgt", 100, 40, "us/op").add("a.B.c", "avgt", 10, Double.NaN, "us/op"),
                new ResultsTestFiles().add(GEMM, "avgt", 300, 5, "us/op").add("a.B.c", "avgt", 30, Double.NaN, "us/op"),
                Options.DEFAULTS);
        assertEquals(2, o.count(Status.NOISY));
        assertTrue(o.verdicts().get(0).note().contains("too noisy"), o.verdicts().get(0).note());
        assertFalse(o.failed());
    }

    @Test
    void missingAndNewBenchmarksAreReported() throws IOException {
        ResultsTestFiles base = new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op", "size", "512")
                .add(GEMM, "avgt", 900, 9, "us/op", "size", "1024");
        ResultsTestFiles cur = new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op", "size", "512")
                .add(GEMM, "avgt", 10, 0.1, "us/op", "size", "64");
        var o = gate(base, cur, Options.DEFAULTS);
        assertEquals(1, o.count(Status.MISSING));
        assertEquals(1, o.count(Status.NEW));
        assertFalse(o.failed(), "missing benchmarks are reported, not failed, by default");
        assertTrue(gate(base, cur, new Options(0.05, 0.2, null, true, false)).failed());
        var subset = gate(base, cur, new Options(0.05, 0.2, Pattern.compile("size=512"), true, false));
        assertEquals(Status.UNCHANGED, only(subset).status());
    }

    @Test
    void resultsFromAnotherMachineAreRefusedOrFlagged() throws IOException {
        ResultsFile base = ResultsFile.read(new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op")
                .writeLanes(dir, "base.json", "lanes-jmh", CPU));
        ResultsFile other = ResultsFile.read(new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op")
                .writeLanes(dir, "other.json", "lanes-jmh", "Intel Xeon Platinum 8488C"));
        var e = assertThrows(IllegalArgumentException.class, () -> RegressionGate.compare(base, other, Options.DEFAULTS));
        assertTrue(e.getMessage().contains("different machines") && e.getMessage().contains("Intel Xeon"), e.getMessage());
        var flagged = RegressionGate.compare(base, other, new Options(0.05, 0.2, null, false, true));
        assertTrue(flagged.warnings().get(0).startsWith("DIFFERENT MACHINES"), flagged.warnings().toString());
        ResultsFile plain = ResultsFile.read(new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op").writePlain(dir, "plain.json"));
        assertTrue(RegressionGate.compare(base, plain, Options.DEFAULTS).warnings().get(0).startsWith("MACHINE UNKNOWN"));
    }

    @Test
    void commandLineExitCodes() throws IOException {
        Path base = new ResultsTestFiles().add(GEMM, "avgt", 100, 1, "us/op").writeLanes(dir, "b.json", "lanes-jmh", CPU);
        Path slow = new ResultsTestFiles().add(GEMM, "avgt", 130, 1, "us/op").writeLanes(dir, "s.json", "lanes-jmh", CPU);
        Path md = dir.resolve("summary.md");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(0, RegressionGate.run(new String[] {base.toString(), base.toString()}, print(out), print(err)));
        assertEquals(1, RegressionGate.run(new String[] {base.toString(), slow.toString(), "--markdown", md.toString()},
                print(out), print(err)));
        assertTrue(Files.readString(md).contains("| REGRESSION | GemmBenchmark.sgemm avgt |"), Files.readString(md));
        assertEquals(0, RegressionGate.run(new String[] {base.toString(), slow.toString(), "--threshold", "40"}, print(out), print(err)));
        Path broken = Files.writeString(dir.resolve("broken.json"), "[{\"benchmark\": \"x\"");
        assertEquals(2, RegressionGate.run(new String[] {base.toString(), broken.toString()}, print(out), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("broken.json: not valid JSON"), err.toString(StandardCharsets.UTF_8));
        Path noScore = Files.writeString(dir.resolve("noscore.json"),
                "[{\"benchmark\": \"a.B.c\", \"primaryMetric\": {\"scoreUnit\": \"us/op\"}}]");
        assertEquals(2, RegressionGate.run(new String[] {base.toString(), noScore.toString()}, print(out), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("benchmark 0 (a.B.c) primaryMetric: \"score\" is missing"));
    }

    private static PrintStream print(ByteArrayOutputStream b) {
        return new PrintStream(b, true, StandardCharsets.UTF_8);
    }
}
