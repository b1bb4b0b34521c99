package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The bit tricks that stand in for the conversions the Vector API lacks, checked against the JDK's
 * own conversions over every half-precision value and over every float rounding position
 * (all 2^20 patterns of the top 20 bits, each with the low 12 bits that matter for a tie).
 */
class VectorConversionsTest {

    private final Kernels vector = new VectorKernels();

    /** Low 12 bits tried under every 20-bit prefix: zero (exact ties when bit 12 is set), just above, just below, a middle. */
    private static final int[] LOW_BITS = {0, 1, 0x7ff, 0x800, 0xfff};

    @Test
    void everyHalfPrecisionValueDecodesAsFloat16ToFloat() {
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2L * n);
            for (int h = 0; h < n; h++) {
                halves.set(ScalarKernels.F16_LAYOUT, 2L * h, (short) h);
            }
            float[] y = new float[n];
            Arrays.fill(y, -0f); // -0 + v == v for every v, signed zeros included
            vector.axpyF16(1f, halves, 0, y, 0, n);
            for (int h = 0; h < n; h++) {
                float expected = Float.float16ToFloat((short) h);
                String half = "half 0x" + Integer.toHexString(h);
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(y[h]), half + " is NaN");
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(y[h]), half);
                }
            }
        }
    }

    @Test
    void roundingToF16MatchesTheJdkAtEveryRoundingPosition() {
        checkRounding(ActivationFormat.F16);
    }

    @Test
    void roundingToBf16MatchesBf16AtEveryRoundingPosition() {
        checkRounding(ActivationFormat.BF16);
    }

    private void checkRounding(ActivationFormat format) {
        float[] x = new float[1 << 16];
        PreparedVector out = new PreparedVector(x.length);
        int count = 0;
        for (int prefix = 0; prefix < 1 << 20; prefix++) {
            for (int low : LOW_BITS) {
                x[count++] = Float.intBitsToFloat(prefix << 12 | low);
            }
            if (count + LOW_BITS.length > x.length || prefix == (1 << 20) - 1) {
                checkRounding(format, x, count, out);
                count = 0;
            }
        }
    }

    private void checkRounding(ActivationFormat format, float[] x, int count, PreparedVector out) {
        vector.prepare(x, 0, count, format, out);
        for (int i = 0; i < count; i++) {
            float expected = format == ActivationFormat.F16
                    ? Float.float16ToFloat(Float.floatToFloat16(x[i]))
                    : Bf16.toFloat(Bf16.fromFloat(x[i]));
            float actual = out.values()[i];
            if (Float.isNaN(expected) ? !Float.isNaN(actual)
                    : Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                throw new AssertionError(format + " rounding of " + x[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ") is " + actual + ", expected " + expected);
            }
        }
    }
}
