package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Runs one operation on a candidate {@link Kernels} and on {@link ScalarKernels} with the same
 * random inputs and fails, naming the case, when the two disagree beyond the operation's
 * tolerance. The jqwik properties of {@link VectorKernelsPropertiesTest} call it at this JVM's
 * vector width; {@link #main} runs a fixed sweep of it in a child JVM at a forced width
 * ({@link VectorWidthsTest}).
 *
 * <p>Tolerances:
 * <ul>
 * <li>prepare (F16, BF16, Q8_0 quants and scales), axpyF16, add, scale: identical bits (any
 *     NaN equals any NaN).
 * <li>dot products and matVec: {@code |candidate - reference| <= 8 * sqrt(n) * 2^-24 * sum|a_i*b_i|}
 *     (plus the smallest normal float), with {@code a_i*b_i} the exact products of the
 *     dequantized weights and the prepared activations. The two differ only in the order of
 *     float additions (and fused multiply-adds); each is within about
 *     {@code sqrt(n) * 2^-24 * sum|a_i*b_i|} of the exact sum for inputs with random rounding
 *     errors (the probabilistic bound of Higham and Mary), so 8 leaves a wide margin while a
 *     single dropped or doubled term of average size in 4096 still shows.
 * <li>tiled Q8_0, Q4_0 and K-quant (Q2_K to Q6_K) matrices ({@link TileLayout}): identical bits to the same
 *     matrix row-major, for matVec and matMul and in both implementations: the tiled kernels sum
 *     each block in integers and add the scaled block sums in the scalar loop's order (for the
 *     K-quants, ggml's eight lanes).
 * <li>rmsNorm and swiGlu: {@code 1e-6 * |reference|} (plus the smallest normal float): rmsNorm
 *     sums its squares in double in another order, which can move the float mean by an ulp;
 *     swiGlu's vector exp is within an ulp or two of {@code (float) Math.exp}.
 * </ul>
 */
final class KernelAgreement {

    /** The unit roundoff of float. */
    static final double U = 0x1p-24;

    /** What the random activations look like. */
    enum Values {
        /** Standard normal. */
        GAUSSIAN,
        /** Random sign, magnitude log-uniform in [1e-6, 1e4]. */
        WIDE,
        /** Mostly zeros, the rest normal times 100; some blocks all zero. */
        SPARSE,
        /**
         * Exact rounding ties: each Q8_0 block has max |x| = 127 (so id = 1) and values k + 0.5;
         * every other element sits midway between two adjacent F16 or BF16 values.
         */
        TIES,
        /** Uniform in [0, 1): same-signed products, the hardest case for summation error. */
        POSITIVE
    }

    private final Kernels candidate;
    private final ScalarKernels reference = new ScalarKernels();

    KernelAgreement(Kernels candidate) {
        this.candidate = candidate;
    }

    // ---------------------------------------------------------------- random inputs

    static float[] values(Random rnd, Values kind, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (kind) {
                case GAUSSIAN -> (float) rnd.nextGaussian();
                case WIDE -> (rnd.nextBoolean() ? 1 : -1) * (float) Math.pow(10, -6 + 10 * rnd.nextDouble());
                case SPARSE -> (i / 32) % 3 == 1 || rnd.nextInt(10) < 7 ? 0f : 100f * (float) rnd.nextGaussian();
                case TIES -> i % 32 == 0 ? (rnd.nextBoolean() ? 127f : -127f)
                        : i % 2 == 0 ? rnd.nextInt(254) - 127 + 0.5f
                        : rnd.nextBoolean() ? f16Midpoint(rnd) : bf16Midpoint(rnd);
                case POSITIVE -> rnd.nextFloat();
            };
        }
        return x;
    }

    /** A float exactly midway between two adjacent half-precision values below 126 (so a TIES block's max stays 127). */
    private static float f16Midpoint(Random rnd) {
        short h = (short) (rnd.nextInt(0x57e0) | (rnd.nextBoolean() ? 0x8000 : 0));
        float a = Float.float16ToFloat(h);
        float b = Float.float16ToFloat((short) (h + 1));
        return (float) (((double) a + b) / 2);
    }

    /** A float exactly midway between two adjacent bfloat16 values, of magnitude in [2^-27, 2^6). */
    private static float bf16Midpoint(Random rnd) {
        int bits = (rnd.nextBoolean() ? 0x8000 : 0) | (100 + rnd.nextInt(33)) << 7 | rnd.nextInt(128);
        return Float.intBitsToFloat(bits << 16 | 0x8000);
    }

    /** Random but valid weights: finite F16 and BF16, any quants, small F16 block scales; the start is not aligned. */
    static WeightMatrix weights(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        long size = type.byteSize(cols) * rows;
        int misalign = rnd.nextInt(4);
        MemorySegment m = arena.allocate(size + misalign, 8).asSlice(misalign, size);
        long at = 0;
        switch (type) {
            case F32 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    m.set(ScalarKernels.F32_LAYOUT, 4 * i, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    short h = (short) rnd.nextInt();
                    if ((h & 0x7c00) == 0x7c00) {
                        h ^= 0x4000; // not infinity or NaN
                    }
                    m.set(ScalarKernels.F16_LAYOUT, 2 * i, h);
                }
            }
            case BF16 -> {
                for (long i = 0; i < (long) rows * cols; i++) {
                    int bits = (rnd.nextBoolean() ? 0x8000 : 0) | (97 + rnd.nextInt(61)) << 7 | rnd.nextInt(128);
                    m.set(ScalarKernels.F16_LAYOUT, 2 * i, (short) bits);
                }
            }
            case Q8_0, Q4_0 -> {
                int quantBytes = type.bytesPerBlock() - 2;
                for (long b = 0; b < (long) rows * cols / 32; b++) {
                    m.set(ScalarKernels.F16_LAYOUT, at, Float.floatToFloat16(0.01f * (float) rnd.nextGaussian()));
                    for (int i = 0; i < quantBytes; i++) {
                        m.set(ScalarKernels.BYTE, at + 2 + i, (byte) rnd.nextInt());
                    }
                    at += type.bytesPerBlock();
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                // random bytes, then small finite F16 factors where the layout keeps them
                for (long i = 0; i < size; i++) {
                    m.set(ScalarKernels.BYTE, i, (byte) rnd.nextInt());
                }
                for (long b = 0; b < size / type.bytesPerBlock(); b++) {
                    for (int f : factorOffsets(type)) {
                        m.set(ScalarKernels.F16_LAYOUT, b * type.bytesPerBlock() + f,
                                Float.floatToFloat16(0.01f * (float) rnd.nextGaussian()));
                    }
                }
            }
            default -> throw new IllegalArgumentException("no random weights for " + type);
        }
        return new WeightMatrix("random " + type, type, m, rows, cols);
    }

    /** Where a block keeps its F16 factors (scale, minimum). */
    private static int[] factorOffsets(GgmlType type) {
        return switch (type) {
            case Q4_1, Q5_1 -> new int[] {0, 2};
            case Q5_0 -> new int[] {0};
            default -> TileLayout.factorOffsets(type);
        };
    }

    /** A fresh segment with n finite half-precision values from byte {@code offset} (which may be odd). */
    private static MemorySegment halves(Arena arena, int n, long offset, Random rnd) {
        MemorySegment m = arena.allocate(2L * n + offset + 2);
        for (int i = 0; i < n; i++) {
            short h = (short) rnd.nextInt();
            if ((h & 0x7c00) == 0x7c00) {
                h ^= 0x4000;
            }
            m.set(ScalarKernels.F16_LAYOUT, offset + 2L * i, h);
        }
        return m;
    }

    // ---------------------------------------------------------------- checks

    /** Rounds or quantizes {@code n} values at a random offset; the prepared vectors must be identical. */
    void prepare(ActivationFormat format, int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        int offset = rnd.nextInt(8);
        float[] x = values(rnd, kind, offset + n);
        PreparedVector expected = new PreparedVector(n);
        PreparedVector actual = new PreparedVector(n);
        reference.prepare(x, offset, n, format, expected);
        candidate.prepare(x, offset, n, format, actual);
        String where = "prepare " + format + " n=" + n + " " + kind + " seed=" + seed;
        check(actual.length() == n && actual.format() == format, where + ": length or format not set");
        if (format == ActivationFormat.Q8_0) {
            int blocks = n / 32;
            for (int b = 0; b < blocks; b++) {
                check(sameBits(expected.scales()[b], actual.scales()[b]),
                        where + ": scale of block " + b + " " + actual.scales()[b] + " != " + expected.scales()[b]);
            }
            int mismatch = Arrays.mismatch(expected.quants(), 0, blocks * 32, actual.quants(), 0, blocks * 32);
            check(mismatch < 0, () -> where + ": quant " + mismatch + " of x=" + x[offset + mismatch] + " is "
                    + actual.quants()[mismatch] + ", scalar " + expected.quants()[mismatch]);
        } else {
            for (int i = 0; i < n; i++) {
                check(sameBits(expected.values()[i], actual.values()[i]), where + ": element " + i + " of x="
                        + x[offset + i] + " is " + actual.values()[i] + ", scalar " + expected.values()[i]);
            }
        }
    }

    /** matVec over a random row range into a random output offset, matMul over a batch of three, and dotRow of one row. */
    void matVec(GgmlType type, int rows, int cols, Values kind, long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = weights(arena, type, rows, cols, rnd);
            float[] x = values(rnd, kind, cols);
            PreparedVector px = new PreparedVector(cols + rnd.nextInt(40));
            reference.prepare(x, 0, cols, ActivationFormat.of(type), px);
            int from = rnd.nextInt(rows);
            int to = from + 1 + rnd.nextInt(rows - from);
            int outOffset = rnd.nextInt(3);
            float[] expected = new float[rows + outOffset + 1];
            float[] actual = new float[rows + outOffset + 1];
            Arrays.fill(expected, Float.NaN);
            Arrays.fill(actual, Float.NaN);
            reference.matVec(w, px, expected, outOffset, from, to);
            candidate.matVec(w, px, actual, outOffset, from, to);

            float[] row = new float[cols];
            float[] xs = activationValues(px, cols);
            String where = "matVec " + type + " " + rows + "x" + cols + " rows [" + from + ", " + to + ") "
                    + kind + " seed=" + seed;
            for (int i = 0; i < actual.length; i++) {
                int r = i - outOffset;
                if (r < from || r >= to) {
                    check(Float.floatToRawIntBits(actual[i]) == Float.floatToRawIntBits(Float.NaN),
                            where + ": wrote out[" + i + "] outside the row range");
                    continue;
                }
                reference.dequantizeRow(w, r, row, 0);
                double tolerance = dotTolerance(cols, absProducts(row, xs, cols));
                checkClose(where + " row " + r, expected[i], actual[i], tolerance);
            }
            // matMul over a batch of three activations (the middle one the same as x)
            PreparedVector[] batch = new PreparedVector[3];
            float[][] expectedBatch = new float[3][rows + outOffset];
            float[][] actualBatch = new float[3][rows + outOffset];
            for (int t = 0; t < batch.length; t++) {
                batch[t] = new PreparedVector(cols);
                reference.prepare(t == 1 ? x : values(rnd, kind, cols), 0, cols, ActivationFormat.of(type), batch[t]);
            }
            reference.matMul(w, batch, batch.length, expectedBatch, outOffset, from, to);
            candidate.matMul(w, batch, batch.length, actualBatch, outOffset, from, to);
            for (int t = 0; t < batch.length; t++) {
                float[] bs = activationValues(batch[t], cols);
                for (int r = from; r < to; r++) {
                    reference.dequantizeRow(w, r, row, 0);
                    checkClose(where + " matMul token " + t + " row " + r, expectedBatch[t][outOffset + r],
                            actualBatch[t][outOffset + r], dotTolerance(cols, absProducts(row, bs, cols)));
                }
            }
            if (candidate instanceof ScalarKernels k) {
                int r = rnd.nextInt(rows);
                reference.dequantizeRow(w, r, row, 0);
                checkClose(where + " dotRow " + r, reference.dotRow(w, r, px), k.dotRow(w, r, px),
                        dotTolerance(cols, absProducts(row, xs, cols)));
            }
        }
    }

    /**
     * matVec over a random row range: the candidate's products are exactly the reference's
     * (for kernels that sum in ggml's lanes).
     */
    void matVecSameBits(GgmlType type, int rows, int cols, Values kind, long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = weights(arena, type, rows, cols, rnd);
            PreparedVector px = new PreparedVector(cols + rnd.nextInt(40));
            reference.prepare(values(rnd, kind, cols), 0, cols, ActivationFormat.of(type), px);
            int from = rnd.nextInt(rows);
            int to = from + 1 + rnd.nextInt(rows - from);
            float[] expected = new float[rows];
            float[] actual = new float[rows];
            reference.matVec(w, px, expected, 0, from, to);
            candidate.matVec(w, px, actual, 0, from, to);
            for (int r = from; r < to; r++) {
                check(sameBits(expected[r], actual[r]), "matVec " + type + " " + rows + "x" + cols + " row " + r + ": "
                        + actual[r] + ", reference " + expected[r] + " " + kind + " seed=" + seed);
            }
        }
    }

    /**
     * The candidate's matMul over a batch of one to nine gives each token exactly the bits its
     * matVec gives that token: a prompt read in batches computes what decoding it would.
     */
    void batchLikeSingle(GgmlType type, int rows, int cols, Values kind, long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = weights(arena, type, rows, cols, rnd);
            int count = 1 + rnd.nextInt(9);
            int from = rnd.nextInt(rows);
            int to = from + 1 + rnd.nextInt(rows - from);
            PreparedVector[] x = new PreparedVector[count];
            float[][] batch = new float[count][rows];
            for (int b = 0; b < count; b++) {
                x[b] = new PreparedVector(cols + rnd.nextInt(40));
                candidate.prepare(values(rnd, kind, cols), 0, cols, ActivationFormat.of(type), x[b]);
            }
            candidate.matMul(w, x, count, batch, 0, from, to);
            float[] single = new float[rows];
            for (int b = 0; b < count; b++) {
                candidate.matVec(w, x[b], single, 0, from, to);
                for (int r = from; r < to; r++) {
                    check(sameBits(single[r], batch[b][r]), "matMul " + type + " " + rows + "x" + cols + " token " + b
                            + " of " + count + " row " + r + ": " + batch[b][r] + ", matVec " + single[r] + " " + kind
                            + " seed=" + seed);
                }
            }
        }
    }

    /**
     * A random row-major matrix tiled: rows dequantize to the same floats, and the candidate's and
     * the reference's matVec (over a random range of whole tiles) and matMul (a batch of one to
     * nine) on the tiled matrix give exactly the reference's matVec on the row-major one.
     */
    void tiled(GgmlType type, int tiles, int cols, Values kind, long seed) {
        Random rnd = new Random(seed);
        int rows = tiles * TileLayout.TILE_ROWS;
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = weights(arena, type, rows, cols, rnd);
            WeightMatrix t = TileLayout.repack(w, arena.allocate(w.data().byteSize(), 64));
            String where = "tiled " + type + " " + rows + "x" + cols + " " + kind + " seed=" + seed;
            float[] expectedRow = new float[cols];
            float[] actualRow = new float[cols];
            for (int r = 0; r < rows; r++) {
                reference.dequantizeRow(w, r, expectedRow, 0);
                reference.dequantizeRow(t, r, actualRow, 0);
                checkSameBits(where + " dequantizeRow " + r, expectedRow, actualRow);
            }
            int count = 1 + rnd.nextInt(9);
            PreparedVector[] x = new PreparedVector[count];
            float[][] expected = new float[count][rows + 1];
            float[][] actual = new float[count][rows + 1];
            float[][] scalarTiled = new float[count][rows + 1];
            for (int b = 0; b < count; b++) {
                x[b] = new PreparedVector(cols + rnd.nextInt(40));
                candidate.prepare(values(rnd, kind, cols), 0, cols, ActivationFormat.of(type), x[b]);
                reference.matVec(w, x[b], expected[b], 1, 0, rows);
            }
            int from = TileLayout.TILE_ROWS * rnd.nextInt(tiles);
            int to = from + TileLayout.TILE_ROWS * (1 + rnd.nextInt((rows - from) / TileLayout.TILE_ROWS));
            float[] single = new float[rows + 1];
            candidate.matVec(t, x[0], single, 1, from, to);
            reference.matVec(t, x[0], scalarTiled[0], 1, from, to);
            candidate.matMul(t, x, count, actual, 1, from, to);
            for (int r = from; r < to; r++) {
                check(sameBits(expected[0][1 + r], single[1 + r]),
                        where + " matVec row " + r + ": " + single[1 + r] + ", row-major " + expected[0][1 + r]);
                check(sameBits(expected[0][1 + r], scalarTiled[0][1 + r]),
                        where + " scalar matVec row " + r + ": " + scalarTiled[0][1 + r] + ", row-major " + expected[0][1 + r]);
                for (int b = 0; b < count; b++) {
                    check(sameBits(expected[b][1 + r], actual[b][1 + r]), where + " matMul token " + b + " of "
                            + count + " row " + r + ": " + actual[b][1 + r] + ", row-major " + expected[b][1 + r]);
                }
            }
            check(from == 0 || single[from] == 0f, where + ": matVec wrote before its range");
            check(to == rows || single[1 + to] == 0f, where + ": matVec wrote after its range");
        }
    }

    /** The prepared activation as the floats it stands for. */
    private static float[] activationValues(PreparedVector px, int n) {
        int block = switch (px.format()) {
            case Q8_0, Q8_1 -> PreparedVector.Q8_BLOCK;
            case Q8_K -> PreparedVector.Q8_K_BLOCK;
            default -> 0;
        };
        if (block == 0) {
            return Arrays.copyOf(px.values(), n);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = px.quants()[i] * px.scales()[i / block];
        }
        return v;
    }

    void dot(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        int aOffset = rnd.nextInt(5);
        int bOffset = rnd.nextInt(5);
        float[] a = values(rnd, kind, aOffset + n);
        float[] b = values(rnd, Values.GAUSSIAN, bOffset + n);
        double abs = 0;
        for (int i = 0; i < n; i++) {
            abs += Math.abs((double) a[aOffset + i] * b[bOffset + i]);
        }
        checkClose("dot n=" + n + " " + kind + " seed=" + seed, reference.dot(a, aOffset, b, bOffset, n),
                candidate.dot(a, aOffset, b, bOffset, n), dotTolerance(n, abs));
    }

    void dotF16(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        long byteOffset = rnd.nextInt(7);
        int xOffset = rnd.nextInt(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = halves(arena, n, byteOffset, rnd);
            float[] x = values(rnd, kind, xOffset + n);
            double abs = 0;
            for (int i = 0; i < n; i++) {
                abs += Math.abs((double) Float.float16ToFloat(h.get(ScalarKernels.F16_LAYOUT, byteOffset + 2L * i)) * x[xOffset + i]);
            }
            checkClose("dotF16 n=" + n + " offset " + byteOffset + " " + kind + " seed=" + seed,
                    reference.dotF16(h, byteOffset, x, xOffset, n), candidate.dotF16(h, byteOffset, x, xOffset, n),
                    dotTolerance(n, abs));
            checkClose("dotF16Unrolled n=" + n + " offset " + byteOffset + " " + kind + " seed=" + seed,
                    reference.dotF16Unrolled(h, byteOffset, x, xOffset, n), candidate.dotF16Unrolled(h, byteOffset, x, xOffset, n),
                    dotTolerance(n, abs));
        }
    }

    void axpyF16(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        long byteOffset = rnd.nextInt(7);
        int yOffset = rnd.nextInt(5);
        float a = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = halves(arena, n, byteOffset, rnd);
            float[] expected = values(rnd, kind, yOffset + n + 1);
            float[] actual = expected.clone();
            reference.axpyF16(a, h, byteOffset, expected, yOffset, n);
            candidate.axpyF16(a, h, byteOffset, actual, yOffset, n);
            checkSameBits("axpyF16 n=" + n + " " + kind + " seed=" + seed, expected, actual);
        }
    }

    /**
     * The four-query F16 kernels give each query the bits of the one-query kernel (of the same kernels, and of the
     * reference for axpy), from unaligned offsets, with different vectors and factors for the four.
     */
    void f16x4(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        long byteOffset = rnd.nextInt(7);
        int offset = rnd.nextInt(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = halves(arena, n, byteOffset, rnd);
            float[][] x = new float[4][];
            float[] a = new float[4];
            for (int q = 0; q < 4; q++) {
                x[q] = values(rnd, kind, offset + n);
                a[q] = (float) rnd.nextGaussian();
            }
            String what = "n=" + n + " offset " + byteOffset + " " + kind + " seed=" + seed;
            for (Kernels k : List.of(reference, candidate)) {
                float[] dots = new float[5];
                k.dotF16x4(h, byteOffset, x[0], x[1], x[2], x[3], offset, n, dots, 1);
                for (int q = 0; q < 4; q++) {
                    checkSameBits("dotF16x4 query " + q + " " + what, new float[] {k.dotF16(h, byteOffset, x[q], offset, n)},
                            new float[] {dots[1 + q]});
                }
            }
            // four stretches of one array, apart by n plus a gap, as the attention's partial sums
            int stride = n + 3;
            float[] expected = values(rnd, kind, offset + 4 * stride);
            float[] actual = expected.clone();
            for (int q = 0; q < 4; q++) {
                reference.axpyF16(a[q], h, byteOffset, expected, offset + q * stride, n);
            }
            candidate.axpyF16x4(h, byteOffset, n, a[0], a[1], a[2], a[3], actual, offset, offset + stride,
                    offset + 2 * stride, offset + 3 * stride);
            checkSameBits("axpyF16x4 " + what, expected, actual);
        }
    }

    /** The KV cache's F32 rows: a dot product within the dot tolerance, a fused axpy with identical bits. */
    void cacheF32(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        long byteOffset = 4L * rnd.nextInt(3) + rnd.nextInt(2); // aligned or not
        int xOffset = rnd.nextInt(5);
        float a = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(4L * n + byteOffset + 4);
            float[] row = values(rnd, kind, n);
            MemorySegment.copy(row, 0, m, ScalarKernels.F32_LAYOUT, byteOffset, n);
            float[] x = values(rnd, Values.GAUSSIAN, xOffset + n);
            double abs = 0;
            for (int i = 0; i < n; i++) {
                abs += Math.abs((double) row[i] * x[xOffset + i]);
            }
            String where = "n=" + n + " offset " + byteOffset + " " + kind + " seed=" + seed;
            checkClose("dotF32 " + where, reference.dotF32(m, byteOffset, x, xOffset, n),
                    candidate.dotF32(m, byteOffset, x, xOffset, n), dotTolerance(n, abs));
            float[] expected = x.clone();
            float[] actual = x.clone();
            reference.axpyF32(a, m, byteOffset, expected, xOffset, n);
            candidate.axpyF32(a, m, byteOffset, actual, xOffset, n);
            checkSameBits("axpyF32 " + where, expected, actual);
        }
    }

    /**
     * The KV cache's Q8_0 rows ({@code blocks} of them, written by {@link PreparedVector#writeQ8_0} from the
     * candidate's quantization): a dot product with a Q8_0 query from a block offset within the dot tolerance, a
     * fused axpy with identical bits.
     */
    void cacheQ8_0(int blocks, Values kind, long seed) {
        Random rnd = new Random(seed);
        int n = blocks * PreparedVector.Q8_BLOCK;
        long byteOffset = rnd.nextInt(7);
        int xOffset = PreparedVector.Q8_BLOCK * rnd.nextInt(3);
        float a = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(GgmlType.Q8_0.byteSize(n) + byteOffset);
            PreparedVector stored = new PreparedVector(n);
            candidate.prepare(values(rnd, kind, n), 0, n, ActivationFormat.Q8_0, stored);
            stored.writeQ8_0(m, byteOffset);
            PreparedVector query = new PreparedVector(xOffset + n);
            candidate.prepare(values(rnd, Values.GAUSSIAN, xOffset + n), 0, xOffset + n, ActivationFormat.Q8_0, query);
            double abs = 0;
            for (int i = 0; i < n; i++) {
                abs += Math.abs((double) stored.quants[i] * stored.scales[i / PreparedVector.Q8_BLOCK]
                        * query.quants[xOffset + i] * query.scales[(xOffset + i) / PreparedVector.Q8_BLOCK]);
            }
            String where = "blocks=" + blocks + " offset " + byteOffset + " " + kind + " seed=" + seed;
            checkClose("dotQ8_0 " + where, reference.dotQ8_0(m, byteOffset, query, xOffset, n),
                    candidate.dotQ8_0(m, byteOffset, query, xOffset, n), dotTolerance(n, abs));
            float[] expected = values(rnd, Values.GAUSSIAN, xOffset + n + 1);
            float[] actual = expected.clone();
            reference.axpyQ8_0(a, m, byteOffset, expected, xOffset, n);
            candidate.axpyQ8_0(a, m, byteOffset, actual, xOffset, n);
            checkSameBits("axpyQ8_0 " + where, expected, actual);
        }
    }

    /** At the same lane count, the same order: identical bits (other widths group their sums otherwise). */
    void sumRows(int n, Values kind, long seed) {
        if (reference.lanes() != candidate.lanes()) {
            return;
        }
        Random rnd = new Random(seed);
        int count = (rnd.nextBoolean() ? 4 : 1) * reference.lanes();
        int offset = rnd.nextInt(5);
        float[] rows = values(rnd, kind, offset + count * n);
        float[] expected = new float[n + 1];
        float[] actual = new float[n + 1];
        reference.sumRows(rows.clone(), offset, count, n, expected, 1);
        candidate.sumRows(rows.clone(), offset, count, n, actual, 1);
        checkSameBits("sumRows n=" + n + " count " + count + " " + kind + " seed=" + seed, expected, actual);
    }

    /** ggml's chunks of the lane count: identical bits at the same lane count, close otherwise; masked (-inf) entries give 0. */
    void softmax(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        int offset = rnd.nextInt(5);
        float[] x = values(rnd, kind, offset + n + 1);
        for (int i = offset; i < offset + n; i += 5) {
            x[i] = Float.NEGATIVE_INFINITY; // positions outside the window
        }
        x[offset + rnd.nextInt(n)] = 3f; // at least one finite score
        float[] expected = x.clone();
        float[] actual = x.clone();
        reference.softmax(expected, offset, n);
        candidate.softmax(actual, offset, n);
        String where = "softmax n=" + n + " " + kind + " seed=" + seed;
        if (reference.lanes() == candidate.lanes()) {
            checkSameBits(where, expected, actual);
        } else {
            for (int i = 0; i < expected.length; i++) {
                checkClose(where + " element " + i, expected[i], actual[i], 1e-6 * Math.abs(expected[i]) + 1e-12);
            }
        }
    }

    void rmsNorm(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        int xOffset = rnd.nextInt(5);
        int outOffset = rnd.nextInt(5);
        float[] x = values(rnd, kind, xOffset + n);
        float[] weight = values(rnd, Values.GAUSSIAN, n);
        float eps = rnd.nextBoolean() ? 1e-5f : 1e-6f;
        float[] expected = new float[outOffset + n + 1];
        float[] actual = new float[outOffset + n + 1];
        reference.rmsNorm(x, xOffset, weight, expected, outOffset, n, eps);
        candidate.rmsNorm(x, xOffset, weight, actual, outOffset, n, eps);
        String where = "rmsNorm n=" + n + " " + kind + " seed=" + seed;
        for (int i = 0; i < expected.length; i++) {
            checkClose(where + " element " + i, expected[i], actual[i], 1e-6 * Math.abs(expected[i]));
        }
    }

    void swiGlu(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        float[] gate = values(rnd, kind, n + 1);
        for (int i = 0; i < gate.length; i += 7) {
            gate[i] = 100f * (float) rnd.nextGaussian(); // exp overflows and underflows
        }
        float[] up = values(rnd, Values.GAUSSIAN, n + 1);
        float[] expected = gate.clone();
        float[] actual = gate.clone();
        reference.swiGlu(expected, up, n);
        candidate.swiGlu(actual, up, n);
        String where = "swiGlu n=" + n + " " + kind + " seed=" + seed;
        for (int i = 0; i <= n; i++) {
            checkClose(where + " element " + i + " gate " + gate[i], expected[i], actual[i], 1e-6 * Math.abs(expected[i]));
        }
    }

    void add(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        float[] expected = values(rnd, kind, n + 1);
        float[] actual = expected.clone();
        float[] x = values(rnd, Values.GAUSSIAN, n + 1);
        reference.add(expected, x, n);
        candidate.add(actual, x, n);
        checkSameBits("add n=" + n + " " + kind + " seed=" + seed, expected, actual);
    }

    void scale(int n, Values kind, long seed) {
        Random rnd = new Random(seed);
        int offset = rnd.nextInt(5);
        float s = (float) rnd.nextGaussian();
        float[] expected = values(rnd, kind, offset + n + 1);
        float[] actual = expected.clone();
        reference.scale(expected, offset, n, s);
        candidate.scale(actual, offset, n, s);
        checkSameBits("scale n=" + n + " " + kind + " seed=" + seed, expected, actual);
    }

    // ---------------------------------------------------------------- tolerances and failures

    /** The tolerance of a float dot product of n terms (see the class comment). */
    static double dotTolerance(int n, double absProducts) {
        return 8 * Math.sqrt(n) * U * absProducts + Float.MIN_NORMAL;
    }

    private static double absProducts(float[] a, float[] b, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.abs((double) a[i] * b[i]);
        }
        return sum;
    }

    private static boolean sameBits(float a, float b) {
        return Float.floatToIntBits(a) == Float.floatToIntBits(b);
    }

    private static void checkSameBits(String where, float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            check(sameBits(expected[i], actual[i]), where + ": element " + i + " is " + actual[i] + ", scalar " + expected[i]);
        }
    }

    private static void checkClose(String where, float expected, float actual, double tolerance) {
        double tol = tolerance + Float.MIN_NORMAL;
        if (!(Math.abs((double) actual - expected) <= tol) && !sameBits(expected, actual)) {
            throw new AssertionError(where + ": " + actual + " vs scalar " + expected + ", difference "
                    + Math.abs((double) actual - expected) + " > tolerance " + tol);
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    private static void check(boolean ok, Supplier<String> message) {
        if (!ok) {
            throw new AssertionError(message.get());
        }
    }

    // ---------------------------------------------------------------- a fixed sweep for other widths

    /**
     * Holds {@code new VectorKernels()} (at the width {@code -Dinferj.kernels.bits} forces) to the
     * scalar reference over awkward sizes and every value kind; prints the kernel's name and the
     * number of cases, exits with status 1 on the first disagreement.
     */
    public static void main(String[] args) {
        Kernels vector = new VectorKernels();
        KernelAgreement agree = new KernelAgreement(vector);
        List<Integer> lengths = List.of(1, 3, 4, 7, 8, 13, 16, 25, 31, 32, 33, 63, 64, 65, 96, 127, 160, 702, 4128);
        List<Integer> blocked = List.of(32, 64, 96, 128, 160, 224, 512, 4128);
        int cases = 0;
        try {
            long seed = 1;
            for (Values kind : Values.values()) {
                for (int n : lengths) {
                    for (ActivationFormat f : ActivationFormat.values()) {
                        agree.prepare(f, n, kind, seed++);
                    }
                    agree.dot(n, kind, seed++);
                    agree.dotF16(n, kind, seed++);
                    agree.axpyF16(n, kind, seed++);
                    agree.f16x4(n, kind, seed++);
                    agree.cacheF32(n, kind, seed++);
                    agree.rmsNorm(n, kind, seed++);
                    agree.swiGlu(n, kind, seed++);
                    agree.add(n, kind, seed++);
                    agree.scale(n, kind, seed++);
                    for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16)) {
                        agree.matVec(t, 1 + n % 5, n, kind, seed++);
                    }
                    cases += 16;
                }
                for (int n : blocked) {
                    for (GgmlType t : List.of(GgmlType.Q8_0, GgmlType.Q4_0)) {
                        agree.matVec(t, 1 + n % 7, n, kind, seed++);
                        agree.tiled(t, 1 + n % 3, n, kind, seed++);
                        cases += 2;
                    }
                    agree.cacheQ8_0(n / PreparedVector.Q8_BLOCK, kind, seed++);
                    cases++;
                    for (GgmlType t : List.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)) {
                        agree.tiled(t, 1 + n % 3, 8 * n, kind, seed++);
                        cases++;
                    }
                }
            }
        } catch (AssertionError e) {
            System.out.println(vector.name() + ": " + e.getMessage());
            System.exit(1);
        }
        System.out.println(vector.name() + ": " + cases + " cases agree with scalar");
    }
}
