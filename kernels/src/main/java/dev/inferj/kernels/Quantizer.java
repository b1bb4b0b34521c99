package dev.inferj.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Turns rows of F32 weights into the bytes of a weight type: F32, F16, BF16, Q8_0 or Q4_0, laid
 * out and rounded exactly as ggml's reference quantizers ({@code quantize_row_q8_0_ref},
 * {@code quantize_row_q4_0_ref}) do, which is what llama.cpp's {@code llama-quantize} and its
 * converters write. Used to write model files (the forge, tests), not on the inference path.
 *
 * <p>How close a round trip comes back, per element {@code x} of a block whose largest magnitude
 * is {@code amax}, while the scale fits an F16 ({@code amax} at most 127 · 65504 for Q8_0, 8 · 65504
 * for Q4_0; beyond that the scale is infinite, as in ggml). These are what the tests hold it to:
 * <ul>
 *   <li>F16: within half a unit in the last place (relative 2<sup>-11</sup>) while |x| ≤ 65504.</li>
 *   <li>BF16: relative 2<sup>-8</sup>.</li>
 *   <li>Q8_0: {@code amax / 127 · (1/2 + 127 · 2^-11)}: half a step, plus the F16 rounding of the scale.</li>
 *   <li>Q4_0: {@code amax / 8 · (1 + 8 · 2^-11)}: the scale maps the signed largest element to -8
 *       exactly, so an element of opposite sign and equal size lands on +8, which 4 bits cannot
 *       hold and which is clamped to +7 — a whole step.</li>
 * </ul>
 */
public final class Quantizer {
    private static final ValueLayout.OfShort F16_LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int Q8_0_BLOCK = GgmlType.Q8_0.blockSize();
    private static final int Q8_0_BYTES = GgmlType.Q8_0.bytesPerBlock();
    private static final int Q4_0_BLOCK = GgmlType.Q4_0.blockSize();
    private static final int Q4_0_BYTES = GgmlType.Q4_0.bytesPerBlock();

    private Quantizer() {
    }

    /** Whether {@link #quantizeRow} can write {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /**
     * Writes {@code length} elements of {@code x} from {@code offset} as {@code type} into
     * {@code out} at {@code outOffset} and returns the bytes written ({@code type.byteSize(length)}).
     *
     * @throws IllegalArgumentException when {@code type} is not supported or {@code length} is not
     *                                  a whole number of its blocks
     * @throws IndexOutOfBoundsException when {@code x} or {@code out} is too short
     */
    public static long quantizeRow(GgmlType type, float[] x, int offset, int length, MemorySegment out, long outOffset) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + " (can: F32, F16, BF16, Q8_0, Q4_0)");
        }
        if (length % type.blockSize() != 0) {
            throw new IllegalArgumentException(length + " elements are not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        java.util.Objects.checkFromIndexSize(offset, length, x.length);
        long bytes = type.byteSize(length);
        java.util.Objects.checkFromIndexSize(outOffset, bytes, out.byteSize());
        switch (type) {
            case F32 -> MemorySegment.copy(x, offset, out, F32_LAYOUT, outOffset, length);
            case F16 -> {
                for (int i = 0; i < length; i++) {
                    out.set(F16_LAYOUT, outOffset + 2L * i, toF16(x[offset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < length; i++) {
                    out.set(F16_LAYOUT, outOffset + 2L * i, Bf16.fromFloat(x[offset + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < length / Q8_0_BLOCK; b++) {
                    q8_0Block(x, offset + b * Q8_0_BLOCK, out, outOffset + (long) b * Q8_0_BYTES);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < length / Q4_0_BLOCK; b++) {
                    q4_0Block(x, offset + b * Q4_0_BLOCK, out, outOffset + (long) b * Q4_0_BYTES);
                }
            }
            default -> throw new AssertionError(type);
        }
        return bytes;
    }

    /** Writes all of {@code x} (a whole number of rows) into {@code out} from its start; returns the bytes written. */
    public static long quantize(GgmlType type, float[] x, MemorySegment out) {
        return quantizeRow(type, x, 0, x.length, out, 0);
    }

    /**
     * F32 to the bits of the nearest F16, ties to even, as ggml's conversion and the F16C
     * instruction do; overflow gives infinity, NaN stays NaN.
     */
    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** d = amax / 127 stored as F16; q = round-half-away-from-zero(x / d), C's {@code roundf}. */
    private static void q8_0Block(float[] x, int from, MemorySegment out, long at) {
        float amax = 0f;
        for (int j = 0; j < Q8_0_BLOCK; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        out.set(F16_LAYOUT, at, toF16(d));
        // the quants go out eight at a time, packed little-endian into a long: several times faster than byte stores
        for (int j = 0; j < Q8_0_BLOCK; j += 8) {
            long packed = 0;
            for (int k = 0; k < 8; k++) {
                packed |= (roundHalfAway(x[from + j + k] * id) & 0xFFL) << (8 * k);
            }
            out.set(LONG_LE, at + 2 + j, packed);
        }
    }

    /**
     * d = (the element of largest magnitude, with its sign) / -8, so that element becomes quant 0
     * (value -8·d); q = min(15, trunc(x / d + 8.5)); element j in the low nibble of byte j, element
     * j + 16 in its high nibble. Ties for the largest magnitude go to the first element.
     */
    private static void q4_0Block(float[] x, int from, MemorySegment out, long at) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < Q4_0_BLOCK; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0f ? 1f / d : 0f;
        out.set(F16_LAYOUT, at, toF16(d));
        int half = Q4_0_BLOCK / 2;
        for (int j = 0; j < half; j += 8) {
            long packed = 0;
            for (int k = 0; k < 8; k++) {
                long lo = Math.min(15, (int) (x[from + j + k] * id + 8.5f));
                long hi = Math.min(15, (int) (x[from + half + j + k] * id + 8.5f));
                packed |= (lo | hi << 4) << (8 * k);
            }
            out.set(LONG_LE, at + 2 + j, packed);
        }
    }

    /** C's {@code roundf}: halves go away from zero (Java's {@code Math.round} sends -2.5 to -2). */
    private static int roundHalfAway(float v) {
        // |v| + 0.5 is exact in double for every float below 2^29, so no double rounding can creep in
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
