package dev.lanes.jmh.results;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One benchmark of a results file: JMH's name ({@code package.Class.method}), mode, parameters, primary
 * metric and secondary metrics ({@code gc.alloc.rate.norm}, user units such as GFLOP/s, ...).
 *
 * <p>The parameter {@code library}, when a benchmark has it, names the implementation measured (Lanes,
 * netlib, EJML, PyTorch, ...): the report puts each library in a column of one row, and the regression gate
 * treats it as any other parameter.
 */
public record BenchmarkResult(String benchmark, String mode, SortedMap<String, String> params, Metric primary,
                              Map<String, Metric> secondary) {

    /** The parameter that names the implementation. */
    public static final String LIBRARY = "library";

    /**
     * The secondary metrics that count work ({@link dev.lanes.jmh.Work}'s counter names) and the rate each
     * stands for.
     */
    static final Map<String, String> WORK_UNITS = Map.of(
            "gflop", "GFLOP/s", "gbyte", "GB/s", "samples", "samples/s", "tokens", "tokens/s");

    public BenchmarkResult {
        params = new TreeMap<>(params);
        secondary = Map.copyOf(secondary);
    }

    /**
     * The work done per second in the unit a user thinks in (GFLOP/s, GB/s, samples/s or tokens/s), from the
     * benchmark's work counter; null when it has none.
     */
    public Metric userRate() {
        for (var unit : WORK_UNITS.entrySet()) {
            Metric work = secondary.get(unit.getKey());
            if (work != null) {
                return work.asRate(unit.getValue());
            }
        }
        return null;
    }

    /** Identifies the benchmark across files: name, parameters and mode. */
    public String key() {
        return shortName() + paramString(params) + (mode.isEmpty() ? "" : " " + mode);
    }

    /** {@code Class.method}, without the package. */
    public String shortName() {
        int method = benchmark.lastIndexOf('.');
        int cls = method <= 0 ? -1 : benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(cls + 1);
    }

    /** The implementation ({@code library} parameter), or null when the benchmark has none. */
    public String library() {
        return params.get(LIBRARY);
    }

    /** The key without the library: what is measured, whichever implementation measures it. */
    public String workload() {
        SortedMap<String, String> rest = new TreeMap<>(params);
        rest.remove(LIBRARY);
        return shortName() + paramString(rest);
    }

    static String paramString(SortedMap<String, String> params) {
        return params.isEmpty() ? "" : params.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", ", " (", ")"));
    }
}
