package dev.lanes.jmh.nn;

import dev.lanes.jmh.Work;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The Lanes side of {@code scripts/bench_lstm_interleaved.py}: runs {@link LstmBenchmark}'s own benchmark
 * methods in bursts on command, so that PyTorch and Lanes can take turns second by second on a machine whose
 * speed drifts over minutes (each burst of one is timed under the same conditions as the neighbouring burst
 * of the other). Commands, one per line on standard input; each answer is one line starting with {@code =}
 * (anything else on standard output, such as the setup's description of the machine, is not an answer):
 * <ul>
 *   <li>{@code threads N}: sets up the benchmark for N threads, as JMH's trial setup does; answers {@code = ready};</li>
 *   <li>{@code run CASE SECONDS} with CASE {@code forwardBackward} or {@code forward}: calls it until SECONDS
 *       have passed (at least once); answers {@code = CALLS NANOS}, the calls and their total time;</li>
 *   <li>{@code quit}.</li>
 * </ul>
 * Run it with the benchmark's JVM options (see {@link LstmBenchmark}'s {@code @Fork}).
 */
public final class LstmWorker {
    private LstmWorker() {}

    public static void main(String[] args) throws IOException {
        serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out);
    }

    /** Answers the commands read from {@code in} on {@code out} until {@code quit} or the end of the input. */
    static void serve(BufferedReader in, PrintStream out) throws IOException {
        LstmBenchmark bench = null;
        Work.Tokens tokens = new Work.Tokens();
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.trim().split("\\s+");
            switch (words[0]) {
                case "threads" -> {
                    int threads = (int) number(words, 1, line);
                    bench = new LstmBenchmark();
                    bench.threads = threads;
                    bench.setUp();
                    out.println("= ready");
                }
                case "run" -> {
                    if (bench == null) {
                        throw new IllegalStateException("LstmWorker: 'run' before 'threads'");
                    }
                    double seconds = number(words, 2, line);
                    boolean backward = switch (words[1]) {
                        case "forwardBackward" -> true;
                        case "forward" -> false;
                        default -> throw new IllegalArgumentException("LstmWorker: no case " + words[1]
                                + " (forwardBackward or forward)");
                    };
                    long budget = (long) (seconds * 1e9);
                    long start = System.nanoTime(), end = start + budget, now;
                    long calls = 0;
                    do {
                        if (backward) {
                            bench.forwardBackward(tokens);
                        } else {
                            bench.forward(tokens);
                        }
                        calls++;
                        now = System.nanoTime();
                    } while (now < end);
                    out.println("= " + calls + " " + (now - start));
                }
                case "quit" -> {
                    return;
                }
                default -> throw new IllegalArgumentException("LstmWorker: unknown command '" + line + "'");
            }
            out.flush();
        }
    }

    /** Word {@code i} of a command as a number, or an exception that quotes the command. */
    private static double number(String[] words, int i, String line) {
        try {
            return Double.parseDouble(words[i]);
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("LstmWorker: '" + line + "' needs a number as word " + (i + 1));
        }
    }
}
