package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Turns rows of F32 weights into the bytes of a weight type — F32, F16, BF16, the 32-element
 * quants Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants Q2_K to Q6_K — laid out and rounded
 * exactly as ggml's reference quantizers ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_K_ref}
 * and the rest) do, which is what llama.cpp's {@code llama-quantize} (without an importance
 * matrix) and its converters write. Used to write model files (the forge, the quantizer, tests),
 * not on the inference path. {@link LegacyQuantizer} and {@link KQuantizer} hold the arithmetic.
 *
 * <p>How close a round trip comes back, per element {@code x} of a block (or, for the K-quants, a
 * group) whose largest magnitude is {@code amax} and whose range is {@code max - min}, while the
 * scales fit an F16. These are what the tests hold it to, with a margin for the float arithmetic:
 * <ul>
 *   <li>F16: within half a unit in the last place (relative 2<sup>-11</sup>) while |x| ≤ 65504.</li>
 *   <li>BF16: relative 2<sup>-8</sup>.</li>
 *   <li>Q8_0: {@code amax / 127 · (1/2 + 127 · 2^-11)}: half a step, plus the F16 rounding of the scale.</li>
 *   <li>Q4_0: {@code amax / 8 · (1 + 8 · 2^-11)}: the scale maps the signed largest element to -8
 *       exactly, so an element of opposite sign and equal size lands on +8, which 4 bits cannot
 *       hold and which is clamped to +7 — a whole step. Q5_0 likewise with 16 for 8.</li>
 *   <li>Q4_1, Q5_1: half a step {@code (max - min) / 15} (or {@code / 31}), plus the F16
 *       roundings of the step (times at most 15 or 31 steps) and of the minimum.</li>
 *   <li>K-quants: the scales (and minimums) come from a search for the best fit, stored as small
 *       integers against an F16 factor per super-block of 256; the last step rounds every element
 *       against its group's stored step {@code s} and minimum. So an element comes back within
 *       {@code |s| / 2} of itself, or, lying beyond the group's grid, at the grid's end: the error is
 *       at most {@code |s| / 2 + distance(x, grid)}. {@code QuantizerKQuantsTest} holds them to it;
 *       how well the search chose {@code s} is llama.cpp's, whose bytes these are.</li>
 * </ul>
 */
public final class Quantizer {
    private static final ValueLayout.OfShort F16_LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantizer() {
    }

    /** Whether {@link #quantizeRow} can write {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Writes {@code length} elements of {@code x} from {@code offset} as {@code type} into
     * {@code out} at {@code outOffset} and returns the bytes written ({@code type.byteSize(length)}).
     * The bytes depend on the values only, not on how a tensor is split into calls, as long as
     * calls start on block boundaries.
     *
     * @throws IllegalArgumentException when {@code type} is not supported or {@code length} is not
     *                                  a whole number of its blocks
     * @throws IndexOutOfBoundsException when {@code x} or {@code out} is too short
     */
    public static long quantizeRow(GgmlType type, float[] x, int offset, int length, MemorySegment out, long outOffset) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type
                    + " (can: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
        }
        if (length % type.blockSize() != 0) {
            throw new IllegalArgumentException(length + " elements are not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        java.util.Objects.checkFromIndexSize(offset, length, x.length);
        long bytes = type.byteSize(length);
        java.util.Objects.checkFromIndexSize(outOffset, bytes, out.byteSize());
        int blocks = length / type.blockSize();
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
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> LegacyQuantizer.quantize(type, x, offset, blocks, out, outOffset);
            default -> new KQuantizer().quantize(type, x, offset, blocks, out, outOffset);
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
}
