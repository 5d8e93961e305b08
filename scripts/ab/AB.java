import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares builds of Lanes inside one JVM: loads the class BENCH (from BENCH_DIR) once per jar, each in its own
 * class loader with that jar, and calls the loaders' BENCH.once() in turn, round after round (the order
 * reversed every other round). Each loader has its own classes, so the JIT compiles each build on its own, and
 * both run under the same machine conditions, minute by minute: on a shared machine whose speed drifts, this
 * separates differences of a few percent that separate JVMs cannot. Prints, per jar, the median of each figure
 * over the rounds after the first third (the warm-up). BENCH has {@code static String names()} (the figures'
 * names) and {@code static double[] once()} (one round's figures). Run by scripts/ab/run.sh.
 */
public class AB {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: AB BENCH BENCH_DIR ROUNDS JAR...");
            System.exit(2);
        }
        String bench = args[0];
        URL benchDir = new File(args[1]).toURI().toURL();
        int rounds = Integer.parseInt(args[2]);
        int jars = args.length - 3;
        Method[] once = new Method[jars];
        String names = null;
        for (int j = 0; j < jars; j++) {
            URL[] urls = {benchDir, new File(args[3 + j]).toURI().toURL()};
            Class<?> c = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader()).loadClass(bench);
            once[j] = c.getMethod("once");
            names = (String) c.getMethod("names").invoke(null);
        }
        List<List<double[]>> figures = new ArrayList<>();
        for (int j = 0; j < jars; j++) {
            figures.add(new ArrayList<>());
        }
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < jars; k++) {
                int j = r % 2 == 0 ? k : jars - 1 - k;
                figures.get(j).add((double[]) once[j].invoke(null));
            }
        }
        System.out.println("medians of rounds " + (rounds / 3 + 1) + ".." + rounds + ": " + names);
        for (int j = 0; j < jars; j++) {
            List<double[]> kept = figures.get(j).subList(rounds / 3, rounds);
            StringBuilder line = new StringBuilder(String.format("%-40s", new File(args[3 + j]).getName()));
            for (int i = 0; i < kept.get(0).length; i++) {
                double[] v = new double[kept.size()];
                for (int q = 0; q < v.length; q++) {
                    v[q] = kept.get(q)[i];
                }
                Arrays.sort(v);
                line.append(String.format(" %8.1f", v[v.length / 2]));
            }
            System.out.println(line);
        }
    }
}
