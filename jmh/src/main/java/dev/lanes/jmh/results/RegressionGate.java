package dev.lanes.jmh.results;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The performance-regression gate: compares a run's results with a stored baseline and fails (exit code 1)
 * when a benchmark got slower by more than a threshold <em>and</em> by more than the two runs' error bars
 * together, so noise the runs themselves report does not fail a build.
 *
 * <pre>{@code
 * java -cp jmh/target/benchmarks.jar dev.lanes.jmh.results.RegressionGate baseline.json current.json \
 *      [--threshold 5] [--max-error 20] [--include REGEX] [--fail-on-missing] [--allow-other-machine] [--markdown FILE]
 * }</pre>
 *
 * <p>Every benchmark of the baseline gets one verdict: {@code REGRESSION}, {@code IMPROVEMENT},
 * {@code UNCHANGED}, {@code NOISY} (either run's error is above {@code --max-error} percent of its score, or
 * missing: too noisy to judge, said so and not failed), {@code MISSING} (not in the current run: reported,
 * failed only with {@code --fail-on-missing}) or {@code INCOMPARABLE} (units that do not convert); benchmarks
 * only in the current run are listed as {@code NEW}. Scores in different time units (us/op against ms/op)
 * are converted; for times smaller is better, for rates larger.
 *
 * <p>Results from different machines (CPU model, processor count, OS) are refused with exit code 2 unless
 * {@code --allow-other-machine}, which compares them anyway and flags every line of the output. A plain JMH
 * file does not say where it ran: the output says so. Exit codes: 0 pass, 1 regression, 2 bad input.
 */
public final class RegressionGate {

    /** A verdict on one benchmark. */
    public enum Status { REGRESSION, IMPROVEMENT, UNCHANGED, NOISY, MISSING, NEW, INCOMPARABLE }

    /**
     * The gate's settings.
     *
     * @param threshold         the slowdown (fraction, 0.05 = 5 %) beyond which a separated change fails
     * @param maxRelativeError  above this error / score in either run, a benchmark is not judged
     * @param include           only benchmarks whose key matches (null: all)
     * @param failOnMissing     whether a baseline benchmark absent from the current run fails the gate
     * @param allowOtherMachine whether results from different machines are compared (flagged) or refused
     */
    public record Options(double threshold, double maxRelativeError, Pattern include, boolean failOnMissing,
                          boolean allowOtherMachine) {
        public static final Options DEFAULTS = new Options(0.05, 0.20, null, false, false);

        public Options {
            if (!(threshold >= 0) || !(maxRelativeError > 0)) {
                throw new IllegalArgumentException("threshold must be >= 0 and max error > 0, got " + threshold
                        + " and " + maxRelativeError);
            }
        }
    }

    /**
     * One line of the verdict.
     *
     * @param change the slowdown as a fraction (positive: slower, negative: faster), NaN when not compared
     */
    public record Verdict(Status status, String key, Metric baseline, Metric current, double change, String note) {}

    /**
     * The whole comparison.
     *
     * @param warnings what makes the comparison less trustworthy (other machine, other JDK, unknown machine)
     */
    public record Outcome(List<Verdict> verdicts, List<String> warnings, boolean failed) {
        public long count(Status s) {
            return verdicts.stream().filter(v -> v.status == s).count();
        }
    }

    private RegressionGate() {}

    /**
     * Compares {@code current} with {@code baseline}. Throws {@link IllegalArgumentException} when the files
     * come from different machines and the options do not allow it, or when a file names a benchmark twice.
     */
    public static Outcome compare(ResultsFile baseline, ResultsFile current, Options options) {
        List<String> warnings = machineWarnings(baseline, current, options.allowOtherMachine());
        Map<String, BenchmarkResult> base = index(baseline, options), cur = index(current, options);
        List<Verdict> verdicts = new ArrayList<>();
        for (var e : base.entrySet()) {
            BenchmarkResult c = cur.get(e.getKey());
            verdicts.add(c == null
                    ? new Verdict(Status.MISSING, e.getKey(), e.getValue().primary(), null, Double.NaN,
                            "in the baseline, not in the current run")
                    : judge(e.getKey(), e.getValue().primary(), c.primary(), options));
        }
        for (var e : cur.entrySet()) {
            if (!base.containsKey(e.getKey())) {
                verdicts.add(new Verdict(Status.NEW, e.getKey(), null, e.getValue().primary(), Double.NaN,
                        "not in the baseline"));
            }
        }
        boolean failed = verdicts.stream().anyMatch(v -> v.status == Status.REGRESSION
                || (v.status == Status.MISSING && options.failOnMissing()));
        return new Outcome(verdicts, warnings, failed);
    }

    static Verdict judge(String key, Metric b, Metric c, Options options) {
        if (!b.baseUnit().equals(c.baseUnit())) {
            return new Verdict(Status.INCOMPARABLE, key, b, c, Double.NaN,
                    "units " + b.unit() + " and " + c.unit() + " do not convert");
        }
        double bs = b.baseScore(), cs = c.baseScore();
        double change = b.lowerIsBetter() ? cs / bs - 1 : bs / cs - 1;
        double be = b.relativeError(), ce = c.relativeError();
        if (Double.isNaN(be) || Double.isNaN(ce)) {
            return new Verdict(Status.NOISY, key, b, c, change, "no error estimate (one iteration?): cannot judge");
        }
        if (be > options.maxRelativeError() || ce > options.maxRelativeError()) {
            return new Verdict(Status.NOISY, key, b, c, change, String.format(Locale.ROOT,
                    "error %.0f %% / %.0f %% of the score, above %.0f %%: too noisy to judge",
                    100 * be, 100 * ce, 100 * options.maxRelativeError()));
        }
        boolean separated = Math.abs(cs - bs) > b.baseError() + c.baseError();
        if (separated && change > options.threshold()) {
            return new Verdict(Status.REGRESSION, key, b, c, change, "slower beyond the threshold and the error bars");
        }
        if (separated && change < -options.threshold()) {
            return new Verdict(Status.IMPROVEMENT, key, b, c, change, "");
        }
        return new Verdict(Status.UNCHANGED, key, b, c, change, separated ? "" : "within the error bars");
    }

    private static Map<String, BenchmarkResult> index(ResultsFile file, Options options) {
        Map<String, BenchmarkResult> byKey = new LinkedHashMap<>();
        for (BenchmarkResult r : file.results()) {
            if (options.include() != null && !options.include().matcher(r.key()).find()) {
                continue;
            }
            if (byKey.put(r.key(), r) != null) {
                throw new IllegalArgumentException(file.path() + " holds " + r.key() + " twice");
            }
        }
        return byKey;
    }

    private static List<String> machineWarnings(ResultsFile baseline, ResultsFile current, boolean allowOtherMachine) {
        List<String> warnings = new ArrayList<>();
        Environment b = baseline.environment(), c = current.environment();
        if (b == null || c == null) {
            warnings.add("MACHINE UNKNOWN: " + (b == null ? baseline.path() : current.path()) + " is a plain JMH file "
                    + "that does not say where it ran; make sure both runs come from the same machine");
            return warnings;
        }
        if (!b.machine().equals(c.machine())) {
            String both = "baseline: " + b.machine() + "; current: " + c.machine();
            if (!allowOtherMachine) {
                throw new IllegalArgumentException("the runs come from different machines (" + both + "). Their ratios "
                        + "say more about the machines than about the code; record a baseline on this machine, or pass "
                        + "--allow-other-machine to compare anyway");
            }
            warnings.add("DIFFERENT MACHINES, compared on request: " + both);
        }
        if (!b.jdk().equals(c.jdk())) {
            warnings.add("different JDKs: baseline " + b.jdk() + ", current " + c.jdk());
        }
        if (b.vectorBits() != c.vectorBits() || b.threads() != c.threads()) {
            warnings.add("different Lanes setups: baseline " + b.vectorBits() + "-bit vectors, " + b.threads()
                    + " threads; current " + c.vectorBits() + "-bit vectors, " + c.threads() + " threads");
        }
        return warnings;
    }

    /** The outcome as a plain-text table. */
    public static void print(Outcome outcome, Options options, PrintStream out) {
        outcome.warnings().forEach(w -> out.println("WARNING: " + w));
        for (Verdict v : outcome.verdicts()) {
            out.printf(Locale.ROOT, "%-12s %-70s %24s -> %-24s %8s  %s%n", v.status(), v.key(),
                    v.baseline() == null ? "-" : v.baseline().format(), v.current() == null ? "-" : v.current().format(),
                    percent(v.change()), v.note());
        }
        out.println(summary(outcome, options));
    }

    /** The outcome as a Markdown table (for a CI job summary). */
    public static String markdown(Outcome outcome, Options options) {
        StringBuilder md = new StringBuilder("## Lanes benchmark gate\n\n");
        outcome.warnings().forEach(w -> md.append("> **Warning:** ").append(w).append("\n\n"));
        md.append("| status | benchmark | baseline | current | slowdown | note |\n|---|---|---|---|---|---|\n");
        for (Verdict v : outcome.verdicts()) {
            md.append("| ").append(v.status()).append(" | ").append(v.key()).append(" | ")
                    .append(v.baseline() == null ? "-" : v.baseline().format()).append(" | ")
                    .append(v.current() == null ? "-" : v.current().format()).append(" | ")
                    .append(percent(v.change())).append(" | ").append(v.note()).append(" |\n");
        }
        return md.append('\n').append(summary(outcome, options)).append('\n').toString();
    }

    private static String summary(Outcome o, Options options) {
        return String.format(Locale.ROOT, "%s: %d regression(s), %d improvement(s), %d unchanged, %d too noisy to judge, "
                        + "%d missing, %d new (threshold %.1f %%, max error %.0f %%)",
                o.failed() ? "FAILED" : "PASSED", o.count(Status.REGRESSION), o.count(Status.IMPROVEMENT),
                o.count(Status.UNCHANGED), o.count(Status.NOISY), o.count(Status.MISSING), o.count(Status.NEW),
                100 * options.threshold(), 100 * options.maxRelativeError());
    }

    private static String percent(double change) {
        return Double.isNaN(change) ? "" : String.format(Locale.ROOT, "%+.1f %%", 100 * change);
    }

    /** The command line; exit code 0 pass, 1 regression, 2 bad input. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<Path> files = new ArrayList<>();
        double threshold = Options.DEFAULTS.threshold(), maxError = Options.DEFAULTS.maxRelativeError();
        Pattern include = null;
        boolean failOnMissing = false, allowOther = false;
        Path markdown = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--threshold" -> threshold = percentArg(args, ++i, "--threshold");
                    case "--max-error" -> maxError = percentArg(args, ++i, "--max-error");
                    case "--include" -> include = Pattern.compile(value(args, ++i, "--include"));
                    case "--fail-on-missing" -> failOnMissing = true;
                    case "--allow-other-machine" -> allowOther = true;
                    case "--markdown" -> markdown = Path.of(value(args, ++i, "--markdown"));
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> {
                        if (args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + args[i]);
                        }
                        files.add(Path.of(args[i]));
                    }
                }
            }
            if (files.size() != 2) {
                throw new IllegalArgumentException("expected two files, the baseline and the current run; got " + files.size());
            }
            Options options = new Options(threshold, maxError, include, failOnMissing, allowOther);
            Outcome outcome = compare(ResultsFile.read(files.get(0)), ResultsFile.read(files.get(1)), options);
            print(outcome, options, out);
            if (markdown != null) {
                Files.writeString(markdown, markdown(outcome, options),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            }
            return outcome.failed() ? 1 : 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("benchmark gate: " + e.getMessage());
            if (e instanceof IllegalArgumentException && files.size() != 2) {
                err.println(USAGE);
            }
            return 2;
        }
    }

    private static final String USAGE = """
            usage: RegressionGate BASELINE.json CURRENT.json [--threshold PERCENT] [--max-error PERCENT]
                   [--include REGEX] [--fail-on-missing] [--allow-other-machine] [--markdown FILE]
              --threshold     slowdown that fails when it is also beyond the error bars (default 5)
              --max-error     benchmarks whose error exceeds this percent of the score are not judged (default 20)
              --include       only benchmarks whose key (Class.method (params) mode) matches the regex
              --markdown      append the verdict as a Markdown table to FILE (e.g. $GITHUB_STEP_SUMMARY)
            exit code: 0 passed, 1 regression (or missing with --fail-on-missing), 2 bad input or other machine""";

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static double percentArg(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Double.parseDouble(v.endsWith("%") ? v.substring(0, v.length() - 1) : v) / 100;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects a percentage, got \"" + v + "\"");
        }
    }
}
