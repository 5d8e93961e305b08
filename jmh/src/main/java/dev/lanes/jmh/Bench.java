package dev.lanes.jmh;

import dev.lanes.jmh.results.Environment;
import dev.lanes.jmh.results.ResultsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.openjdk.jmh.Main;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The benchmark jar's entry point ({@code java -jar jmh/target/benchmarks.jar}, {@code ./lanes bench}): JMH's
 * command line, plus
 * <ul>
 *   <li>a first line saying what Lanes detected (CPU, SIMD features, vector width, threads, JDK);</li>
 *   <li>{@code --results FILE}: the results as JSON with that environment recorded, for
 *       {@link dev.lanes.jmh.results.RegressionGate} and {@link dev.lanes.jmh.results.Report};</li>
 *   <li>{@code --quick}: the CI profile, the same benchmarks with one fork and short iterations
 *       ({@code -f 1 -wi 2 -w 200ms -i 3 -r 200ms}); options given explicitly win;</li>
 *   <li>{@code -Dlanes.onnx.dir=DIR} on this JVM reaches the benchmark forks too (JMH does not pass system
 *       properties on), so the ONNX Runtime comparison finds its models anywhere.</li>
 * </ul>
 */
public final class Bench {
    /** JMH options that print something and exit: handed to JMH as they are. */
    private static final Set<String> INFO = Set.of("-h", "-l", "-lp", "-lrf", "-lprof");
    private static final List<String> QUICK = List.of("-f", "1", "-wi", "2", "-w", "200ms", "-i", "3", "-r", "200ms");

    private Bench() {}

    public static void main(String[] args) throws Exception {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs JMH as {@link #main} does; returns the exit code (0 done, 2 bad options or a failed run). */
    static int run(String[] args) throws Exception {
        List<String> jmh = new ArrayList<>();
        Path results = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--results")) {
                if (i + 1 >= args.length) {
                    return fail("--results needs a file name");
                }
                results = Path.of(args[++i]);
            } else if (args[i].equals("--quick")) {
                quick = true;
            } else {
                jmh.add(args[i]);
            }
        }
        if (jmh.stream().anyMatch(INFO::contains)) {
            Main.main(jmh.toArray(String[]::new));
            return 0;
        }
        Environment environment = Environment.detect();
        System.out.println("# " + environment.line());
        if (quick) {
            for (int i = 0; i < QUICK.size(); i += 2) {
                if (!jmh.contains(QUICK.get(i))) {
                    jmh.add(0, QUICK.get(i + 1));
                    jmh.add(0, QUICK.get(i));
                }
            }
        }
        String onnxDir = System.getProperty(dev.lanes.jmh.onnx.OnnxModel.DIR_PROPERTY);
        if (onnxDir != null && !jmh.contains("-jvmArgsPrepend")) {
            jmh.addAll(List.of("-jvmArgsPrepend", "-D" + dev.lanes.jmh.onnx.OnnxModel.DIR_PROPERTY + "=" + onnxDir));
        }
        Path jmhJson = null;
        if (results != null) {
            if (jmh.contains("-rf") || jmh.contains("-rff")) {
                return fail("--results writes JSON itself; leave out -rf and -rff");
            }
            jmhJson = Files.createTempFile("lanes-jmh-", ".json");
            jmh.addAll(List.of("-rf", "json", "-rff", jmhJson.toString()));
        }
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(jmh.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            return fail("bad JMH option: " + e.getMessage());
        }
        try {
            new Runner(options).run();
            if (results != null) {
                ResultsFile.write(results, environment, jmhJson);
                System.out.println("# results with the environment: " + results);
            }
            return 0;
        } catch (NoBenchmarksException e) {
            return fail("no benchmark matches " + options.getIncludes() + " (java -jar benchmarks.jar -l lists them)");
        } catch (RunnerException e) {
            return fail("the run failed: " + e.getMessage());
        } catch (IOException e) {
            return fail("could not write " + results + ": " + e.getMessage());
        } finally {
            if (jmhJson != null) {
                Files.deleteIfExists(jmhJson);
            }
        }
    }

    private static int fail(String message) {
        System.err.println("bench: " + message);
        return 2;
    }
}
