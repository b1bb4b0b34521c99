package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Quantizer}'s K-quants come back through {@link KQuantBlocks}' dequantizers within a
 * bound derived from how they are made. A super-block stores, per group of 16 or 32 elements, a
 * step {@code s} (the F16 super-block factor times the group's integer scale) and, for Q2_K, Q4_K
 * and Q5_K, a minimum {@code m}; the last thing the quantizer does is round every element against
 * them, {@code q = clamp(round((x + m) / s), lo, hi)}, which the dequantizer turns back into
 * {@code s·q - m}. So an element comes back within half a step of itself, or — beyond the
 * group's grid {@code [s·lo - m, s·hi - m]} — at the grid's end: the error is at most
 * {@code |s| / 2 + distance(x, grid)}, plus float rounding. A group whose step is zero keeps
 * only its minimum: the grid is one point. (How well the search chose {@code s} and {@code m} is
 * what the byte-for-byte comparisons with llama.cpp's files check.) The step and minimum are read
 * from the bytes here with the layouts written out again, independently of the code under test.
 */
class QuantizerKQuantsTest {
    private static final int QK = 256;

    private final ScalarKernels k = new ScalarKernels();

    @Provide
    Arbitrary<GgmlType> kQuants() {
        return Arbitraries.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    }

    /** A group's grid: {@code step · q - min} for {@code q} in {@code [lo, hi]}. */
    private record Grid(float step, float min, int lo, int hi) {
        double bound(float x) {
            double t = (double) x + min;
            double a = (double) step * lo;
            double b = (double) step * hi;
            double outside = Math.max(0, Math.max(Math.min(a, b) - t, t - Math.max(a, b)));
            double rounding = 1e-6 * (Math.abs(x) + Math.abs(min) + Math.abs(step) * (hi - lo + 1));
            return Math.abs(step) / 2 + outside + rounding + 1e-30;
        }
    }

    @Property(tries = 400)
    void everyElementComesBackOnItsGroupsGridWithinHalfAStep(@ForAll("kQuants") GgmlType type,
            @ForAll @IntRange(min = 1, max = 3) int superBlocks, @ForAll long seed) {
        float[] x = QuantizerTest.randomRow(new Random(seed), superBlocks * QK, limit(type));
        byte[] bytes = bytes(type, x);
        float[] back = dequantize(type, bytes, x.length);
        int groupSize = type == GgmlType.Q4_K || type == GgmlType.Q5_K ? 32 : 16;
        for (int i = 0; i < x.length; i++) {
            Grid grid = grid(type, MemorySegment.ofArray(bytes), (long) (i / QK) * type.bytesPerBlock(), i % QK / groupSize);
            double error = Math.abs((double) back[i] - x[i]);
            if (!(error <= grid.bound(x[i]))) {
                throw new AssertionError(type + " seed " + seed + " element " + i + ": " + x[i] + " came back as "
                        + back[i] + " (error " + error + " > bound " + grid.bound(x[i]) + ", " + grid + ")");
            }
        }
    }

    /**
     * Magnitudes below which every super-block factor stays a finite F16, with room to spare: the
     * factors are the largest group scale or minimum over 15 (Q2_K), 32 (Q3_K), 63 (Q4_K, Q5_K) or
     * 128 (Q6_K), a minimum is at most the largest magnitude, and a scale at most about the range
     * over a third of the quant count.
     */
    private static float limit(GgmlType type) {
        return switch (type) {
            case Q2_K -> 1e5f;
            case Q3_K -> 1e6f;
            case Q4_K, Q5_K -> 2e6f;
            default -> 1e7f;
        };
    }

    /** The largest integer scale times the largest quant: how many F16 roundings of the factor an element can carry. */
    private static int span(GgmlType type) {
        return switch (type) {
            case Q2_K -> 15 * 3;
            case Q3_K -> 32 * 4;
            case Q4_K -> 63 * 15;
            case Q5_K -> 63 * 31;
            default -> 128 * 32;
        };
    }

    @Property(tries = 50)
    void anAllZeroRowComesBackAsZeros(@ForAll("kQuants") GgmlType type) {
        for (float v : dequantize(type, bytes(type, new float[2 * QK]), 2 * QK)) {
            assertEquals(0.0, v, 0.0);
        }
    }

    @Property(tries = 100)
    void aConstantRowComesBackWithinTheF16RoundingOfItsFactor(@ForAll("kQuants") GgmlType type, @ForAll long seed) {
        Random rnd = new Random(seed);
        float c = (float) ((rnd.nextBoolean() ? 1 : -1) * Math.pow(10, 8 * rnd.nextDouble() - 4));
        float[] x = new float[QK];
        java.util.Arrays.fill(x, c);
        // every group is the same: each gets the largest integer scale (or minimum), which maps c exactly onto
        // the end of its grid, so only the F16 rounding of the super-block factor remains (relative 2^-11, or
        // half F16's subnormal spacing 2^-24 once per unit of the span), and float roundings
        double bound = Math.abs(c) * (0x1p-11 + 0x1p-20) + span(type) * 0x1p-25;
        for (float v : dequantize(type, bytes(type, x), QK)) {
            assertEquals(c, v, bound, type + " of " + c);
        }
    }

    @Property(tries = 100)
    void quantizingIsDeterministicAndDoesNotDependOnHowTheRowIsSplit(@ForAll("kQuants") GgmlType type,
            @ForAll long seed) {
        float[] x = QuantizerTest.randomRow(new Random(seed), 3 * QK, limit(type));
        byte[] whole = bytes(type, x);
        assertArrayEquals(whole, bytes(type, x.clone()));
        byte[] pieces = new byte[whole.length];
        for (int b = 0; b < 3; b++) {
            Quantizer.quantizeRow(type, x, b * QK, QK, MemorySegment.ofArray(pieces), (long) b * type.bytesPerBlock());
        }
        assertArrayEquals(whole, pieces);
    }

    // ---- helpers

    private static byte[] bytes(GgmlType type, float[] x) {
        byte[] out = new byte[(int) type.byteSize(x.length)];
        assertEquals(out.length, Quantizer.quantize(type, x, MemorySegment.ofArray(out)));
        return out;
    }

    private float[] dequantize(GgmlType type, byte[] bytes, int n) {
        float[] back = new float[n];
        k.dequantizeRow(new WeightMatrix("row", type, MemorySegment.ofArray(bytes), 1, n), 0, back, 0);
        return back;
    }

    private static float f16(MemorySegment m, long at) {
        return Float.float16ToFloat(m.get(ScalarKernels.F16_LAYOUT, at));
    }

    private static int u8(MemorySegment m, long at) {
        return m.get(ScalarKernels.BYTE, at) & 0xFF;
    }

    /** Group {@code g}'s grid in the super-block at {@code blk}, from the layouts of {@link KQuantBlocks}. */
    private static Grid grid(GgmlType type, MemorySegment m, long blk, int g) {
        return switch (type) {
            case Q2_K -> new Grid(f16(m, blk + 80) * (u8(m, blk + g) & 15), f16(m, blk + 82) * (u8(m, blk + g) >>> 4), 0, 3);
            case Q3_K -> {
                int low = g < 8 ? u8(m, blk + 96 + g) & 15 : u8(m, blk + 96 + g - 8) >>> 4;
                int high = (u8(m, blk + 104 + g % 4) >>> (2 * (g / 4))) & 3;
                yield new Grid(f16(m, blk + 108) * ((low | high << 4) - 32), 0f, -4, 3);
            }
            case Q4_K, Q5_K -> {
                long s = blk + 4;
                int scale = g < 4 ? u8(m, s + g) & 63 : (u8(m, s + g + 4) & 15) | (u8(m, s + g - 4) >>> 6) << 4;
                int min = g < 4 ? u8(m, s + g + 4) & 63 : (u8(m, s + g + 4) >>> 4) | (u8(m, s + g) >>> 6) << 4;
                yield new Grid(f16(m, blk) * scale, f16(m, blk + 2) * min, 0, type == GgmlType.Q4_K ? 15 : 31);
            }
            case Q6_K -> new Grid(f16(m, blk + 208) * m.get(ScalarKernels.BYTE, blk + 192 + g), 0f, -32, 31);
            default -> throw new AssertionError(type);
        };
    }
}
