package dev.lanes.nn.data;

import java.util.Objects;

/**
 * The samples of another data set at given indices, like {@code torch.utils.data.Subset}: sample {@code i}
 * of the subset is sample {@code indices[i]} of the base. {@link Datasets#randomSplit} returns these.
 */
public final class Subset implements Dataset {
    private final Dataset dataset;
    private final int[] indices;

    /**
     * @param dataset the base data set
     * @param indices indices into it (copied); repeats are allowed
     * @throws IllegalArgumentException if an index is outside {@code [0, dataset.size())}
     */
    public Subset(Dataset dataset, int[] indices) {
        this.dataset = Objects.requireNonNull(dataset, "Subset: dataset");
        this.indices = indices.clone();
        int n = dataset.size();
        for (int k = 0; k < this.indices.length; k++) {
            if (this.indices[k] < 0 || this.indices[k] >= n) {
                throw new IllegalArgumentException("Subset: indices[" + k + "] = " + this.indices[k]
                        + " is outside the data set's range [0, " + n + ")");
            }
        }
    }

    /** The base data set. */
    public Dataset dataset() {
        return dataset;
    }

    /** The indices into the base data set (a copy). */
    public int[] indices() {
        return indices.clone();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public Sample get(int index) {
        return dataset.get(indices[Objects.checkIndex(index, indices.length)]);
    }

    @Override
    public Batch batch(int[] batchIndices) {
        int[] mapped = new int[batchIndices.length];
        for (int b = 0; b < mapped.length; b++) {
            mapped[b] = indices[Objects.checkIndex(batchIndices[b], indices.length)];
        }
        return dataset.batch(mapped);
    }
}
