package dev.inferj.kernels;

import static dev.inferj.kernels.VectorKernels.F;
import static dev.inferj.kernels.VectorKernels.H;
import static dev.inferj.kernels.VectorKernels.I;
import static dev.inferj.kernels.VectorKernels.LE;
import static dev.inferj.kernels.VectorKernels.SHIFT_12;
import static dev.inferj.kernels.VectorKernels.SHIFT_13;
import static dev.inferj.kernels.VectorKernels.SHIFT_14;
import static dev.inferj.kernels.VectorKernels.SHIFT_15;
import static dev.inferj.kernels.VectorKernels.SHIFT_2;
import static dev.inferj.kernels.VectorKernels.SHIFT_3;
import static dev.inferj.kernels.VectorKernels.SHIFT_4;
import static dev.inferj.kernels.VectorKernels.SHIFT_6;
import static dev.inferj.kernels.VectorKernels.SHIFT_8;
import static dev.inferj.kernels.VectorKernels.SHIFT_9;
import static dev.inferj.kernels.VectorKernels.SHIFT_10;
import static dev.inferj.kernels.VectorKernels.TI;
import static dev.inferj.kernels.VectorKernels.TS;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Tiled Q2_K and Q3_K weights ({@link TiledKQuants}) times a Q8_K activation, one tile at a time,
 * {@code TS.length()} rows a pass, computed as ggml does ({@link KQuantBlocks#dotQ2_K},
 * {@link KQuantBlocks#dotQ3_K}) in every row lane: ggml's lane L takes elements {@code 4L .. 4L+3}
 * of each run of 32. Four products of a run are summed in 16 bits, widened and multiplied by the
 * group's scale; the lane's integer becomes a float once per super-block. At the end the lanes are
 * added in ggml's order, so a tiled matrix gives the same bits as the row-major reference.
 */
final class TiledLowBitKernels {
    private static final int ROWS = TileLayout.TILE_ROWS;
    private static final int QK = PreparedVector.Q8_K_BLOCK;

    private TiledLowBitKernels() {
    }

    /**
     * Q3_K: the quants' unsigned 3-bit values {@code v = q + 4} multiply the activation, and the
     * offset comes off each 16-bit sum as 4 times the sum of its four activation quants.
     */
    static void tileQ3_K(MemorySegment m, long tile, int[] pairs, byte[] xq, float[] xd, int blocks, float[] lanes,
            short[] shortScales, int[] scales, float[] factors, float[] out, int outAt) {
        for (int c = 0; c < ROWS; c += TS.length()) {
            Arrays.fill(lanes, 0, 8 * ROWS, 0f);
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 110L * ROWS * b;
                storeFactors(m, blk + 2L * c, xd[b], factors, 0);
                q3Scales(m, blk + TiledKQuants.Q3_K_SCALES + 2L * c, shortScales);
                widenScales(shortScales, scales);
                for (int lane = 0; lane < 8; lane++) {
                    q3Lane(m, blk + TiledKQuants.Q3_K_QUANTS + 2L * c, lane, pairs, xq, b * QK, scales, factors, lanes);
                }
            }
            VectorKernels.addLanes(lanes, 0, 0, out, outAt + c);
        }
    }

    /**
     * The signed scales of the 16 groups of a Q3_K pass's rows (scale shorts at {@code at}) into
     * {@code out[32 g + row]}; also unpacked this way for prompts ({@link TiledKQuantMatMul}).
     */
    static void q3Scales(MemorySegment m, long at, short[] out) {
        for (int k = 0; k < 4; k++) {
            ShortVector low = ShortVector.fromMemorySegment(TS, m, at + 64L * k, LE);
            // the top two bits of groups 4k .. 4k+3: byte k % 2 of short 4 + k / 2, read one byte on for
            // odd k so that it lands in the low byte of each lane, then moved up to bits 4-5 of the scale
            ShortVector high = ShortVector.fromMemorySegment(TS, m, at + 64L * (4 + (k >> 1)) + (k & 1), LE)
                    .lanewise(LSHL, SHIFT_4);
            int g = 128 * k;
            low.and((short) 15).or(high.and((short) 0x30)).sub((short) 32).intoArray(out, g);
            low.lanewise(LSHR, SHIFT_4).and((short) 15).or(high.lanewise(LSHR, SHIFT_2).and((short) 0x30)).sub((short) 32)
                    .intoArray(out, g + 32);
            low.lanewise(LSHR, SHIFT_8).and((short) 15).or(high.lanewise(LSHR, SHIFT_4).and((short) 0x30)).sub((short) 32)
                    .intoArray(out, g + 64);
            low.lanewise(LSHR, SHIFT_12).or(high.lanewise(LSHR, SHIFT_6).and((short) 0x30)).sub((short) 32).intoArray(out, g + 96);
        }
    }

    /** {@code in[32 g + row]} widened into {@code out[32 g + row]} for the 16 groups of a pass. */
    private static void widenScales(short[] in, int[] out) {
        for (int g = 0; g < 16 * ROWS; g += ROWS) {
            ShortVector v = ShortVector.fromArray(TS, in, g);
            ((IntVector) v.convertShape(VectorOperators.S2I, I, 0)).intoArray(out, g);
            ((IntVector) v.convertShape(VectorOperators.S2I, I, 1)).intoArray(out, g + F.length());
        }
    }

    /**
     * ggml's lane {@code lane} of one Q3_K super-block (quants at {@code at}, activation from {@code xa})
     * into {@code lanes}. Written out without helper methods: C2 inlines the Vector API's own methods
     * whatever the size of the caller, but not small helpers of ours past its node budget, and a vector
     * passed to a call it does not inline is boxed.
     */
    private static void q3Lane(MemorySegment m, long at, int lane, int[] pairs, byte[] xq, int xa, int[] scales,
            float[] factors, float[] lanes) {
        int half = F.length();
        IntVector sum0 = IntVector.zero(I);
        IntVector sum1 = IntVector.zero(I);
        for (int h = 0; h < 2; h++) {
            long run = at + 64L * (6 * lane + 3 * h);
            ShortVector va = ShortVector.fromMemorySegment(TS, m, run, LE);
            ShortVector vb = ShortVector.fromMemorySegment(TS, m, run + 64, LE);
            ShortVector vc = ShortVector.fromMemorySegment(TS, m, run + 128, LE);
            int e = xa + 128 * h + 4 * lane; // runs j = 0..3 at e + 32 j
            int g = 32 * (8 * h + (lane >> 2)); // the scales of run j at g + 64 j
            ShortVector v15 = va.lanewise(LSHR, SHIFT_15).or(vb.lanewise(LSHR, SHIFT_14).and((short) 2))
                    .or(vc.lanewise(LSHR, SHIFT_13).and((short) 4));
            ShortVector p0 = va.and((short) 7).mul(IntVector.broadcast(TI, pairs[e]).reinterpretAsShorts())
                    .add(va.lanewise(LSHR, SHIFT_3).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 1]).reinterpretAsShorts()))
                    .add(va.lanewise(LSHR, SHIFT_6).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 2]).reinterpretAsShorts()))
                    .add(va.lanewise(LSHR, SHIFT_9).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 3]).reinterpretAsShorts()))
                    .sub((short) (4 * (xq[e] + xq[e + 1] + xq[e + 2] + xq[e + 3])));
            ShortVector p1 = va.lanewise(LSHR, SHIFT_12).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 32]).reinterpretAsShorts())
                    .add(vb.and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 33]).reinterpretAsShorts()))
                    .add(vb.lanewise(LSHR, SHIFT_3).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 34]).reinterpretAsShorts()))
                    .add(vb.lanewise(LSHR, SHIFT_6).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 35]).reinterpretAsShorts()))
                    .sub((short) (4 * (xq[e + 32] + xq[e + 33] + xq[e + 34] + xq[e + 35])));
            ShortVector p2 = vb.lanewise(LSHR, SHIFT_9).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 64]).reinterpretAsShorts())
                    .add(vb.lanewise(LSHR, SHIFT_12).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 65]).reinterpretAsShorts()))
                    .add(vc.and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 66]).reinterpretAsShorts()))
                    .add(vc.lanewise(LSHR, SHIFT_3).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 67]).reinterpretAsShorts()))
                    .sub((short) (4 * (xq[e + 64] + xq[e + 65] + xq[e + 66] + xq[e + 67])));
            ShortVector p3 = vc.lanewise(LSHR, SHIFT_6).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 96]).reinterpretAsShorts())
                    .add(vc.lanewise(LSHR, SHIFT_9).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 97]).reinterpretAsShorts()))
                    .add(vc.lanewise(LSHR, SHIFT_12).and((short) 7).mul(IntVector.broadcast(TI, pairs[e + 98]).reinterpretAsShorts()))
                    .add(v15.mul(IntVector.broadcast(TI, pairs[e + 99]).reinterpretAsShorts()))
                    .sub((short) (4 * (xq[e + 96] + xq[e + 97] + xq[e + 98] + xq[e + 99])));
            sum0 = sum0.add(((IntVector) p0.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g)))
                    .add(((IntVector) p1.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g + 64)))
                    .add(((IntVector) p2.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g + 128)))
                    .add(((IntVector) p3.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g + 192)));
            sum1 = sum1.add(((IntVector) p0.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + half)))
                    .add(((IntVector) p1.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + 64 + half)))
                    .add(((IntVector) p2.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + 128 + half)))
                    .add(((IntVector) p3.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + 192 + half)));
        }
        int to = 32 * lane;
        ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, 0), FloatVector.fromArray(F, lanes, to))
                .intoArray(lanes, to);
        ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, half),
                FloatVector.fromArray(F, lanes, to + half)).intoArray(lanes, to + half);
    }

    /**
     * Q2_K: per super-block, each lane first takes the minimums of groups {@code 2L} and {@code 2L+1}
     * (scale short L) times their activation sums, scaled by {@code -dmin}, then its quant products.
     */
    static void tileQ2_K(MemorySegment m, long tile, int[] pairs, short[] groupSums, float[] xd, int blocks,
            float[] lanes, int[] scales, float[] factors, float[] out, int outAt) {
        for (int c = 0; c < ROWS; c += TS.length()) {
            Arrays.fill(lanes, 0, 8 * ROWS, 0f);
            for (int b = 0; b < blocks; b++) {
                long blk = tile + 84L * ROWS * b;
                storeFactors(m, blk + 2L * c, xd[b], factors, 0);
                storeFactors(m, blk + TiledKQuants.Q2_K_DMIN + 2L * c, -xd[b], factors, ROWS);
                q2ScalesAndMinimums(m, blk + TiledKQuants.Q2_K_SCALES + 2L * c, groupSums, 16 * b, scales, factors, lanes);
                for (int lane = 0; lane < 8; lane++) {
                    q2Lane(m, blk + TiledKQuants.Q2_K_QUANTS + 2L * c, lane, pairs, b * QK, scales, factors, lanes);
                }
            }
            VectorKernels.addLanes(lanes, 0, 0, out, outAt + c);
        }
    }

    /**
     * The scales of the 16 groups of a pass's rows into {@code scales[32 g + row]}, and into each lane
     * L the minimums of groups 2L and 2L+1 (short L) times their activation sums (from {@code groupSums[gs]}).
     */
    private static void q2ScalesAndMinimums(MemorySegment m, long at, short[] groupSums, int gs, int[] scales,
            float[] factors, float[] lanes) {
        int half = F.length();
        for (int s = 0; s < 8; s++) {
            ShortVector sc = ShortVector.fromMemorySegment(TS, m, at + 64L * s, LE);
            ShortVector scaleA = sc.and((short) 15);
            ShortVector scaleB = sc.lanewise(LSHR, SHIFT_8).and((short) 15);
            ((IntVector) scaleA.convertShape(VectorOperators.S2I, I, 0)).intoArray(scales, 64 * s);
            ((IntVector) scaleA.convertShape(VectorOperators.S2I, I, 1)).intoArray(scales, 64 * s + half);
            ((IntVector) scaleB.convertShape(VectorOperators.S2I, I, 0)).intoArray(scales, 64 * s + 32);
            ((IntVector) scaleB.convertShape(VectorOperators.S2I, I, 1)).intoArray(scales, 64 * s + 32 + half);
            ShortVector minA = sc.lanewise(LSHR, SHIFT_4).and((short) 15);
            ShortVector minB = sc.lanewise(LSHR, SHIFT_12);
            int ga = groupSums[gs + 2 * s];
            int gb = groupSums[gs + 2 * s + 1];
            IntVector sum0 = ((IntVector) minA.convertShape(VectorOperators.S2I, I, 0)).mul(ga)
                    .add(((IntVector) minB.convertShape(VectorOperators.S2I, I, 0)).mul(gb));
            IntVector sum1 = ((IntVector) minA.convertShape(VectorOperators.S2I, I, 1)).mul(ga)
                    .add(((IntVector) minB.convertShape(VectorOperators.S2I, I, 1)).mul(gb));
            int to = 32 * s;
            ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, ROWS),
                    FloatVector.fromArray(F, lanes, to)).intoArray(lanes, to);
            ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, ROWS + half),
                    FloatVector.fromArray(F, lanes, to + half)).intoArray(lanes, to + half);
        }
    }

    /**
     * ggml's lane {@code lane} of one Q2_K super-block's quants (at {@code at}, activation from {@code xa})
     * into {@code lanes}; written out as {@link #q3Lane}.
     */
    private static void q2Lane(MemorySegment m, long at, int lane, int[] pairs, int xa, int[] scales, float[] factors,
            float[] lanes) {
        int half = F.length();
        IntVector sum0 = IntVector.zero(I);
        IntVector sum1 = IntVector.zero(I);
        for (int hp = 0; hp < 4; hp++) { // half h = hp / 2, runs j = 2p and 2p + 1 with p = hp % 2
            ShortVector v = ShortVector.fromMemorySegment(TS, m, at + 64L * (4 * lane + hp), LE);
            int e = xa + 128 * (hp >> 1) + 64 * (hp & 1) + 4 * lane;
            int g = 32 * (8 * (hp >> 1) + 4 * (hp & 1) + (lane >> 2));
            ShortVector p0 = v.and((short) 3).mul(IntVector.broadcast(TI, pairs[e]).reinterpretAsShorts())
                    .add(v.lanewise(LSHR, SHIFT_2).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 1]).reinterpretAsShorts()))
                    .add(v.lanewise(LSHR, SHIFT_4).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 2]).reinterpretAsShorts()))
                    .add(v.lanewise(LSHR, SHIFT_6).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 3]).reinterpretAsShorts()));
            ShortVector p1 = v.lanewise(LSHR, SHIFT_8).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 32]).reinterpretAsShorts())
                    .add(v.lanewise(LSHR, SHIFT_10).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 33]).reinterpretAsShorts()))
                    .add(v.lanewise(LSHR, SHIFT_12).and((short) 3).mul(IntVector.broadcast(TI, pairs[e + 34]).reinterpretAsShorts()))
                    .add(v.lanewise(LSHR, SHIFT_14).mul(IntVector.broadcast(TI, pairs[e + 35]).reinterpretAsShorts()));
            sum0 = sum0.add(((IntVector) p0.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g)))
                    .add(((IntVector) p1.convertShape(VectorOperators.S2I, I, 0)).mul(IntVector.fromArray(I, scales, g + 64)));
            sum1 = sum1.add(((IntVector) p0.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + half)))
                    .add(((IntVector) p1.convertShape(VectorOperators.S2I, I, 1)).mul(IntVector.fromArray(I, scales, g + 64 + half)));
        }
        int to = 32 * lane;
        ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, 0), FloatVector.fromArray(F, lanes, to))
                .intoArray(lanes, to);
        ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, factors, half),
                FloatVector.fromArray(F, lanes, to + half)).intoArray(lanes, to + half);
    }

    /**
     * The F16 factors of a pass's rows at {@code at} (finite, see {@link TileLayout}) times {@code factor}
     * into {@code out[outAt ..]}: sign-extended, exponent and mantissa shifted into float position and
     * scaled by 2^112 (exact for subnormals too), sign put back.
     */
    private static void storeFactors(MemorySegment m, long at, float factor, float[] out, int outAt) {
        for (int h = 0; h < TS.length(); h += F.length()) {
            IntVector bits = (IntVector) ShortVector.fromMemorySegment(H, m, at + 2L * h, LE).convertShape(VectorOperators.S2I, I, 0);
            bits.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(bits.and(0x80000000)).reinterpretAsFloats().mul(factor).intoArray(out, outAt + h);
        }
    }
}
