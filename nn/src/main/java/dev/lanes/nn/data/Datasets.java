package dev.lanes.nn.data;

import dev.lanes.nn.Generator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Functions over data sets: {@link #randomSplit} and the location of the local data cache. */
public final class Datasets {
    private Datasets() {}

    /**
     * Splits {@code dataset} into non-overlapping subsets of the given lengths, in a random order drawn from
     * {@code generator}, like {@code torch.utils.data.random_split(dataset, lengths, generator)}: a random
     * permutation of all indices is cut into consecutive pieces.
     *
     * @param lengths subset sizes, summing to {@code dataset.size()}
     * @throws IllegalArgumentException if a length is negative or they do not sum to the data set's size
     */
    public static List<Subset> randomSplit(Dataset dataset, int[] lengths, Generator generator) {
        Objects.requireNonNull(dataset, "randomSplit: dataset");
        Objects.requireNonNull(generator, "randomSplit: generator");
        long sum = 0;
        for (int len : lengths) {
            if (len < 0) {
                throw new IllegalArgumentException("randomSplit: lengths " + Arrays.toString(lengths) + " contain a negative length");
            }
            sum += len;
        }
        if (sum != dataset.size()) {
            throw new IllegalArgumentException("randomSplit: sum of input lengths " + Arrays.toString(lengths) + " is "
                    + sum + ", which does not equal the length of the input dataset (" + dataset.size() + ")");
        }
        int[] perm = permutation(dataset.size(), generator);
        List<Subset> out = new ArrayList<>(lengths.length);
        int at = 0;
        for (int len : lengths) {
            out.add(new Subset(dataset, Arrays.copyOfRange(perm, at, at + len)));
            at += len;
        }
        return out;
    }

    /**
     * {@link #randomSplit(Dataset, int[], Generator)} with fractions of the data set, as PyTorch computes
     * them: each length is {@code floor(n * fraction)}, and the samples left over are handed out one at a
     * time to the subsets in turn, starting with the first.
     *
     * @param fractions non-negative fractions summing to 1 (within 1e-6)
     */
    public static List<Subset> randomSplit(Dataset dataset, double[] fractions, Generator generator) {
        double sum = 0;
        for (double f : fractions) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("randomSplit: fraction " + f + " in " + Arrays.toString(fractions)
                        + " is not between 0 and 1");
            }
            sum += f;
        }
        if (Math.abs(sum - 1) > 1e-6) {
            throw new IllegalArgumentException("randomSplit: fractions " + Arrays.toString(fractions) + " sum to " + sum + ", not 1");
        }
        int n = dataset.size();
        int[] lengths = new int[fractions.length];
        int assigned = 0;
        for (int k = 0; k < fractions.length; k++) {
            lengths[k] = (int) Math.floor(n * fractions[k]);
            assigned += lengths[k];
        }
        for (int r = 0; r < n - assigned; r++) {
            lengths[r % lengths.length]++;
        }
        return randomSplit(dataset, lengths, generator);
    }

    /**
     * The folder where {@code scripts/data/fetch.sh NAME} puts data set {@code name}:
     * {@code $LANES_DATA/name} when the environment variable {@code LANES_DATA} is set, else
     * {@code ~/.cache/lanes/data/name}. The folder need not exist.
     */
    public static Path cacheDir(String name) {
        Objects.requireNonNull(name, "cacheDir: name");
        String root = System.getenv("LANES_DATA");
        Path base = root != null && !root.isEmpty()
                ? Path.of(root)
                : Path.of(System.getProperty("user.home"), ".cache", "lanes", "data");
        return base.resolve(name);
    }

    /**
     * {@code 0 .. n-1} in an order drawn from {@code generator} (Fisher-Yates: every permutation equally
     * likely), or in order when {@code generator} is null.
     */
    static int[] permutation(int n, Generator generator) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (generator != null) {
            for (int i = n - 1; i > 0; i--) {
                int j = generator.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }
}
