package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The scalar reference against values worked out by hand. */
class ScalarKernelsTest {

    private final ScalarKernels k = new ScalarKernels();

    /** One Q4_0 block with scale 0.5 whose packed byte j holds nibble j (low) and 15 - j (high). */
    private static WeightMatrix handMadeQ4_0(Arena arena) {
        MemorySegment m = arena.allocate(18);
        m.set(ScalarKernels.F16_LAYOUT, 0, Float.floatToFloat16(0.5f));
        for (int j = 0; j < 16; j++) {
            m.set(ScalarKernels.BYTE, 2 + j, (byte) (j | (15 - j) << 4));
        }
        return new WeightMatrix("hand-made", GgmlType.Q4_0, m, 1, 32);
    }

    @Test
    void q4_0LowNibblesAreTheFirstSixteenElementsAndHighNibblesTheLast() {
        try (Arena arena = Arena.ofConfined()) {
            float[] row = new float[32];
            k.dequantizeRow(handMadeQ4_0(arena), 0, row, 0);
            for (int j = 0; j < 16; j++) {
                assertEquals((j - 8) * 0.5f, row[j], "element " + j);
                assertEquals((7 - j) * 0.5f, row[16 + j], "element " + (16 + j));
            }
        }
    }

    @Test
    void q4_0TimesQ8_0IsTheIntegerDotProductTimesBothScales() {
        try (Arena arena = Arena.ofConfined()) {
            float[] ones = new float[32];
            Arrays.fill(ones, 1f);
            PreparedVector x = new PreparedVector(32);
            k.prepare(ones, 0, 32, ActivationFormat.Q8_0, x);
            // all quants 127, scale = 1/127 as F16 = 1032 * 2^-17; the weights' integer sum is 16 * -1
            assertEquals(1032 * 0x1p-17f, x.scales()[0]);
            float[] out = new float[1];
            k.matVec(handMadeQ4_0(arena), x, out, 0, 0, 1);
            assertEquals(-16 * 127 * (0.5f * (1032 * 0x1p-17f)), out[0]);
            assertEquals(-7.99951171875f, out[0]);
        }
    }

    @Test
    void q8_0QuantizationRoundsHalfToEvenWhenTheScaleIsOne() {
        float[] x = new float[64];
        float[] head = {127f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -1.5f, 126.5f, -126.5f, 0.49f, -3.5f};
        System.arraycopy(head, 0, x, 0, head.length);
        // second block: max 63.5, so id = 2 exactly: 0.25 -> 0.5 -> 0, 0.75 -> 1.5 -> 2, -1.25 -> -2.5 -> -2
        float[] second = {63.5f, 0.25f, 0.75f, -1.25f, -63.5f};
        System.arraycopy(second, 0, x, 32, second.length);
        PreparedVector p = new PreparedVector(64);
        k.prepare(x, 0, 64, ActivationFormat.Q8_0, p);
        assertEquals(1f, p.scales()[0]);
        assertEquals(0.5f, p.scales()[1]);
        byte[] expectedHead = {127, 2, 4, -2, 0, 0, 2, -2, 126, -126, 0, -4};
        for (int i = 0; i < expectedHead.length; i++) {
            assertEquals(expectedHead[i], p.quants()[i], "quant " + i + " of " + head[i]);
        }
        byte[] expectedSecond = {127, 0, 2, -2, -127};
        for (int i = 0; i < expectedSecond.length; i++) {
            assertEquals(expectedSecond[i], p.quants()[32 + i], "quant " + (32 + i) + " of " + second[i]);
        }
        for (int i = expectedSecond.length; i < 32; i++) {
            assertEquals(0, p.quants()[32 + i]);
        }
    }

    @Test
    void anAllZeroQ8_0BlockHasScaleZeroAndZeroQuants() {
        PreparedVector p = new PreparedVector(32);
        k.prepare(new float[32], 0, 32, ActivationFormat.Q8_0, p);
        assertEquals(0f, p.scales()[0]);
        assertArrayEquals(new byte[32], p.quants());
    }

    @Test
    void bf16RoundsToNearestWithTiesToEven() {
        assertEquals((short) 0x3F80, Bf16.fromFloat(Float.intBitsToFloat(0x3F808000)), "1 + 2^-8 ties down to 1 (even)");
        assertEquals((short) 0x3F82, Bf16.fromFloat(Float.intBitsToFloat(0x3F818000)), "1 + 3*2^-8 ties up to 1 + 2^-6 (even)");
        assertEquals((short) 0x3F81, Bf16.fromFloat(Float.intBitsToFloat(0x3F808001)), "just above the tie rounds up");
        assertEquals((short) 0xBF80, Bf16.fromFloat(-Float.intBitsToFloat(0x3F808000)), "negative ties as positive");
        assertEquals(Float.POSITIVE_INFINITY, Bf16.toFloat(Bf16.fromFloat(Float.MAX_VALUE)), "the largest float rounds up to infinity");
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));

        float[] x = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f};
        PreparedVector p = new PreparedVector(3);
        k.prepare(x, 0, 3, ActivationFormat.BF16, p);
        assertArrayEquals(new float[] {1f, 1f + 0x1p-6f, 1f + 0x1p-7f}, Arrays.copyOf(p.values(), 3));
    }

    @Test
    void f16RoundsToNearestWithTiesToEvenSubnormalsAndOverflowIncluded() {
        float[] x = {
            1f + 0x1p-11f,      // tie between 1 and 1 + 2^-10: to 1 (even)
            1f + 3 * 0x1p-11f,  // tie between 1 + 2^-10 and 1 + 2^-9: to 1 + 2^-9 (even)
            65519f,             // below the tie with infinity: the largest half, 65504
            65520f,             // the tie between 65504 and 65536 (not representable): infinity
            0x1p-25f,           // tie between 0 and the smallest subnormal 2^-24: to 0
            3 * 0x1p-25f,       // tie between 2^-24 and 2^-23: to 2^-23 (even)
            0x1p-24f,           // the smallest subnormal itself
            -1e-8f,             // underflows to negative zero
        };
        float[] expected = {1f, 1f + 0x1p-9f, 65504f, Float.POSITIVE_INFINITY, 0f, 0x1p-23f, 0x1p-24f, -0f};
        PreparedVector p = new PreparedVector(x.length);
        k.prepare(x, 0, x.length, ActivationFormat.F16, p);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(p.values()[i]),
                    x[i] + " rounds to " + expected[i] + ", got " + p.values()[i]);
        }
    }

    @Test
    void rmsNormDividesByTheRootMeanSquareAndMultipliesByTheWeight() {
        float[] out = new float[6];
        k.rmsNorm(new float[] {9f, 2f, 2f, 2f, 2f}, 1, new float[] {1f, 2f, 3f, 4f}, out, 2, 4, 0f);
        assertArrayEquals(new float[] {0f, 0f, 1f, 2f, 3f, 4f}, out, "mean square 4, so x / 2 * weight");

        float[] out2 = new float[2];
        k.rmsNorm(new float[] {3f, 4f}, 0, new float[] {1f, 1f}, out2, 0, 2, 0f);
        double scale = 1 / Math.sqrt(12.5);
        assertEquals(3 * scale, out2[0], 1e-6);
        assertEquals(4 * scale, out2[1], 1e-6);
    }

    @Test
    void rmsNormOfZerosIsZeroThanksToEpsilon() {
        float[] out = new float[3];
        k.rmsNorm(new float[3], 0, new float[] {1f, 1f, 1f}, out, 0, 3, 1e-5f);
        assertArrayEquals(new float[3], out);
    }

    @Test
    void softmaxSumsToOneAndKeepsTheRatiosOfExponentials() {
        float[] x = {7f, 1f, 2f, 3f, 7f};
        k.softmax(x, 1, 3);
        assertEquals(7f, x[0], "before the range untouched");
        assertEquals(7f, x[4], "after the range untouched");
        assertEquals(1.0, (double) x[1] + x[2] + x[3], 1e-6);
        assertEquals(Math.E, x[2] / x[1], 1e-5);
        assertEquals(Math.E, x[3] / x[2], 1e-5);
    }

    @Test
    void softmaxOfLargeValuesDoesNotOverflow() {
        float[] x = {1000f, 1001f};
        k.softmax(x, 0, 2);
        assertEquals(1 / (1 + Math.E), x[0], 1e-6);
        assertEquals(Math.E / (1 + Math.E), x[1], 1e-6);
    }

    @Test
    void softmaxOfOneValueIsOne() {
        float[] x = {-42f};
        k.softmax(x, 0, 1);
        assertEquals(1f, x[0]);
    }

    @Test
    void f16DotAndAxpyReadLittleEndianHalves() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = arena.allocate(7);
            // at odd byte offset 1: 1.0 (0x3C00), -2.0 (0xC000), 0.5 (0x3800)
            h.set(ScalarKernels.BYTE, 1, (byte) 0x00);
            h.set(ScalarKernels.BYTE, 2, (byte) 0x3C);
            h.set(ScalarKernels.BYTE, 3, (byte) 0x00);
            h.set(ScalarKernels.BYTE, 4, (byte) 0xC0);
            h.set(ScalarKernels.BYTE, 5, (byte) 0x00);
            h.set(ScalarKernels.BYTE, 6, (byte) 0x38);
            assertEquals(1f * 3 - 2f * 5 + 0.5f * 7, k.dotF16(h, 1, new float[] {0f, 3f, 5f, 7f}, 1, 3));
            float[] y = {10f, 10f, 10f};
            k.axpyF16(2f, h, 1, y, 0, 3);
            assertArrayEquals(new float[] {12f, 6f, 11f}, y);
        }
    }

    @Test
    void q8_0CacheRowsHoldGgmlBlocksThatDotAndAxpyReadBack() {
        try (Arena arena = Arena.ofConfined()) {
            float[] row = new float[64];
            for (int i = 0; i < 64; i++) {
                row[i] = i < 32 ? i - 16 : 0.5f * (i - 32); // block 0: scale 16/127; block 1: scale 15.5/127
            }
            PreparedVector stored = new PreparedVector(64);
            k.prepare(row, 0, 64, ActivationFormat.Q8_0, stored);
            MemorySegment m = arena.allocate(1 + 2 * 34);
            stored.writeQ8_0(m, 1);
            assertEquals(Float.floatToFloat16(16f / 127), m.get(ScalarKernels.F16_LAYOUT, 1));
            assertEquals(Float.floatToFloat16(15.5f / 127), m.get(ScalarKernels.F16_LAYOUT, 35));
            assertEquals(-127, m.get(ScalarKernels.BYTE, 3)); // -16 at the block's maximum magnitude
            assertEquals(0, m.get(ScalarKernels.BYTE, 37));
            // a query of ones from its second block: the dot is the sum of block 0's dequantized values times the scale of one
            float[] ones = new float[64];
            Arrays.fill(ones, 1f);
            PreparedVector query = new PreparedVector(64);
            k.prepare(ones, 0, 64, ActivationFormat.Q8_0, query);
            float d = Float.float16ToFloat(Float.floatToFloat16(16f / 127));
            float one = query.scales()[1];
            int quantSum = 0;
            for (int i = 0; i < 32; i++) {
                quantSum += m.get(ScalarKernels.BYTE, 3 + i) * query.quants()[32 + i];
            }
            assertEquals(quantSum * (d * one), k.dotQ8_0(m, 1, query, 32, 32));
            float[] y = new float[33];
            y[32] = 7f;
            k.axpyQ8_0(2f, m, 1, y, 0, 32);
            for (int i = 0; i < 32; i++) {
                assertEquals(2f * d * m.get(ScalarKernels.BYTE, 3 + i), y[i], "element " + i);
            }
            assertEquals(7f, y[32], "past the row");
        }
    }
}
