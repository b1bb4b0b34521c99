package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Activations quantized for weights with a minimum (Q8_1) and for the K-quants (Q8_K), rounded
 * as ggml's x86 build rounds them.
 */
class ActivationQuantizationTest {
    private final Kernels k = new ScalarKernels();

    private PreparedVector prepare(float[] x, ActivationFormat format) {
        PreparedVector p = new PreparedVector(x.length);
        k.prepare(x, 0, x.length, format, p);
        assertEquals(format, p.format());
        assertEquals(x.length, p.length());
        return p;
    }

    @Example
    void q8_1QuantizesAsQ8_0AndKeepsTheScaledSumOfItsQuants() {
        float[] x = new float[32];
        x[0] = 127f;  // scale 1
        x[1] = 2.5f;  // ties go to even
        x[2] = -3.5f;
        PreparedVector p = prepare(x, ActivationFormat.Q8_1);
        assertEquals(1f, p.scales()[0]);
        assertEquals(127, p.quants()[0]);
        assertEquals(2, p.quants()[1]);
        assertEquals(-4, p.quants()[2]);
        assertEquals(125f, p.blockSums()[0]); // 1 * (127 + 2 - 4)
    }

    @Example
    void q8_1SumUsesTheScaleBeforeItsRoundingToF16() {
        float[] x = new float[32];
        x[0] = 100f; // d = 100 / 127 = 0.78740156 (F16: 0.78759765625), id = 1.27: quant 127
        x[1] = 40f;  // 50.8 -> 51
        PreparedVector p = prepare(x, ActivationFormat.Q8_1);
        assertEquals(0.78759765625f, p.scales()[0]);
        assertEquals(51, p.quants()[1]);
        // 0.78740156 * 178 = 140.1575 -> F16 140.125; the rounded scale would give 140.1924 -> 140.25
        assertEquals(140.125f, p.blockSums()[0]);
    }

    @Example
    void q8_KScalesByMinus127OverTheLargestElementWithItsSign() {
        float[] x = new float[256];
        x[0] = -2f;   // the largest magnitude: iscale = -127 / -2 = 63.5
        x[1] = 1f;    // 63.5 -> 64 (ties to even)
        x[2] = 0.5f;  // 31.75 -> 32
        x[17] = 2f;   // as large as x[0] but later: the first one decides
        PreparedVector p = prepare(x, ActivationFormat.Q8_K);
        assertEquals(1f / 63.5f, p.scales()[0]);
        assertEquals(-127, p.quants()[0]);
        assertEquals(64, p.quants()[1]);
        assertEquals(32, p.quants()[2]);
        assertEquals(127, p.quants()[17]);
        assertEquals(-127 + 64 + 32, p.groupSums()[0]);
        assertEquals(127, p.groupSums()[1]);
    }

    @Example
    void q8_KOfAPositiveMaximumHasANegativeScale() {
        float[] x = new float[256];
        x[0] = 4f;    // iscale = -31.75
        x[5] = 1f;    // -31.75 -> -32
        PreparedVector p = prepare(x, ActivationFormat.Q8_K);
        assertEquals(-1f / 31.75f, p.scales()[0]);
        assertEquals(-127, p.quants()[0]);
        assertEquals(-32, p.quants()[5]);
        assertEquals(-159, p.groupSums()[0]);
    }

    @Example
    void q8_KOfAnAllZeroBlockIsZero() {
        float[] x = new float[512];
        x[300] = 1f;
        PreparedVector p = new PreparedVector(512);
        Arrays.fill(p.quants(), (byte) 9);
        Arrays.fill(p.groupSums(), (short) 9);
        k.prepare(x, 0, 512, ActivationFormat.Q8_K, p);
        assertEquals(0f, p.scales()[0]);
        for (int i = 0; i < 256; i++) {
            assertEquals(0, p.quants()[i]);
        }
        for (int g = 0; g < 16; g++) {
            assertEquals(0, p.groupSums()[g]);
        }
        assertEquals(-127, p.quants()[300]);
    }

    /** Each quant is within half a step of its value (up to float rounding), and the group sums are the sums of the quants. */
    @Property(tries = 200)
    void q8_KRoundsEachValueToTheNearestStep(@ForAll @IntRange(min = 1, max = 4) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * PreparedVector.Q8_K_BLOCK;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(10, 6 * rnd.nextDouble() - 3));
        }
        PreparedVector p = prepare(x, ActivationFormat.Q8_K);
        for (int b = 0; b < blocks; b++) {
            float d = p.scales()[b];
            for (int i = b * 256; i < (b + 1) * 256; i++) {
                double error = Math.abs((double) p.quants()[i] * d - x[i]);
                // half a step, plus the roundings of iscale * x and of d = 1 / iscale (each 2^-24 of up to 127 steps)
                if (error > Math.abs(d) * (0.5 + 2 * 127 * 0x1p-24)) {
                    throw new AssertionError("element " + i + " = " + x[i] + " quantized to " + p.quants()[i] + " * " + d);
                }
            }
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += p.quants()[b * 256 + g * 16 + i];
                }
                assertEquals(sum, p.groupSums()[b * 16 + g]);
            }
        }
    }
}
