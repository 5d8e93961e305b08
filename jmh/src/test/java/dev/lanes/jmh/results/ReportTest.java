package dev.lanes.jmh.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    private static final String CPU = "AMD EPYC 9B45";
    private static final String GEMM = "dev.lanes.jmh.gemm.GemmBenchmark.sgemm";

    @TempDir
    Path dir;

    private List<ResultsFile> fixture() throws IOException {
        Path lanes = new ResultsTestFiles()
                .add(GEMM, "avgt", 100, 2, "us/op", "library", "lanes", "shape", "256x256x256")
                .add(GEMM, "avgt", 250, 5, "us/op", "library", "netlib", "shape", "256x256x256")
                .add(GEMM, "avgt", 700, 9, "us/op", "library", "lanes", "shape", "512x512x512")
                .add("dev.lanes.jmh.nn.MlpStepBenchmark.nnFused", "avgt", 2.5, 0.1, "ms/op", "threads", "1")
                .writeLanes(dir, "lanes.json", "lanes-jmh", CPU);
        Path torch = new ResultsTestFiles()
                .add(GEMM, "avgt", 0.5, 0.01, "ms/op", "library", "pytorch", "shape", "512x512x512")
                .add("dev.lanes.jmh.nn.MlpStepBenchmark.nnFused", "avgt", 7000, 100, "us/op", "threads", "1")
                .writeLanes(dir, "torch.json", "pytorch", CPU);
        return List.of(ResultsFile.read(lanes), ResultsFile.read(torch));
    }

    @Test
    void tableHasOneRowPerWorkloadAndAColumnPerLibrary() throws IOException {
        String md = Report.markdown(fixture(), "lanes", Map.of());
        assertTrue(md.contains("| benchmark | lanes | netlib | pytorch | lanes / best other |"), md);
        assertTrue(md.contains("| GemmBenchmark.sgemm (shape=256x256x256) avgt | 100 ± 2 us/op | 250 ± 5 us/op |  | 2.50x |"), md);
        // PyTorch at 0.5 ms/op beats Lanes' 700 us/op: the ratio is 500 / 700.
        assertTrue(md.contains("| GemmBenchmark.sgemm (shape=512x512x512) avgt | 700 ± 9 us/op |  | 0.500 ± 0.010 ms/op | 0.71x |"), md);
        assertTrue(md.contains("| MlpStepBenchmark.nnFused (threads=1) avgt | 2.50 ± 0.10 ms/op | 7,000 ± 100 us/op | 2.80x |"), md);
        // one table per suite package, each with the columns of its own rows, GEMM first
        assertTrue(md.indexOf("#### GEMM\n\n| benchmark | lanes | netlib | pytorch |") < md.indexOf(
                "#### Models and layers\n\n| benchmark | lanes | pytorch | lanes / best other |"), md);
        assertTrue(md.contains("`torch.json`: pytorch, AMD EPYC 9B45, 2 processors, Linux amd64"), md);
    }

    @Test
    void cellsShowTheWorkRateInTheUsersUnit() throws IOException {
        // In average-time mode JMH reports a Work counter as time per unit of work: 500 us per GFLOP is 2000 GFLOP/s.
        Path file = Files.writeString(dir.resolve("work.json"), """
                [{"benchmark": "dev.lanes.jmh.gemm.GemmBenchmark.sgemm", "mode": "avgt", "params": {"shape": "64x64x64"},
                  "primaryMetric": {"score": 0.25, "scoreError": 0.01, "scoreUnit": "us/op"},
                  "secondaryMetrics": {"gflop": {"score": 500.0, "scoreError": 20.0, "scoreUnit": "us/op"}}}]""");
        BenchmarkResult r = ResultsFile.read(file).results().get(0);
        assertEquals(2000, r.userRate().score(), 1e-9);
        assertEquals(80, r.userRate().error(), 1e-9);
        assertEquals("GFLOP/s", r.userRate().unit());
        String md = Report.markdown(List.of(ResultsFile.read(file)), "lanes", Map.of());
        assertTrue(md.contains("| 0.250 ± 0.010 us/op (2,000 GFLOP/s) |"), md);
    }

    @Test
    void chartsPlotTheWorkRateAgainstSize() throws IOException {
        Path file = Files.writeString(dir.resolve("sizes.json"), """
                [{"benchmark": "dev.lanes.jmh.gemm.GemmBenchmark.sgemm", "mode": "avgt", "params": {"shape": "64x64x64"},
                  "primaryMetric": {"score": 0.25, "scoreError": 0.01, "scoreUnit": "us/op"},
                  "secondaryMetrics": {"gflop": {"score": 500.0, "scoreError": 20.0, "scoreUnit": "us/op"}}},
                 {"benchmark": "dev.lanes.jmh.gemm.GemmBenchmark.sgemm", "mode": "avgt", "params": {"shape": "128x128x128"},
                  "primaryMetric": {"score": 1.6, "scoreError": 0.1, "scoreUnit": "us/op"},
                  "secondaryMetrics": {"gflop": {"score": 400.0, "scoreError": 20.0, "scoreUnit": "us/op"}}}]""");
        String svg = Report.charts(List.of(ResultsFile.read(file))).get("GemmBenchmark.sgemm avgt").toSvg();
        assertTrue(svg.contains("GFLOP/s") && !svg.contains("us/op"), svg);
    }

    @Test
    void lanesRowsOnlyDropsWorkloadsThatOnlyAnotherLibraryMeasured() throws IOException {
        List<ResultsFile> files = new java.util.ArrayList<>(fixture());
        files.add(ResultsFile.read(new ResultsTestFiles()
                .add("dev.lanes.jmh.nn.MlpStepBenchmark.nnModules", "avgt", 9000, 100, "us/op", "threads", "1")
                .writeLanes(dir, "torch-only.json", "pytorch", CPU)));
        assertTrue(Report.markdown(files, "lanes", Map.of()).contains("MlpStepBenchmark.nnModules"));
        String md = Report.markdown(Report.rowsWithLanes(files, "lanes"), "lanes", Map.of());
        assertTrue(!md.contains("MlpStepBenchmark.nnModules"), md);
        assertTrue(md.contains("| MlpStepBenchmark.nnFused (threads=1) avgt | 2.50 ± 0.10 ms/op | 7,000 ± 100 us/op | 2.80x |"), md);
    }

    @Test
    void writesBetweenTheMarkersAndKeepsTheRestOfTheFile() throws IOException {
        fixture();
        Path doc = Files.writeString(dir.resolve("benchmarks.md"), "# Benchmarks\n\nHand-written intro.\n\n"
                + Report.BEGIN + "\nold table\n" + Report.END + "\n\nHand-written outro.\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Report.run(new String[] {dir.resolve("lanes.json").toString(), dir.resolve("torch.json").toString(),
                "--out", doc.toString(), "--charts", dir.resolve("charts").toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        String text = Files.readString(doc);
        assertTrue(text.startsWith("# Benchmarks\n\nHand-written intro.\n\n" + Report.BEGIN), text);
        assertTrue(text.endsWith(Report.END + "\n\nHand-written outro.\n"), text);
        assertTrue(!text.contains("old table") && text.contains("2.50x"), text);
        // The GEMM benchmark has two shapes for Lanes: one chart, linked relative to the document.
        assertTrue(text.contains("](charts/GemmBenchmark-sgemm-avgt.svg)"), text);
        assertTrue(Files.readString(dir.resolve("charts/GemmBenchmark-sgemm-avgt.svg")).contains("<svg"));
    }

    @Test
    void sizesAreTheProductOfTheNumbersInAParameter() {
        assertEquals(512.0 * 512 * 512, Report.product("512x512x512"));
        assertEquals(2048, Report.product("2048"));
        assertTrue(Double.isNaN(Report.product("relu")));
    }
}
