package dev.lanes.jmh.results;

import java.util.Locale;
import java.util.Map;

/**
 * One measured quantity: JMH's score, its error (half the 99.9 % confidence interval, NaN when JMH could not
 * compute one) and its unit.
 */
public record Metric(double score, double error, String unit) {

    private static final Map<String, Double> TIME_PER_OP = Map.of(
            "ns/op", 1e-9, "us/op", 1e-6, "µs/op", 1e-6, "ms/op", 1e-3, "s/op", 1.0, "min/op", 60.0);
    private static final Map<String, Double> OPS_PER_TIME = Map.of(
            "ops/ns", 1e9, "ops/us", 1e6, "ops/µs", 1e6, "ops/ms", 1e3, "ops/s", 1.0, "ops/min", 1.0 / 60);

    /** True when smaller is better: a time per operation; false for a rate (operations, samples, FLOP per time). */
    public boolean lowerIsBetter() {
        return TIME_PER_OP.containsKey(unit) || unit.endsWith("/op") || unit.equals("B/op");
    }

    /**
     * The unit the score converts to ({@code s/op} for every time per operation, {@code ops/s} for every JMH
     * rate), so that a run in µs/op compares with one in ms/op; other units stay as they are.
     */
    public String baseUnit() {
        return TIME_PER_OP.containsKey(unit) ? "s/op" : OPS_PER_TIME.containsKey(unit) ? "ops/s" : unit;
    }

    /** The score in {@link #baseUnit()}. */
    public double baseScore() {
        return score * factor();
    }

    /** The error in {@link #baseUnit()}. */
    public double baseError() {
        return error * factor();
    }

    /** The error as a fraction of the score (NaN when there is no error estimate). */
    public double relativeError() {
        return Double.isNaN(error) || score == 0 ? Double.NaN : Math.abs(error / score);
    }

    /**
     * This metric as a rate in {@code unit}: a JMH counter of work ({@link dev.lanes.jmh.Work}) comes as time
     * per unit of work in average-time mode ({@code us/op} per GFLOP) and as work per time in throughput mode;
     * either way the result is work per second, with the same relative error.
     */
    public Metric asRate(String unit) {
        double rate = lowerIsBetter() ? 1 / baseScore() : baseScore();
        return new Metric(rate, rate * relativeError(), unit);
    }

    private double factor() {
        Double f = TIME_PER_OP.get(unit);
        if (f == null) {
            f = OPS_PER_TIME.get(unit);
        }
        return f == null ? 1.0 : f;
    }

    /** {@code "12.3 ± 0.4 us/op"}: about three significant digits, the error with the score's decimals. */
    public String format() {
        return Double.isNaN(error)
                ? number(score, decimals(score)) + " " + unit
                : number(score, decimals(score)) + " ± " + number(error, decimals(score)) + " " + unit;
    }

    /** Three significant digits for everyday magnitudes (no exponent, thousands separated). */
    static String number(double v) {
        return number(v, decimals(v));
    }

    private static int decimals(double v) {
        double a = Math.abs(v);
        return a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    }

    private static String number(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        if (a >= 1e9 || (a < 1e-3 && a != 0)) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }
}
