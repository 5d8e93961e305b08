package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A data set over two tensors whose first dimension indexes the samples, like
 * {@code torch.utils.data.TensorDataset(inputs, targets)}: sample {@code i} is {@code (inputs[i], targets[i])}.
 *
 * <p>The tensors are held, not copied, when they are contiguous (a non-contiguous one is copied once, here),
 * so later writes to them show in the samples; their autograd history is dropped. Batches are gathered with
 * one {@code System.arraycopy} per sample and tensor into new arrays.
 */
public final class TensorDataset implements Dataset {
    private final Tensor inputs;
    private final Tensor targets;
    private final int size;
    private final int inputRow;
    private final int targetRow;

    /**
     * @param inputs shape (N, ...)
     * @param targets shape (N, ...), for example (N) class indices or (N, K) regression targets
     * @throws IllegalArgumentException if either is 0-dimensional or their first dimensions differ
     */
    public TensorDataset(Tensor inputs, Tensor targets) {
        Objects.requireNonNull(inputs, "TensorDataset: inputs");
        Objects.requireNonNull(targets, "TensorDataset: targets");
        if (inputs.dim() == 0 || targets.dim() == 0) {
            throw new IllegalArgumentException("TensorDataset: inputs " + Arrays.toString(inputs.shape())
                    + " and targets " + Arrays.toString(targets.shape()) + " both need a first (sample) dimension");
        }
        if (inputs.size(0) != targets.size(0)) {
            throw new IllegalArgumentException("TensorDataset: size mismatch between tensors: inputs "
                    + Arrays.toString(inputs.shape()) + " has " + inputs.size(0) + " samples, targets "
                    + Arrays.toString(targets.shape()) + " has " + targets.size(0));
        }
        this.inputs = Rows.packed(inputs);
        this.targets = Rows.packed(targets);
        this.size = inputs.size(0);
        this.inputRow = size == 0 ? 0 : inputs.numel() / size;
        this.targetRow = size == 0 ? 0 : targets.numel() / size;
    }

    /** The inputs, shape (N, ...) (a view of the tensor given, or its contiguous copy). */
    public Tensor inputs() {
        return inputs;
    }

    /** The targets, shape (N, ...). */
    public Tensor targets() {
        return targets;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Sample get(int index) {
        Objects.checkIndex(index, size);
        return new Sample(row(inputs, inputRow, index), row(targets, targetRow, index));
    }

    private static Tensor row(Tensor t, int rowSize, int index) {
        float[] v = new float[rowSize];
        System.arraycopy(t.array(), t.arrayOffset() + index * rowSize, v, 0, rowSize);
        return Tensor.wrap(v, Rows.tail(t.shape()));
    }

    @Override
    public Batch batch(int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("TensorDataset.batch: no indices");
        }
        int n = indices.length;
        float[] in = new float[Math.multiplyExact(n, inputRow)];
        float[] tg = new float[Math.multiplyExact(n, targetRow)];
        float[] inSrc = inputs.array(), tgSrc = targets.array();
        int inOff = inputs.arrayOffset(), tgOff = targets.arrayOffset();
        for (int b = 0; b < n; b++) {
            int i = Objects.checkIndex(indices[b], size);
            System.arraycopy(inSrc, inOff + i * inputRow, in, b * inputRow, inputRow);
            System.arraycopy(tgSrc, tgOff + i * targetRow, tg, b * targetRow, targetRow);
        }
        int[] inShape = inputs.shape(), tgShape = targets.shape();
        inShape[0] = n;
        tgShape[0] = n;
        return new Batch(Tensor.wrap(in, inShape), Tensor.wrap(tg, tgShape));
    }

    @Override
    public String toString() {
        return "TensorDataset(inputs " + Arrays.toString(inputs.shape()) + ", targets " + Arrays.toString(targets.shape()) + ")";
    }
}
