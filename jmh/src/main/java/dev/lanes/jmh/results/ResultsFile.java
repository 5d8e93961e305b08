package dev.lanes.jmh.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A results file: JMH's JSON ({@code -rf json}), either as JMH writes it (an array of benchmarks) or in the
 * Lanes form, which adds where it ran:
 * <pre>{@code
 * { "format": "lanes-bench/1",
 *   "environment": { "source": "lanes-jmh", "cpu": "...", "cpus": 2, "os": "Linux amd64", ... },
 *   "benchmarks": [ ...JMH's array, unchanged... ] }
 * }</pre>
 * The PyTorch script ({@code scripts/bench_torch_*.py --json}) writes the same form, with entries holding
 * the fields the tools read: {@code benchmark}, {@code mode}, {@code params}, {@code primaryMetric}
 * ({@code score}, {@code scoreError}, {@code scoreUnit}) and optionally {@code secondaryMetrics}.
 *
 * @param path        where it was read from (for messages)
 * @param environment where the numbers were measured, or null for a plain JMH file, which does not say
 * @param results     the benchmarks, in file order
 */
public record ResultsFile(Path path, Environment environment, List<BenchmarkResult> results) {

    /** The value of {@code "format"} in files this version writes. */
    public static final String FORMAT = "lanes-bench/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    public ResultsFile {
        results = List.copyOf(results);
    }

    /** Reads a plain JMH JSON file or a Lanes results file; the message of any failure names the file and the entry. */
    public static ResultsFile read(Path path) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(path + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        String name = path.toString();
        if (root == null || root.isMissingNode()) {
            throw new IOException(name + ": empty file; expected JMH's JSON results (-rf json)");
        }
        Environment env = null;
        JsonNode benchmarks = root;
        if (root.isObject()) {
            String format = root.path("format").asText("");
            if (!format.equals(FORMAT)) {
                throw new IOException(name + ": unknown format \"" + format + "\"; expected \"" + FORMAT
                        + "\" or a JMH JSON array");
            }
            if (root.hasNonNull("environment")) {
                env = Environment.fromJson(root.get("environment"), name);
            }
            benchmarks = root.path("benchmarks");
        }
        if (!benchmarks.isArray()) {
            throw new IOException(name + ": expected an array of benchmarks (JMH -rf json), found " + benchmarks.getNodeType());
        }
        List<BenchmarkResult> results = new ArrayList<>();
        for (int i = 0; i < benchmarks.size(); i++) {
            results.add(parse(benchmarks.get(i), name + ": benchmark " + i));
        }
        return new ResultsFile(path, env, results);
    }

    private static BenchmarkResult parse(JsonNode b, String where) throws IOException {
        if (!b.isObject() || !b.path("benchmark").isTextual() || !b.path("primaryMetric").isObject()) {
            throw new IOException(where + ": needs \"benchmark\" (text) and \"primaryMetric\" (object)");
        }
        String name = b.get("benchmark").asText();
        Map<String, String> params = new TreeMap<>();
        b.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
        Metric primary = metric(b.get("primaryMetric"), where + " (" + name + ") primaryMetric");
        Map<String, Metric> secondary = new LinkedHashMap<>();
        for (var e : b.path("secondaryMetrics").properties()) {
            secondary.put(e.getKey(), metric(e.getValue(), where + " (" + name + ") secondary metric " + e.getKey()));
        }
        return new BenchmarkResult(name, b.path("mode").asText(""), new TreeMap<>(params), primary, secondary);
    }

    private static Metric metric(JsonNode m, String where) throws IOException {
        JsonNode score = m.path("score");
        if (!score.isNumber() && !(score.isTextual() && isNumber(score.asText()))) {
            throw new IOException(where + ": \"score\" is missing or not a number");
        }
        if (!m.path("scoreUnit").isTextual()) {
            throw new IOException(where + ": \"scoreUnit\" is missing");
        }
        return new Metric(number(score), number(m.path("scoreError")), m.get("scoreUnit").asText());
    }

    /** JMH writes "NaN" (a string) for an error it could not compute. */
    private static double number(JsonNode n) {
        if (n.isNumber()) {
            return n.asDouble();
        }
        return n.isTextual() && isNumber(n.asText()) ? Double.parseDouble(n.asText()) : Double.NaN;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Writes JMH's results ({@code jmhJson}, the file JMH wrote with {@code -rf json}) with the environment, in
     * the Lanes form, to {@code out}, whole or not at all.
     */
    public static void write(Path out, Environment environment, Path jmhJson) throws IOException {
        JsonNode benchmarks = JSON.readTree(jmhJson.toFile());
        if (benchmarks == null || !benchmarks.isArray()) {
            throw new IOException(jmhJson + ": JMH did not write a JSON array of results");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.set("environment", environment.toJson());
        root.set("benchmarks", (ArrayNode) benchmarks);
        AtomicWrite.write(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
