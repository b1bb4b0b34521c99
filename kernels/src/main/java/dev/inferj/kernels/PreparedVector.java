package dev.inferj.kernels;

/**
 * An activation vector made ready for products with one kind of weights
 * ({@link Kernels#prepare}). Sized once for the longest row it will meet and reused, so the
 * decode loop allocates nothing.
 */
public final class PreparedVector {
    /** Q8_0 block length. */
    public static final int Q8_BLOCK = 32;

    final float[] values;
    final byte[] quants;
    final float[] scales;
    int length;
    ActivationFormat format;

    public PreparedVector(int capacity) {
        values = new float[capacity];
        quants = new byte[capacity];
        scales = new float[(capacity + Q8_BLOCK - 1) / Q8_BLOCK];
    }

    public int capacity() {
        return values.length;
    }

    public int length() {
        return length;
    }

    public ActivationFormat format() {
        return format;
    }

    /** The (possibly rounded) values; meaningful for the F32, F16 and BF16 formats. */
    public float[] values() {
        return values;
    }

    /** The Q8_0 quants, one byte an element. */
    public byte[] quants() {
        return quants;
    }

    /** The Q8_0 scales, one a block, already rounded to F16. */
    public float[] scales() {
        return scales;
    }
}
