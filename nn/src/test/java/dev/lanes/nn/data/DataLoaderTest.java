package dev.lanes.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** TensorDataset, DataLoader, Subset and randomSplit. */
class DataLoaderTest {
    /** n samples: input i is (3i, 3i+1, 3i+2) as a (1, 3) matrix, target i is i. */
    static TensorDataset numbered(int n) {
        float[] x = new float[n * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = i;
        }
        return new TensorDataset(Tensor.wrap(x, n, 1, 3), Tensor.wrap(y, n));
    }

    /** Checks every batch's inputs against its targets and returns the targets of the epoch in order. */
    static List<Integer> epoch(DataLoader loader, List<Integer> batchSizes) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : loader) {
            batchSizes.add(b.size());
            assertTrue(b.inputs().isContiguous());
            assertEquals(b.inputs().arrayOffset(), 0);
            assertArrayEquals(new int[] {b.size(), 1, 3}, b.inputs().shape());
            float[] x = b.inputs().toArray(), y = b.targets().toArray();
            for (int k = 0; k < b.size(); k++) {
                int i = (int) y[k];
                assertArrayEquals(new float[] {3 * i, 3 * i + 1, 3 * i + 2}, Arrays.copyOfRange(x, 3 * k, 3 * k + 3));
                seen.add(i);
            }
        }
        return seen;
    }

    @Test
    void sequentialBatchesWithShortLastOrDropped() {
        TensorDataset ds = numbered(10);
        DataLoader loader = new DataLoader(ds, 4);
        assertEquals(3, loader.size());
        List<Integer> sizes = new ArrayList<>();
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), epoch(loader, sizes));
        assertEquals(List.of(4, 4, 2), sizes);

        DataLoader dropped = DataLoader.builder(ds).batchSize(4).dropLast(true).build();
        assertEquals(2, dropped.size());
        sizes.clear();
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), epoch(dropped, sizes));
        assertEquals(List.of(4, 4), sizes);

        assertEquals(1, new DataLoader(ds, 10).size());
        assertEquals(1, new DataLoader(ds, 64).size());
        assertEquals(0, DataLoader.builder(ds).batchSize(64).dropLast(true).build().size());
        assertFalse(DataLoader.builder(ds).batchSize(64).dropLast(true).build().iterator().hasNext());
        assertEquals(10, DataLoader.builder(ds).build().size()); // PyTorch's default batch size is 1
    }

    @Test
    void shuffleVisitsEverySampleOncePerEpochAndIsReproducible() {
        TensorDataset ds = numbered(103);
        DataLoader a = DataLoader.builder(ds).batchSize(16).shuffle(7).build();
        DataLoader b = DataLoader.builder(ds).batchSize(16).shuffle(7).build();
        DataLoader c = DataLoader.builder(ds).batchSize(16).shuffle(8).build();
        List<List<Integer>> epochsA = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            List<Integer> sizes = new ArrayList<>();
            List<Integer> ea = epoch(a, sizes);
            assertEquals(List.of(16, 16, 16, 16, 16, 16, 7), sizes);
            List<Integer> sorted = new ArrayList<>(ea);
            sorted.sort(null);
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < 103; i++) {
                all.add(i);
            }
            assertEquals(all, sorted, "every sample exactly once in epoch " + e);
            assertEquals(ea, epoch(b, new ArrayList<>()), "same seed, same order in epoch " + e);
            assertTrue(!ea.equals(epoch(c, new ArrayList<>())), "another seed, another order");
            assertTrue(!ea.equals(all), "shuffled");
            epochsA.add(ea);
        }
        assertTrue(!epochsA.get(0).equals(epochsA.get(1)) && !epochsA.get(1).equals(epochsA.get(2)),
                "a fresh permutation every epoch");

        // A generator given explicitly behaves as the seed shorthand does.
        DataLoader g = DataLoader.builder(ds).batchSize(16).shuffle(true).generator(new Generator(7)).build();
        assertEquals(epochsA.get(0), epoch(g, new ArrayList<>()));

        // dropLast with shuffling drops a different remainder each epoch, but never repeats a sample.
        DataLoader d = DataLoader.builder(ds).batchSize(10).shuffle(3).dropLast(true).build();
        for (int e = 0; e < 2; e++) {
            List<Integer> seen = epoch(d, new ArrayList<>());
            assertEquals(100, seen.size());
            assertEquals(100, new HashSet<>(seen).size());
        }
    }

    @Test
    void shuffleWithoutGeneratorFollowsTheGlobalSeed() {
        TensorDataset ds = numbered(50);
        Generator.manualSeed(123);
        List<Integer> first = epoch(DataLoader.builder(ds).batchSize(8).shuffle(true).build(), new ArrayList<>());
        Generator.manualSeed(123);
        List<Integer> again = epoch(DataLoader.builder(ds).batchSize(8).shuffle(true).build(), new ArrayList<>());
        assertEquals(first, again);
    }

    @Test
    void batchesShareNothingWithTheDatasetOrEachOther() {
        TensorDataset ds = numbered(6);
        Iterator<Batch> it = new DataLoader(ds, 3).iterator();
        Batch b1 = it.next();
        Batch b2 = it.next();
        assertNotSame(b1.inputs().array(), b2.inputs().array());
        assertNotSame(ds.inputs().array(), b1.inputs().array());
        b1.inputs().set(-1f, 0, 0, 0);
        b1.targets().set(-1f, 0);
        assertEquals(0f, ds.inputs().get(0, 0, 0));
        assertEquals(0f, ds.targets().get(0));
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);

        Sample s = ds.get(4);
        assertArrayEquals(new int[] {1, 3}, s.input().shape());
        assertArrayEquals(new int[0], s.target().shape());
        assertArrayEquals(new float[] {12, 13, 14}, s.input().toArray());
        assertEquals(4f, s.target().item());
        s.input().set(99f, 0, 0);
        assertEquals(12f, ds.inputs().get(4, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(6));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.batch(new int[] {0, -1}));
    }

    @Test
    void nonContiguousTensorsAreCopiedOnce() {
        Tensor x = Tensor.arange(12).reshape(3, 4).t(); // (4, 3), column-major view
        Tensor y = Tensor.of(new float[] {0, 1, 2, 3});
        TensorDataset ds = new TensorDataset(x, y);
        Batch b = ds.batch(new int[] {2, 0});
        assertArrayEquals(new float[] {2, 6, 10, 0, 4, 8}, b.inputs().toArray());
        assertArrayEquals(new float[] {2, 0}, b.targets().toArray());
    }

    @Test
    void gradHistoryIsNotCarriedIntoBatches() {
        Tensor x = Tensor.rand(new Generator(1), 4, 2).requiresGrad(true);
        TensorDataset ds = new TensorDataset(x.mul(2f), Tensor.zeros(4));
        Batch b = new DataLoader(ds, 2).iterator().next();
        assertFalse(b.inputs().requiresGrad());
        assertEquals(null, b.inputs().gradFnName());
    }

    @Test
    void defaultBatchStacksSamples() {
        Dataset squares = new Dataset() {
            @Override
            public int size() {
                return 5;
            }

            @Override
            public Sample get(int index) {
                return new Sample(Tensor.of(new float[] {index, index * index}), Tensor.scalar(index % 2));
            }
        };
        Batch b = new DataLoader(squares, 2).iterator().next();
        assertArrayEquals(new int[] {2, 2}, b.inputs().shape());
        assertArrayEquals(new float[] {0, 0, 1, 1}, b.inputs().toArray());
        assertArrayEquals(new float[] {0, 1}, b.targets().toArray());
        Batch c = squares.batch(new int[] {4, 3});
        assertArrayEquals(new float[] {4, 16, 3, 9}, c.inputs().toArray());

        Dataset ragged = new Dataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Sample get(int index) {
                return new Sample(Tensor.zeros(index + 1), Tensor.scalar(0));
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ragged.batch(new int[] {0, 1}));
        assertTrue(e.getMessage().contains("must agree in shape"), e.getMessage());
    }

    @Test
    void randomSplitLikeTorch() {
        TensorDataset ds = numbered(11);
        List<Subset> parts = Datasets.randomSplit(ds, new int[] {7, 4}, new Generator(5));
        assertEquals(7, parts.get(0).size());
        assertEquals(4, parts.get(1).size());
        Set<Integer> all = new HashSet<>();
        for (Subset s : parts) {
            for (int i : s.indices()) {
                assertTrue(all.add(i), "index " + i + " in two subsets");
            }
        }
        assertEquals(11, all.size());
        assertArrayEquals(parts.get(0).indices(), Datasets.randomSplit(ds, new int[] {7, 4}, new Generator(5)).get(0).indices());

        // Fractions: floor(11 * 0.8) = 8, floor(11 * 0.2) = 2, the one left over goes to the first.
        List<Subset> f = Datasets.randomSplit(ds, new double[] {0.8, 0.2}, new Generator(5));
        assertEquals(9, f.get(0).size());
        assertEquals(2, f.get(1).size());
        List<Subset> three = Datasets.randomSplit(numbered(10), new double[] {0.34, 0.33, 0.33}, new Generator(1));
        assertEquals(List.of(4, 3, 3), three.stream().map(Subset::size).toList());

        // A subset's samples and batches are the base's at its indices.
        Subset s = parts.get(1);
        int[] idx = s.indices();
        assertEquals((float) idx[2], s.get(2).target().item());
        Batch b = s.batch(new int[] {3, 1});
        assertArrayEquals(new float[] {idx[3], idx[1]}, b.targets().toArray());
        List<Integer> seen = epoch(DataLoader.builder(s).batchSize(3).shuffle(1).build(), new ArrayList<>());
        assertEquals(Set.of(idx[0], idx[1], idx[2], idx[3]), new HashSet<>(seen));

        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                () -> Datasets.randomSplit(ds, new int[] {5, 5}, new Generator(0)));
        assertTrue(sum.getMessage().contains("does not equal the length of the input dataset (11)"), sum.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.randomSplit(ds, new int[] {12, -1}, new Generator(0)));
        assertThrows(IllegalArgumentException.class, () -> Datasets.randomSplit(ds, new double[] {0.5, 0.4}, new Generator(0)));
        assertThrows(IllegalArgumentException.class, () -> new Subset(ds, new int[] {11}));
    }

    @Test
    void badArguments() {
        TensorDataset ds = numbered(4);
        IllegalArgumentException bs = assertThrows(IllegalArgumentException.class, () -> new DataLoader(ds, 0));
        assertTrue(bs.getMessage().contains("batchSize should be a positive integer, got 0"), bs.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> new TensorDataset(Tensor.zeros(4, 2), Tensor.zeros(3)));
        assertTrue(mismatch.getMessage().contains("has 4 samples") && mismatch.getMessage().contains("has 3"), mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.scalar(1), Tensor.scalar(1)));
        assertThrows(IllegalArgumentException.class, () -> ds.batch(new int[0]));
    }

    @Test
    void cacheDirEndsWithTheName() {
        assertTrue(Datasets.cacheDir("mnist").endsWith("mnist"));
        assertTrue(Datasets.cacheDir("mnist").isAbsolute() || System.getenv("LANES_DATA") != null);
    }
}
