package dev.lanes.nn;

import java.util.Arrays;

/** Shape arithmetic shared by tensors: sizes, contiguous strides, broadcasting, readable shape strings. */
final class Shapes {
    private Shapes() {}

    static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31 - 1 elements");
            }
        }
        return (int) n;
    }

    static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= Math.max(1, shape[d]);
        }
        return strides;
    }

    static void checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            }
        }
        numel(shape);
    }

    /** NumPy broadcasting: the shapes are aligned at their last dimension, and 1s stretch. */
    static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative dimension index. */
    static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for a tensor of rank " + rank);
        }
        return d;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
