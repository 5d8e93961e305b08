package dev.lanes.nn.data;

import dev.lanes.nn.Generator;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Batches of a {@link Dataset}, like {@code torch.utils.data.DataLoader(dataset, batch_size, shuffle,
 * generator=..., drop_last)} with the default collation and no worker processes:
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train).batchSize(64).shuffle(42).build();
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     for (Batch b : loader) {
 *         Tensor loss = lossFn.forward(model.forward(b.inputs()), b.targets());
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>Each {@link #iterator()} is one epoch. Without shuffling it visits the samples in order; with
 * shuffling it draws a fresh permutation from the loader's {@link Generator} at the start of each epoch,
 * so epochs differ from each other while the whole sequence is reproducible from the seed. Every sample
 * appears exactly once per epoch; the last batch is smaller when the batch size does not divide the data
 * set, unless {@code dropLast} drops it. Each batch is gathered into new contiguous tensors.
 *
 * <p>Not thread-safe (the generator is shared by the epochs): iterate from one thread.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final Generator generator;
    private final boolean dropLast;

    /** A loader over {@code dataset} in order, {@code batchSize} samples a batch, keeping a short last batch. */
    public DataLoader(Dataset dataset, int batchSize) {
        this(dataset, batchSize, false, null, false);
    }

    /**
     * The full form; {@link #builder} reads better.
     *
     * @param shuffle whether each epoch visits the samples in a new random order
     * @param generator the source of the permutations; null takes a seed from
     *     {@link Generator#defaultGenerator()} once, here (so {@link Generator#manualSeed} makes it reproducible)
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, Generator generator, boolean dropLast) {
        this.dataset = Objects.requireNonNull(dataset, "DataLoader: dataset");
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader: batchSize should be a positive integer, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        if (shuffle && generator == null) {
            Generator global = Generator.defaultGenerator();
            long seed;
            synchronized (global) {
                seed = global.nextLong();
            }
            generator = new Generator(seed);
        }
        this.generator = generator;
    }

    /** Starts a builder over {@code dataset}: batch size 1, no shuffling, last batch kept (PyTorch's defaults). */
    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public boolean dropLast() {
        return dropLast;
    }

    /** The number of batches in an epoch ({@code len(loader)}). */
    public int size() {
        int n = dataset.size();
        // (n - 1) / b + 1 rather than (n + b - 1) / b, which overflows for batchSize(Integer.MAX_VALUE).
        return dropLast ? n / batchSize : n == 0 ? 0 : (n - 1) / batchSize + 1;
    }

    /**
     * One epoch's batches. With shuffling, the permutation is drawn now, so each call starts a new epoch
     * and advances the generator.
     */
    @Override
    public Iterator<Batch> iterator() {
        int n = dataset.size();
        int[] order = Datasets.permutation(n, shuffle ? generator : null);
        int batches = size();
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < batches;
            }

            @Override
            public Batch next() {
                if (next >= batches) {
                    throw new NoSuchElementException("DataLoader: the epoch has " + batches + " batches");
                }
                int from = next * batchSize; // < n, so no overflow
                int to = (int) Math.min(n, (long) from + batchSize);
                next++;
                return dataset.batch(Arrays.copyOfRange(order, from, to));
            }
        };
    }

    /** Keyword-style construction: {@code DataLoader.builder(ds).batchSize(64).shuffle(42).dropLast(true).build()}. */
    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 1;
        private boolean shuffle;
        private Generator generator;
        private boolean dropLast;

        private Builder(Dataset dataset) {
            this.dataset = Objects.requireNonNull(dataset, "DataLoader.builder: dataset");
        }

        /** Samples per batch (default 1). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Whether to reshuffle every epoch (default false); see {@link #generator}. */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Shuffles every epoch with a generator seeded with {@code seed}. */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.generator = new Generator(seed);
            return this;
        }

        /** The generator the permutations are drawn from (used only when shuffling). */
        public Builder generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        /** Whether to drop the last, smaller batch (default false). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(dataset, batchSize, shuffle, generator, dropLast);
        }
    }
}
