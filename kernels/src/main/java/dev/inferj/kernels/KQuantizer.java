package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes super-blocks of 256 floats as ggml's K-quants Q2_K, Q3_K, Q4_K, Q5_K and Q6_K, as
 * ggml's reference quantizers ({@code quantize_row_q2_K_ref} and the rest, which
 * {@code llama-quantize} runs when it has no importance matrix) write them, to the byte. Each
 * group of 16 or 32 elements gets a scale (and a minimum) from {@link ScaleSearch}; the group
 * scales are then themselves quantized to 4, 6 or 8 bits against one F16 factor per super-block,
 * and every element is rounded again against its group's stored scale. The layouts are those
 * {@link KQuantBlocks} reads.
 *
 * <p>One instance holds the scratch arrays of one thread: not thread-safe, cheap to make.
 */
final class KQuantizer {
    private static final int QK = 256;

    // Byte offsets within each super-block (the layouts of KQuantBlocks' class comment).
    private static final int Q2_QUANTS = QK / 16;                 // after 16 scale bytes
    private static final int Q2_D = Q2_QUANTS + QK / 4;           // 2 bits a quant
    private static final int Q3_QUANTS = QK / 8;                  // after 1 high bit a quant
    private static final int Q3_SCALES = Q3_QUANTS + QK / 4;
    private static final int Q3_D = Q3_SCALES + 12;               // 16 scales of 6 bits
    private static final int K4_SCALES = 4;                       // after d and dmin
    private static final int K4_QUANTS = K4_SCALES + 12;          // 8 scales and 8 minimums of 6 bits
    private static final int Q5_QUANTS = K4_QUANTS + QK / 8;      // after 1 fifth bit a quant
    private static final int Q6_HIGH = QK / 2;                    // after the low nibbles
    private static final int Q6_SCALES = Q6_HIGH + QK / 4;
    private static final int Q6_D = Q6_SCALES + QK / 16;

    static {
        if (Q2_D + 4 != GgmlType.Q2_K.bytesPerBlock() || Q3_D + 2 != GgmlType.Q3_K.bytesPerBlock()
                || K4_QUANTS + QK / 2 != GgmlType.Q4_K.bytesPerBlock()
                || Q5_QUANTS + QK / 2 != GgmlType.Q5_K.bytesPerBlock() || Q6_D + 2 != GgmlType.Q6_K.bytesPerBlock()
                || GgmlType.Q4_K.blockSize() != QK) {
            throw new AssertionError("K-quant layouts disagree with GgmlType");
        }
    }

    private final int[] quants = new int[QK];
    private final int[] scratch = new int[32];
    private final float[] weights = new float[32];
    private final float[] scales = new float[QK / 16];
    private final float[] mins = new float[QK / 16];
    private final byte[] block = new byte[GgmlType.Q6_K.bytesPerBlock()]; // the largest

    /** Writes {@code blocks} super-blocks of {@code type} from {@code x[offset..]} to {@code out} at {@code at}. */
    void quantize(GgmlType type, float[] x, int offset, int blocks, MemorySegment out, long at) {
        int bytes = type.bytesPerBlock();
        for (int b = 0; b < blocks; b++) {
            int from = offset + b * QK;
            switch (type) {
                case Q2_K -> q2_K(x, from);
                case Q3_K -> q3_K(x, from);
                case Q4_K -> q4_K(x, from);
                case Q5_K -> q5_K(x, from);
                case Q6_K -> q6_K(x, from);
                default -> throw new AssertionError(type);
            }
            MemorySegment.copy(block, 0, out, ValueLayout.JAVA_BYTE, at + (long) b * bytes, bytes);
        }
    }

    private void f16(int at, float v) {
        short h = Float.floatToFloat16(v);
        block[at] = (byte) h;
        block[at + 1] = (byte) (h >> 8);
    }

    private float f16(int at) {
        return Float.float16ToFloat((short) ((block[at] & 0xFF) | block[at + 1] << 8));
    }

    private int ubyte(int at) {
        return block[at] & 0xFF;
    }

    /**
     * Rounds element {@code e} of each group of {@code size} whose stored scale is not zero
     * against it: {@code q = clamp(round((x + dm) / d), lo, hi) - lo}, where {@code d} is the
     * super-block factor times the group's integer scale and {@code dm} the same for its minimum
     * (zero for the symmetric types). Groups whose scale is zero keep the quants of the search.
     */
    private void requantize(float[] x, int from, int size, int group, float d, float dm, int lo, int hi) {
        if (d == 0) {
            return;
        }
        for (int i = group * size; i < group * size + size; i++) {
            int l = ScaleSearch.nearestInt((x[from + i] + dm) / d);
            quants[i] = Math.max(lo, Math.min(hi, l)) - lo;
        }
    }

    /** The group scale of largest magnitude, with its sign; the first of equals wins. */
    private float signedLargestScale() {
        float max = 0;
        float amax = 0;
        for (float scale : scales) {
            if (Math.abs(scale) > amax) {
                amax = Math.abs(scale);
                max = scale;
            }
        }
        return max;
    }

    /** Four 2-bit quants a byte: byte {@code l} of each 32 holds elements {@code l, l+32, l+64, l+96} of its 128. */
    private void packTwoBits(int at) {
        for (int j = 0; j < QK; j += 128) {
            for (int l = 0; l < 32; l++) {
                block[at + j / 4 + l] = (byte) (quants[j + l] | quants[j + l + 32] << 2 | quants[j + l + 64] << 4
                        | quants[j + l + 96] << 6);
            }
        }
    }

    // ---------------------------------------------------------------- Q2_K

    /** 16 groups of 16, weights |x|, absolute error; scales and minimums in 4 bits against F16 d and dmin. */
    private void q2_K(float[] x, int from) {
        float maxScale = 0;
        float maxMin = 0;
        for (int g = 0; g < 16; g++) {
            for (int l = 0; l < 16; l++) {
                weights[l] = Math.abs(x[from + 16 * g + l]);
            }
            scales[g] = ScaleSearch.withMinimum(16, 3, x, from + 16 * g, weights, quants, 16 * g, mins, g, scratch,
                    -0.5f, 0.1f, 15, true);
            if (scales[g] > maxScale) {
                maxScale = scales[g];
            }
            if (mins[g] > maxMin) {
                maxMin = mins[g];
            }
        }
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int g = 0; g < 16; g++) {
                block[g] = (byte) ScaleSearch.nearestInt(iscale * scales[g]);
            }
            f16(Q2_D, maxScale / 15f);
        } else {
            for (int g = 0; g < 16; g++) {
                block[g] = 0;
            }
            f16(Q2_D, 0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int g = 0; g < 16; g++) {
                block[g] |= (byte) (ScaleSearch.nearestInt(iscale * mins[g]) << 4);
            }
            f16(Q2_D + 2, maxMin / 15f);
        } else {
            f16(Q2_D + 2, 0f);
        }
        for (int g = 0; g < 16; g++) {
            float d = f16(Q2_D) * (ubyte(g) & 0x0F);
            requantize(x, from, 16, g, d, f16(Q2_D + 2) * (ubyte(g) >>> 4), 0, 3);
        }
        packTwoBits(Q2_QUANTS);
    }

    // ---------------------------------------------------------------- Q3_K

    /** 16 groups of 16, symmetric quants in [-4, 4); signed 6-bit scales against one F16 d. */
    private void q3_K(float[] x, int from) {
        for (int g = 0; g < 16; g++) {
            scales[g] = ScaleSearch.symmetricRefined(16, 4, x, from + 16 * g, quants, 16 * g);
        }
        float maxScale = signedLargestScale();
        for (int i = Q3_SCALES; i < Q3_D; i++) {
            block[i] = 0;
        }
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int g = 0; g < 16; g++) {
                int l = Math.max(-32, Math.min(31, (byte) ScaleSearch.nearestInt(iscale * scales[g]))) + 32;
                // low 4 bits: byte g % 8, low nibble for groups 0-7, high for 8-15; high 2 bits: byte 8 + g % 4
                block[Q3_SCALES + g % 8] |= (byte) ((l & 0x0F) << (g < 8 ? 0 : 4));
                block[Q3_SCALES + 8 + g % 4] |= (byte) ((l >> 4) << (2 * (g / 4)));
            }
            f16(Q3_D, 1 / iscale);
        } else {
            f16(Q3_D, 0f);
        }
        for (int g = 0; g < 16; g++) {
            int low = g < 8 ? ubyte(Q3_SCALES + g) & 0x0F : ubyte(Q3_SCALES + g - 8) >>> 4;
            int sc = (low | ((ubyte(Q3_SCALES + 8 + g % 4) >>> (2 * (g / 4))) & 3) << 4) - 32;
            requantize(x, from, 16, g, f16(Q3_D) * sc, 0f, -4, 3);
        }
        // the high bit of quant e goes to bit e / 32 of byte e % 32
        for (int i = 0; i < QK / 8; i++) {
            block[i] = 0;
        }
        for (int e = 0; e < QK; e++) {
            if (quants[e] > 3) {
                block[e % 32] |= (byte) (1 << (e / 32));
                quants[e] -= 4;
            }
        }
        packTwoBits(Q3_QUANTS);
    }

    // ---------------------------------------------------------------- Q4_K and Q5_K

    /**
     * The 8 groups of 32 of Q4_K and Q5_K: a scale and a minimum each from the search (weights
     * {@code rms(group) + |x|}, squared error), both stored in 6 bits against F16 {@code d} and
     * {@code dmin}, then the quants rounded again against what was stored.
     */
    private void groupsOf32(float[] x, int from, int nmax, float rmin, int steps) {
        float maxScale = 0;
        float maxMin = 0;
        for (int g = 0; g < 8; g++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[from + 32 * g + l] * x[from + 32 * g + l];
            }
            float rms = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = rms + Math.abs(x[from + 32 * g + l]);
            }
            scales[g] = ScaleSearch.withMinimum(32, nmax, x, from + 32 * g, weights, quants, 32 * g, mins, g, scratch,
                    rmin, 0.1f, steps, false);
            if (scales[g] > maxScale) {
                maxScale = scales[g];
            }
            if (mins[g] > maxMin) {
                maxMin = mins[g];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int g = 0; g < 8; g++) {
            int ls = Math.min(63, ScaleSearch.nearestInt(invScale * scales[g]) & 0xFF);
            int lm = Math.min(63, ScaleSearch.nearestInt(invMin * mins[g]) & 0xFF);
            if (g < 4) {
                block[K4_SCALES + g] = (byte) ls;
                block[K4_SCALES + g + 4] = (byte) lm;
            } else {
                block[K4_SCALES + g + 4] = (byte) ((ls & 0x0F) | (lm & 0x0F) << 4);
                block[K4_SCALES + g - 4] |= (byte) ((ls >> 4) << 6);
                block[K4_SCALES + g] |= (byte) ((lm >> 4) << 6);
            }
        }
        f16(0, maxScale / 63f);
        f16(2, maxMin / 63f);
        for (int g = 0; g < 8; g++) {
            int sc;
            int m;
            if (g < 4) {
                sc = ubyte(K4_SCALES + g) & 63;
                m = ubyte(K4_SCALES + g + 4) & 63;
            } else {
                sc = (ubyte(K4_SCALES + g + 4) & 0x0F) | (ubyte(K4_SCALES + g - 4) >>> 6) << 4;
                m = (ubyte(K4_SCALES + g + 4) >>> 4) | (ubyte(K4_SCALES + g) >>> 6) << 4;
            }
            requantize(x, from, 32, g, f16(0) * sc, f16(2) * m, 0, nmax);
        }
    }

    /** Nibbles: byte {@code l} of each 32 holds element {@code l} (low) and {@code l + 32} (high) of its 64. */
    private void packNibbles(int at) {
        for (int j = 0; j < QK; j += 64) {
            for (int l = 0; l < 32; l++) {
                block[at + j / 2 + l] = (byte) ((quants[j + l] & 0x0F) | (quants[j + l + 32] & 0x0F) << 4);
            }
        }
    }

    private void q4_K(float[] x, int from) {
        groupsOf32(x, from, 15, -1f, 20);
        packNibbles(K4_QUANTS);
    }

    /** As Q4_K with quants to 31; the fifth bit of element e goes to bit e / 32 of byte e % 32. */
    private void q5_K(float[] x, int from) {
        groupsOf32(x, from, 31, -0.5f, 15);
        for (int i = 0; i < 32; i++) {
            block[K4_QUANTS + i] = 0;
        }
        for (int e = 0; e < QK; e++) {
            block[K4_QUANTS + e % 32] |= (byte) ((quants[e] >>> 4) << (e / 32));
        }
        packNibbles(Q5_QUANTS);
    }

    // ---------------------------------------------------------------- Q6_K

    /** 16 groups of 16, symmetric quants in [-32, 32); signed 8-bit scales against one F16 d. */
    private void q6_K(float[] x, int from) {
        for (int g = 0; g < 16; g++) {
            scales[g] = ScaleSearch.symmetric(16, 32, x, from + 16 * g, quants, 16 * g, scratch);
        }
        float maxScale = signedLargestScale();
        if (Math.abs(maxScale) < ScaleSearch.GROUP_MAX_EPS) {
            java.util.Arrays.fill(block, 0, GgmlType.Q6_K.bytesPerBlock(), (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        f16(Q6_D, 1 / iscale);
        for (int g = 0; g < 16; g++) {
            block[Q6_SCALES + g] = (byte) Math.min(127, ScaleSearch.nearestInt(iscale * scales[g]));
        }
        for (int g = 0; g < 16; g++) {
            requantize(x, from, 16, g, f16(Q6_D) * block[Q6_SCALES + g], 0f, -32, 31);
        }
        // quant 128 h + 32 k + l: low nibble in byte 64 h + 32 (k % 2) + l (high half for k >= 2),
        // high 2 bits at bit 2k of byte 128 + 32 h + l
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int e = 128 * h + l;
                block[64 * h + l] = (byte) ((quants[e] & 0x0F) | (quants[e + 64] & 0x0F) << 4);
                block[64 * h + 32 + l] = (byte) ((quants[e + 32] & 0x0F) | (quants[e + 96] & 0x0F) << 4);
                block[Q6_HIGH + 32 * h + l] = (byte) ((quants[e] >> 4) | (quants[e + 32] >> 4) << 2
                        | (quants[e + 64] >> 4) << 4 | (quants[e + 96] >> 4) << 6);
            }
        }
    }
}
