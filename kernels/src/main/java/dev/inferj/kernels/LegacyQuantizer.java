package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes blocks of 32 floats as ggml's "legacy" quants Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0, rounded
 * as ggml's reference quantizers ({@code quantize_row_q4_0_ref} and the rest) round them, to the
 * byte: one pass finds the block's largest magnitude (or its minimum and maximum), the scale is
 * derived from it in float and stored as F16, and each element is scaled by the float inverse of
 * the unrounded scale and truncated or rounded. The layouts are those {@link LegacyQuantBlocks}
 * reads: F16 {@code d}, F16 minimum {@code m} for the {@code _1} types, four bytes of fifth bits
 * for the {@code Q5} types, then the nibbles (element {@code j} low, {@code j + 16} high in byte
 * {@code j}) or Q8_0's 32 signed bytes.
 */
final class LegacyQuantizer {
    private static final ValueLayout.OfShort F16_LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int QK = GgmlType.Q8_0.blockSize();
    private static final int HALF = QK / 2;

    private LegacyQuantizer() {
    }

    /** Writes {@code blocks} blocks of {@code type} from {@code x[offset..]} to {@code out} at {@code at}. */
    static void quantize(GgmlType type, float[] x, int offset, int blocks, MemorySegment out, long at) {
        long bytes = type.bytesPerBlock();
        long nibbles = bytes - HALF; // the quants' low 4 bits come last in every 32-element type but Q8_0
        int[] q = new int[QK];
        for (int b = 0; b < blocks; b++) {
            int from = offset + b * QK;
            long to = at + b * bytes;
            switch (type) {
                case Q8_0 -> q8_0(x, from, out, to);
                case Q4_0 -> symmetric(x, from, 8, q, out, to);
                case Q5_0 -> symmetric(x, from, 16, q, out, to);
                case Q4_1 -> withMinimum(x, from, 15, q, out, to);
                case Q5_1 -> withMinimum(x, from, 31, q, out, to);
                default -> throw new AssertionError(type);
            }
            if (type != GgmlType.Q8_0) {
                if (type == GgmlType.Q5_0 || type == GgmlType.Q5_1) {
                    fifthBits(q, out, to + nibbles - 4);
                }
                nibbles(q, out, to + nibbles);
            }
        }
    }

    /** d = amax / 127 stored as F16; q = round-half-away-from-zero(x / d), C's {@code roundf}. */
    private static void q8_0(float[] x, int from, MemorySegment out, long at) {
        float amax = 0f;
        for (int j = 0; j < QK; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        out.set(F16_LAYOUT, at, Float.floatToFloat16(d));
        // the quants go out eight at a time, packed little-endian into a long: several times faster than byte stores
        for (int j = 0; j < QK; j += 8) {
            long packed = 0;
            for (int k = 0; k < 8; k++) {
                packed |= (roundHalfAway(x[from + j + k] * id) & 0xFFL) << (8 * k);
            }
            out.set(LONG_LE, at + 2 + j, packed);
        }
    }

    /**
     * Q4_0 ({@code levels} 8) and Q5_0 (16): d = (the element of largest magnitude, with its sign) /
     * -levels, so that element becomes quant 0 (value -levels·d); q = min(2 levels - 1,
     * trunc(x / d + levels + 0.5)). An element of the other sign and the same size would be
     * 2 levels, one more than the bits hold: it is clamped.
     */
    private static void symmetric(float[] x, int from, int levels, int[] q, MemorySegment out, long at) {
        float max = signedMax(x, from);
        float d = max / -levels;
        float id = d != 0f ? 1f / d : 0f;
        out.set(F16_LAYOUT, at, Float.floatToFloat16(d));
        for (int j = 0; j < QK; j++) {
            q[j] = Math.min(2 * levels - 1, (int) (x[from + j] * id + (levels + 0.5f)));
        }
    }

    /**
     * Q4_1 ({@code nmax} 15) and Q5_1 (31): d = (max - min) / nmax and m = min, both F16;
     * q = trunc((x - min) / d + 0.5), at most nmax (only rounding could pass it).
     */
    private static void withMinimum(float[] x, int from, int nmax, int[] q, MemorySegment out, long at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[from + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / nmax;
        float id = d != 0f ? 1f / d : 0f;
        out.set(F16_LAYOUT, at, Float.floatToFloat16(d));
        out.set(F16_LAYOUT, at + 2, Float.floatToFloat16(min));
        for (int j = 0; j < QK; j++) {
            q[j] = Math.min(nmax, (int) ((x[from + j] - min) * id + 0.5f));
        }
    }

    /** Element {@code j}'s low 4 bits in the low nibble of byte {@code j}, element {@code j + 16}'s in its high nibble. */
    private static void nibbles(int[] q, MemorySegment out, long at) {
        // eight bytes at a time, packed little-endian into a long: several times faster than byte stores
        for (int j = 0; j < HALF; j += 8) {
            long packed = 0;
            for (int k = 0; k < 8; k++) {
                packed |= (long) ((q[j + k] & 0x0F) | (q[HALF + j + k] & 0x0F) << 4) << (8 * k);
            }
            out.set(LONG_LE, at + j, packed);
        }
    }

    /** Element {@code j}'s fifth bit as bit {@code j} of a little-endian int. */
    private static void fifthBits(int[] q, MemorySegment out, long at) {
        int high = 0;
        for (int j = 0; j < QK; j++) {
            high |= ((q[j] >>> 4) & 1) << j;
        }
        out.set(INT_LE, at, high);
    }

    /** The element of largest magnitude with its sign; the first of equals wins (0 for an all-zero block). */
    private static float signedMax(float[] x, int from) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < QK; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /** C's {@code roundf}: halves go away from zero (Java's {@code Math.round} sends -2.5 to -2). */
    private static int roundHalfAway(float v) {
        // |v| + 0.5 is exact in double for every float below 2^29, so no double rounding can creep in
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
