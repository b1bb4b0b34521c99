package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;

/** {@link GgmlExp} against values ggml's AVX-512 {@code ggml_v_expf} gave on this project's reference machine. */
class GgmlExpTest {
    /** Input bits, output bits: subnormal and normal results, the polynomial's whole range, 2^n exactly. */
    private static final int[][] GGML = {
        {0xc2cf0000, 0x00000001}, {0xc2ae999a, 0x0084c38b}, {0xc1a20000, 0x30dc9eef}, {0xbf800000, 0x3ebc5ab3},
        {0xbf000000, 0x3f1b4597}, {0xb22bcc77, 0x3f800000}, {0x00000000, 0x3f800000}, {0x322bcc77, 0x3f800000},
        {0x3eaa7efa, 0x3fb29430}, {0x3f317218, 0x40000000}, {0x3f800000, 0x402df855}, {0x40200000, 0x4142eb7f},
        {0x41200000, 0x46ac14f0}, {0x4231999a, 0x5f8508f5}, {0x42b10000, 0x7f4cdcc3}, {0xc12c0000, 0x37b3e5a9},
    };

    @Test
    void matchesGgmlToTheBit() {
        for (int[] pair : GGML) {
            float x = Float.intBitsToFloat(pair[0]);
            assertEquals(Integer.toHexString(pair[1]), Integer.toHexString(Float.floatToRawIntBits(GgmlExp.exp(x))), "exp(" + x + ")");
        }
    }

    @Test
    void edges() {
        assertEquals(0f, GgmlExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, GgmlExp.exp(-200f));
        assertEquals(Float.POSITIVE_INFINITY, GgmlExp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, GgmlExp.exp(89f));
        assertTrue(Float.isNaN(GgmlExp.exp(Float.NaN)));
    }

    /** ggml's exp is within two ulps of the correctly rounded one wherever the result is a normal float. */
    @Property
    void closeToMathExp(@ForAll @FloatRange(min = -87f, max = 88f) float x) {
        float expected = (float) Math.exp(x);
        assertTrue(Math.abs(GgmlExp.exp(x) - expected) <= 2 * Math.ulp(expected), "exp(" + x + ")");
    }
}
