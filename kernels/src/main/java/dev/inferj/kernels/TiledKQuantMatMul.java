package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static dev.inferj.kernels.VectorKernels.F;
import static dev.inferj.kernels.VectorKernels.H;
import static dev.inferj.kernels.VectorKernels.I;
import static dev.inferj.kernels.VectorKernels.LE;
import static dev.inferj.kernels.VectorKernels.SHIFT_10;
import static dev.inferj.kernels.VectorKernels.SHIFT_12;
import static dev.inferj.kernels.VectorKernels.SHIFT_2;
import static dev.inferj.kernels.VectorKernels.SHIFT_11;
import static dev.inferj.kernels.VectorKernels.SHIFT_5;
import static dev.inferj.kernels.VectorKernels.SHIFT_15;
import static dev.inferj.kernels.VectorKernels.SHIFT_14;
import static dev.inferj.kernels.VectorKernels.SHIFT_13;
import static dev.inferj.kernels.VectorKernels.SHIFT_9;
import static dev.inferj.kernels.VectorKernels.SHIFT_6;
import static dev.inferj.kernels.VectorKernels.SHIFT_3;
import static dev.inferj.kernels.VectorKernels.SHIFT_4;
import static dev.inferj.kernels.VectorKernels.SHIFT_8;
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
 * Tiled Q2_K, Q3_K, Q4_K and Q5_K weights ({@link TiledKQuants}) times a batch of Q8_K activations, in
 * floats: each tile super-block is unpacked once per batch into its quants times their group scales
 * (integers of at most 11 bits, exact in floats), and each token's ggml lane sums ({@link KQuantBlocks})
 * are then plain fused multiply-adds with the activation quants as floats, four tokens for each weight
 * load. Every product and partial sum is an integer below 2^24, so the float sums are exact in any
 * order: each lane holds the very integer that ggml's (and {@link VectorKernels}'s matVec's) integer
 * arithmetic gives, and is scaled into the lane's running float as there, so each token gets the
 * bits matVec gives it. On this project's machine (one 512-bit FMA a cycle) the products run near the
 * FMA limit, 1.2-2.5x matVec's 16-bit products per token; the same scheme for Q6_K (quants less 32,
 * each lane corrected by its share of the offset) measured no faster than its matVec kernel.
 */
final class TiledKQuantMatMul {
    private static final int ROWS = TileLayout.TILE_ROWS;
    private static final int QK = PreparedVector.Q8_K_BLOCK;
    /** Tokens whose lanes are kept at once; a tile super-block is unpacked once per this many. */
    static final int TOKENS = 32;
    /** Floats of one token's lanes: 8 quant lanes and 4 minimum lanes of 32 rows. */
    private static final int LANES = 12 * ROWS;

    /**
     * Per-thread room: the unpacked super-block, its rows' factors, minimums (Q4_K, Q2_K) and group
     * scales (Q3_K, Q2_K), the tokens' lanes (and one more token's, where a short pass's repeated tokens go).
     */
    record Scratch(float[] weights, float[] d, float[] dmin, float[] minimums, short[] groupScales, float[] lanes) {
        Scratch() {
            this(new float[QK * ROWS], new float[ROWS], new float[ROWS], new float[16 * ROWS], new short[16 * ROWS],
                    new float[(TOKENS + 1) * LANES]);
        }
    }

    private TiledKQuantMatMul() {
    }

    static boolean supports(GgmlType type) {
        return type == GgmlType.Q2_K || type == GgmlType.Q3_K || type == GgmlType.Q4_K || type == GgmlType.Q5_K;
    }

    /**
     * Rows {@code [row, row + 32)} of a tiled Q2_K, Q3_K, Q4_K or Q5_K matrix times tokens {@code [from, to)} of
     * {@code x} (at most {@link #TOKENS}), four tokens a pass so that each weight load serves four; a
     * last pass short of tokens repeats the last one into lanes that are thrown away.
     */
    static void matMul(GgmlType type, MemorySegment m, long tile, int blocks, PreparedVector[] x, int from, int to,
            float[][] out, int outAt, Scratch s) {
        boolean q4 = type == GgmlType.Q4_K;
        long blockBytes = (long) type.bytesPerBlock() * ROWS;
        for (int c = 0; c < ROWS; c += TS.length()) {
            Arrays.fill(s.lanes, 0, (to - from) * LANES, 0f);
            for (int b = 0; b < blocks; b++) {
                switch (type) {
                    case Q4_K -> unpackQ4_K(m, tile + blockBytes * b, c, false, s);
                    case Q5_K -> unpackQ4_K(m, tile + blockBytes * b, c, true, s);
                    case Q3_K -> unpackQ3_K(m, tile + blockBytes * b, c, s);
                    default -> unpackQ2_K(m, tile + blockBytes * b, c, s);
                }
                for (int t = from; t < to; t += 4) {
                    for (int j = t; j < t + 4 && type != GgmlType.Q3_K; j++) { // the minimums first, as ggml
                        PreparedVector token = x[Math.min(j, to - 1)];
                        int at = j < to ? (j - from) * LANES : TOKENS * LANES;
                        if (type != GgmlType.Q2_K) {
                            minimumsQ4_K(token, b, s, at, type == GgmlType.Q5_K);
                        } else {
                            minimumsQ2_K(token, b, s, at);
                        }
                    }
                    quantLanes(x[t], x[Math.min(t + 1, to - 1)], x[Math.min(t + 2, to - 1)], x[Math.min(t + 3, to - 1)], b, s,
                            (t - from) * LANES, t + 1 < to ? (t + 1 - from) * LANES : TOKENS * LANES,
                            t + 2 < to ? (t + 2 - from) * LANES : TOKENS * LANES, t + 3 < to ? (t + 3 - from) * LANES : TOKENS * LANES);
                }
            }
            for (int t = from; t < to; t++) {
                VectorKernels.addLanes(s.lanes, (t - from) * LANES, q4 ? 4 : type == GgmlType.Q5_K ? 1 : 0, out[t], outAt + c);
            }
        }
    }

    /**
     * Super-block {@code blk}'s rows {@code c ..} of the pass: {@code weights[32 e + row]} the quant of
     * element {@code e} times its group's scale, the rows' F16 {@code d} and {@code dmin}, and the
     * minimums of groups {@code 2i}, {@code 2i+1} at {@code minimums[64 i + row]}, {@code [64 i + 32 + row]}.
     */
    private static void unpackQ4_K(MemorySegment m, long blk, int c, boolean fifthBits, Scratch s) {
        int half = F.length();
        for (int h = 0; h < TS.length(); h += half) {
            halfToFloat(m, blk + 2L * (c + h), s.d, h);
            halfToFloat(m, blk + TiledKQuants.Q4_K_DMIN + 2L * (c + h), s.dmin, h);
        }
        float[] w = s.weights;
        for (int i = 0; i < 4; i++) {
            ShortVector sc = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q4_K_SCALES + 64L * i + 2L * c, LE);
            // the minimums' low nibbles: byte i % 2 of short 4 + i / 2, read one byte on (see VectorKernels.tileQ4_K)
            ShortVector mn = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q4_K_SCALES + 64L * (4 + (i >> 1)) + 2L * c + (i & 1), LE);
            ShortVector minA = mn.and((short) 15).or(sc.lanewise(LSHR, SHIFT_2).and((short) 0x30));
            ShortVector minB = mn.lanewise(LSHR, SHIFT_4).and((short) 15).or(sc.lanewise(LSHR, SHIFT_10).and((short) 0x30));
            ((FloatVector) minA.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.minimums, 64 * i);
            ((FloatVector) minA.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.minimums, 64 * i + half);
            ((FloatVector) minB.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.minimums, 64 * i + 32);
            ((FloatVector) minB.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.minimums, 64 * i + 32 + half);
            ShortVector scaleA = sc.and((short) 63);
            ShortVector scaleB = sc.lanewise(LSHR, SHIFT_8).and((short) 63);
            if (fifthBits) { // Q5_K's quants are unpacked below, two chunks at a time
                scaleA.intoArray(s.groupScales, 64 * i);
                scaleB.intoArray(s.groupScales, 64 * i + 32);
                continue;
            }
            long quants = blk + TiledKQuants.Q4_K_QUANTS + 2L * c;
            for (int lane = 0; lane < 8; lane++) {
                // quant shorts 2 lane and 2 lane + 1 of chunk i: elements 4 lane .. 4 lane + 3 of groups 2i and 2i+1
                long at = quants + 64L * (8 * lane + 2 * i);
                ShortVector v = ShortVector.fromMemorySegment(TS, m, at, LE);
                ShortVector u = ShortVector.fromMemorySegment(TS, m, at + 64, LE);
                int e = 32 * (64 * i + 4 * lane); // weights of element 64 i + 4 lane
                ShortVector a0 = v.and((short) 15);
                ShortVector a1 = v.lanewise(LSHR, SHIFT_8).and((short) 15);
                ShortVector a2 = u.and((short) 15);
                ShortVector a3 = u.lanewise(LSHR, SHIFT_8).and((short) 15);
                ShortVector b0 = v.lanewise(LSHR, SHIFT_4).and((short) 15);
                ShortVector b1 = v.lanewise(LSHR, SHIFT_12);
                ShortVector b2 = u.lanewise(LSHR, SHIFT_4).and((short) 15);
                ShortVector b3 = u.lanewise(LSHR, SHIFT_12);
                a0 = a0.mul(scaleA);
                a1 = a1.mul(scaleA);
                a2 = a2.mul(scaleA);
                a3 = a3.mul(scaleA);
                b0 = b0.mul(scaleB);
                b1 = b1.mul(scaleB);
                b2 = b2.mul(scaleB);
                b3 = b3.mul(scaleB);
                ((FloatVector) a0.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e);
                ((FloatVector) a0.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + half);
                ((FloatVector) a1.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 32);
                ((FloatVector) a1.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 32 + half);
                ((FloatVector) a2.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 64);
                ((FloatVector) a2.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 64 + half);
                ((FloatVector) a3.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 96);
                ((FloatVector) a3.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 96 + half);
                ((FloatVector) b0.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 1024);
                ((FloatVector) b0.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 1024 + half);
                ((FloatVector) b1.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 1056);
                ((FloatVector) b1.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 1056 + half);
                ((FloatVector) b2.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 1088);
                ((FloatVector) b2.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 1088 + half);
                ((FloatVector) b3.convertShape(VectorOperators.S2F, F, 0)).intoArray(w, e + 1120);
                ((FloatVector) b3.convertShape(VectorOperators.S2F, F, 1)).intoArray(w, e + 1120 + half);
            }
        }
        if (fifthBits) {
            unpackQ5_KQuants(m, blk + TiledKQuants.Q5_K_QUANTS + 2L * c, s);
        }
    }

    /**
     * Q5_K's 5-bit quants (at {@code at}, see {@link TiledKQuants}) times their group scales (from
     * {@code s.groupScales[32 g + row]}) into {@code weights[32 e + row]}.
     */
    private static void unpackQ5_KQuants(MemorySegment m, long at, Scratch s) {
        int half = F.length();
        for (int lane = 0; lane < 8; lane++) {
            for (int k = 0; k < 2; k++) {
                long run = at + 64L * (10 * lane + 5 * k);
                ShortVector s0 = ShortVector.fromMemorySegment(TS, m, run, LE);
                ShortVector s1 = ShortVector.fromMemorySegment(TS, m, run + 64, LE);
                ShortVector s2 = ShortVector.fromMemorySegment(TS, m, run + 128, LE);
                ShortVector s3 = ShortVector.fromMemorySegment(TS, m, run + 192, LE);
                ShortVector s4 = ShortVector.fromMemorySegment(TS, m, run + 256, LE);
                ShortVector g0 = ShortVector.fromArray(TS, s.groupScales, 128 * k); // chunk 2k's groups, then 2k+1's
                ShortVector g1 = ShortVector.fromArray(TS, s.groupScales, 128 * k + 32);
                ShortVector g2 = ShortVector.fromArray(TS, s.groupScales, 128 * k + 64);
                ShortVector g3 = ShortVector.fromArray(TS, s.groupScales, 128 * k + 96);
                int e = 32 * (128 * k + 4 * lane); // the weights of v_i at e + 32 (64 (i / 8) + 32 ((i / 4) % 2) + i % 4)
                ShortVector w0 = s0.and((short) 31).mul(g0);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + half);
                ShortVector w1 = s0.lanewise(LSHR, SHIFT_5).and((short) 31).mul(g0);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 32);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 32 + half);
                ShortVector w2 = s0.lanewise(LSHR, SHIFT_10).and((short) 31).mul(g0);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 64);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 64 + half);
                ShortVector w3 = s1.and((short) 31).mul(g0);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 96);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 96 + half);
                ShortVector w4 = s1.lanewise(LSHR, SHIFT_5).and((short) 31).mul(g1);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1024);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1024 + half);
                ShortVector w5 = s1.lanewise(LSHR, SHIFT_10).and((short) 31).mul(g1);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1056);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1056 + half);
                ShortVector w6 = s2.and((short) 31).mul(g1);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1088);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1088 + half);
                ShortVector w7 = s2.lanewise(LSHR, SHIFT_5).and((short) 31).mul(g1);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1120);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1120 + half);
                ShortVector w8 = s2.lanewise(LSHR, SHIFT_10).and((short) 31).mul(g2);
                ((FloatVector) w8.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2048);
                ((FloatVector) w8.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2048 + half);
                ShortVector w9 = s3.and((short) 31).mul(g2);
                ((FloatVector) w9.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2080);
                ((FloatVector) w9.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2080 + half);
                ShortVector w10 = s3.lanewise(LSHR, SHIFT_5).and((short) 31).mul(g2);
                ((FloatVector) w10.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2112);
                ((FloatVector) w10.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2112 + half);
                ShortVector w11 = s3.lanewise(LSHR, SHIFT_10).and((short) 31).mul(g2);
                ((FloatVector) w11.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2144);
                ((FloatVector) w11.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2144 + half);
                ShortVector w12 = s4.and((short) 31).mul(g3);
                ((FloatVector) w12.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3072);
                ((FloatVector) w12.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3072 + half);
                ShortVector w13 = s4.lanewise(LSHR, SHIFT_5).and((short) 31).mul(g3);
                ((FloatVector) w13.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3104);
                ((FloatVector) w13.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3104 + half);
                ShortVector w14 = s4.lanewise(LSHR, SHIFT_10).and((short) 31).mul(g3);
                ((FloatVector) w14.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3136);
                ((FloatVector) w14.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3136 + half);
                ShortVector w15 = s0.lanewise(LSHR, SHIFT_15).or(s1.lanewise(LSHR, SHIFT_14).and((short) 2)).or(s2.lanewise(LSHR, SHIFT_13).and((short) 4))
                        .or(s3.lanewise(LSHR, SHIFT_12).and((short) 8)).or(s4.lanewise(LSHR, SHIFT_11).and((short) 16)).mul(g3);
                ((FloatVector) w15.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3168);
                ((FloatVector) w15.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3168 + half);
            }
        }
    }

    /**
     * Q3_K super-block {@code blk}'s rows {@code c ..} of the pass: {@code weights[32 e + row]} the signed
     * quant {@code v - 4} of element {@code e} times its group's signed scale (at most 4 * 32 in
     * magnitude), and the rows' F16 {@code d}.
     */
    private static void unpackQ3_K(MemorySegment m, long blk, int c, Scratch s) {
        int half = F.length();
        for (int h = 0; h < TS.length(); h += half) {
            halfToFloat(m, blk + 2L * (c + h), s.d, h);
        }
        TiledLowBitKernels.q3Scales(m, blk + TiledKQuants.Q3_K_SCALES + 2L * c, s.groupScales);
        long quants = blk + TiledKQuants.Q3_K_QUANTS + 2L * c;
        for (int lane = 0; lane < 8; lane++) {
            for (int h = 0; h < 2; h++) {
                long run = quants + 64L * (6 * lane + 3 * h);
                ShortVector va = ShortVector.fromMemorySegment(TS, m, run, LE);
                ShortVector vb = ShortVector.fromMemorySegment(TS, m, run + 64, LE);
                ShortVector vc = ShortVector.fromMemorySegment(TS, m, run + 128, LE);
                int g = 32 * (8 * h + (lane >> 2)); // the scales of run j at g + 64 j
                ShortVector s0 = ShortVector.fromArray(TS, s.groupScales, g);
                ShortVector s1 = ShortVector.fromArray(TS, s.groupScales, g + 64);
                ShortVector s2 = ShortVector.fromArray(TS, s.groupScales, g + 128);
                ShortVector s3 = ShortVector.fromArray(TS, s.groupScales, g + 192);
                int e = 32 * (128 * h + 4 * lane); // the weights of v_i at e + 32 (32 (i / 4) + i % 4)
                ShortVector w0 = va.and((short) 7).sub((short) 4).mul(s0);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + half);
                ShortVector w1 = va.lanewise(LSHR, SHIFT_3).and((short) 7).sub((short) 4).mul(s0);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 32);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 32 + half);
                ShortVector w2 = va.lanewise(LSHR, SHIFT_6).and((short) 7).sub((short) 4).mul(s0);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 64);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 64 + half);
                ShortVector w3 = va.lanewise(LSHR, SHIFT_9).and((short) 7).sub((short) 4).mul(s0);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 96);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 96 + half);
                ShortVector w4 = va.lanewise(LSHR, SHIFT_12).and((short) 7).sub((short) 4).mul(s1);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1024);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1024 + half);
                ShortVector w5 = vb.and((short) 7).sub((short) 4).mul(s1);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1056);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1056 + half);
                ShortVector w6 = vb.lanewise(LSHR, SHIFT_3).and((short) 7).sub((short) 4).mul(s1);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1088);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1088 + half);
                ShortVector w7 = vb.lanewise(LSHR, SHIFT_6).and((short) 7).sub((short) 4).mul(s1);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1120);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1120 + half);
                ShortVector w8 = vb.lanewise(LSHR, SHIFT_9).and((short) 7).sub((short) 4).mul(s2);
                ((FloatVector) w8.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2048);
                ((FloatVector) w8.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2048 + half);
                ShortVector w9 = vb.lanewise(LSHR, SHIFT_12).and((short) 7).sub((short) 4).mul(s2);
                ((FloatVector) w9.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2080);
                ((FloatVector) w9.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2080 + half);
                ShortVector w10 = vc.and((short) 7).sub((short) 4).mul(s2);
                ((FloatVector) w10.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2112);
                ((FloatVector) w10.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2112 + half);
                ShortVector w11 = vc.lanewise(LSHR, SHIFT_3).and((short) 7).sub((short) 4).mul(s2);
                ((FloatVector) w11.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 2144);
                ((FloatVector) w11.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 2144 + half);
                ShortVector w12 = vc.lanewise(LSHR, SHIFT_6).and((short) 7).sub((short) 4).mul(s3);
                ((FloatVector) w12.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3072);
                ((FloatVector) w12.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3072 + half);
                ShortVector w13 = vc.lanewise(LSHR, SHIFT_9).and((short) 7).sub((short) 4).mul(s3);
                ((FloatVector) w13.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3104);
                ((FloatVector) w13.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3104 + half);
                ShortVector w14 = vc.lanewise(LSHR, SHIFT_12).and((short) 7).sub((short) 4).mul(s3);
                ((FloatVector) w14.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3136);
                ((FloatVector) w14.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3136 + half);
                ShortVector w15 = va.lanewise(LSHR, SHIFT_15).or(vb.lanewise(LSHR, SHIFT_14).and((short) 2))
                        .or(vc.lanewise(LSHR, SHIFT_13).and((short) 4)).sub((short) 4).mul(s3);
                ((FloatVector) w15.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 3168);
                ((FloatVector) w15.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 3168 + half);
            }
        }
    }

    /**
     * Q2_K super-block {@code blk}'s rows {@code c ..} of the pass: {@code weights[32 e + row]} the quant
     * of element {@code e} times its group's scale (at most 45), the rows' F16 {@code d} and
     * {@code dmin}, and the minimums of groups {@code 2L}, {@code 2L+1} at {@code minimums[64 L + row]},
     * {@code [64 L + 32 + row]}.
     */
    private static void unpackQ2_K(MemorySegment m, long blk, int c, Scratch s) {
        int half = F.length();
        for (int h = 0; h < TS.length(); h += half) {
            halfToFloat(m, blk + 2L * (c + h), s.d, h);
            halfToFloat(m, blk + TiledKQuants.Q2_K_DMIN + 2L * (c + h), s.dmin, h);
        }
        for (int i = 0; i < 8; i++) { // short i: groups 2i (low byte) and 2i+1, scale in the low nibble, minimum above
            ShortVector sc = ShortVector.fromMemorySegment(TS, m, blk + TiledKQuants.Q2_K_SCALES + 64L * i + 2L * c, LE);
            sc.and((short) 15).intoArray(s.groupScales, 64 * i);
            sc.lanewise(LSHR, SHIFT_8).and((short) 15).intoArray(s.groupScales, 64 * i + 32);
            ShortVector minA = sc.lanewise(LSHR, SHIFT_4).and((short) 15);
            ShortVector minB = sc.lanewise(LSHR, SHIFT_12);
            ((FloatVector) minA.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.minimums, 64 * i);
            ((FloatVector) minA.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.minimums, 64 * i + half);
            ((FloatVector) minB.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.minimums, 64 * i + 32);
            ((FloatVector) minB.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.minimums, 64 * i + 32 + half);
        }
        long quants = blk + TiledKQuants.Q2_K_QUANTS + 2L * c;
        for (int lane = 0; lane < 8; lane++) {
            for (int hp = 0; hp < 4; hp++) { // half h = hp / 2, runs j = 2p (low byte) and 2p + 1 with p = hp % 2
                ShortVector v = ShortVector.fromMemorySegment(TS, m, quants + 64L * (4 * lane + hp), LE);
                int g = 32 * (8 * (hp >> 1) + 4 * (hp & 1) + (lane >> 2));
                ShortVector s0 = ShortVector.fromArray(TS, s.groupScales, g);
                ShortVector s1 = ShortVector.fromArray(TS, s.groupScales, g + 64);
                int e = 32 * (128 * (hp >> 1) + 64 * (hp & 1) + 4 * lane); // element + t at e + 32 t, run j + 1 at e + 1024
                ShortVector w0 = v.and((short) 3).mul(s0);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e);
                ((FloatVector) w0.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + half);
                ShortVector w1 = v.lanewise(LSHR, SHIFT_2).and((short) 3).mul(s0);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 32);
                ((FloatVector) w1.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 32 + half);
                ShortVector w2 = v.lanewise(LSHR, SHIFT_4).and((short) 3).mul(s0);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 64);
                ((FloatVector) w2.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 64 + half);
                ShortVector w3 = v.lanewise(LSHR, SHIFT_6).and((short) 3).mul(s0);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 96);
                ((FloatVector) w3.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 96 + half);
                ShortVector w4 = v.lanewise(LSHR, SHIFT_8).and((short) 3).mul(s1);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1024);
                ((FloatVector) w4.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1024 + half);
                ShortVector w5 = v.lanewise(LSHR, SHIFT_10).and((short) 3).mul(s1);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1056);
                ((FloatVector) w5.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1056 + half);
                ShortVector w6 = v.lanewise(LSHR, SHIFT_12).and((short) 3).mul(s1);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1088);
                ((FloatVector) w6.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1088 + half);
                ShortVector w7 = v.lanewise(LSHR, SHIFT_14).mul(s1);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 0)).intoArray(s.weights, e + 1120);
                ((FloatVector) w7.convertShape(VectorOperators.S2F, F, 1)).intoArray(s.weights, e + 1120 + half);
            }
        }
    }

    /**
     * One token's Q2_K minimums of super-block {@code b} into its quant lanes at {@code s.lanes[at ..]}:
     * lane L takes the minimums of groups 2L and 2L+1 times their activation sums, scaled by {@code -dmin}.
     */
    private static void minimumsQ2_K(PreparedVector x, int b, Scratch s, int at) {
        int half = F.length();
        float dx = x.scales[b];
        FloatVector n0 = FloatVector.fromArray(F, s.dmin, 0).mul(-dx);
        FloatVector n1 = FloatVector.fromArray(F, s.dmin, half).mul(-dx);
        for (int lane = 0; lane < 8; lane++) {
            FloatVector sumA = FloatVector.broadcast(F, x.groupSums[b * 16 + 2 * lane]);
            FloatVector sumB = FloatVector.broadcast(F, x.groupSums[b * 16 + 2 * lane + 1]);
            int to = at + 32 * lane;
            FloatVector p0 = FloatVector.fromArray(F, s.minimums, 64 * lane)
                    .fma(sumA, FloatVector.fromArray(F, s.minimums, 64 * lane + 32).mul(sumB));
            FloatVector p1 = FloatVector.fromArray(F, s.minimums, 64 * lane + half)
                    .fma(sumA, FloatVector.fromArray(F, s.minimums, 64 * lane + 32 + half).mul(sumB));
            p0.fma(n0, FloatVector.fromArray(F, s.lanes, to)).intoArray(s.lanes, to);
            p1.fma(n1, FloatVector.fromArray(F, s.lanes, to + half)).intoArray(s.lanes, to + half);
        }
    }

    /** One token's minimum lanes of super-block {@code b} at {@code s.lanes[at + 256 ..]}, as {@link VectorKernels}'s matVec computes them. */
    private static void minimumsQ4_K(PreparedVector x, int b, Scratch s, int at, boolean oneLane) {
        int half = F.length();
        float dx = x.scales[b];
        FloatVector n0 = FloatVector.fromArray(F, s.dmin, 0).mul(-dx);
        FloatVector n1 = FloatVector.fromArray(F, s.dmin, half).mul(-dx);
        FloatVector all0 = FloatVector.zero(F);
        FloatVector all1 = FloatVector.zero(F);
        for (int i = 0; i < 4; i++) {
            int g = b * 16 + 4 * i; // the activation's groups of 16
            FloatVector sumA = FloatVector.broadcast(F, x.groupSums[g] + x.groupSums[g + 1]);
            FloatVector sumB = FloatVector.broadcast(F, x.groupSums[g + 2] + x.groupSums[g + 3]);
            int lane = at + 32 * (8 + i);
            FloatVector p0 = FloatVector.fromArray(F, s.minimums, 64 * i)
                    .fma(sumA, FloatVector.fromArray(F, s.minimums, 64 * i + 32).mul(sumB));
            FloatVector p1 = FloatVector.fromArray(F, s.minimums, 64 * i + half)
                    .fma(sumA, FloatVector.fromArray(F, s.minimums, 64 * i + 32 + half).mul(sumB));
            if (oneLane) { // exact integers, summed in any order
                all0 = all0.add(p0);
                all1 = all1.add(p1);
            } else {
                p0.fma(n0, FloatVector.fromArray(F, s.lanes, lane)).intoArray(s.lanes, lane);
                p1.fma(n1, FloatVector.fromArray(F, s.lanes, lane + half)).intoArray(s.lanes, lane + half);
            }
        }
        if (oneLane) {
            int lane = at + 256;
            all0.fma(n0, FloatVector.fromArray(F, s.lanes, lane)).intoArray(s.lanes, lane);
            all1.fma(n1, FloatVector.fromArray(F, s.lanes, lane + half)).intoArray(s.lanes, lane + half);
        }
    }

    /**
     * Four tokens' quant lanes of super-block {@code b} into their lanes at {@code s.lanes[atA ..]} and
     * so on: ggml's lane L is elements {@code 32 k + 4 L .. 32 k + 4 L + 3} of the eight groups {@code k}.
     */
    private static void quantLanes(PreparedVector xA, PreparedVector xB, PreparedVector xC, PreparedVector xD, int b,
            Scratch s, int atA, int atB, int atC, int atD) {
        int half = F.length();
        float[] w = s.weights;
        float[] vA = xA.values;
        float[] vB = xB.values;
        float[] vC = xC.values;
        float[] vD = xD.values;
        int xa = b * QK;
        for (int lane = 0; lane < 8; lane++) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F);
            FloatVector d1 = FloatVector.zero(F);
            for (int k = 0; k < 8; k++) { // indices linear in k, so that C2 hoists the range checks
                int e = 32 * k + 4 * lane;
                int we = 32 * e;
                FloatVector w0 = FloatVector.fromArray(F, w, we);
                FloatVector w1 = FloatVector.fromArray(F, w, we + half);
                FloatVector x = FloatVector.broadcast(F, vA[xa + e]);
                a0 = w0.fma(x, a0);
                a1 = w1.fma(x, a1);
                x = FloatVector.broadcast(F, vB[xa + e]);
                b0 = w0.fma(x, b0);
                b1 = w1.fma(x, b1);
                x = FloatVector.broadcast(F, vC[xa + e]);
                c0 = w0.fma(x, c0);
                c1 = w1.fma(x, c1);
                x = FloatVector.broadcast(F, vD[xa + e]);
                d0 = w0.fma(x, d0);
                d1 = w1.fma(x, d1);
                w0 = FloatVector.fromArray(F, w, we + 32);
                w1 = FloatVector.fromArray(F, w, we + 32 + half);
                x = FloatVector.broadcast(F, vA[xa + e + 1]);
                a0 = w0.fma(x, a0);
                a1 = w1.fma(x, a1);
                x = FloatVector.broadcast(F, vB[xa + e + 1]);
                b0 = w0.fma(x, b0);
                b1 = w1.fma(x, b1);
                x = FloatVector.broadcast(F, vC[xa + e + 1]);
                c0 = w0.fma(x, c0);
                c1 = w1.fma(x, c1);
                x = FloatVector.broadcast(F, vD[xa + e + 1]);
                d0 = w0.fma(x, d0);
                d1 = w1.fma(x, d1);
                w0 = FloatVector.fromArray(F, w, we + 64);
                w1 = FloatVector.fromArray(F, w, we + 64 + half);
                x = FloatVector.broadcast(F, vA[xa + e + 2]);
                a0 = w0.fma(x, a0);
                a1 = w1.fma(x, a1);
                x = FloatVector.broadcast(F, vB[xa + e + 2]);
                b0 = w0.fma(x, b0);
                b1 = w1.fma(x, b1);
                x = FloatVector.broadcast(F, vC[xa + e + 2]);
                c0 = w0.fma(x, c0);
                c1 = w1.fma(x, c1);
                x = FloatVector.broadcast(F, vD[xa + e + 2]);
                d0 = w0.fma(x, d0);
                d1 = w1.fma(x, d1);
                w0 = FloatVector.fromArray(F, w, we + 96);
                w1 = FloatVector.fromArray(F, w, we + 96 + half);
                x = FloatVector.broadcast(F, vA[xa + e + 3]);
                a0 = w0.fma(x, a0);
                a1 = w1.fma(x, a1);
                x = FloatVector.broadcast(F, vB[xa + e + 3]);
                b0 = w0.fma(x, b0);
                b1 = w1.fma(x, b1);
                x = FloatVector.broadcast(F, vC[xa + e + 3]);
                c0 = w0.fma(x, c0);
                c1 = w1.fma(x, c1);
                x = FloatVector.broadcast(F, vD[xa + e + 3]);
                d0 = w0.fma(x, d0);
                d1 = w1.fma(x, d1);
            }
            int to = 32 * lane;
            FloatVector f0 = FloatVector.fromArray(F, s.d, 0);
            FloatVector f1 = FloatVector.fromArray(F, s.d, half);
            float[] l = s.lanes;
            a0.fma(f0.mul(xA.scales[b]), FloatVector.fromArray(F, l, atA + to)).intoArray(l, atA + to);
            a1.fma(f1.mul(xA.scales[b]), FloatVector.fromArray(F, l, atA + to + half)).intoArray(l, atA + to + half);
            b0.fma(f0.mul(xB.scales[b]), FloatVector.fromArray(F, l, atB + to)).intoArray(l, atB + to);
            b1.fma(f1.mul(xB.scales[b]), FloatVector.fromArray(F, l, atB + to + half)).intoArray(l, atB + to + half);
            c0.fma(f0.mul(xC.scales[b]), FloatVector.fromArray(F, l, atC + to)).intoArray(l, atC + to);
            c1.fma(f1.mul(xC.scales[b]), FloatVector.fromArray(F, l, atC + to + half)).intoArray(l, atC + to + half);
            d0.fma(f0.mul(xD.scales[b]), FloatVector.fromArray(F, l, atD + to)).intoArray(l, atD + to);
            d1.fma(f1.mul(xD.scales[b]), FloatVector.fromArray(F, l, atD + to + half)).intoArray(l, atD + to + half);
        }
    }

    /** {@code F.length()} rows' F16 values at {@code at} (finite, see {@link TileLayout}) as floats into {@code out[outAt ..]}. */
    private static void halfToFloat(MemorySegment m, long at, float[] out, int outAt) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(H, m, at, LE).convertShape(VectorOperators.S2I, I, 0);
        bits.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                .reinterpretAsInts().or(bits.and(0x80000000)).reinterpretAsFloats().intoArray(out, outAt);
    }
}
