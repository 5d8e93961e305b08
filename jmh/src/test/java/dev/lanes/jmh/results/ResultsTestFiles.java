package dev.lanes.jmh.results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Builds small results files as JMH and the Lanes wrapper write them. */
final class ResultsTestFiles {
    private final List<String> entries = new ArrayList<>();

    /** Adds a benchmark; {@code params} alternate names and values. */
    ResultsTestFiles add(String benchmark, String mode, double score, double error, String unit, String... params) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < params.length; i += 2) {
            p.append(p.isEmpty() ? "" : ", ").append('"').append(params[i]).append("\": \"").append(params[i + 1]).append('"');
        }
        String err = Double.isNaN(error) ? "\"NaN\"" : String.format(Locale.ROOT, "%s", error);
        entries.add(String.format(Locale.ROOT, """
                {"jmhVersion": "1.37", "benchmark": "%s", "mode": "%s", "threads": 1, "forks": 2,%s
                 "primaryMetric": {"score": %s, "scoreError": %s, "scoreConfidence": [0, 0], "scoreUnit": "%s",
                                   "rawData": [[1.0, 2.0]]},
                 "secondaryMetrics": {"gc.alloc.rate.norm": {"score": 16.0, "scoreError": 0.1, "scoreUnit": "B/op"}}}""",
                benchmark, mode, p.isEmpty() ? "" : " \"params\": {" + p + "},", score, err, unit));
        return this;
    }

    /** A plain JMH array. */
    Path writePlain(Path dir, String name) throws IOException {
        return Files.writeString(dir.resolve(name), "[" + String.join(",\n", entries) + "]");
    }

    /** The Lanes form, with an environment naming {@code cpu}. */
    Path writeLanes(Path dir, String name, String source, String cpu) throws IOException {
        String env = String.format(Locale.ROOT, """
                {"source": "%s", "cpu": "%s", "cpus": 2, "os": "Linux amd64", "cpuFlags": ["avx2", "fma"],
                 "jdk": "25.0.1 (Eclipse Adoptium)", "vectorBits": 256, "threads": 2, "runtime": "Lanes: vector", "date": "2026-11-24T10:00:00Z"}""",
                source, cpu);
        return Files.writeString(dir.resolve(name), "{\"format\": \"lanes-bench/1\", \"environment\": " + env
                + ", \"benchmarks\": [" + String.join(",\n", entries) + "]}");
    }
}
