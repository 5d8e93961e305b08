package dev.lanes.jmh.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a benchmark ran: the CPU, its SIMD features, the JDK, and what Lanes made of them (vector width,
 * threads). It is printed at the start of every run and stored in every results file, so that a regression
 * gate can refuse to compare numbers from two different machines.
 *
 * @param source     who produced the numbers: {@code "lanes-jmh"}, {@code "pytorch"}, ...
 * @param cpu        the CPU model as the OS names it ({@code /proc/cpuinfo}'s "model name"), or "unknown"
 * @param cpus       logical processors the JVM sees
 * @param os         operating system and architecture, e.g. {@code "Linux amd64"}
 * @param cpuFlags   the SIMD features that matter to Lanes that the CPU reports ({@code avx2 fma avx512f ...})
 * @param jdk        the runtime version and vendor
 * @param vectorBits the width Lanes' kernels use, 0 on the scalar twins
 * @param threads    Lanes' worker threads
 * @param runtime    what ran the kernels: {@link Lanes#describe()}'s line, or PyTorch's version and CPU capability
 * @param date       when the run started (ISO-8601)
 */
public record Environment(String source, String cpu, int cpus, String os, List<String> cpuFlags, String jdk,
                          int vectorBits, int threads, String runtime, String date) {

    /** CPU flags worth naming: the instruction sets the Vector API can use on x86 and ARM. */
    private static final List<String> FLAGS = List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl",
            "avx512_bf16", "avx512_fp16", "asimd", "sve", "sve2");

    /** This JVM's environment, as the Lanes benchmarks record it. */
    public static Environment detect() {
        String cpu = "unknown";
        List<String> flags = new ArrayList<>();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try {
                for (String line : Files.readAllLines(cpuinfo)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                    if (cpu.equals("unknown") && (key.equals("model name") || key.equals("Model"))) {
                        cpu = value;
                    }
                    if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
                        List<String> present = List.of(value.split("\\s+"));
                        FLAGS.stream().filter(present::contains).forEach(flags::add);
                    }
                }
            } catch (IOException e) {
                cpu = "unknown (" + e.getMessage() + ")";
            }
        }
        return new Environment("lanes-jmh", cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), List.copyOf(flags),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")", Lanes.vectorBitSize(),
                Threads.count(), Lanes.describe(), Instant.now().toString());
    }

    /**
     * The identity of the machine for comparisons: CPU model, processor count and OS. Two results files with
     * different identities were not measured on the same machine, and their ratios mean little.
     */
    public String machine() {
        return cpu + ", " + cpus + " processors, " + os;
    }

    /** The startup line of a benchmark run: Lanes' own line, then the CPU and its SIMD features. */
    public String line() {
        String simd = cpuFlags.isEmpty() ? "SIMD features not read" : String.join(" ", cpuFlags);
        String head = !runtime.isEmpty() ? runtime : String.format(Locale.ROOT, "%s: %s, JDK %s, %s, %d processors",
                source, vectorBits == 0 ? "no vector kernels" : vectorBits + "-bit vectors", jdk, os, cpus);
        return head + " | CPU: " + cpu + " (" + simd + ")";
    }

    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("source", source);
        o.put("cpu", cpu);
        o.put("cpus", cpus);
        o.put("os", os);
        cpuFlags.forEach(o.putArray("cpuFlags")::add);
        if (cpuFlags.isEmpty()) {
            o.putArray("cpuFlags");
        }
        o.put("jdk", jdk);
        o.put("vectorBits", vectorBits);
        o.put("threads", threads);
        o.put("runtime", runtime);
        o.put("date", date);
        return o;
    }

    static Environment fromJson(JsonNode o, String file) {
        if (!o.isObject() || !o.hasNonNull("cpu") || !o.hasNonNull("cpus") || !o.hasNonNull("os")) {
            throw new IllegalArgumentException(file + ": \"environment\" needs at least \"cpu\", \"cpus\" and \"os\"");
        }
        List<String> flags = new ArrayList<>();
        o.path("cpuFlags").forEach(f -> flags.add(f.asText()));
        return new Environment(o.path("source").asText("unknown"), o.get("cpu").asText(), o.get("cpus").asInt(),
                o.get("os").asText(), List.copyOf(flags), o.path("jdk").asText(""), o.path("vectorBits").asInt(0),
                o.path("threads").asInt(0), o.path("runtime").asText(""), o.path("date").asText(""));
    }
}
