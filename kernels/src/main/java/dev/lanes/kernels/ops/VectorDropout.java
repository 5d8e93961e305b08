package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Dropout with the Vector API: {@link DropoutHash} computed on int lanes. Twin: {@link ScalarDropout}. */
public final class VectorDropout {
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int V = S.length();

    private VectorDropout() {}

    /**
     * {@code y[i] = keep(first + i) ? x[i] * scale : 0}, where {@code first} is the index of {@code x[0]} in
     * the whole call (chunks pass their start) and {@code keep} is {@link DropoutHash}'s test.
     */
    public static void apply(int n, int first, int key0, int key1, int threshold, float scale,
                             float[] x, int xo, float[] y, int yo) {
        IntVector iota = IntVector.zero(I).addIndex(1);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMask<Float> keep = keep(iota.add(first + i), key0, key1, threshold);
            FloatVector.fromArray(S, x, xo + i).mul(factor(keep, scale)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> keep = keep(iota.add(first + i), key0, key1, threshold);
            FloatVector.fromArray(S, x, xo + i, m).mul(factor(keep, scale)).intoArray(y, yo + i, m);
        }
    }

    /** {@code scale} where kept, 0 where dropped: a dropped NaN or infinity gives NaN, as in PyTorch. */
    private static FloatVector factor(VectorMask<Float> keep, float scale) {
        return FloatVector.zero(S).blend(scale, keep);
    }

    private static VectorMask<Float> keep(IntVector index, int key0, int key1, int threshold) {
        IntVector h = mix(index.add(key0));
        h = mix(h.lanewise(VectorOperators.XOR, key1));
        return h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(S);
    }

    private static IntVector mix(IntVector h) {
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
        return h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
    }
}
