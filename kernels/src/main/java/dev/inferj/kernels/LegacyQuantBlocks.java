package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static dev.inferj.kernels.ScalarKernels.BYTE;
import static dev.inferj.kernels.ScalarKernels.F16_LAYOUT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar arithmetic of ggml's 32-element "legacy" quants beyond Q4_0 and Q8_0: Q4_1, Q5_0
 * and Q5_1. Each block starts with an F16 scale {@code d}; Q4_1 and Q5_1 follow it with an F16
 * minimum {@code m}; Q5_x then hold 4 bytes with the fifth bit of every element (bit {@code i}
 * of the little-endian word for element {@code i}); last come 16 bytes of nibbles, byte {@code j}
 * holding element {@code j} in its low and element {@code j + 16} in its high nibble.
 *
 * <p>The dot products run as ggml's do: an exact integer sum of quant products per block, scaled
 * by the product of the weight and activation scales, in the lanes and order of
 * {@link AvxLanes} so the float result is llama.cpp's to the bit. Weights with a minimum take Q8_1
 * activations, whose per-block {@code s = d * sum(q)} turns the minimum's share of the block,
 * {@code m * sum(x)}, into one product {@code m * s}; those are summed apart and added at the end.
 */
final class LegacyQuantBlocks {
    private static final int QK = PreparedVector.Q8_BLOCK;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final long Q4_1_BYTES = GgmlType.Q4_1.bytesPerBlock();
    private static final long Q5_0_BYTES = GgmlType.Q5_0.bytesPerBlock();
    private static final long Q5_1_BYTES = GgmlType.Q5_1.bytesPerBlock();

    private LegacyQuantBlocks() {
    }

    private static float f16(MemorySegment m, long at) {
        return Float.float16ToFloat(m.get(F16_LAYOUT, at));
    }

    /** Element {@code e} (0-31) of the nibbles at {@code qs}: low nibbles first, then high ones. */
    private static int nibble(MemorySegment m, long qs, int e) {
        return e < QK / 2 ? m.get(BYTE, qs + e) & 0x0F : (m.get(BYTE, qs + e - QK / 2) & 0xFF) >>> 4;
    }

    /** The fifth bit of element {@code e}, as 16 or 0. */
    private static int fifthBit(int high, int e) {
        return ((high >>> e) & 1) << 4;
    }

    /** Q4_1 (d, m, 16 nibbles) times Q8_1 activations. */
    static float dotQ4_1(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q4_1Lane(m, base, x, blocks, 0), q4_1Lane(m, base, x, blocks, 1),
                q4_1Lane(m, base, x, blocks, 2), q4_1Lane(m, base, x, blocks, 3),
                q4_1Lane(m, base, x, blocks, 4), q4_1Lane(m, base, x, blocks, 5),
                q4_1Lane(m, base, x, blocks, 6), q4_1Lane(m, base, x, blocks, 7))
                + minimums(m, base, Q4_1_BYTES, x, blocks);
    }

    private static float q4_1Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q4_1_BYTES * b;
            int sumi = 0;
            for (int e = AvxLanes.SPAN * lane; e < AvxLanes.SPAN * (lane + 1); e++) {
                sumi += nibble(m, blk + 4, e) * x.quants[b * QK + e];
            }
            acc = Math.fma(f16(m, blk) * x.scales[b], (float) sumi, acc);
        }
        return acc;
    }

    /** Q5_0 (d, fifth bits, 16 nibbles) times Q8_0 activations. */
    static float dotQ5_0(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q5_0Lane(m, base, x, blocks, 0), q5_0Lane(m, base, x, blocks, 1),
                q5_0Lane(m, base, x, blocks, 2), q5_0Lane(m, base, x, blocks, 3),
                q5_0Lane(m, base, x, blocks, 4), q5_0Lane(m, base, x, blocks, 5),
                q5_0Lane(m, base, x, blocks, 6), q5_0Lane(m, base, x, blocks, 7));
    }

    private static float q5_0Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_0_BYTES * b;
            int high = m.get(INT_LE, blk + 2);
            int sumi = 0;
            for (int e = AvxLanes.SPAN * lane; e < AvxLanes.SPAN * (lane + 1); e++) {
                sumi += ((nibble(m, blk + 6, e) | fifthBit(high, e)) - 16) * x.quants[b * QK + e];
            }
            acc = Math.fma(f16(m, blk) * x.scales[b], (float) sumi, acc);
        }
        return acc;
    }

    /** Q5_1 (d, m, fifth bits, 16 nibbles) times Q8_1 activations. */
    static float dotQ5_1(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q5_1Lane(m, base, x, blocks, 0), q5_1Lane(m, base, x, blocks, 1),
                q5_1Lane(m, base, x, blocks, 2), q5_1Lane(m, base, x, blocks, 3),
                q5_1Lane(m, base, x, blocks, 4), q5_1Lane(m, base, x, blocks, 5),
                q5_1Lane(m, base, x, blocks, 6), q5_1Lane(m, base, x, blocks, 7))
                + minimums(m, base, Q5_1_BYTES, x, blocks);
    }

    private static float q5_1Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_1_BYTES * b;
            int high = m.get(INT_LE, blk + 4);
            int sumi = 0;
            for (int e = AvxLanes.SPAN * lane; e < AvxLanes.SPAN * (lane + 1); e++) {
                sumi += (nibble(m, blk + 8, e) | fifthBit(high, e)) * x.quants[b * QK + e];
            }
            acc = Math.fma(f16(m, blk) * x.scales[b], (float) sumi, acc);
        }
        return acc;
    }

    /**
     * The minimums' share of a Q4_1 or Q5_1 row, {@code sum over blocks of m * s}, in one float
     * running sum as ggml keeps it (the compiler fuses its multiply and add).
     */
    private static float minimums(MemorySegment m, long base, long bytesPerBlock, PreparedVector x, int blocks) {
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            sum = Math.fma(f16(m, base + bytesPerBlock * b + 2), x.blockSums[b], sum);
        }
        return sum;
    }

    /** {@code q * d + m}, element by element. */
    static void dequantizeQ4_1(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q4_1_BYTES * b;
            float d = f16(m, blk);
            float min = f16(m, blk + 2);
            int at = offset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int packed = m.get(BYTE, blk + 4 + j) & 0xFF;
                out[at + j] = (packed & 0x0F) * d + min;
                out[at + j + 16] = (packed >>> 4) * d + min;
            }
        }
    }

    /** {@code (q - 16) * d}. */
    static void dequantizeQ5_0(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_0_BYTES * b;
            float d = f16(m, blk);
            int high = m.get(INT_LE, blk + 2);
            int at = offset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int packed = m.get(BYTE, blk + 6 + j) & 0xFF;
                out[at + j] = (((packed & 0x0F) | ((high >>> j) & 1) << 4) - 16) * d;
                out[at + j + 16] = (((packed >>> 4) | ((high >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    /** {@code q * d + m}. */
    static void dequantizeQ5_1(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_1_BYTES * b;
            float d = f16(m, blk);
            float min = f16(m, blk + 2);
            int high = m.get(INT_LE, blk + 4);
            int at = offset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int packed = m.get(BYTE, blk + 8 + j) & 0xFF;
                out[at + j] = ((packed & 0x0F) | ((high >>> j) & 1) << 4) * d + min;
                out[at + j + 16] = ((packed >>> 4) | ((high >>> (j + 16)) & 1) << 4) * d + min;
            }
        }
    }
}
