package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} with the Vector API: the hot operations get vector bodies, the rest (dequantizeRow,
 * storeF16) stay those of {@link ScalarKernels}. This is the only class that
 * imports {@code jdk.incubator.vector}; {@link KernelProvider} loads it reflectively.
 *
 * <p>Every species is a {@code static final} constant because C2 intrinsifies vector operations
 * only when it knows the species at compile time; a species held in an instance field would make
 * every operation fall back to a slow lane-by-lane loop. For tests and benchmarks the width can be
 * forced below the machine's preferred one with {@code -Dinferj.kernels.bits=256} (or 128).
 *
 * <p>Results: prepare, {@code axpyF16}, {@code add} and {@code scale} are bit-for-bit those of the
 * scalar reference, and so are softmax, swiGlu, sumRows and the F16 dot products at 512 bits (the
 * scalar reference follows ggml's 16 lanes of AVX-512; narrower vectors group their sums by their
 * width); rmsNorm agrees to a few ulps (its double sum of squares is taken in another order); the
 * quantized dot products and matrix products differ by float summation order only.
 */
final class VectorKernels extends ScalarKernels {

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int BITS = vectorBits();

    /** Plain float work: dot products, norms, element-wise operations. */
    static final VectorSpecies<Float> F = species(float.class, BITS);
    static final VectorSpecies<Integer> I = species(int.class, BITS);
    private static final VectorSpecies<Double> D = species(double.class, BITS);
    /** Half-precision and bfloat16 weights: as many 16-bit lanes as {@link #F} has float lanes. */
    static final VectorSpecies<Short> H = species(short.class, BITS / 2);

    /**
     * Q8_0 blocks: Q8_STEP elements a step, bytes widened to shorts, multiplied, then adjacent
     * short products summed into ints. Capped at 32 (one block) so a 1024-bit machine still fits.
     */
    private static final int Q8_STEP = Math.min(32, BITS / 16);
    private static final VectorSpecies<Byte> Q8_B = species(byte.class, Q8_STEP * 8);
    private static final VectorSpecies<Short> Q8_S = species(short.class, Q8_STEP * 16);
    private static final VectorSpecies<Integer> Q8_I = species(int.class, Q8_STEP * 16);
    private static final VectorSpecies<Float> Q8_F = species(float.class, Q8_STEP * 16);

    /**
     * Q4_0 blocks: Q4_STEP packed bytes a step (each the low nibble of element j and the high
     * nibble of element j + 16). A block has 16 packed bytes, hence the cap.
     */
    private static final int Q4_STEP = Math.min(16, BITS / 16);
    private static final VectorSpecies<Byte> Q4_B = species(byte.class, Q4_STEP * 8);
    private static final VectorSpecies<Short> Q4_S = species(short.class, Q4_STEP * 16);
    private static final VectorSpecies<Float> Q4_F = species(float.class, Q4_STEP * 16);

    /**
     * Quantizing activations to Q8_0: floats a step (at most a block), and the byte species the
     * quants are narrowed into (at least 64 bits, the smallest shape, so at 128 bits two float
     * steps fill one byte vector).
     */
    private static final VectorSpecies<Float> QF = species(float.class, Math.min(BITS, 512));
    private static final VectorSpecies<Byte> QB = species(byte.class, Math.max(64, QF.length() * 8));

    /**
     * Tiled weights ({@link TileLayout}): a lane is a row. Q4_0 takes {@code TS.length()} rows a
     * pass in 16-bit lanes and broadcasts each activation quant from an int holding it twice
     * ({@code TI}); Q8_0 takes {@code 2 * F.length()} rows a pass, their quants loaded as bytes
     * ({@code TQ8}) and widened to floats.
     */
    static final VectorSpecies<Short> TS = species(short.class, BITS);
    static final VectorSpecies<Integer> TI = I;
    /**
     * Constant counts for shifting 16-bit lanes of {@code TS}: C2 compiles a shift by a constant
     * int into a count moved through a general register each time, a shift by a vector into one
     * instruction.
     */
    static final ShortVector SHIFT_2 = ShortVector.broadcast(TS, (short) 2);
    static final ShortVector SHIFT_3 = ShortVector.broadcast(TS, (short) 3);
    static final ShortVector SHIFT_4 = ShortVector.broadcast(TS, (short) 4);
    static final ShortVector SHIFT_5 = ShortVector.broadcast(TS, (short) 5);
    static final ShortVector SHIFT_6 = ShortVector.broadcast(TS, (short) 6);
    static final ShortVector SHIFT_8 = ShortVector.broadcast(TS, (short) 8);
    static final ShortVector SHIFT_9 = ShortVector.broadcast(TS, (short) 9);
    static final ShortVector SHIFT_10 = ShortVector.broadcast(TS, (short) 10);
    static final ShortVector SHIFT_11 = ShortVector.broadcast(TS, (short) 11);
    static final ShortVector SHIFT_12 = ShortVector.broadcast(TS, (short) 12);
    static final ShortVector SHIFT_13 = ShortVector.broadcast(TS, (short) 13);
    static final ShortVector SHIFT_14 = ShortVector.broadcast(TS, (short) 14);
    static final ShortVector SHIFT_15 = ShortVector.broadcast(TS, (short) 15);
    private static final VectorSpecies<Byte> TQ8 = species(byte.class, BITS / 2);

    /** Adding and then subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer, ties to even. */
    private static final float ROUND_MAGIC = 12582912f;

    private static final int Q8 = PreparedVector.Q8_BLOCK;

    public VectorKernels() {
        if (BITS < 128) {
            throw new UnsupportedOperationException("the preferred vector size is " + BITS
                    + " bits; the Vector API kernels need at least 128");
        }
    }

    private static int vectorBits() {
        int preferred = VectorShape.preferredShape().vectorBitSize();
        String forced = System.getProperty("inferj.kernels.bits");
        if (forced == null) {
            return preferred;
        }
        int bits;
        try {
            bits = Integer.parseInt(forced.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits < 128 || bits > preferred || Integer.bitCount(bits) != 1) {
            throw new IllegalArgumentException("-Dinferj.kernels.bits=" + forced
                    + " is not a vector size this machine supports (a power of two from 128 to " + preferred + ")");
        }
        return bits;
    }

    private static <E> VectorSpecies<E> species(Class<E> type, int bits) {
        return VectorSpecies.of(type, VectorShape.forBitSize(bits));
    }

    @Override
    public String name() {
        return "vector-" + BITS;
    }

    // ---------------------------------------------------------------- preparing activations

    @Override
    public void prepare(float[] x, int offset, int length, ActivationFormat format, PreparedVector out) {
        switch (format) {
            case F16 -> {
                out.length = length;
                out.format = format;
                float[] v = out.values;
                int i = 0;
                for (int bound = F.loopBound(length); i < bound; i += F.length()) {
                    // the nearest half (ties to even) on the bits: in the half-normal range round the
                    // mantissa to 10 bits; below 2^-14 (half subnormals, 2^-24 apart) add and subtract
                    // 0.5f, whose ulp is 2^-24; from 65520 up infinity; NaN stays NaN
                    IntVector u = FloatVector.fromArray(F, x, offset + i).reinterpretAsInts();
                    IntVector a = u.and(0x7fffffff);
                    IntVector r = a.add(0xfff).add(a.lanewise(VectorOperators.LSHR, 13).and(1)).and(0xffffe000)
                            .blend(a.reinterpretAsFloats().add(0.5f).sub(0.5f).reinterpretAsInts(),
                                    a.compare(VectorOperators.LT, 0x38800000))
                            .blend(0x7f800000, a.compare(VectorOperators.GE, 0x477ff000))
                            .blend(a, a.compare(VectorOperators.GT, 0x7f800000));
                    r.or(u.and(0x80000000)).reinterpretAsFloats().intoArray(v, i);
                }
                for (; i < length; i++) {
                    v[i] = Float.float16ToFloat(Float.floatToFloat16(x[offset + i]));
                }
            }
            case BF16 -> {
                out.length = length;
                out.format = format;
                float[] v = out.values;
                int i = 0;
                for (int bound = F.loopBound(length); i < bound; i += F.length()) {
                    // Bf16.fromFloat then Bf16.toFloat: the same integer operations, lane-wise
                    IntVector u = FloatVector.fromArray(F, x, offset + i).reinterpretAsInts();
                    IntVector r = u.add(0x7fff).add(u.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xffff0000);
                    IntVector nan = u.and(0xffff0000).or(64 << 16);
                    r.blend(nan, u.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000)).reinterpretAsFloats()
                            .intoArray(v, i);
                }
                for (; i < length; i++) {
                    v[i] = Bf16.toFloat(Bf16.fromFloat(x[offset + i]));
                }
            }
            case Q8_0 -> {
                out.length = length;
                out.format = format;
                quantizeQ8_0(x, offset, length, out);
                out.deriveFromQ8_0Quants();
            }
            default -> super.prepare(x, offset, length, format, out);
        }
    }

    /** As {@link ScalarKernels}: id = 127 / max|x|, q = round-half-even(x * id), scale = max|x| / 127 as F16. */
    private static void quantizeQ8_0(float[] x, int offset, int length, PreparedVector out) {
        int blocks = length / Q8;
        int floatsPerByteVector = QB.length() / QF.length();
        for (int b = 0; b < blocks; b++) {
            int base = offset + b * Q8;
            FloatVector max = FloatVector.fromArray(QF, x, base).abs();
            for (int i = QF.length(); i < Q8; i += QF.length()) {
                max = max.max(FloatVector.fromArray(QF, x, base + i).abs());
            }
            float amax = max.reduceLanes(VectorOperators.MAX);
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            out.scales[b] = Float.float16ToFloat(Float.floatToFloat16(d));
            for (int i = 0; i < Q8; i += QB.length()) {
                ByteVector q = ByteVector.zero(QB);
                for (int p = 0; p < floatsPerByteVector; p++) {
                    FloatVector y = FloatVector.fromArray(QF, x, base + i + p * QF.length()).mul(id);
                    FloatVector r = y.add(ROUND_MAGIC).sub(ROUND_MAGIC);
                    // part -p places this step's lanes at p * QF.length() in the byte vector, zero elsewhere
                    q = q.or((ByteVector) r.convertShape(VectorOperators.F2B, QB, -p));
                }
                q.intoArray(out.quants, b * Q8 + i);
            }
        }
    }

    // ---------------------------------------------------------------- products with weights

    @Override
    public void matVec(WeightMatrix w, PreparedVector x, float[] out, int outOffset, int fromRow, int toRow) {
        if (w.layout() == WeightMatrix.Layout.TILES) {
            tiledMatVec(w, x, out, outOffset, fromRow, toRow);
            return;
        }
        MemorySegment m = w.data();
        long rowBytes = w.rowBytes();
        int n = w.cols();
        switch (w.type()) {
            case F32 -> {
                for (int r = fromRow; r < toRow; r++) {
                    out[outOffset + r] = dotF32(m, r * rowBytes, x.values, 0, n);
                }
            }
            case F16 -> {
                for (int r = fromRow; r < toRow; r++) {
                    out[outOffset + r] = dotF16(m, r * rowBytes, x.values, 0, n);
                }
            }
            case BF16 -> {
                for (int r = fromRow; r < toRow; r++) {
                    out[outOffset + r] = dotBf16(m, r * rowBytes, x.values, n);
                }
            }
            case Q8_0 -> {
                for (int r = fromRow; r < toRow; r++) {
                    out[outOffset + r] = dotQ8_0(m, r * rowBytes, x.quants, x.scales, 0, n / Q8);
                }
            }
            case Q4_0 -> {
                for (int r = fromRow; r < toRow; r++) {
                    out[outOffset + r] = dotQ4_0(m, r * rowBytes, x.quants, x.scales, n / Q8);
                }
            }
            default -> super.matVec(w, x, out, outOffset, fromRow, toRow);
        }
    }

    @Override
    protected float dotRow(WeightMatrix w, int r, PreparedVector x) {
        if (w.layout() == WeightMatrix.Layout.TILES) {
            return super.dotRow(w, r, x);
        }
        MemorySegment m = w.data();
        long base = w.rowOffset(r);
        int n = w.cols();
        return switch (w.type()) {
            case F32 -> dotF32(m, base, x.values, 0, n);
            case F16 -> dotF16(m, base, x.values, 0, n);
            case BF16 -> dotBf16(m, base, x.values, n);
            case Q8_0 -> dotQ8_0(m, base, x.quants, x.scales, 0, n / Q8);
            case Q4_0 -> dotQ4_0(m, base, x.quants, x.scales, n / Q8);
            case Q4_1, Q5_0, Q5_1 -> BITS >= 256 ? dotLegacy(m, base, w.type(), x, n / Q8) : super.dotRow(w, r, x);
            default -> super.dotRow(w, r, x);
        };
    }

    /**
     * Q4_1, Q5_0 and Q5_1 weights in ggml's eight AVX lanes ({@link AvxLanes}), so the result is
     * {@link LegacyQuantBlocks}'s (and llama.cpp's) to the bit. Int lane L of a block holds the four
     * bytes of elements 4L..4L+3, for both weights and activations: the activation block's 32
     * quants read as eight ints are already in that order; the weights' 16 nibble bytes are
     * loaded into lanes 0-3, copied to lanes 4-7 and shifted there by 4 (elements 16-31 are the
     * high nibbles), and Q5's fifth bits (bit e of a word for element e) are spread from 4 bits to
     * bit 4 of 4 bytes by one multiplication (bit i moves by 7i; no two terms overlap). The byte
     * products are taken in 16-bit lanes, even and odd bytes apart (|sum| at most 2 * 16 * 128),
     * and the two halves of each int added: the block's exact integer lane sums.
     */
    private static float dotLegacy(MemorySegment m, long base, GgmlType type, PreparedVector x, int blocks) {
        int bytesPerBlock = type.bytesPerBlock();
        boolean fifthBits = type != GgmlType.Q4_1;
        int highAt = type == GgmlType.Q5_0 ? 2 : 4;
        int nibblesAt = type == GgmlType.Q4_1 ? 4 : highAt + 4;
        boolean minimums = type != GgmlType.Q5_0;
        short offset = (short) (type == GgmlType.Q5_0 ? 16 : 0);
        FloatVector acc = FloatVector.zero(AVX_F);
        float minimumSum = 0f; // as LegacyQuantBlocks.minimums: one running fused sum, kept in the loops so it overlaps
        int b = 0;
        if (BITS >= 512) {
            // two blocks a pass in 512 bits, one in each half; their scaled sums still go into the
            // eight lanes one block after the other, as ggml adds them
            VectorShuffle<Byte> nibbles = type == GgmlType.Q4_1 ? Q4_1_PAIR_NIBBLES
                    : type == GgmlType.Q5_0 ? Q5_0_PAIR_NIBBLES : Q5_1_PAIR_NIBBLES;
            VectorShuffle<Byte> highs = type == GgmlType.Q5_0 ? Q5_0_PAIR_HIGHS : Q5_1_PAIR_HIGHS;
            long last = m.byteSize() - PAIR_B.vectorByteSize(); // the 64-byte load may reach past the pair
            for (; b + 1 < blocks && base + (long) bytesPerBlock * b <= last; b += 2) {
                long blk = base + (long) bytesPerBlock * b;
                ByteVector pair = ByteVector.fromMemorySegment(PAIR_B, m, blk, LE);
                IntVector q = pair.rearrange(nibbles).reinterpretAsInts()
                        .lanewise(VectorOperators.LSHR, PAIR_NIBBLE_SHIFTS).and(0x0F0F0F0F);
                if (fifthBits) {
                    q = q.or(pair.rearrange(highs).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, PAIR_FIFTH_BIT_SHIFTS).and(0xF)
                            .mul(0x00204081).and(0x01010101).lanewise(VectorOperators.LSHL, 4));
                }
                ShortVector qs = q.reinterpretAsShorts();
                ShortVector qEven = qs.and((short) 0xFF).sub(offset);
                ShortVector qOdd = qs.lanewise(VectorOperators.LSHR, 8).sub(offset);
                ShortVector a = ByteVector.fromArray(PAIR_B, x.quants, b * Q8).reinterpretAsShorts();
                ShortVector aEven = a.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                ShortVector aOdd = a.lanewise(VectorOperators.ASHR, 8);
                IntVector p = qEven.mul(aEven).add(qOdd.mul(aOdd)).reinterpretAsInts();
                FloatVector sums = (FloatVector) p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(p.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                float d0 = Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * x.scales[b];
                float d1 = Float.float16ToFloat(m.get(F16_LAYOUT, blk + bytesPerBlock)) * x.scales[b + 1];
                acc = ((FloatVector) sums.reinterpretShape(AVX_F, 0)).fma(FloatVector.broadcast(AVX_F, d0), acc);
                acc = ((FloatVector) sums.reinterpretShape(AVX_F, 1)).fma(FloatVector.broadcast(AVX_F, d1), acc);
                if (minimums) {
                    minimumSum = Math.fma(Float.float16ToFloat(m.get(F16_LAYOUT, blk + 2)), x.blockSums[b], minimumSum);
                    minimumSum = Math.fma(Float.float16ToFloat(m.get(F16_LAYOUT, blk + bytesPerBlock + 2)),
                            x.blockSums[b + 1], minimumSum);
                }
            }
        }
        for (; b < blocks; b++) {
            long blk = base + (long) bytesPerBlock * b;
            IntVector q = IntVector.fromMemorySegment(AVX_I, m, blk + nibblesAt, LE, AVX_LOW_HALF)
                    .rearrange(AVX_DUPLICATE_LOW_HALF).lanewise(VectorOperators.LSHR, AVX_NIBBLE_SHIFTS).and(0x0F0F0F0F);
            if (fifthBits) {
                q = q.or(IntVector.broadcast(AVX_I, m.get(INT_LE, blk + highAt))
                        .lanewise(VectorOperators.LSHR, AVX_FIFTH_BIT_SHIFTS).and(0xF)
                        .mul(0x00204081).and(0x01010101).lanewise(VectorOperators.LSHL, 4));
            }
            ShortVector qs = q.reinterpretAsShorts();
            ShortVector qEven = qs.and((short) 0xFF).sub(offset);
            ShortVector qOdd = qs.lanewise(VectorOperators.LSHR, 8).sub(offset);
            ShortVector a = ByteVector.fromArray(AVX_B, x.quants, b * Q8).reinterpretAsShorts();
            ShortVector aEven = a.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
            ShortVector aOdd = a.lanewise(VectorOperators.ASHR, 8);
            IntVector p = qEven.mul(aEven).add(qOdd.mul(aOdd)).reinterpretAsInts();
            IntVector sums = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p.lanewise(VectorOperators.ASHR, 16));
            float d = Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * x.scales[b];
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(AVX_F, d), acc);
            if (minimums) {
                minimumSum = Math.fma(Float.float16ToFloat(m.get(F16_LAYOUT, blk + 2)), x.blockSums[b], minimumSum);
            }
        }
        float sum = AvxLanes.sum(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3),
                acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
        return minimums ? sum + minimumSum : sum;
    }

    /**
     * Two blocks of {@code bytesPerBlock} from the start of a 64-byte vector, rearranged into the
     * 16 int lanes of {@link #dotLegacy}'s two halves: each half's lanes 0-3 and 4-7 both take the
     * block's 16 nibble bytes from {@code nibblesAt}.
     */
    private static VectorShuffle<Byte> pairNibbles(int bytesPerBlock, int nibblesAt) {
        return VectorShuffle.fromOp(PAIR_B, k -> (k / 32) * bytesPerBlock + nibblesAt + k % 16);
    }

    /** Every int lane of each half takes its block's fifth-bit word from {@code highAt}. */
    private static VectorShuffle<Byte> pairHighs(int bytesPerBlock, int highAt) {
        return VectorShuffle.fromOp(PAIR_B, k -> (k / 32) * bytesPerBlock + highAt + k % 4);
    }

    /** {@link #dotLegacy}'s two blocks a pass (used only on machines of 512 bits and more). */
    private static final VectorSpecies<Byte> PAIR_B = species(byte.class, 512);
    private static final VectorSpecies<Integer> PAIR_I = species(int.class, 512);
    private static final VectorShuffle<Byte> Q4_1_PAIR_NIBBLES = pairNibbles(GgmlType.Q4_1.bytesPerBlock(), 4);
    private static final VectorShuffle<Byte> Q5_0_PAIR_NIBBLES = pairNibbles(GgmlType.Q5_0.bytesPerBlock(), 6);
    private static final VectorShuffle<Byte> Q5_1_PAIR_NIBBLES = pairNibbles(GgmlType.Q5_1.bytesPerBlock(), 8);
    private static final VectorShuffle<Byte> Q5_0_PAIR_HIGHS = pairHighs(GgmlType.Q5_0.bytesPerBlock(), 2);
    private static final VectorShuffle<Byte> Q5_1_PAIR_HIGHS = pairHighs(GgmlType.Q5_1.bytesPerBlock(), 4);
    private static final IntVector PAIR_NIBBLE_SHIFTS = IntVector.fromArray(PAIR_I,
            new int[] {0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector PAIR_FIFTH_BIT_SHIFTS = IntVector.fromArray(PAIR_I,
            new int[] {0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28}, 0);

    /** ggml's eight AVX lanes for {@link #dotLegacy}: 256-bit vectors whatever the machine's width (at least 256). */
    private static final VectorSpecies<Integer> AVX_I = species(int.class, 256);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final VectorSpecies<Float> AVX_F = species(float.class, 256);
    private static final VectorSpecies<Byte> AVX_B = species(byte.class, 256);
    private static final VectorMask<Integer> AVX_LOW_HALF = AVX_I.indexInRange(0, 4);
    private static final VectorShuffle<Integer> AVX_DUPLICATE_LOW_HALF = VectorShuffle.fromValues(AVX_I, 0, 1, 2, 3, 0, 1, 2, 3);
    private static final IntVector AVX_NIBBLE_SHIFTS = IntVector.fromArray(AVX_I, new int[] {0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector AVX_FIFTH_BIT_SHIFTS = IntVector.fromArray(AVX_I, new int[] {0, 4, 8, 12, 16, 20, 24, 28}, 0);

    @Override
    public float dotF32(MemorySegment m, long base, float[] x, int xOffset, int n) {
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 4 * step; i <= bound; i += 4 * step) {
            long at = base + 4L * i;
            acc0 = FloatVector.fromMemorySegment(F, m, at, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, m, at + 4L * step, LE).fma(FloatVector.fromArray(F, x, xOffset + i + step), acc1);
            acc2 = FloatVector.fromMemorySegment(F, m, at + 8L * step, LE).fma(FloatVector.fromArray(F, x, xOffset + i + 2 * step), acc2);
            acc3 = FloatVector.fromMemorySegment(F, m, at + 12L * step, LE).fma(FloatVector.fromArray(F, x, xOffset + i + 3 * step), acc3);
        }
        for (int bound = F.loopBound(n); i < bound; i += step) {
            acc0 = FloatVector.fromMemorySegment(F, m, base + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += m.get(F32_LAYOUT, base + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * Half-precision weights. The Vector API has no half-to-float conversion, so it is done on
     * the bits: shift exponent and mantissa into float position and multiply by 2^112 (exact, and
     * right for zeros and subnormals too), give infinities and NaNs the float exponent, put the
     * sign back. Written out in each loop rather than in a helper: C2 declines to inline helpers
     * that take or return vectors once they are compiled on their own, and then boxes every vector.
     * One accumulator: the conversion is long enough to hide the latency of the fused multiply-add.
     */
    @Override
    public float dotF16(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = halves(f16, byteOffset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void dotF16x4(MemorySegment f16, long byteOffset, float[] x0, float[] x1, float[] x2, float[] x3, int xOffset, int n,
            float[] out, int outOffset) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector h = halves(f16, byteOffset + 2L * i);
            acc0 = h.fma(FloatVector.fromArray(F, x0, xOffset + i), acc0);
            acc1 = h.fma(FloatVector.fromArray(F, x1, xOffset + i), acc1);
            acc2 = h.fma(FloatVector.fromArray(F, x2, xOffset + i), acc2);
            acc3 = h.fma(FloatVector.fromArray(F, x3, xOffset + i), acc3);
        }
        float sum0 = sumLanes(acc0);
        float sum1 = sumLanes(acc1);
        float sum2 = sumLanes(acc2);
        float sum3 = sumLanes(acc3);
        for (; i < n; i++) {
            float h = Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i));
            sum0 += h * x0[xOffset + i];
            sum1 += h * x1[xOffset + i];
            sum2 += h * x2[xOffset + i];
            sum3 += h * x3[xOffset + i];
        }
        out[outOffset] = sum0;
        out[outOffset + 1] = sum1;
        out[outOffset + 2] = sum2;
        out[outOffset + 3] = sum3;
    }

    /** {@code F.length()} half-precision values at {@code f16[byteOffset]} as floats (small enough for C2 to inline). */
    private static FloatVector halves(MemorySegment f16, long byteOffset) {
        // S2I sign-extends, so bit 31 of each int is the half's sign bit
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, f16, byteOffset, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector abs = h.and(0x7fff);
        IntVector shifted = abs.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                .blend(shifted.or(0x7f800000), abs.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    @Override
    public float dotF16Unrolled(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int lanes = F.length();
        int i = 0;
        // one vector a pass, the four accumulators rotated so that each takes every fourth vector; after a whole
        // number of fours they are back in place. Four conversions written out would leave C2 too many nodes to
        // inline the last of them and sumLanes (NodeCountInliningCutoff), boxing their vectors on every call.
        for (int bound = n - n % (4 * lanes); i < bound; i += lanes) {
            FloatVector sum = halves(f16, byteOffset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc0 = acc1;
            acc1 = acc2;
            acc2 = acc3;
            acc3 = sum;
        }
        double sum = sumLanes(acc0.add(acc2).add(acc1.add(acc3)));
        for (; i < n; i++) {
            sum += Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)) * x[xOffset + i];
        }
        return (float) sum;
    }

    /** bfloat16 weights: the upper half of a float. One accumulator, so that {@link #halfMatMul} can give the same bits. */
    private static float dotBf16(MemorySegment m, long base, float[] x, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(H, m, base + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += Bf16.toFloat(m.get(F16_LAYOUT, base + 2L * i)) * x[i];
        }
        return sum;
    }

    /**
     * Q8_0 weights times Q8_0 activations. Within a block the products are exact integers; the
     * lanes of the block's int partial sums become floats (exact: below 2^24) and are multiplied
     * by the two scales into float accumulators, which are reduced once per row. Two blocks an
     * iteration, each with its own accumulator; an odd last block goes the scalar way.
     *
     * <p>Each kernel is one method on purpose: C2 keeps vectors in registers only within one
     * compiled body, and it declines to inline a helper that takes or returns vectors once that
     * helper has been compiled on its own (the helpers cost a factor of two to three).
     */
    private static float dotQ8_0(MemorySegment m, long base, byte[] xq, float[] xs, int xBlock, int blocks) {
        FloatVector acc0 = FloatVector.zero(Q8_F);
        FloatVector acc1 = FloatVector.zero(Q8_F);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long blk = base + 34L * b;
            int xAt = (xBlock + b) * Q8;
            IntVector sum0 = IntVector.zero(Q8_I);
            IntVector sum1 = IntVector.zero(Q8_I);
            for (int j = 0; j < Q8; j += Q8_STEP) { // once at 512 bits
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(Q8_B, m, blk + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, Q8_S, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(Q8_B, m, blk + 36 + j, LE)
                        .convertShape(VectorOperators.B2S, Q8_S, 0);
                ShortVector a0 = (ShortVector) ByteVector.fromArray(Q8_B, xq, xAt + j)
                        .convertShape(VectorOperators.B2S, Q8_S, 0);
                ShortVector a1 = (ShortVector) ByteVector.fromArray(Q8_B, xq, xAt + Q8 + j)
                        .convertShape(VectorOperators.B2S, Q8_S, 0);
                // |w * a| <= 128 * 127 fits a short. Int lane k = short lanes 2k + 2k+1, each
                // sign-extended by shifts: the Vector API has no multiply-add of shorts into ints.
                IntVector p0 = w0.mul(a0).reinterpretAsInts();
                IntVector p1 = w1.mul(a1).reinterpretAsInts();
                IntVector s0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(p0.lanewise(VectorOperators.ASHR, 16));
                IntVector s1 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(p1.lanewise(VectorOperators.ASHR, 16));
                sum0 = sum0.add(s0);
                sum1 = sum1.add(s1);
            }
            float d0 = Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * xs[xBlock + b];
            float d1 = Float.float16ToFloat(m.get(F16_LAYOUT, blk + 34)) * xs[xBlock + b + 1];
            acc0 = ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(Q8_F, d0), acc0);
            acc1 = ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(Q8_F, d1), acc1);
        }
        float sum = sumLanes(acc0.add(acc1));
        if (b < blocks) {
            long blk = base + 34L * b;
            int sumi = 0;
            for (int i = 0; i < Q8; i++) {
                sumi += m.get(BYTE, blk + 2 + i) * xq[(xBlock + b) * Q8 + i];
            }
            sum += sumi * (Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * xs[xBlock + b]);
        }
        return sum;
    }

    /**
     * Q4_0 weights times Q8_0 activations, as {@link #dotQ8_0}. Packed byte j of a block holds
     * element j (low nibble) and element j + 16 (high nibble). Shifts on byte lanes are emulated,
     * so the bytes are widened to shorts first (the sign extension is masked away).
     */
    private static float dotQ4_0(MemorySegment m, long base, byte[] xq, float[] xs, int blocks) {
        FloatVector acc0 = FloatVector.zero(Q4_F);
        FloatVector acc1 = FloatVector.zero(Q4_F);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long blk = base + 18L * b;
            int xAt = b * Q8;
            // |(q - 8) * a| <= 8 * 128: a whole block's products, summed in pairs of lanes, fit a short
            ShortVector sum0 = ShortVector.zero(Q4_S);
            ShortVector sum1 = ShortVector.zero(Q4_S);
            for (int j = 0; j < Q8 / 2; j += Q4_STEP) { // once at 256 bits and more
                ShortVector packed0 = (ShortVector) ByteVector.fromMemorySegment(Q4_B, m, blk + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, Q4_S, 0);
                ShortVector packed1 = (ShortVector) ByteVector.fromMemorySegment(Q4_B, m, blk + 20 + j, LE)
                        .convertShape(VectorOperators.B2S, Q4_S, 0);
                ShortVector lo0 = packed0.and((short) 0x0F).sub((short) 8);
                ShortVector hi0 = packed0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).sub((short) 8);
                ShortVector lo1 = packed1.and((short) 0x0F).sub((short) 8);
                ShortVector hi1 = packed1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).sub((short) 8);
                ShortVector s0 = lo0.mul((ShortVector) ByteVector.fromArray(Q4_B, xq, xAt + j)
                                .convertShape(VectorOperators.B2S, Q4_S, 0))
                        .add(hi0.mul((ShortVector) ByteVector.fromArray(Q4_B, xq, xAt + j + 16)
                                .convertShape(VectorOperators.B2S, Q4_S, 0)));
                ShortVector s1 = lo1.mul((ShortVector) ByteVector.fromArray(Q4_B, xq, xAt + Q8 + j)
                                .convertShape(VectorOperators.B2S, Q4_S, 0))
                        .add(hi1.mul((ShortVector) ByteVector.fromArray(Q4_B, xq, xAt + Q8 + j + 16)
                                .convertShape(VectorOperators.B2S, Q4_S, 0)));
                sum0 = sum0.add(s0);
                sum1 = sum1.add(s1);
            }
            // int lane k = short lanes 2k + 2k+1, as in dotQ8_0
            IntVector v0 = sum0.reinterpretAsInts();
            IntVector v1 = sum1.reinterpretAsInts();
            IntVector i0 = v0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(v0.lanewise(VectorOperators.ASHR, 16));
            IntVector i1 = v1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(v1.lanewise(VectorOperators.ASHR, 16));
            float d0 = Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * xs[b];
            float d1 = Float.float16ToFloat(m.get(F16_LAYOUT, blk + 18)) * xs[b + 1];
            acc0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(Q4_F, d0), acc0);
            acc1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(Q4_F, d1), acc1);
        }
        float sum = sumLanes(acc0.add(acc1));
        if (b < blocks) {
            long blk = base + 18L * b;
            int sumi = 0;
            for (int i = 0; i < Q8 / 2; i++) {
                int packed = m.get(BYTE, blk + 2 + i) & 0xFF;
                sumi += ((packed & 0x0F) - 8) * xq[b * Q8 + i] + ((packed >>> 4) - 8) * xq[b * Q8 + i + 16];
            }
            sum += sumi * (Float.float16ToFloat(m.get(F16_LAYOUT, blk)) * xs[b]);
        }
        return sum;
    }


    // ---------------------------------------------------------------- tiled Q4_0 and Q8_0

    private static void tiledMatVec(WeightMatrix w, PreparedVector x, float[] out, int outOffset, int fromRow, int toRow) {
        int blocks = w.cols() / Q8;
        long tileBytes = w.rowBytes() * TileLayout.TILE_ROWS;
        if (TiledKQuants.supports(w.type())) {
            KQuantScratch scratch = K_SCRATCH.get();
            for (int row = fromRow; row < toRow; row += kQuantStep(w.type())) {
                tiledKQuant(w, row, toRow, x, scratch, out, outOffset);
            }
            return;
        }
        if (w.type() == GgmlType.Q8_0) {
            for (int row = fromRow; row < toRow; row += TileLayout.TILE_ROWS) {
                tileQ8_0(w.data(), (row / TileLayout.TILE_ROWS) * tileBytes, x.values, x.scales, blocks, out, outOffset + row);
            }
            return;
        }
        // Q4_0 takes two tiles a pass; an odd last tile is taken twice (the same result written twice)
        for (int row = fromRow; row < toRow; row += 2 * TileLayout.TILE_ROWS) {
            int rowB = Math.min(row + TileLayout.TILE_ROWS, toRow - TileLayout.TILE_ROWS);
            tileQ4_0(w.data(), (row / TileLayout.TILE_ROWS) * tileBytes, (rowB / TileLayout.TILE_ROWS) * tileBytes,
                    x.quantPairs, x.quantSums, x.scales, blocks, out, outOffset + row, outOffset + rowB);
        }
    }

    @Override
    public void matMul(WeightMatrix w, PreparedVector[] x, int count, float[][] out, int outOffset, int fromRow, int toRow) {
        if (w.layout() != WeightMatrix.Layout.TILES) {
            if (w.type() == GgmlType.F16 || w.type() == GgmlType.BF16) {
                halfMatMul(w, x, count, out, outOffset, fromRow, toRow);
            } else {
                super.matMul(w, x, count, out, outOffset, fromRow, toRow);
            }
            return;
        }
        int blocks = w.cols() / Q8;
        long tileBytes = w.rowBytes() * TileLayout.TILE_ROWS;
        if (TiledKQuantMatMul.supports(w.type()) && count >= MATMUL_MIN_TOKENS) {
            TiledKQuantMatMul.Scratch scratch = MATMUL_SCRATCH.get();
            for (int row = fromRow; row < toRow; row += TileLayout.TILE_ROWS) {
                long tile = (row / TileLayout.TILE_ROWS) * tileBytes;
                for (int t = 0; t < count; t += TiledKQuantMatMul.TOKENS) {
                    TiledKQuantMatMul.matMul(w.type(), w.data(), tile, w.cols() / PreparedVector.Q8_K_BLOCK, x, t,
                            Math.min(count, t + TiledKQuantMatMul.TOKENS), out, outOffset + row, scratch);
                }
            }
            return;
        }
        if (TiledKQuants.supports(w.type())) {
            // token after token over one tile at a time: the tile stays in cache for the later tokens
            KQuantScratch scratch = K_SCRATCH.get();
            for (int row = fromRow; row < toRow; row += kQuantStep(w.type())) {
                for (int t = 0; t < count; t++) {
                    tiledKQuant(w, row, toRow, x[t], scratch, out[t], outOffset);
                }
            }
            return;
        }
        // Q4_0 takes two tiles a pass; an odd last tile is taken twice (the same result written twice)
        int step = w.type() == GgmlType.Q4_0 ? 2 * TileLayout.TILE_ROWS : TileLayout.TILE_ROWS;
        for (int row = fromRow; row < toRow; row += step) {
            long tile = (row / TileLayout.TILE_ROWS) * tileBytes;
            int rowB = Math.min(row + TileLayout.TILE_ROWS, toRow - TileLayout.TILE_ROWS);
            long tileB = (rowB / TileLayout.TILE_ROWS) * tileBytes;
            // four tokens a pass; a short last group repeats its last token (same result written twice)
            for (int t = 0; t < count; t += 4) {
                PreparedVector x0 = x[t];
                PreparedVector x1 = x[Math.min(t + 1, count - 1)];
                PreparedVector x2 = x[Math.min(t + 2, count - 1)];
                PreparedVector x3 = x[Math.min(t + 3, count - 1)];
                float[] o0 = out[t];
                float[] o1 = out[Math.min(t + 1, count - 1)];
                float[] o2 = out[Math.min(t + 2, count - 1)];
                float[] o3 = out[Math.min(t + 3, count - 1)];
                if (w.type() == GgmlType.Q4_0) {
                    tileQ4_0x4(w.data(), tile, tileB, x0, x1, x2, x3, blocks, o0, o1, o2, o3, outOffset + row,
                            outOffset + rowB);
                } else {
                    tileQ8_0x4(w.data(), tile, x0, x1, x2, x3, blocks, o0, o1, o2, o3, outOffset + row);
                }
            }
        }
    }

    /** Per thread: four rows of F16 or BF16 weights widened to floats, reused by every token of a batch. */
    private static final ThreadLocal<float[]> HALF_ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * F16 and BF16 weights times a batch: four rows at a time are widened to floats once (the
     * conversion costs more than the product, so it is shared by all the batch's tokens), then
     * multiplied with four tokens a pass, sixteen accumulators, each weight and activation
     * vector loaded once for four products. Each product sums exactly as {@link #dotF16} does (one
     * accumulator, the same fused multiply-adds, the same lane reduction and scalar tail), so a
     * prompt token gets the bits a decoded one would. A short last group of rows or tokens repeats
     * its last one (the same result written twice).
     */
    private static void halfMatMul(WeightMatrix w, PreparedVector[] x, int count, float[][] out, int outOffset,
            int fromRow, int toRow) {
        int n = w.cols();
        float[] rows = HALF_ROWS.get();
        if (rows.length < 4 * n) {
            rows = new float[4 * n];
            HALF_ROWS.set(rows);
        }
        for (int r = fromRow; r < toRow; r += 4) {
            int r1 = Math.min(r + 1, toRow - 1);
            int r2 = Math.min(r + 2, toRow - 1);
            int r3 = Math.min(r + 3, toRow - 1);
            widenRow(w, r, rows, 0);
            widenRow(w, r1, rows, n);
            widenRow(w, r2, rows, 2 * n);
            widenRow(w, r3, rows, 3 * n);
            for (int t = 0; t < count; t += 4) {
                int t1 = Math.min(t + 1, count - 1);
                int t2 = Math.min(t + 2, count - 1);
                int t3 = Math.min(t + 3, count - 1);
                rows4xTokens4(rows, n, x[t].values, x[t1].values, x[t2].values, x[t3].values,
                        out[t], out[t1], out[t2], out[t3], outOffset + r, outOffset + r1, outOffset + r2, outOffset + r3);
            }
        }
    }

    /** Row {@code r} of an F16 or BF16 matrix as floats into {@code dst[at, at + cols)}: exact, see {@link #dotF16}. */
    private static void widenRow(WeightMatrix w, int r, float[] dst, int at) {
        MemorySegment m = w.data();
        long base = w.rowOffset(r);
        int n = w.cols();
        int i = 0;
        if (w.type() == GgmlType.F16) {
            // a plain loop: C2 vectorizes Float.float16ToFloat into the CPU's conversion (vcvtph2ps), which
            // the Vector API does not offer; exact, as the bit-level conversion of dotF16. (For decode, where
            // each row is used once, converting into an array and then multiplying measured slower than dotF16.)
            for (; i < n; i++) {
                dst[at + i] = Float.float16ToFloat(m.get(F16_LAYOUT, base + 2L * i));
            }
        } else {
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                ((IntVector) ShortVector.fromMemorySegment(H, m, base + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, at + i);
            }
            for (; i < n; i++) {
                dst[at + i] = Bf16.toFloat(m.get(F16_LAYOUT, base + 2L * i));
            }
        }
    }

    /**
     * Four widened rows ({@code rows[0, 4n)}) times four activations: {@code oT[aR]} = row R · token T
     * for the sixteen pairs, each in {@link #dotF16}'s order.
     */
    private static void rows4xTokens4(float[] rows, int n, float[] x0, float[] x1, float[] x2, float[] x3,
            float[] o0, float[] o1, float[] o2, float[] o3, int a0, int a1, int a2, int a3) {
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F), s03 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F), s13 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F), s23 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F), s33 = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector v0 = FloatVector.fromArray(F, x0, i);
            FloatVector v1 = FloatVector.fromArray(F, x1, i);
            FloatVector v2 = FloatVector.fromArray(F, x2, i);
            FloatVector v3 = FloatVector.fromArray(F, x3, i);
            FloatVector w = FloatVector.fromArray(F, rows, i);
            s00 = w.fma(v0, s00);
            s01 = w.fma(v1, s01);
            s02 = w.fma(v2, s02);
            s03 = w.fma(v3, s03);
            w = FloatVector.fromArray(F, rows, n + i);
            s10 = w.fma(v0, s10);
            s11 = w.fma(v1, s11);
            s12 = w.fma(v2, s12);
            s13 = w.fma(v3, s13);
            w = FloatVector.fromArray(F, rows, 2 * n + i);
            s20 = w.fma(v0, s20);
            s21 = w.fma(v1, s21);
            s22 = w.fma(v2, s22);
            s23 = w.fma(v3, s23);
            w = FloatVector.fromArray(F, rows, 3 * n + i);
            s30 = w.fma(v0, s30);
            s31 = w.fma(v1, s31);
            s32 = w.fma(v2, s32);
            s33 = w.fma(v3, s33);
        }
        o0[a0] = widenedTail(rows, 0, x0, bound, n, sumLanes(s00));
        o1[a0] = widenedTail(rows, 0, x1, bound, n, sumLanes(s01));
        o2[a0] = widenedTail(rows, 0, x2, bound, n, sumLanes(s02));
        o3[a0] = widenedTail(rows, 0, x3, bound, n, sumLanes(s03));
        o0[a1] = widenedTail(rows, n, x0, bound, n, sumLanes(s10));
        o1[a1] = widenedTail(rows, n, x1, bound, n, sumLanes(s11));
        o2[a1] = widenedTail(rows, n, x2, bound, n, sumLanes(s12));
        o3[a1] = widenedTail(rows, n, x3, bound, n, sumLanes(s13));
        o0[a2] = widenedTail(rows, 2 * n, x0, bound, n, sumLanes(s20));
        o1[a2] = widenedTail(rows, 2 * n, x1, bound, n, sumLanes(s21));
        o2[a2] = widenedTail(rows, 2 * n, x2, bound, n, sumLanes(s22));
        o3[a2] = widenedTail(rows, 2 * n, x3, bound, n, sumLanes(s23));
        o0[a3] = widenedTail(rows, 3 * n, x0, bound, n, sumLanes(s30));
        o1[a3] = widenedTail(rows, 3 * n, x1, bound, n, sumLanes(s31));
        o2[a3] = widenedTail(rows, 3 * n, x2, bound, n, sumLanes(s32));
        o3[a3] = widenedTail(rows, 3 * n, x3, bound, n, sumLanes(s33));
    }

    /** {@code sum} plus the scalar products of elements {@code [from, n)} of the row at {@code rows[row]} with {@code x}. */
    private static float widenedTail(float[] rows, int row, float[] x, int from, int n, float sum) {
        for (int i = from; i < n; i++) {
            sum += rows[row + i] * x[i];
        }
        return sum;
    }

    /**
     * Two tiles of Q4_0 weights times a Q8_0 activation, {@code TS.length()} rows of each a pass
     * (each broadcast activation quant serves both tiles). Each
     * 16-bit lane holds a row's four nibbles of elements j, j + 16, j + 1, j + 17; the products
     * with the unsigned nibbles are summed modulo 2^16 and 8 * (sum of the block's quants) is
     * subtracted at the end, which leaves sum((q - 8) * a) exactly: its magnitude is at most
     * 32 * 8 * 127 < 2^15. Then, as the scalar loop does, sum += sumi * (d * xd): identical bits.
     */
    private static void tileQ4_0(MemorySegment m, long tileA, long tileB, int[] pairs, int[] quantSums, float[] xd,
            int blocks, float[] out, int outA, int outB) {
        for (int c = 0; c < TileLayout.TILE_ROWS; c += TS.length()) {
            FloatVector accA0 = FloatVector.zero(F);
            FloatVector accA1 = FloatVector.zero(F);
            FloatVector accB0 = FloatVector.zero(F);
            FloatVector accB1 = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long blkA = tileA + 18L * TileLayout.TILE_ROWS * b;
                long blkB = tileB + 18L * TileLayout.TILE_ROWS * b;
                int xa = b * Q8;
                ShortVector sumA = ShortVector.zero(TS);
                ShortVector sumB = ShortVector.zero(TS);
                for (int j = 0; j < Q8 / 2; j += 2) {
                    long at = TileLayout.SCALE_BYTES + 2L * TileLayout.TILE_ROWS * (j >> 1) + 2L * c;
                    ShortVector vA = ShortVector.fromMemorySegment(TS, m, blkA + at, LE);
                    ShortVector vB = ShortVector.fromMemorySegment(TS, m, blkB + at, LE);
                    ShortVector a0 = IntVector.broadcast(TI, pairs[xa + j]).reinterpretAsShorts();
                    ShortVector a1 = IntVector.broadcast(TI, pairs[xa + j + 16]).reinterpretAsShorts();
                    ShortVector a2 = IntVector.broadcast(TI, pairs[xa + j + 1]).reinterpretAsShorts();
                    ShortVector a3 = IntVector.broadcast(TI, pairs[xa + j + 17]).reinterpretAsShorts();
                    sumA = sumA.add(vA.and((short) 0x0F).mul(a0))
                            .add(vA.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 0x0F).mul(a1))
                            .add(vA.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 0x0F).mul(a2))
                            .add(vA.lanewise(VectorOperators.LSHR, SHIFT_12).mul(a3));
                    sumB = sumB.add(vB.and((short) 0x0F).mul(a0))
                            .add(vB.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 0x0F).mul(a1))
                            .add(vB.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 0x0F).mul(a2))
                            .add(vB.lanewise(VectorOperators.LSHR, SHIFT_12).mul(a3));
                }
                sumA = sumA.sub((short) (8 * quantSums[b]));
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector hA0 = (IntVector) ShortVector.fromMemorySegment(H, m, blkA + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector hA1 = (IntVector) ShortVector.fromMemorySegment(H, m, blkA + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector dA0 = hA0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hA0.and(0x80000000)).reinterpretAsFloats();
                FloatVector dA1 = hA1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hA1.and(0x80000000)).reinterpretAsFloats();
                accA0 = accA0.add(((FloatVector) sumA.convertShape(VectorOperators.S2F, F, 0)).mul(dA0.mul(xd[b])));
                accA1 = accA1.add(((FloatVector) sumA.convertShape(VectorOperators.S2F, F, 1)).mul(dA1.mul(xd[b])));
                sumB = sumB.sub((short) (8 * quantSums[b]));
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector hB0 = (IntVector) ShortVector.fromMemorySegment(H, m, blkB + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector hB1 = (IntVector) ShortVector.fromMemorySegment(H, m, blkB + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector dB0 = hB0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hB0.and(0x80000000)).reinterpretAsFloats();
                FloatVector dB1 = hB1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hB1.and(0x80000000)).reinterpretAsFloats();
                accB0 = accB0.add(((FloatVector) sumB.convertShape(VectorOperators.S2F, F, 0)).mul(dB0.mul(xd[b])));
                accB1 = accB1.add(((FloatVector) sumB.convertShape(VectorOperators.S2F, F, 1)).mul(dB1.mul(xd[b])));
            }
            accA0.intoArray(out, outA + c);
            accA1.intoArray(out, outA + c + F.length());
            accB0.intoArray(out, outB + c);
            accB1.intoArray(out, outB + c + F.length());
        }
    }

    /**
     * One tile of Q8_0 weights times a Q8_0 activation, {@code 2 * F.length()} rows a pass: the
     * rows' quants of one element widened to floats and multiplied by the activation quant
     * (products and block sums are integers below 2^24, so exact), then, as the scalar loop,
     * sum += sumi * (d * xd): identical bits.
     */
    private static void tileQ8_0(MemorySegment m, long tile, float[] quants, float[] xd, int blocks,
            float[] out, int outAt) {
        for (int c = 0; c < TileLayout.TILE_ROWS; c += 2 * F.length()) {
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 34L * TileLayout.TILE_ROWS * b;
                int xa = b * Q8;
                // even and odd elements in separate sums: four chains of fused multiply-adds hide their
                // latency, and integer sums below 2^24 come out the same in any order
                FloatVector sum0 = FloatVector.zero(F);
                FloatVector sum1 = FloatVector.zero(F);
                FloatVector odd0 = FloatVector.zero(F);
                FloatVector odd1 = FloatVector.zero(F);
                for (int e = 0; e < Q8; e += 2) {
                    long at = blk + TileLayout.SCALE_BYTES + (long) TileLayout.TILE_ROWS * e + c;
                    ByteVector q = ByteVector.fromMemorySegment(TQ8, m, at, LE);
                    ByteVector r = ByteVector.fromMemorySegment(TQ8, m, at + TileLayout.TILE_ROWS, LE);
                    FloatVector a = FloatVector.broadcast(F, quants[xa + e]);
                    FloatVector a1 = FloatVector.broadcast(F, quants[xa + e + 1]);
                    sum0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(a, sum0);
                    sum1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(a, sum1);
                    odd0 = ((FloatVector) r.convertShape(VectorOperators.B2F, F, 0)).fma(a1, odd0);
                    odd1 = ((FloatVector) r.convertShape(VectorOperators.B2F, F, 1)).fma(a1, odd1);
                }
                sum0 = sum0.add(odd0);
                sum1 = sum1.add(odd1);
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector h0 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector h1 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector d0 = h0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h0.and(0x80000000)).reinterpretAsFloats();
                FloatVector d1 = h1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h1.and(0x80000000)).reinterpretAsFloats();
                acc0 = acc0.add(sum0.mul(d0.mul(xd[b])));
                acc1 = acc1.add(sum1.mul(d1.mul(xd[b])));
            }
            acc0.intoArray(out, outAt + c);
            acc1.intoArray(out, outAt + c + F.length());
        }
    }

    /**
     * {@link #tileQ4_0} for four activations and two tiles at once (prompt processing): the weights
     * are loaded and unpacked once for the four activations, and each broadcast activation quant
     * serves both tiles. Written out rather than shared: see {@link #dotQ8_0}.
     */
    private static void tileQ4_0x4(MemorySegment m, long tileA, long tileB, PreparedVector x0, PreparedVector x1,
            PreparedVector x2, PreparedVector x3, int blocks, float[] o0, float[] o1, float[] o2, float[] o3,
            int outA, int outB) {
        int[] p0 = x0.quantPairs;
        int[] p1 = x1.quantPairs;
        int[] p2 = x2.quantPairs;
        int[] p3 = x3.quantPairs;
        for (int c = 0; c < TileLayout.TILE_ROWS; c += TS.length()) {
            FloatVector accA00 = FloatVector.zero(F);
            FloatVector accA01 = FloatVector.zero(F);
            FloatVector accA10 = FloatVector.zero(F);
            FloatVector accA11 = FloatVector.zero(F);
            FloatVector accA20 = FloatVector.zero(F);
            FloatVector accA21 = FloatVector.zero(F);
            FloatVector accA30 = FloatVector.zero(F);
            FloatVector accA31 = FloatVector.zero(F);
            FloatVector accB00 = FloatVector.zero(F);
            FloatVector accB01 = FloatVector.zero(F);
            FloatVector accB10 = FloatVector.zero(F);
            FloatVector accB11 = FloatVector.zero(F);
            FloatVector accB20 = FloatVector.zero(F);
            FloatVector accB21 = FloatVector.zero(F);
            FloatVector accB30 = FloatVector.zero(F);
            FloatVector accB31 = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long blkA = tileA + 18L * TileLayout.TILE_ROWS * b;
                long blkB = tileB + 18L * TileLayout.TILE_ROWS * b;
                int xa = b * Q8;
                ShortVector sumA0 = ShortVector.zero(TS);
                ShortVector sumA1 = ShortVector.zero(TS);
                ShortVector sumA2 = ShortVector.zero(TS);
                ShortVector sumA3 = ShortVector.zero(TS);
                ShortVector sumB0 = ShortVector.zero(TS);
                ShortVector sumB1 = ShortVector.zero(TS);
                ShortVector sumB2 = ShortVector.zero(TS);
                ShortVector sumB3 = ShortVector.zero(TS);
                for (int j = 0; j < Q8 / 2; j += 2) {
                    long at = TileLayout.SCALE_BYTES + 2L * TileLayout.TILE_ROWS * (j >> 1) + 2L * c;
                    ShortVector vA = ShortVector.fromMemorySegment(TS, m, blkA + at, LE);
                    ShortVector vB = ShortVector.fromMemorySegment(TS, m, blkB + at, LE);
                    ShortVector nA0 = vA.and((short) 0x0F);
                    ShortVector nB0 = vB.and((short) 0x0F);
                    ShortVector nA1 = vA.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 0x0F);
                    ShortVector nB1 = vB.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 0x0F);
                    ShortVector nA2 = vA.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 0x0F);
                    ShortVector nB2 = vB.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 0x0F);
                    ShortVector nA3 = vA.lanewise(VectorOperators.LSHR, SHIFT_12);
                    ShortVector nB3 = vB.lanewise(VectorOperators.LSHR, SHIFT_12);
                    ShortVector a00 = IntVector.broadcast(TI, p0[xa + j]).reinterpretAsShorts();
                    ShortVector a01 = IntVector.broadcast(TI, p0[xa + j + 16]).reinterpretAsShorts();
                    ShortVector a02 = IntVector.broadcast(TI, p0[xa + j + 1]).reinterpretAsShorts();
                    ShortVector a03 = IntVector.broadcast(TI, p0[xa + j + 17]).reinterpretAsShorts();
                    sumA0 = sumA0.add(nA0.mul(a00)).add(nA1.mul(a01)).add(nA2.mul(a02)).add(nA3.mul(a03));
                    sumB0 = sumB0.add(nB0.mul(a00)).add(nB1.mul(a01)).add(nB2.mul(a02)).add(nB3.mul(a03));
                    ShortVector a10 = IntVector.broadcast(TI, p1[xa + j]).reinterpretAsShorts();
                    ShortVector a11 = IntVector.broadcast(TI, p1[xa + j + 16]).reinterpretAsShorts();
                    ShortVector a12 = IntVector.broadcast(TI, p1[xa + j + 1]).reinterpretAsShorts();
                    ShortVector a13 = IntVector.broadcast(TI, p1[xa + j + 17]).reinterpretAsShorts();
                    sumA1 = sumA1.add(nA0.mul(a10)).add(nA1.mul(a11)).add(nA2.mul(a12)).add(nA3.mul(a13));
                    sumB1 = sumB1.add(nB0.mul(a10)).add(nB1.mul(a11)).add(nB2.mul(a12)).add(nB3.mul(a13));
                    ShortVector a20 = IntVector.broadcast(TI, p2[xa + j]).reinterpretAsShorts();
                    ShortVector a21 = IntVector.broadcast(TI, p2[xa + j + 16]).reinterpretAsShorts();
                    ShortVector a22 = IntVector.broadcast(TI, p2[xa + j + 1]).reinterpretAsShorts();
                    ShortVector a23 = IntVector.broadcast(TI, p2[xa + j + 17]).reinterpretAsShorts();
                    sumA2 = sumA2.add(nA0.mul(a20)).add(nA1.mul(a21)).add(nA2.mul(a22)).add(nA3.mul(a23));
                    sumB2 = sumB2.add(nB0.mul(a20)).add(nB1.mul(a21)).add(nB2.mul(a22)).add(nB3.mul(a23));
                    ShortVector a30 = IntVector.broadcast(TI, p3[xa + j]).reinterpretAsShorts();
                    ShortVector a31 = IntVector.broadcast(TI, p3[xa + j + 16]).reinterpretAsShorts();
                    ShortVector a32 = IntVector.broadcast(TI, p3[xa + j + 1]).reinterpretAsShorts();
                    ShortVector a33 = IntVector.broadcast(TI, p3[xa + j + 17]).reinterpretAsShorts();
                    sumA3 = sumA3.add(nA0.mul(a30)).add(nA1.mul(a31)).add(nA2.mul(a32)).add(nA3.mul(a33));
                    sumB3 = sumB3.add(nB0.mul(a30)).add(nB1.mul(a31)).add(nB2.mul(a32)).add(nB3.mul(a33));
                }
                sumA0 = sumA0.sub((short) (8 * x0.quantSums[b]));
                sumA1 = sumA1.sub((short) (8 * x1.quantSums[b]));
                sumA2 = sumA2.sub((short) (8 * x2.quantSums[b]));
                sumA3 = sumA3.sub((short) (8 * x3.quantSums[b]));
                sumB0 = sumB0.sub((short) (8 * x0.quantSums[b]));
                sumB1 = sumB1.sub((short) (8 * x1.quantSums[b]));
                sumB2 = sumB2.sub((short) (8 * x2.quantSums[b]));
                sumB3 = sumB3.sub((short) (8 * x3.quantSums[b]));
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector hA0 = (IntVector) ShortVector.fromMemorySegment(H, m, blkA + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector hA1 = (IntVector) ShortVector.fromMemorySegment(H, m, blkA + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector dA0 = hA0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hA0.and(0x80000000)).reinterpretAsFloats();
                FloatVector dA1 = hA1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hA1.and(0x80000000)).reinterpretAsFloats();
                accA00 = accA00.add(((FloatVector) sumA0.convertShape(VectorOperators.S2F, F, 0)).mul(dA0.mul(x0.scales[b])));
                accA01 = accA01.add(((FloatVector) sumA0.convertShape(VectorOperators.S2F, F, 1)).mul(dA1.mul(x0.scales[b])));
                accA10 = accA10.add(((FloatVector) sumA1.convertShape(VectorOperators.S2F, F, 0)).mul(dA0.mul(x1.scales[b])));
                accA11 = accA11.add(((FloatVector) sumA1.convertShape(VectorOperators.S2F, F, 1)).mul(dA1.mul(x1.scales[b])));
                accA20 = accA20.add(((FloatVector) sumA2.convertShape(VectorOperators.S2F, F, 0)).mul(dA0.mul(x2.scales[b])));
                accA21 = accA21.add(((FloatVector) sumA2.convertShape(VectorOperators.S2F, F, 1)).mul(dA1.mul(x2.scales[b])));
                accA30 = accA30.add(((FloatVector) sumA3.convertShape(VectorOperators.S2F, F, 0)).mul(dA0.mul(x3.scales[b])));
                accA31 = accA31.add(((FloatVector) sumA3.convertShape(VectorOperators.S2F, F, 1)).mul(dA1.mul(x3.scales[b])));
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector hB0 = (IntVector) ShortVector.fromMemorySegment(H, m, blkB + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector hB1 = (IntVector) ShortVector.fromMemorySegment(H, m, blkB + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector dB0 = hB0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hB0.and(0x80000000)).reinterpretAsFloats();
                FloatVector dB1 = hB1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hB1.and(0x80000000)).reinterpretAsFloats();
                accB00 = accB00.add(((FloatVector) sumB0.convertShape(VectorOperators.S2F, F, 0)).mul(dB0.mul(x0.scales[b])));
                accB01 = accB01.add(((FloatVector) sumB0.convertShape(VectorOperators.S2F, F, 1)).mul(dB1.mul(x0.scales[b])));
                accB10 = accB10.add(((FloatVector) sumB1.convertShape(VectorOperators.S2F, F, 0)).mul(dB0.mul(x1.scales[b])));
                accB11 = accB11.add(((FloatVector) sumB1.convertShape(VectorOperators.S2F, F, 1)).mul(dB1.mul(x1.scales[b])));
                accB20 = accB20.add(((FloatVector) sumB2.convertShape(VectorOperators.S2F, F, 0)).mul(dB0.mul(x2.scales[b])));
                accB21 = accB21.add(((FloatVector) sumB2.convertShape(VectorOperators.S2F, F, 1)).mul(dB1.mul(x2.scales[b])));
                accB30 = accB30.add(((FloatVector) sumB3.convertShape(VectorOperators.S2F, F, 0)).mul(dB0.mul(x3.scales[b])));
                accB31 = accB31.add(((FloatVector) sumB3.convertShape(VectorOperators.S2F, F, 1)).mul(dB1.mul(x3.scales[b])));
            }
            accA00.intoArray(o0, outA + c);
            accA01.intoArray(o0, outA + c + F.length());
            accA10.intoArray(o1, outA + c);
            accA11.intoArray(o1, outA + c + F.length());
            accA20.intoArray(o2, outA + c);
            accA21.intoArray(o2, outA + c + F.length());
            accA30.intoArray(o3, outA + c);
            accA31.intoArray(o3, outA + c + F.length());
            accB00.intoArray(o0, outB + c);
            accB01.intoArray(o0, outB + c + F.length());
            accB10.intoArray(o1, outB + c);
            accB11.intoArray(o1, outB + c + F.length());
            accB20.intoArray(o2, outB + c);
            accB21.intoArray(o2, outB + c + F.length());
            accB30.intoArray(o3, outB + c);
            accB31.intoArray(o3, outB + c + F.length());
        }
    }

    /** {@link #tileQ8_0} for four activations at once, as {@link #tileQ4_0x4}. */
    private static void tileQ8_0x4(MemorySegment m, long tile, PreparedVector x0, PreparedVector x1,
            PreparedVector x2, PreparedVector x3, int blocks, float[] o0, float[] o1, float[] o2, float[] o3, int outAt) {
        float[] q0 = x0.values;
        float[] q1 = x1.values;
        float[] q2 = x2.values;
        float[] q3 = x3.values;
        for (int c = 0; c < TileLayout.TILE_ROWS; c += 2 * F.length()) {
            FloatVector acc00 = FloatVector.zero(F);
            FloatVector acc01 = FloatVector.zero(F);
            FloatVector acc10 = FloatVector.zero(F);
            FloatVector acc11 = FloatVector.zero(F);
            FloatVector acc20 = FloatVector.zero(F);
            FloatVector acc21 = FloatVector.zero(F);
            FloatVector acc30 = FloatVector.zero(F);
            FloatVector acc31 = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 34L * TileLayout.TILE_ROWS * b;
                int xa = b * Q8;
                FloatVector sum00 = FloatVector.zero(F);
                FloatVector sum01 = FloatVector.zero(F);
                FloatVector sum10 = FloatVector.zero(F);
                FloatVector sum11 = FloatVector.zero(F);
                FloatVector sum20 = FloatVector.zero(F);
                FloatVector sum21 = FloatVector.zero(F);
                FloatVector sum30 = FloatVector.zero(F);
                FloatVector sum31 = FloatVector.zero(F);
                for (int e = 0; e < Q8; e++) {
                    ByteVector q = ByteVector.fromMemorySegment(TQ8, m,
                            blk + TileLayout.SCALE_BYTES + (long) TileLayout.TILE_ROWS * e + c, LE);
                    FloatVector w0 = (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
                    FloatVector w1 = (FloatVector) q.convertShape(VectorOperators.B2F, F, 1);
                    FloatVector a0 = FloatVector.broadcast(F, q0[xa + e]);
                    FloatVector a1 = FloatVector.broadcast(F, q1[xa + e]);
                    FloatVector a2 = FloatVector.broadcast(F, q2[xa + e]);
                    FloatVector a3 = FloatVector.broadcast(F, q3[xa + e]);
                    sum00 = w0.fma(a0, sum00);
                    sum01 = w1.fma(a0, sum01);
                    sum10 = w0.fma(a1, sum10);
                    sum11 = w1.fma(a1, sum11);
                    sum20 = w0.fma(a2, sum20);
                    sum21 = w1.fma(a2, sum21);
                    sum30 = w0.fma(a3, sum30);
                    sum31 = w1.fma(a3, sum31);
                }
                // the rows' F16 scales (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector h0 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector h1 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * (c + F.length()), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector d0 = h0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h0.and(0x80000000)).reinterpretAsFloats();
                FloatVector d1 = h1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h1.and(0x80000000)).reinterpretAsFloats();
                acc00 = acc00.add(sum00.mul(d0.mul(x0.scales[b])));
                acc01 = acc01.add(sum01.mul(d1.mul(x0.scales[b])));
                acc10 = acc10.add(sum10.mul(d0.mul(x1.scales[b])));
                acc11 = acc11.add(sum11.mul(d1.mul(x1.scales[b])));
                acc20 = acc20.add(sum20.mul(d0.mul(x2.scales[b])));
                acc21 = acc21.add(sum21.mul(d1.mul(x2.scales[b])));
                acc30 = acc30.add(sum30.mul(d0.mul(x3.scales[b])));
                acc31 = acc31.add(sum31.mul(d1.mul(x3.scales[b])));
            }
            acc00.intoArray(o0, outAt + c);
            acc01.intoArray(o0, outAt + c + F.length());
            acc10.intoArray(o1, outAt + c);
            acc11.intoArray(o1, outAt + c + F.length());
            acc20.intoArray(o2, outAt + c);
            acc21.intoArray(o2, outAt + c + F.length());
            acc30.intoArray(o3, outAt + c);
            acc31.intoArray(o3, outAt + c + F.length());
        }
    }

    // ---------------------------------------------------------------- tiled Q4_K, Q5_K and Q6_K

    /**
     * Per-thread room for the tiled K-quant kernels: a float accumulator for each of ggml's lanes
     * (8 quant lanes, then Q4_K's 4 minimum lanes) and each row of a pass, and the current
     * super-block's group scales, 32 rows a group: as ints for Q2_K, Q3_K and Q6_K (Q3_K's decoded as
     * shorts first), as floats for Q4_K and Q5_K; Q4_K
     * takes two tiles at once (twice the lanes and scales) and keeps their {@code d * dx} in {@code factors}.
     */
    private record KQuantScratch(float[] lanes, int[] scales, short[] shortScales, float[] floatScales, float[] factors) {
        KQuantScratch() {
            this(new float[2 * 12 * TileLayout.TILE_ROWS], new int[16 * TileLayout.TILE_ROWS], new short[16 * TileLayout.TILE_ROWS],
                    new float[2 * 8 * TileLayout.TILE_ROWS], new float[2 * 2 * TileLayout.TILE_ROWS]);
        }
    }


    private static final ThreadLocal<KQuantScratch> K_SCRATCH = ThreadLocal.withInitial(KQuantScratch::new);
    private static final ThreadLocal<TiledKQuantMatMul.Scratch> MATMUL_SCRATCH = ThreadLocal.withInitial(TiledKQuantMatMul.Scratch::new);
    /** Fewer tokens than this take the matVec kernel one after the other: unpacking a tile costs a few tokens' work. */
    private static final int MATMUL_MIN_TOKENS = 2;

    /**
     * Rows {@code [row, row + step)} of a tiled K-quant matrix times {@code x} into {@code out}; Q4_K
     * takes two tiles ({@link #kQuantStep}), an odd last one twice (the same result written twice).
     */
    private static void tiledKQuant(WeightMatrix w, int row, int toRow, PreparedVector x, KQuantScratch scratch,
            float[] out, int outOffset) {
        int blocks = w.cols() / PreparedVector.Q8_K_BLOCK;
        long tileBytes = w.rowBytes() * TileLayout.TILE_ROWS;
        long tile = (row / TileLayout.TILE_ROWS) * tileBytes;
        if (w.type() == GgmlType.Q4_K) {
            int rowB = Math.min(row + TileLayout.TILE_ROWS, toRow - TileLayout.TILE_ROWS);
            tileQ4_K(w.data(), tile, (rowB / TileLayout.TILE_ROWS) * tileBytes, x.quantPairs, x.groupSums, x.scales, blocks,
                    scratch.lanes, scratch.floatScales, scratch.factors, out, outOffset + row, outOffset + rowB);
        } else if (w.type() == GgmlType.Q3_K) {
            TiledLowBitKernels.tileQ3_K(w.data(), tile, x.quantPairs, x.quants, x.scales, blocks, scratch.lanes, scratch.shortScales,
                    scratch.scales, scratch.factors, out, outOffset + row);
        } else if (w.type() == GgmlType.Q2_K) {
            TiledLowBitKernels.tileQ2_K(w.data(), tile, x.quantPairs, x.groupSums, x.scales, blocks, scratch.lanes,
                    scratch.scales, scratch.factors, out, outOffset + row);
        } else if (w.type() == GgmlType.Q5_K) {
            tileQ5_K(w.data(), tile, x.quantPairs, x.groupSums, x.scales, blocks, scratch.lanes, scratch.floatScales,
                    scratch.factors, out, outOffset + row);
        } else {
            tileQ6_K(w.data(), tile, x.quantPairs, x.groupSums, x.scales, blocks, scratch.lanes, scratch.scales, out,
                    outOffset + row);
        }
    }

    /** Rows a call of {@link #tiledKQuant} takes. */
    private static int kQuantStep(GgmlType type) {
        return type == GgmlType.Q4_K ? 2 * TileLayout.TILE_ROWS : TileLayout.TILE_ROWS;
    }

    /**
     * Two tiles of Q4_K weights ({@link TiledKQuants}) times a Q8_K activation, {@code TS.length()}
     * rows of each a pass (each broadcast activation quant serves both tiles), computed as ggml
     * does ({@link KQuantBlocks#dotQ4_K}) in every row lane: lane L of ggml's eight takes elements
     * {@code 4L .. 4L+3} of each group of 32, i.e. the two 16-bit lanes of quant shorts {@code 2L}
     * and {@code 2L+1} of each chunk, whose nibbles belong to the chunk's two groups (four products
     * a group, at most 4 * 15 * 127: a short holds them). Each group's sum times the group's scale
     * is added into the lane's integer, kept in floats (exact: below 8 * 63 * 7620 < 2^24), which
     * is scaled once per super-block. The minimums go to four more lanes. At the end the lanes are
     * added in ggml's order: the same bits as the row-major reference. Per-tile values of a
     * super-block (scales, d * dx) go through {@code groupScales} and {@code factors}, so only the
     * products are written out twice.
     */
    private static void tileQ4_K(MemorySegment m, long tileA, long tileB, int[] pairs, short[] groupSums, float[] xd,
            int blocks, float[] lanes, float[] groupScales, float[] factors, float[] out, int outA, int outB) {
        int half = F.length();
        for (int c = 0; c < TileLayout.TILE_ROWS; c += TS.length()) {
            Arrays.fill(lanes, 0f);
            for (int b = 0; b < blocks; b++) {
                int xa = b * PreparedVector.Q8_K_BLOCK;
                float dx = xd[b];
                for (int t = 0; t < 2; t++) {
                    long blk = (t == 0 ? tileA : tileB) + 144L * TileLayout.TILE_ROWS * b;
                    int scaleAt = 256 * t;
                    int laneAt = 384 * t;
                    // the rows' F16 d and dmin (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                    // float position and scaled by 2^112 (exact for subnormals too), sign put back
                    for (int h = 0; h < 2 * half; h += half) {
                        IntVector d = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * (c + h), LE)
                                .convertShape(VectorOperators.S2I, I, 0);
                        IntVector n = (IntVector) ShortVector.fromMemorySegment(H, m, blk + TiledKQuants.Q4_K_DMIN + 2L * (c + h), LE)
                                .convertShape(VectorOperators.S2I, I, 0);
                        d.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                                .reinterpretAsInts().or(d.and(0x80000000)).reinterpretAsFloats().mul(dx).intoArray(factors, 64 * t + h);
                        FloatVector dmin = n.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                                .reinterpretAsInts().or(n.and(0x80000000)).reinterpretAsFloats().mul(-dx);
                        // minimum lane i: groups 2i and 2i+1, each minimum times the activation sum of its 32
                        for (int i = 0; i < 4; i++) {
                            ShortVector sc = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q4_K_SCALES + 64L * i + 2L * c, LE);
                            // the minimums' low nibbles: byte i % 2 of short 4 + i / 2, read one byte on so it lands in the
                            // low byte of each lane (the high byte, the next row's, is masked off)
                            ShortVector mn = ShortVector.fromMemorySegment(TS, m,
                                    blk + TiledKQuants.Q4_K_SCALES + 64L * (4 + (i >> 1)) + 2L * c + (i & 1), LE);
                            int part = h / half;
                            ShortVector scaleA = sc.and((short) 63);
                            ShortVector scaleB = sc.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 63);
                            ((FloatVector) scaleA.convertShape(VectorOperators.S2F, F, part)).intoArray(groupScales, scaleAt + 64 * i + h);
                            ((FloatVector) scaleB.convertShape(VectorOperators.S2F, F, part)).intoArray(groupScales, scaleAt + 64 * i + 32 + h);
                            ShortVector minA = mn.and((short) 15).or(sc.lanewise(VectorOperators.LSHR, SHIFT_2).and((short) 0x30));
                            ShortVector minB = mn.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15)
                                    .or(sc.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 0x30));
                            int g = b * 16 + 4 * i; // the activation's groups of 16
                            IntVector prod = ((IntVector) minA.convertShape(VectorOperators.S2I, I, part)).mul(groupSums[g] + groupSums[g + 1])
                                    .add(((IntVector) minB.convertShape(VectorOperators.S2I, I, part)).mul(groupSums[g + 2] + groupSums[g + 3]));
                            int at = laneAt + 32 * (8 + i) + h;
                            ((FloatVector) prod.convert(VectorOperators.I2F, 0)).fma(dmin, FloatVector.fromArray(F, lanes, at))
                                    .intoArray(lanes, at);
                        }
                    }
                }
                long blkA = tileA + 144L * TileLayout.TILE_ROWS * b + TiledKQuants.Q4_K_QUANTS + 2L * c;
                long blkB = tileB + 144L * TileLayout.TILE_ROWS * b + TiledKQuants.Q4_K_QUANTS + 2L * c;
                for (int lane = 0; lane < 8; lane++) {
                    FloatVector sumA0 = FloatVector.zero(F);
                    FloatVector sumA1 = FloatVector.zero(F);
                    FloatVector sumB0 = FloatVector.zero(F);
                    FloatVector sumB1 = FloatVector.zero(F);
                    for (int i = 0; i < 4; i++) {
                        // quant shorts 2 lane and 2 lane + 1 of chunk i: elements 4 lane .. 4 lane + 3 of groups 2i, 2i+1
                        long at = 64L * (8 * lane + 2 * i);
                        int e = xa + 64 * i + 4 * lane;
                        ShortVector x0 = IntVector.broadcast(TI, pairs[e]).reinterpretAsShorts();
                        ShortVector x1 = IntVector.broadcast(TI, pairs[e + 1]).reinterpretAsShorts();
                        ShortVector x2 = IntVector.broadcast(TI, pairs[e + 2]).reinterpretAsShorts();
                        ShortVector x3 = IntVector.broadcast(TI, pairs[e + 3]).reinterpretAsShorts();
                        ShortVector y0 = IntVector.broadcast(TI, pairs[e + 32]).reinterpretAsShorts();
                        ShortVector y1 = IntVector.broadcast(TI, pairs[e + 33]).reinterpretAsShorts();
                        ShortVector y2 = IntVector.broadcast(TI, pairs[e + 34]).reinterpretAsShorts();
                        ShortVector y3 = IntVector.broadcast(TI, pairs[e + 35]).reinterpretAsShorts();
                        ShortVector v = ShortVector.fromMemorySegment(TS, m, blkA + at, LE);
                        ShortVector w = ShortVector.fromMemorySegment(TS, m, blkA + at + 64, LE);
                        ShortVector a = v.and((short) 15).mul(x0).add(v.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 15).mul(x1))
                                .add(w.and((short) 15).mul(x2)).add(w.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 15).mul(x3));
                        ShortVector bb = v.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15).mul(y0)
                                .add(v.lanewise(VectorOperators.LSHR, SHIFT_12).mul(y1))
                                .add(w.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15).mul(y2))
                                .add(w.lanewise(VectorOperators.LSHR, SHIFT_12).mul(y3));
                        sumA0 = ((FloatVector) a.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, 64 * i), sumA0);
                        sumA0 = ((FloatVector) bb.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, 64 * i + 32), sumA0);
                        sumA1 = ((FloatVector) a.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, groupScales, 64 * i + half), sumA1);
                        sumA1 = ((FloatVector) bb.convertShape(VectorOperators.S2F, F, 1))
                                .fma(FloatVector.fromArray(F, groupScales, 64 * i + 32 + half), sumA1);
                        ShortVector vB = ShortVector.fromMemorySegment(TS, m, blkB + at, LE);
                        ShortVector wB = ShortVector.fromMemorySegment(TS, m, blkB + at + 64, LE);
                        ShortVector aB = vB.and((short) 15).mul(x0).add(vB.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 15).mul(x1))
                                .add(wB.and((short) 15).mul(x2)).add(wB.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 15).mul(x3));
                        ShortVector bbB = vB.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15).mul(y0)
                                .add(vB.lanewise(VectorOperators.LSHR, SHIFT_12).mul(y1))
                                .add(wB.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15).mul(y2))
                                .add(wB.lanewise(VectorOperators.LSHR, SHIFT_12).mul(y3));
                        sumB0 = ((FloatVector) aB.convertShape(VectorOperators.S2F, F, 0))
                                .fma(FloatVector.fromArray(F, groupScales, 256 + 64 * i), sumB0);
                        sumB0 = ((FloatVector) bbB.convertShape(VectorOperators.S2F, F, 0))
                                .fma(FloatVector.fromArray(F, groupScales, 256 + 64 * i + 32), sumB0);
                        sumB1 = ((FloatVector) aB.convertShape(VectorOperators.S2F, F, 1))
                                .fma(FloatVector.fromArray(F, groupScales, 256 + 64 * i + half), sumB1);
                        sumB1 = ((FloatVector) bbB.convertShape(VectorOperators.S2F, F, 1))
                                .fma(FloatVector.fromArray(F, groupScales, 256 + 64 * i + 32 + half), sumB1);
                    }
                    int at = 32 * lane;
                    sumA0.fma(FloatVector.fromArray(F, factors, 0), FloatVector.fromArray(F, lanes, at)).intoArray(lanes, at);
                    sumA1.fma(FloatVector.fromArray(F, factors, half), FloatVector.fromArray(F, lanes, at + half))
                            .intoArray(lanes, at + half);
                    sumB0.fma(FloatVector.fromArray(F, factors, 64), FloatVector.fromArray(F, lanes, 384 + at))
                            .intoArray(lanes, 384 + at);
                    sumB1.fma(FloatVector.fromArray(F, factors, 64 + half), FloatVector.fromArray(F, lanes, 384 + at + half))
                            .intoArray(lanes, 384 + at + half);
                }
            }
            addLanes(lanes, 0, 4, out, outA + c);
            addLanes(lanes, 384, 4, out, outB + c);
        }
    }

    /**
     * One tile of Q5_K weights ({@link TiledKQuants}) times a Q8_K activation, {@code TS.length()}
     * rows a pass: {@link #tileQ4_K}'s products with each quant's fifth bit put above its nibble
     * (bit {@code g} of the quant's fifth-bit byte; four products a group stay below 4 * 31 * 127),
     * and, as ggml ({@link KQuantBlocks#dotQ5_K}), the minimums in one running float sum (lane 8).
     */
    private static void tileQ5_K(MemorySegment m, long tile, int[] pairs, short[] groupSums, float[] xd, int blocks,
            float[] lanes, float[] groupScales, float[] factors, float[] out, int outAt) {
        int half = F.length();
        for (int c = 0; c < TileLayout.TILE_ROWS; c += TS.length()) {
            Arrays.fill(lanes, 0, 12 * TileLayout.TILE_ROWS, 0f); // one tile's lanes
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 176L * TileLayout.TILE_ROWS * b;
                int xa = b * PreparedVector.Q8_K_BLOCK;
                float dx = xd[b];
                for (int h = 0; h < 2 * half; h += half) {
                    // the rows' F16 d and dmin (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                    // float position and scaled by 2^112 (exact for subnormals too), sign put back
                    IntVector d = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * (c + h), LE)
                            .convertShape(VectorOperators.S2I, I, 0);
                    IntVector n = (IntVector) ShortVector.fromMemorySegment(H, m, blk + TiledKQuants.Q4_K_DMIN + 2L * (c + h), LE)
                            .convertShape(VectorOperators.S2I, I, 0);
                    d.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(d.and(0x80000000)).reinterpretAsFloats().mul(dx).intoArray(factors, h);
                    FloatVector dmin = n.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(n.and(0x80000000)).reinterpretAsFloats().mul(-dx);
                    int part = h / half;
                    IntVector minimums = IntVector.zero(I);
                    for (int i = 0; i < 4; i++) {
                        ShortVector sc = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q4_K_SCALES + 64L * i + 2L * c, LE);
                        // the minimums' low nibbles: byte i % 2 of short 4 + i / 2, read one byte on (see tileQ4_K)
                        ShortVector mn = ShortVector.fromMemorySegment(TS, m,
                                blk + TiledKQuants.Q4_K_SCALES + 64L * (4 + (i >> 1)) + 2L * c + (i & 1), LE);
                        ShortVector scaleA = sc.and((short) 63);
                        ShortVector scaleB = sc.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 63);
                        ((FloatVector) scaleA.convertShape(VectorOperators.S2F, F, part)).intoArray(groupScales, 64 * i + h);
                        ((FloatVector) scaleB.convertShape(VectorOperators.S2F, F, part)).intoArray(groupScales, 64 * i + 32 + h);
                        ShortVector minA = mn.and((short) 15).or(sc.lanewise(VectorOperators.LSHR, SHIFT_2).and((short) 0x30));
                        ShortVector minB = mn.lanewise(VectorOperators.LSHR, SHIFT_4).and((short) 15)
                                .or(sc.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 0x30));
                        int g = b * 16 + 4 * i; // the activation's groups of 16
                        minimums = minimums.add(((IntVector) minA.convertShape(VectorOperators.S2I, I, part)).mul(groupSums[g] + groupSums[g + 1]))
                                .add(((IntVector) minB.convertShape(VectorOperators.S2I, I, part)).mul(groupSums[g + 2] + groupSums[g + 3]));
                    }
                    ((FloatVector) minimums.convert(VectorOperators.I2F, 0)).fma(dmin, FloatVector.fromArray(F, lanes, 256 + h))
                            .intoArray(lanes, 256 + h);
                }
                long quants = blk + TiledKQuants.Q5_K_QUANTS + 2L * c;
                for (int lane = 0; lane < 8; lane++) {
                    // the lane's integer sum, in floats: every partial sum is an integer below 8 * 63 * 4 * 31 * 127 < 2^24, so exact
                    FloatVector sum0 = FloatVector.zero(F);
                    FloatVector sum1 = FloatVector.zero(F);
                    for (int k = 0; k < 2; k++) {
                        // five shorts of 5-bit quants: chunk 2k's elements 4 lane .. + 3 of its two groups, then chunk 2k+1's
                        long at = quants + 64L * (10 * lane + 5 * k);
                        ShortVector s0 = ShortVector.fromMemorySegment(TS, m, at, LE);
                        ShortVector s1 = ShortVector.fromMemorySegment(TS, m, at + 64, LE);
                        ShortVector s2 = ShortVector.fromMemorySegment(TS, m, at + 128, LE);
                        ShortVector s3 = ShortVector.fromMemorySegment(TS, m, at + 192, LE);
                        ShortVector s4 = ShortVector.fromMemorySegment(TS, m, at + 256, LE);
                        ShortVector v15 = s0.lanewise(VectorOperators.LSHR, SHIFT_15)
                                .or(s1.lanewise(VectorOperators.LSHR, SHIFT_14).and((short) 2))
                                .or(s2.lanewise(VectorOperators.LSHR, SHIFT_13).and((short) 4))
                                .or(s3.lanewise(VectorOperators.LSHR, SHIFT_12).and((short) 8))
                                .or(s4.lanewise(VectorOperators.LSHR, SHIFT_11).and((short) 16));
                        int e = xa + 128 * k + 4 * lane;
                        ShortVector a = s0.and((short) 31).mul(IntVector.broadcast(TI, pairs[e]).reinterpretAsShorts())
                                .add(s0.lanewise(VectorOperators.LSHR, SHIFT_5).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 1]).reinterpretAsShorts()))
                                .add(s0.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 2]).reinterpretAsShorts()))
                                .add(s1.and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 3]).reinterpretAsShorts()));
                        ShortVector bb = s1.lanewise(VectorOperators.LSHR, SHIFT_5).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 32]).reinterpretAsShorts())
                                .add(s1.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 33]).reinterpretAsShorts()))
                                .add(s2.and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 34]).reinterpretAsShorts()))
                                .add(s2.lanewise(VectorOperators.LSHR, SHIFT_5).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 35]).reinterpretAsShorts()));
                        ShortVector a2 = s2.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 64]).reinterpretAsShorts())
                                .add(s3.and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 65]).reinterpretAsShorts()))
                                .add(s3.lanewise(VectorOperators.LSHR, SHIFT_5).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 66]).reinterpretAsShorts()))
                                .add(s3.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 67]).reinterpretAsShorts()));
                        ShortVector bb2 = s4.and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 96]).reinterpretAsShorts())
                                .add(s4.lanewise(VectorOperators.LSHR, SHIFT_5).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 97]).reinterpretAsShorts()))
                                .add(s4.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 31).mul(IntVector.broadcast(TI, pairs[e + 98]).reinterpretAsShorts()))
                                .add(v15.mul(IntVector.broadcast(TI, pairs[e + 99]).reinterpretAsShorts()));
                        int g = 128 * k; // the group scales of chunk 2k at g, g + 32, of chunk 2k+1 at g + 64, g + 96
                        sum0 = ((FloatVector) a.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, g), sum0);
                        sum0 = ((FloatVector) bb.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, g + 32), sum0);
                        sum0 = ((FloatVector) a2.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, g + 64), sum0);
                        sum0 = ((FloatVector) bb2.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.fromArray(F, groupScales, g + 96), sum0);
                        sum1 = ((FloatVector) a.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, groupScales, g + half), sum1);
                        sum1 = ((FloatVector) bb.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, groupScales, g + 32 + half), sum1);
                        sum1 = ((FloatVector) a2.convertShape(VectorOperators.S2F, F, 1)).fma(FloatVector.fromArray(F, groupScales, g + 64 + half), sum1);
                        sum1 = ((FloatVector) bb2.convertShape(VectorOperators.S2F, F, 1))
                                .fma(FloatVector.fromArray(F, groupScales, g + 96 + half), sum1);
                    }
                    int at = 32 * lane;
                    sum0.fma(FloatVector.fromArray(F, factors, 0), FloatVector.fromArray(F, lanes, at)).intoArray(lanes, at);
                    sum1.fma(FloatVector.fromArray(F, factors, half), FloatVector.fromArray(F, lanes, at + half)).intoArray(lanes, at + half);
                }
            }
            addLanes(lanes, 0, 1, out, outAt + c);
        }
    }

    /**
     * For the {@code TS.length()} rows of a pass, lanes from {@code base}: ggml's {@code hsum_float_8} of
     * quant lanes 0-7 ({@link AvxLanes#sum}), plus the minimums: none (Q6_K), lane 8 (Q5_K's one
     * running sum) or the 4-lane sum of lanes 8-11 (Q4_K).
     */
    static void addLanes(float[] lanes, int base, int minimumLanes, float[] out, int outAt) {
        for (int h = base; h < base + TS.length(); h += F.length()) {
            FloatVector r0 = FloatVector.fromArray(F, lanes, 128 + h).add(FloatVector.fromArray(F, lanes, h));
            FloatVector r1 = FloatVector.fromArray(F, lanes, 160 + h).add(FloatVector.fromArray(F, lanes, 32 + h));
            FloatVector r2 = FloatVector.fromArray(F, lanes, 192 + h).add(FloatVector.fromArray(F, lanes, 64 + h));
            FloatVector r3 = FloatVector.fromArray(F, lanes, 224 + h).add(FloatVector.fromArray(F, lanes, 96 + h));
            FloatVector sum = r0.add(r2).add(r1.add(r3));
            if (minimumLanes == 4) {
                sum = sum.add(FloatVector.fromArray(F, lanes, 256 + h).add(FloatVector.fromArray(F, lanes, 320 + h))
                        .add(FloatVector.fromArray(F, lanes, 288 + h).add(FloatVector.fromArray(F, lanes, 352 + h))));
            } else if (minimumLanes == 1) {
                sum = sum.add(FloatVector.fromArray(F, lanes, 256 + h));
            }
            sum.intoArray(out, outAt + h - base);
        }
    }

    /**
     * One tile of Q6_K weights ({@link TiledKQuants}) times a Q8_K activation, {@code TS.length()}
     * rows a pass, computed as ggml does ({@link KQuantBlocks#dotQ6_K}) in every row lane: lane L
     * of ggml's eight takes elements {@code 4L .. 4L+3} of each run of 32, i.e. half of a run of
     * 8 of the tile (three shorts of 6-bit fields). The unsigned quants' products are summed in
     * 16 bits four at a time (at most 4 * 63 * 127), widened, times the group's scale; ggml then
     * takes the quants' offset of 32 off lane L as 32 times the scaled activation sums of groups
     * 2L and 2L+1. The lane's integer becomes a float once per super-block; at the end the lanes
     * are added in ggml's order: the same bits as the row-major reference.
     */
    private static void tileQ6_K(MemorySegment m, long tile, int[] pairs, short[] groupSums, float[] xd, int blocks,
            float[] lanes, int[] scales, float[] out, int outAt) {
        int half = F.length();
        for (int c = 0; c < TileLayout.TILE_ROWS; c += TS.length()) {
            Arrays.fill(lanes, 0, 12 * TileLayout.TILE_ROWS, 0f); // one tile's lanes
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 210L * TileLayout.TILE_ROWS * b;
                int xa = b * PreparedVector.Q8_K_BLOCK;
                // the rows' F16 d (finite, see TileLayout): sign-extended, exponent and mantissa shifted into
                // float position and scaled by 2^112 (exact for subnormals too), sign put back
                IntVector h0 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * c, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector h1 = (IntVector) ShortVector.fromMemorySegment(H, m, blk + 2L * (c + half), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                FloatVector d0 = h0.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h0.and(0x80000000)).reinterpretAsFloats().mul(xd[b]);
                FloatVector d1 = h1.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h1.and(0x80000000)).reinterpretAsFloats().mul(xd[b]);
                // the groups' signed scales into scales[32 g + row]
                for (int s = 0; s < 8; s++) {
                    ShortVector sc = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q6_K_SCALES + 64L * s + 2L * c, LE);
                    ShortVector even = sc.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                    ShortVector odd = sc.lanewise(VectorOperators.ASHR, 8);
                    ((IntVector) even.convertShape(VectorOperators.S2I, I, 0)).intoArray(scales, 64 * s);
                    ((IntVector) even.convertShape(VectorOperators.S2I, I, 1)).intoArray(scales, 64 * s + half);
                    ((IntVector) odd.convertShape(VectorOperators.S2I, I, 0)).intoArray(scales, 64 * s + 32);
                    ((IntVector) odd.convertShape(VectorOperators.S2I, I, 1)).intoArray(scales, 64 * s + 32 + half);
                }
                for (int j = 0; j < 4; j++) { // ggml's lanes 2j (low) and 2j+1 (high)
                    IntVector low0 = IntVector.zero(I);
                    IntVector low1 = IntVector.zero(I);
                    IntVector high0 = IntVector.zero(I);
                    IntVector high1 = IntVector.zero(I);
                    for (int run = 0; run < 8; run++) { // the runs of 32 elements, 128 h + 32 k
                        int u = 4 * run + j;
                        int g = u >> 1;
                        long at = blk + TiledKQuants.Q6_K_QUANTS + 64L * 3 * (8 * j + run) + 2L * c;
                        ShortVector va = ShortVector.fromMemorySegment(TS, m, at, LE);
                        ShortVector vb = ShortVector.fromMemorySegment(TS, m, at + 64, LE);
                        ShortVector vc = ShortVector.fromMemorySegment(TS, m, at + 128, LE);
                        int e = xa + 8 * u;
                        ShortVector low = va.and((short) 63).mul(IntVector.broadcast(TI, pairs[e]).reinterpretAsShorts())
                                .add(va.lanewise(VectorOperators.LSHR, SHIFT_6).and((short) 63)
                                        .mul(IntVector.broadcast(TI, pairs[e + 1]).reinterpretAsShorts()))
                                .add(vb.and((short) 63).mul(IntVector.broadcast(TI, pairs[e + 2]).reinterpretAsShorts()))
                                .add(vb.lanewise(VectorOperators.LSHR, SHIFT_6).and((short) 63)
                                        .mul(IntVector.broadcast(TI, pairs[e + 3]).reinterpretAsShorts()));
                        ShortVector high = vc.and((short) 63).mul(IntVector.broadcast(TI, pairs[e + 4]).reinterpretAsShorts())
                                .add(vc.lanewise(VectorOperators.LSHR, SHIFT_6).and((short) 63)
                                        .mul(IntVector.broadcast(TI, pairs[e + 5]).reinterpretAsShorts()))
                                .add(va.lanewise(VectorOperators.LSHR, SHIFT_12).or(vc.lanewise(VectorOperators.LSHR, SHIFT_8).and((short) 0x30))
                                        .mul(IntVector.broadcast(TI, pairs[e + 6]).reinterpretAsShorts()))
                                .add(vb.lanewise(VectorOperators.LSHR, SHIFT_12).or(vc.lanewise(VectorOperators.LSHR, SHIFT_10).and((short) 0x30))
                                        .mul(IntVector.broadcast(TI, pairs[e + 7]).reinterpretAsShorts()));
                        IntVector scale0 = IntVector.fromArray(I, scales, 32 * g);
                        IntVector scale1 = IntVector.fromArray(I, scales, 32 * g + half);
                        low0 = low0.add(((IntVector) low.convertShape(VectorOperators.S2I, I, 0)).mul(scale0));
                        low1 = low1.add(((IntVector) low.convertShape(VectorOperators.S2I, I, 1)).mul(scale1));
                        high0 = high0.add(((IntVector) high.convertShape(VectorOperators.S2I, I, 0)).mul(scale0));
                        high1 = high1.add(((IntVector) high.convertShape(VectorOperators.S2I, I, 1)).mul(scale1));
                    }
                    // lane L less 32 * (sum_x of group 2L * its scale + sum_x of group 2L+1 * its scale)
                    int gs = b * 16 + 4 * j;
                    int sl = 64 * 2 * j;
                    low0 = low0.sub(IntVector.fromArray(I, scales, sl).mul(groupSums[gs])
                            .add(IntVector.fromArray(I, scales, sl + 32).mul(groupSums[gs + 1])).lanewise(VectorOperators.LSHL, 5));
                    low1 = low1.sub(IntVector.fromArray(I, scales, sl + half).mul(groupSums[gs])
                            .add(IntVector.fromArray(I, scales, sl + 32 + half).mul(groupSums[gs + 1])).lanewise(VectorOperators.LSHL, 5));
                    high0 = high0.sub(IntVector.fromArray(I, scales, sl + 64).mul(groupSums[gs + 2])
                            .add(IntVector.fromArray(I, scales, sl + 96).mul(groupSums[gs + 3])).lanewise(VectorOperators.LSHL, 5));
                    high1 = high1.sub(IntVector.fromArray(I, scales, sl + 64 + half).mul(groupSums[gs + 2])
                            .add(IntVector.fromArray(I, scales, sl + 96 + half).mul(groupSums[gs + 3])).lanewise(VectorOperators.LSHL, 5));
                    int at = 64 * j;
                    ((FloatVector) low0.convert(VectorOperators.I2F, 0)).fma(d0, FloatVector.fromArray(F, lanes, at)).intoArray(lanes, at);
                    ((FloatVector) low1.convert(VectorOperators.I2F, 0)).fma(d1, FloatVector.fromArray(F, lanes, at + half))
                            .intoArray(lanes, at + half);
                    ((FloatVector) high0.convert(VectorOperators.I2F, 0)).fma(d0, FloatVector.fromArray(F, lanes, at + 32))
                            .intoArray(lanes, at + 32);
                    ((FloatVector) high1.convert(VectorOperators.I2F, 0)).fma(d1, FloatVector.fromArray(F, lanes, at + 32 + half))
                            .intoArray(lanes, at + 32 + half);
                }
            }
            addLanes(lanes, 0, 0, out, outAt + c);
        }
    }

    // ---------------------------------------------------------------- float vectors

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 4 * step; i <= bound; i += 4 * step) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOffset + i + step).fma(FloatVector.fromArray(F, b, bOffset + i + step), acc1);
            acc2 = FloatVector.fromArray(F, a, aOffset + i + 2 * step).fma(FloatVector.fromArray(F, b, bOffset + i + 2 * step), acc2);
            acc3 = FloatVector.fromArray(F, a, aOffset + i + 3 * step).fma(FloatVector.fromArray(F, b, bOffset + i + 3 * step), acc3);
        }
        for (int bound = F.loopBound(n); i < bound; i += step) {
            acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
        }
        float sum = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public float dotQ8_0(MemorySegment q8, long byteOffset, PreparedVector x, int xOffset, int n) {
        return dotQ8_0(q8, byteOffset, x.quants, x.scales, xOffset / Q8, n / Q8);
    }

    @Override
    public void axpyF32(float a, MemorySegment f32, long byteOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromMemorySegment(F, f32, byteOffset + 4L * i, LE).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] = Math.fma(a, f32.get(F32_LAYOUT, byteOffset + 4L * i), y[yOffset + i]);
        }
    }

    /** {@link #F}'s lanes of quants as bytes, for widening them to floats (none at 128 bits: there is no 32-bit shape). */
    private static final VectorSpecies<Byte> FB = F.length() >= 8 ? species(byte.class, F.length() * 8) : null;

    /** The quants widened to floats and scaled (exact: an F16 scale times a byte), then fused into y, as the scalar loop. */
    @Override
    public void axpyQ8_0(float a, MemorySegment q8, long byteOffset, float[] y, int yOffset, int n) {
        if (FB == null) {
            super.axpyQ8_0(a, q8, byteOffset, y, yOffset, n);
            return;
        }
        FloatVector av = FloatVector.broadcast(F, a);
        for (int b = 0; b < n / Q8; b++) {
            long block = byteOffset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(q8.get(F16_LAYOUT, block)));
            for (int j = 0; j < Q8; j += F.length()) {
                int at = yOffset + b * Q8 + j;
                FloatVector v = ((FloatVector) ByteVector.fromMemorySegment(FB, q8, block + 2 + j, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d);
                v.fma(av, FloatVector.fromArray(F, y, at)).intoArray(y, at);
            }
        }
    }

    /** The same two roundings as the scalar loop (multiply, then add; no fused multiply-add), so the same bits. */
    @Override
    public void axpyF16(float a, MemorySegment f16, long byteOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            halves(f16, byteOffset + 2L * i).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] = Math.fma(a, Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)), y[yOffset + i]);
        }
    }

    @Override
    public void axpyF16x4(MemorySegment f16, long byteOffset, int n, float a0, float a1, float a2, float a3, float[] y, int y0,
            int y1, int y2, int y3) {
        FloatVector b0 = FloatVector.broadcast(F, a0);
        FloatVector b1 = FloatVector.broadcast(F, a1);
        FloatVector b2 = FloatVector.broadcast(F, a2);
        FloatVector b3 = FloatVector.broadcast(F, a3);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector h = halves(f16, byteOffset + 2L * i);
            h.fma(b0, FloatVector.fromArray(F, y, y0 + i)).intoArray(y, y0 + i);
            h.fma(b1, FloatVector.fromArray(F, y, y1 + i)).intoArray(y, y1 + i);
            h.fma(b2, FloatVector.fromArray(F, y, y2 + i)).intoArray(y, y2 + i);
            h.fma(b3, FloatVector.fromArray(F, y, y3 + i)).intoArray(y, y3 + i);
        }
        for (; i < n; i++) {
            float h = Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i));
            y[y0 + i] = Math.fma(a0, h, y[y0 + i]);
            y[y1 + i] = Math.fma(a1, h, y[y1 + i]);
            y[y2 + i] = Math.fma(a2, h, y[y2 + i]);
            y[y3 + i] = Math.fma(a3, h, y[y3 + i]);
        }
    }

    @Override
    public int lanes() {
        return F.length();
    }

    @Override
    public void sumRows(float[] rows, int offset, int count, int n, float[] out, int outOffset) {
        int lanes = F.length();
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += lanes) {
            // the lanes of ggml's accumulators are rows here, each column summed in its own vector lane
            for (int l = 0; l < lanes; l++) {
                int at = offset + l * n + i;
                FloatVector v = FloatVector.fromArray(F, rows, at);
                if (count != lanes) {
                    v = v.add(FloatVector.fromArray(F, rows, at + 2 * lanes * n))
                            .add(FloatVector.fromArray(F, rows, at + lanes * n).add(FloatVector.fromArray(F, rows, at + 3 * lanes * n)));
                }
                v.intoArray(rows, at);
            }
            for (int half = lanes / 2; half > 0; half /= 2) {
                for (int l = 0; l < half; l++) {
                    int at = offset + l * n + i;
                    FloatVector.fromArray(F, rows, at).add(FloatVector.fromArray(F, rows, at + half * n)).intoArray(rows, at);
                }
            }
            FloatVector.fromArray(F, rows, offset + i).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = sumColumn(rows, offset + i, n, count);
        }
    }

    /** The squares are float products summed in double, as the scalar loop and ggml do; only the order of the double sum differs. */
    @Override
    public void rmsNorm(float[] x, int xOffset, float[] weight, float[] out, int outOffset, int n, float eps) {
        DoubleVector acc0 = DoubleVector.zero(D);
        DoubleVector acc1 = DoubleVector.zero(D);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            FloatVector sq = v.mul(v);
            acc0 = acc0.add((DoubleVector) sq.convertShape(VectorOperators.F2D, D, 0));
            acc1 = acc1.add((DoubleVector) sq.convertShape(VectorOperators.F2D, D, 1));
        }
        double sum = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            float v = x[xOffset + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1f / (float) Math.sqrt(mean + eps); // 1.0f / sqrtf(mean + eps), rounded as ggml rounds it
        for (i = 0; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).mul(scale).mul(FloatVector.fromArray(F, weight, i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = (x[xOffset + i] * scale) * weight[i];
        }
    }

    /** As the scalar softmax (ggml's), a vector at a time: {@link #exp} and {@link #sumLanes} are its chunk's exp and sum. */
    @Override
    public void softmax(float[] x, int offset, int n) {
        int bound = F.loopBound(n);
        FloatVector maxima = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += F.length()) {
            maxima = maxima.max(FloatVector.fromArray(F, x, offset + i));
        }
        float max = maxima.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        double sum = 0;
        for (i = 0; i < bound; i += F.length()) {
            exp(FloatVector.fromArray(F, x, offset + i).sub(max)).intoArray(x, offset + i);
            sum += storedLanesSum(x, offset + i);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        scale(x, offset, n, (float) (1.0 / sum));
    }

    /**
     * {@link #sumLanes} of the vector stored at {@code x[at]}. A call with no vector in it: inlined into a caller
     * C2 has already grown past its node cutoff ({@code Attention.run}, which inlines the softmax), a call to
     * {@code sumLanes} itself would not be, and would box its vector on every chunk.
     */
    private static float storedLanesSum(float[] x, int at) {
        return sumLanes(FloatVector.fromArray(F, x, at));
    }

    /** ggml's order: {@link #exp} (its vector exp) over whole vectors, {@code Math.exp} (libm's) over the tail. */
    @Override
    public void swiGlu(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = exp(g.neg());
            g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public void add(float[] y, float[] x, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, y, i).add(FloatVector.fromArray(F, x, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] += x[i];
        }
    }

    @Override
    public void scale(float[] x, int offset, int n, float s) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, offset + i).mul(s).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= s;
        }
    }

    /**
     * The sum of {@code v}'s lanes, folded in halves (lane i plus lane i + n/2, and so on), the
     * same whether or not C2 has compiled the caller: {@code reduceLanes(ADD)} sums in an order of
     * its choosing, and its interpreted and compiled results differ in the last bit.
     */
    private static float sumLanes(FloatVector v) {
        // one flat body, no calls: a helper called from here was not inlined into the kernels, and the
        // vector handed to it was boxed (F16 decode spent a tenth of its time there)
        boolean full = v.length() == F.length(); // else Q4_F's
        for (int half = v.length() / 2; half > 8; half /= 2) {
            v = v.add(v.slice(half)); // wider than 512 bits
        }
        // lanes i and i + half paired as v.add(v.slice(half)) would pair them, by constant rotations: C2
        // compiles slice into a much longer sequence (sixteen reductions took as long as 4096 multiply-adds)
        if (v.length() >= 16) {
            v = v.add(v.rearrange(full ? F_ROTATE_8 : Q4_F_ROTATE_8));
        }
        if (v.length() >= 8) {
            v = v.add(v.rearrange(full ? F_ROTATE_4 : Q4_F_ROTATE_4));
        }
        v = v.add(v.rearrange(full ? F_ROTATE_2 : Q4_F_ROTATE_2));
        return v.lane(0) + v.lane(1);
    }

    private static final VectorShuffle<Float> F_ROTATE_8 = rotation(F, 8);
    private static final VectorShuffle<Float> F_ROTATE_4 = rotation(F, 4);
    private static final VectorShuffle<Float> F_ROTATE_2 = rotation(F, 2);
    private static final VectorShuffle<Float> Q4_F_ROTATE_8 = rotation(Q4_F, 8);
    private static final VectorShuffle<Float> Q4_F_ROTATE_4 = rotation(Q4_F, 4);
    private static final VectorShuffle<Float> Q4_F_ROTATE_2 = rotation(Q4_F, 2);

    private static VectorShuffle<Float> rotation(VectorSpecies<Float> species, int by) {
        return VectorShuffle.fromOp(species, i -> (i + by) % species.length());
    }

    /** As {@link #sumLanes(FloatVector)}. */
    private static double sumLanes(DoubleVector v) {
        for (int half = v.length() / 2; half > 0; half /= 2) {
            v = v.add(v.slice(half));
        }
        return v.lane(0);
    }

    /**
     * {@link GgmlExp#exp} lane-wise, with the same bits compiled or not. The scaling by 2^n is two
     * products: by 2^clamp(n, -125, 127), exact for the polynomial's range [0.7, 1.5], then by the rest
     * of 2^n, the one rounding (to a subnormal, or to infinity), as {@code Math.scalb} rounds.
     */
    private static FloatVector exp(FloatVector x) {
        FloatVector n = x.fma(GgmlExp.LOG2E, GgmlExp.ROUND).sub(GgmlExp.ROUND);
        FloatVector minusN = n.neg();
        FloatVector b = minusN.fma(FloatVector.broadcast(F, GgmlExp.LN2_LO), minusN.fma(FloatVector.broadcast(F, GgmlExp.LN2_HI), x));
        FloatVector u = b.mul(b);
        FloatVector j = b.fma(GgmlExp.C5, GgmlExp.C4).fma(u, b.fma(GgmlExp.C3, GgmlExp.C2))
                .fma(u, b.fma(GgmlExp.C1, 1f));
        IntVector power = (IntVector) n.convertShape(VectorOperators.F2I, I, 0);
        IntVector first = power.max(-125).min(127);
        FloatVector scaled = j.mul(first.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                .mul(power.sub(first).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
        FloatVector huge = FloatVector.zero(F).blend(Float.POSITIVE_INFINITY, n.compare(VectorOperators.GT, 0f));
        return scaled.blend(huge, n.abs().compare(VectorOperators.GT, 192f));
    }
}
