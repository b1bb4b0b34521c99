package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Quantizer} writes ggml's reference layouts of the plain and 32-element types: a quantize →
 * dequantize round trip stays within each format's bound (see the class comment of
 * {@link Quantizer}), and hand-made blocks give the bytes ggml's reference code gives. The K-quants
 * are {@link QuantizerKQuantsTest}'s.
 */
class QuantizerTest {
    private final ScalarKernels k = new ScalarKernels();

    @Provide
    Arbitrary<GgmlType> types() {
        return Arbitraries.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q5_1);
    }

    @Property(tries = 500)
    void roundTripStaysWithinTheBoundOfTheFormat(@ForAll("types") GgmlType type,
            @ForAll @IntRange(min = 1, max = 8) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = blocks * 32;
        float[] x = randomRow(rnd, n, limit(type));
        float[] back = roundTrip(type, x);
        for (int b = 0; b < blocks; b++) {
            float amax = 0f;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int i = b * 32; i < b * 32 + 32; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
            }
            for (int i = b * 32; i < b * 32 + 32; i++) {
                double bound = bound(type, x[i], amax, min, max);
                double error = Math.abs((double) back[i] - x[i]);
                if (!(error <= bound)) {
                    throw new AssertionError(type + " seed " + seed + " element " + i + ": " + x[i] + " came back as "
                            + back[i] + " (error " + error + " > bound " + bound + ", block amax " + amax + ")");
                }
            }
        }
    }

    /**
     * The largest magnitude each format holds: F16's 65504, the amax whose scale is still a finite
     * F16, or for the types with a minimum, an F16 minimum.
     */
    private static float limit(GgmlType type) {
        return switch (type) {
            case F16, Q4_1, Q5_1 -> 65504f;
            case Q4_0 -> 8 * 65504f;
            case Q5_0 -> 16 * 65504f;
            case Q8_0 -> 127 * 65504f;
            default -> 1e30f;
        };
    }

    /**
     * The bound of {@link Quantizer}'s class comment, plus the float roundings of the arithmetic
     * and F16's subnormal spacing (2^-24: half of it for each F16 value, times the quants it scales).
     */
    private static double bound(GgmlType type, float x, float amax, float min, float max) {
        double slack = 1e-6 * amax;
        double range = (double) max - min;
        return switch (type) {
            case F32 -> 0;
            case F16 -> Math.abs(x) * 0x1p-11 + 0x1p-25;
            case BF16 -> Math.abs(x) * 0x1p-8 + Float.MIN_VALUE;
            case Q8_0 -> amax / 127.0 * (0.5 + 127 * 0x1p-11) + 127 * 0x1p-25 + slack;
            case Q4_0 -> amax / 8.0 * (1 + 8 * 0x1p-11) + 8 * 0x1p-25 + slack;
            case Q5_0 -> amax / 16.0 * (1 + 16 * 0x1p-11) + 16 * 0x1p-25 + slack;
            case Q4_1 -> range / 15 * (0.5 + 15 * 0x1p-11) + Math.abs(min) * 0x1p-11 + 16 * 0x1p-25 + slack;
            case Q5_1 -> range / 31 * (0.5 + 31 * 0x1p-11) + Math.abs(min) * 0x1p-11 + 32 * 0x1p-25 + slack;
            default -> throw new AssertionError(type);
        };
    }

    @Property(tries = 100)
    void quantizingIsDeterministic(@ForAll("types") GgmlType type, @ForAll long seed) {
        float[] x = randomRow(new Random(seed), 128, limit(type));
        assertArrayEquals(bytes(type, x), bytes(type, x.clone()));
    }

    @Property(tries = 100)
    void anAllZeroBlockComesBackAsZeros(@ForAll("types") GgmlType type) {
        for (float v : roundTrip(type, new float[64])) {
            assertEquals(0.0, v, 0.0); // Q4_0 gives -0: its scale is 0 / -8, as in ggml
        }
    }

    @Example
    void q8_0BlockHasAnF16ScaleOfAmaxOver127AndRoundsHalvesAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;   // amax 127: d = 1, stored as F16 0x3C00
        x[1] = 2.5f;   // roundf: 3 (round-half-even would give 2)
        x[2] = -2.5f;  // -3 (Java's Math.round would give -2)
        x[3] = 0.49f;  // 0
        x[4] = -127f;
        x[5] = 63.5f;  // 64
        byte[] expected = new byte[34];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        expected[2] = 127;
        expected[3] = 3;
        expected[4] = -3;
        expected[5] = 0;
        expected[6] = -127;
        expected[7] = 64;
        assertArrayEquals(expected, bytes(GgmlType.Q8_0, x));
    }

    @Example
    void q4_0BlockScalesTheFirstLargestElementToMinus8AndPacksElementJWithJPlus16() {
        float[] x = new float[32];
        x[0] = -8f;     // the largest magnitude, first: d = -8 / -8 = 1 (F16 0x3C00), quant 0
        x[1] = 8f;      // as large but later: 8 + 8.5 = 16.5 → 16, clamped to 15
        x[2] = 0.49f;   // trunc(8.99) = 8
        x[3] = -0.51f;  // trunc(7.99) = 7
        x[16] = 7f;     // 15, in the high nibble of byte 0
        x[17] = -3f;    // 5, high nibble of byte 1
        byte[] expected = new byte[18];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        expected[2] = (byte) (0 | 15 << 4);
        expected[3] = (byte) (15 | 5 << 4);
        expected[4] = (byte) (8 | 8 << 4);
        expected[5] = (byte) (7 | 8 << 4);
        for (int j = 4; j < 16; j++) {
            expected[2 + j] = (byte) (8 | 8 << 4); // zeros are quant 8
        }
        assertArrayEquals(expected, bytes(GgmlType.Q4_0, x));
    }

    @Example
    void q4_0ScaleIsNegativeWhenTheLargestElementIsPositive() {
        float[] x = new float[32];
        x[5] = 4f; // d = 4 / -8 = -0.5: F16 0xB800; 4 is quant 0 and comes back exactly
        byte[] b = bytes(GgmlType.Q4_0, x);
        assertEquals((byte) 0x00, b[0]);
        assertEquals((byte) 0xB8, b[1]);
        assertEquals(4f, roundTrip(GgmlType.Q4_0, x)[5]);
    }

    @Example
    void q4_1BlockStoresTheRangeOverFifteenAndTheMinimumAndRoundsHalvesUp() {
        float[] x = new float[32];
        x[0] = -1f;     // the minimum: m = -1 (F16 0xBC00), quant 0
        x[1] = 6.5f;    // the maximum: d = 7.5 / 15 = 0.5 (F16 0x3800), quant 15
        x[16] = 0.74f;  // trunc(1.74 / 0.5 + 0.5) = trunc(3.98) = 3, high nibble of byte 0
        x[17] = 0.76f;  // trunc(4.02) = 4
        byte[] expected = new byte[20];
        expected[1] = 0x38;
        expected[3] = (byte) 0xBC;
        expected[4] = 0x30;
        expected[5] = 0x4F;
        for (int j = 2; j < 16; j++) {
            expected[4 + j] = 0x22; // zeros: trunc(1 / 0.5 + 0.5) = 2
        }
        assertArrayEquals(expected, bytes(GgmlType.Q4_1, x));
    }

    @Example
    void q5_0BlockPutsTheFifthBitOfElementJInBitJOfTheWordAfterTheScale() {
        float[] x = new float[32];
        x[0] = -16f;  // d = -16 / -16 = 1 (F16 0x3C00): quant trunc(-16 + 16.5) = 0
        x[1] = 16f;   // trunc(32.5) = 32, clamped to 31: nibble 15, fifth bit set
        x[16] = 3f;   // 19 = 16 + 3: nibble 3 in the high half of byte 0, fifth bit 16 set
        byte[] expected = new byte[22];
        expected[1] = 0x3C;
        expected[2] = (byte) 0xFE; // every quant but element 0's is at least 16 (zeros are 16)
        expected[3] = (byte) 0xFF;
        expected[4] = (byte) 0xFF;
        expected[5] = (byte) 0xFF;
        expected[6] = 0x30;
        expected[7] = 0x0F;
        assertArrayEquals(expected, bytes(GgmlType.Q5_0, x));
    }

    @Example
    void q5_1BlockStoresTheRangeOverThirtyOneAndDoesNotClampItsQuants() {
        float[] x = new float[32];
        x[0] = 7.75f;  // d = 7.75 / 31 = 0.25 (F16 0x3400), m = 0: trunc(31 + 0.5) = 31, nibble 15 and fifth bit 0
        x[17] = 4.1f;  // trunc(16.4 + 0.5) = 16: nibble 0, fifth bit 17
        byte[] expected = new byte[24];
        expected[1] = 0x34;
        expected[4] = 0x01;
        expected[6] = 0x02;
        expected[8] = 0x0F;
        assertArrayEquals(expected, bytes(GgmlType.Q5_1, x));
    }

    @Example
    void f16AndBf16RoundToNearestEven() {
        float[] x = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 1f + 0x1p-8f, 70000f};
        byte[] f16 = bytes(GgmlType.F16, x);
        MemorySegment s = MemorySegment.ofArray(f16);
        ValueLayout.OfShort le = ScalarKernels.F16_LAYOUT;
        assertEquals((short) 0x3C00, s.get(le, 0));      // a tie: down to the even 1.0
        assertEquals((short) 0x3C02, s.get(le, 2));      // a tie: up to the even mantissa 2
        assertEquals((short) 0x7C00, s.get(le, 6));      // beyond 65504: infinity
        MemorySegment bf = MemorySegment.ofArray(bytes(GgmlType.BF16, x));
        assertEquals((short) 0x3F80, bf.get(le, 4));     // 1 + 2^-8 is a tie: down to 1.0
    }

    @Example
    void writesAtTheOffsetItIsGivenAndReturnsTheBytesWritten() {
        float[] x = new float[40];
        x[8] = 127f;
        MemorySegment out = MemorySegment.ofArray(new byte[10 + 34]);
        assertEquals(34, Quantizer.quantizeRow(GgmlType.Q8_0, x, 8, 32, out, 10));
        assertEquals(127, out.get(ValueLayout.JAVA_BYTE, 12));
    }

    @Example
    void refusesATypeItCannotWriteAndAPartialBlock() {
        MemorySegment out = MemorySegment.ofArray(new byte[1024]);
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantizeRow(GgmlType.IQ4_XS, new float[256], 0, 256, out, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantizeRow(GgmlType.Q4_0, new float[48], 0, 48, out, 0));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Quantizer.quantizeRow(GgmlType.Q8_0, new float[64], 0, 64, out.asSlice(0, 40), 0));
    }

    // ---- helpers

    /**
     * Blocks of five kinds at a random scale between 10^-12 and 10^8 (capped at {@code limit}): all
     * zero, constant, Gaussian, Gaussian with one spike up to {@code limit}, and equal magnitudes with
     * both signs (the Q4_0 clamp).
     */
    static float[] randomRow(Random rnd, int n, float limit) {
        float[] x = new float[n];
        for (int b = 0; b < n / 32; b++) {
            int kind = rnd.nextInt(5);
            double scale = Math.pow(10, 20 * rnd.nextDouble() - 12);
            double constant = rnd.nextBoolean() ? scale : -scale;
            for (int i = b * 32; i < b * 32 + 32; i++) {
                x[i] = switch (kind) {
                    case 0 -> 0f;
                    case 1 -> (float) constant;
                    case 4 -> (float) (rnd.nextBoolean() ? scale : -scale);
                    default -> (float) (rnd.nextGaussian() * scale);
                };
            }
            if (kind == 3) {
                x[b * 32 + rnd.nextInt(32)] = (float) ((rnd.nextBoolean() ? 1 : -1) * limit * rnd.nextDouble());
            }
            for (int i = b * 32; i < b * 32 + 32; i++) {
                x[i] = Math.max(-limit, Math.min(limit, x[i]));
            }
        }
        return x;
    }

    private static byte[] bytes(GgmlType type, float[] x) {
        byte[] out = new byte[(int) type.byteSize(x.length)];
        assertEquals(out.length, Quantizer.quantize(type, x, MemorySegment.ofArray(out)));
        return out;
    }

    private float[] roundTrip(GgmlType type, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(type.byteSize(x.length));
            Quantizer.quantize(type, x, data);
            float[] back = new float[x.length];
            k.dequantizeRow(new WeightMatrix("row", type, data, 1, x.length), 0, back, 0);
            return back;
        }
    }
}
