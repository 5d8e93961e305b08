package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.util.Arrays;

/**
 * A map-style data set, like {@code torch.utils.data.Dataset}: {@link #size()} samples, each an input and
 * a target, readable by index. A {@link DataLoader} reads it a batch at a time through {@link #batch},
 * which implementations such as {@link TensorDataset} do with one array copy per sample.
 */
public interface Dataset {
    /** The number of samples ({@code len(dataset)}). */
    int size();

    /**
     * Sample {@code index} ({@code dataset[index]}), as tensors of its own that share nothing with the data set.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    Sample get(int index);

    /**
     * The samples at {@code indices}, in that order, stacked along a new first dimension into contiguous
     * tensors of their own ({@code default_collate}). The default stacks {@link #get} results; data sets
     * backed by arrays override it with a direct copy.
     *
     * @throws IndexOutOfBoundsException if an index is out of range
     * @throws IllegalArgumentException if {@code indices} is empty or the samples differ in shape
     */
    default Batch batch(int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("Dataset.batch: no indices");
        }
        Sample first = get(indices[0]);
        int[] inShape = first.input().shape(), tgShape = first.target().shape();
        int inSize = first.input().numel(), tgSize = first.target().numel();
        float[] in = new float[Math.multiplyExact(indices.length, inSize)];
        float[] tg = new float[Math.multiplyExact(indices.length, tgSize)];
        for (int b = 0; b < indices.length; b++) {
            Sample s = b == 0 ? first : get(indices[b]);
            if (!Arrays.equals(s.input().shape(), inShape) || !Arrays.equals(s.target().shape(), tgShape)) {
                throw new IllegalArgumentException("Dataset.batch: sample " + indices[b] + " has input "
                        + Arrays.toString(s.input().shape()) + " and target " + Arrays.toString(s.target().shape())
                        + ", sample " + indices[0] + " has " + Arrays.toString(inShape) + " and "
                        + Arrays.toString(tgShape) + "; samples of a batch must agree in shape");
            }
            copyInto(s.input(), in, b * inSize);
            copyInto(s.target(), tg, b * tgSize);
        }
        return new Batch(Tensor.wrap(in, Rows.prepend(indices.length, inShape)), Tensor.wrap(tg, Rows.prepend(indices.length, tgShape)));
    }

    private static void copyInto(Tensor t, float[] dst, int at) {
        if (t.isContiguous()) {
            System.arraycopy(t.array(), t.arrayOffset(), dst, at, t.numel());
        } else {
            float[] v = t.toArray();
            System.arraycopy(v, 0, dst, at, v.length);
        }
    }
}
