package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * An activation vector made ready for products with one kind of weights
 * ({@link Kernels#prepare}). Sized once for the longest row it will meet and reused, so the
 * decode loop allocates nothing.
 */
public final class PreparedVector {
    /** Q8_0 and Q8_1 block length. */
    public static final int Q8_BLOCK = 32;
    /** Q8_K block length. */
    public static final int Q8_K_BLOCK = 256;
    /** Q8_K elements per group sum. */
    public static final int Q8_K_GROUP = 16;

    /**
     * The values for F32, F16 and BF16; for Q8_0 and Q8_K the quants as floats (for tiled Q8_0 weights
     * and the tiled K-quants' matrix products).
     */
    final float[] values;
    final byte[] quants;
    /** Q8_0 and Q8_K: each quant in both halves of an int, {@code (q & 0xffff) | q << 16} (for tiled Q4_0, Q4_K, Q6_K weights). */
    final int[] quantPairs;
    /** Q8_0: the sum of the quants of each block. */
    final int[] quantSums;
    final float[] scales;
    /** Q8_1: d * sum(q) of each block, rounded to F16. */
    final float[] blockSums;
    /** Q8_K: the sum of the quants of each group of 16. */
    final short[] groupSums;
    int length;
    ActivationFormat format;

    public PreparedVector(int capacity) {
        values = new float[capacity];
        quants = new byte[capacity];
        quantPairs = new int[capacity];
        quantSums = new int[(capacity + Q8_BLOCK - 1) / Q8_BLOCK];
        scales = new float[(capacity + Q8_BLOCK - 1) / Q8_BLOCK];
        blockSums = new float[(capacity + Q8_BLOCK - 1) / Q8_BLOCK];
        groupSums = new short[(capacity + Q8_K_GROUP - 1) / Q8_K_GROUP];
    }

    /** Q8_0: fills the forms of the quants that the tiled kernels read (values, quantPairs, quantSums). */
    void deriveFromQ8_0Quants() {
        for (int i = 0; i < length; i++) {
            values[i] = quants[i];
        }
        deriveQuantPairs();
        for (int b = 0; b < length / Q8_BLOCK; b++) {
            int sum = 0;
            for (int i = 0; i < Q8_BLOCK; i++) {
                sum += quants[b * Q8_BLOCK + i];
            }
            quantSums[b] = sum;
        }
    }

    /** Q8_K: fills the forms of the quants that the tiled kernels read (values, quantPairs). */
    void deriveFromQ8_KQuants() {
        for (int i = 0; i < length; i++) {
            values[i] = quants[i];
        }
        deriveQuantPairs();
    }

    /** Q8_0 and Q8_K: each quant in both halves of an int, as the tiled Q4_0 and K-quant kernels broadcast it. */
    void deriveQuantPairs() {
        for (int i = 0; i < length; i++) {
            int q = quants[i];
            quantPairs[i] = (q & 0xffff) | q << 16;
        }
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

    /** The Q8_0, Q8_1 or Q8_K quants, one byte an element. */
    public byte[] quants() {
        return quants;
    }

    /**
     * The scales, one a block: for Q8_0 and Q8_1 one per 32 elements, already rounded to F16;
     * for Q8_K one float per 256 elements.
     */
    public float[] scales() {
        return scales;
    }

    /** Q8_0 only: writes the vector as ggml's Q8_0 blocks (an F16 scale, then 32 quants) at {@code dst[byteOffset]}. */
    public void writeQ8_0(MemorySegment dst, long byteOffset) {
        if (format != ActivationFormat.Q8_0) {
            throw new IllegalStateException("prepared as " + format + ", not Q8_0");
        }
        int bytesPerBlock = GgmlType.Q8_0.bytesPerBlock();
        for (int b = 0; b < length / Q8_BLOCK; b++) {
            long block = byteOffset + (long) b * bytesPerBlock;
            dst.set(ScalarKernels.F16_LAYOUT, block, Float.floatToFloat16(scales[b]));
            MemorySegment.copy(quants, b * Q8_BLOCK, dst, ScalarKernels.BYTE, block + 2, Q8_BLOCK);
        }
    }

    /** Q8_1 only: d * sum(q) of each block of 32, rounded to F16. */
    public float[] blockSums() {
        return blockSums;
    }

    /** Q8_K only: the sum of the quants of each group of 16 elements. */
    public short[] groupSums() {
        return groupSums;
    }
}
