package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The integer dot products of {@link LegacyQuantBlocks} and {@link KQuantBlocks} compute what the
 * dequantized weights say: over random blocks and activations, the scalar {@code dotRow} of a row
 * with a prepared activation equals {@code sum(w_i * a_i)} in double, with {@code w} the row from
 * {@code dequantizeRow} and {@code a} the prepared activation's values ({@code q * scale}).
 *
 * <p>Tolerance. Both sides are exact up to float roundings of relative size 2^-24: a few in each
 * dequantized weight (scale times quant, minus scaled minimum) and in each block's scaling, one
 * per block in the kernel's running sums (one per lane, see {@link AvxLanes}) and a few adding them
 * up. With {@code w+_i} the weight rebuilt with its scale
 * and minimum terms added in magnitude (so nothing cancels), the difference is at most
 * {@code (8 + 2 * blocks) * 2^-24 * sum|w+_i * a_i|}. Weights with a minimum take Q8_1
 * activations, whose kernel uses each block's {@code s} (d * sum(q) rounded to F16, as ggml) in
 * place of {@code sum(a_i)}; that rounding adds {@code sum over blocks |m * (s - d_F16 * sum(q))|}.
 */
class QuantizedDotPropertiesTest {

    private final ScalarKernels k = new ScalarKernels();

    @Provide
    Arbitrary<GgmlType> types() {
        return Arbitraries.of(GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K,
                GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    }

    @Property(tries = 400)
    void dotRowEqualsTheSumOfDequantizedProducts(@ForAll("types") GgmlType type,
            @ForAll @IntRange(min = 1, max = 5) int blocks, @ForAll @IntRange(min = 1, max = 3) int rows,
            @ForAll boolean wideActivations, @ForAll long seed) {
        Random rnd = new Random(seed);
        int cols = blocks * type.blockSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = randomBlocks(arena, type, rows * blocks, rnd);
            WeightMatrix w = new WeightMatrix("random " + type, type, data, rows, cols);
            float[] x = new float[cols + 3];
            for (int i = 0; i < x.length; i++) {
                double v = rnd.nextGaussian();
                x[i] = (float) (wideActivations ? v * Math.pow(10, 4 * rnd.nextDouble() - 2) : v);
            }
            int offset = rnd.nextInt(4);
            PreparedVector px = new PreparedVector(cols + rnd.nextInt(300));
            k.prepare(x, offset, cols, ActivationFormat.of(type), px);
            double[] a = activationValues(px, cols);

            float[] row = new float[cols];
            float[] magnitudes = new float[cols];
            MemorySegment positive = arena.allocate(w.rowBytes());
            for (int r = 0; r < rows; r++) {
                k.dequantizeRow(w, r, row, 0);
                positive.copyFrom(data.asSlice(w.rowOffset(r), w.rowBytes()));
                withoutCancellation(type, positive, blocks);
                k.dequantizeRow(new WeightMatrix("magnitudes", type, positive, 1, cols), 0, magnitudes, 0);
                double expected = 0;
                double scale = 0;
                for (int i = 0; i < cols; i++) {
                    expected += row[i] * a[i];
                    scale += Math.abs(magnitudes[i] * a[i]);
                }
                double tolerance = (8 + 2 * blocks) * 0x1p-24 * scale
                        + blockSumRounding(type, data, w.rowOffset(r), px, blocks) + Float.MIN_NORMAL;
                float actual = k.dotRow(w, r, px);
                if (!(Math.abs(actual - expected) <= tolerance)) {
                    throw new AssertionError(type + " " + rows + "x" + cols + " row " + r + " seed " + seed + ": dotRow "
                            + actual + ", dequantized sum " + expected + ", difference " + Math.abs(actual - expected)
                            + " > tolerance " + tolerance);
                }
            }
        }
    }

    /** Random quant and scale bytes; the F16 scales and minimums small, finite and of either sign. */
    private static MemorySegment randomBlocks(Arena arena, GgmlType type, int count, Random rnd) {
        MemorySegment m = arena.allocate((long) count * type.bytesPerBlock());
        for (long i = 0; i < m.byteSize(); i++) {
            m.set(ScalarKernels.BYTE, i, (byte) rnd.nextInt());
        }
        for (int b = 0; b < count; b++) {
            long blk = (long) b * type.bytesPerBlock();
            for (long at : halfOffsets(type)) {
                m.set(ScalarKernels.F16_LAYOUT, blk + at, Float.floatToFloat16(0.01f * (float) rnd.nextGaussian()));
            }
        }
        return m;
    }

    /** Where a block keeps its F16 scale, then its F16 minimum (or dmin) if it has one. */
    private static long[] halfOffsets(GgmlType type) {
        return switch (type) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> new long[] {0, 2};
            case Q5_0 -> new long[] {0};
            case Q2_K -> new long[] {80, 82};
            case Q3_K -> new long[] {108};
            case Q6_K -> new long[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /**
     * Makes every weight of the row the sum of the magnitudes of its two terms: a positive scale,
     * and a minimum that adds (Q4_1, Q5_1: positive m) rather than subtracts (K-quants: negative dmin).
     * Types without a minimum have one term, whose magnitude (taken by the caller) is that of the weight.
     */
    private static void withoutCancellation(GgmlType type, MemorySegment row, int blocks) {
        long[] at = halfOffsets(type);
        for (int b = 0; b < blocks; b++) {
            long blk = (long) b * type.bytesPerBlock();
            setSign(row, blk + at[0], false);
            if (at.length > 1) {
                setSign(row, blk + at[1], type == GgmlType.Q2_K || type == GgmlType.Q4_K || type == GgmlType.Q5_K);
            }
        }
    }

    private static void setSign(MemorySegment m, long at, boolean negative) {
        short h = m.get(ScalarKernels.F16_LAYOUT, at);
        m.set(ScalarKernels.F16_LAYOUT, at, (short) (negative ? h | 0x8000 : h & 0x7fff));
    }

    /** Q8_1 only: what using s instead of d_F16 * sum(q) moves each block's minimum term by. */
    private static double blockSumRounding(GgmlType type, MemorySegment data, long rowOffset, PreparedVector px,
            int blocks) {
        if (ActivationFormat.of(type) != ActivationFormat.Q8_1) {
            return 0;
        }
        double total = 0;
        for (int b = 0; b < blocks; b++) {
            long minimumAt = rowOffset + (long) b * type.bytesPerBlock() + 2;
            float min = Float.float16ToFloat(data.get(ScalarKernels.F16_LAYOUT, minimumAt));
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                sum += px.quants()[b * 32 + i];
            }
            total += Math.abs(min * ((double) px.blockSums()[b] - (double) px.scales()[b] * sum));
        }
        return total;
    }

    /** The prepared activation as the floats it stands for: quant times its block's scale. */
    private static double[] activationValues(PreparedVector px, int n) {
        int block = px.format() == ActivationFormat.Q8_K ? PreparedVector.Q8_K_BLOCK : PreparedVector.Q8_BLOCK;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (double) px.quants()[i] * px.scales()[i / block];
        }
        return a;
    }
}
