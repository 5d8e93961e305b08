package dev.lanes.nn.io;

import java.util.List;

/**
 * The safetensors element types Lanes reads, with their header spelling and size. Lanes tensors are float32:
 * {@link #F16}, {@link #BF16} and the integer types convert to it exactly (integers only up to
 * 2<sup>24</sup> in magnitude); {@link #F64} rounds to the nearest float32, as {@code tensor.float()} does.
 * Lanes writes only {@link #F32} and {@link #I64}.
 */
public enum Dtype {
    /** One byte, 0 or 1. */
    BOOL(1, true),
    /** Unsigned byte. */
    U8(1, true),
    /** IEEE 754 half precision ({@code torch.float16}). */
    F16(2, false),
    /** bfloat16: the upper half of a float32 ({@code torch.bfloat16}). */
    BF16(2, false),
    /** Signed 32-bit integer. */
    I32(4, true),
    /** IEEE 754 single precision, Lanes' own type. */
    F32(4, false),
    /** IEEE 754 double precision, rounded to float32 on reading. */
    F64(8, false),
    /** Signed 64-bit integer ({@code torch.int64}, e.g. BatchNorm's {@code num_batches_tracked}). */
    I64(8, true);

    /**
     * Types that the format defines (safetensors 0.8) but Lanes does not read; a file holding them is
     * refused with a message naming the type rather than called corrupt.
     */
    static final List<String> KNOWN_UNSUPPORTED = List.of("I8", "I16", "U16", "U32", "U64", "F4", "F6_E2M3",
            "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64");

    private final int size;
    private final boolean integer;

    Dtype(int size, boolean integer) {
        this.size = size;
        this.integer = integer;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for BOOL and the integer types, whose values {@link SafetensorsFile#longs} returns. */
    public boolean isInteger() {
        return integer;
    }

    /** The type spelled as in a header ({@code "F32"}), or null if Lanes does not know it. */
    static Dtype parse(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
