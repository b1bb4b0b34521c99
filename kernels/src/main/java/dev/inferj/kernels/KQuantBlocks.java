package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static dev.inferj.kernels.ScalarKernels.BYTE;
import static dev.inferj.kernels.ScalarKernels.F16_LAYOUT;

import java.lang.foreign.MemorySegment;

/**
 * The scalar arithmetic of ggml's K-quants: super-blocks of 256 elements split into groups of 16
 * or 32, each group with its own small integer scale (and, for Q2_K, Q4_K and Q5_K, a minimum),
 * and F16 super-block factors that turn those integers into floats. Their activations are Q8_K
 * blocks ({@link ActivationFormat#Q8_K}): one float scale and 256 quants a block, and the sum of
 * the quants of each group of 16.
 *
 * <p>The dot products are ggml's: per super-block, an exact integer sum over groups of
 * {@code scale * sum(q_w * q_x)}, times {@code d * d_x}; where the weights carry minimums
 * ({@code w = d * scale * q - dmin * min}), the minimums' share {@code dmin * d_x * sum(min * sum(q_x))}
 * comes from the activation's group sums without touching the quants again. They are computed
 * lane by lane in the order of {@link AvxLanes}, each type with ggml's own split of the work into
 * lanes, so the float result is llama.cpp's to the bit. The dequantizing routines round as ggml's
 * {@code dequantize_row_*} do.
 *
 * <p>Layouts (byte offsets within a super-block; quant {@code e} of 256):
 * <ul>
 * <li>Q2_K, 84 bytes: 16 scale bytes at 0 (low nibble the scale, high nibble the minimum of
 *     group {@code e / 16}), 64 bytes of 2-bit quants at 16, F16 {@code d} at 80, F16 {@code dmin} at 82.
 *     With {@code e = 128 h + 32 j + l}: bits {@code 2j, 2j+1} of byte {@code 16 + 32 h + l}.
 * <li>Q3_K, 110 bytes: 32 bytes of high bits at 0, 64 bytes of low 2 bits at 32 (as Q2_K), 12 bytes
 *     of 6-bit scales at 96, F16 {@code d} at 108. The quant is {@code low - 4} where its high bit
 *     (bit {@code 4h + j} of byte {@code l}) is clear, else {@code low}; the scale is {@code s - 32}.
 * <li>Q4_K, 144 bytes: F16 {@code d} at 0, F16 {@code dmin} at 2, 12 bytes of 6-bit scales and
 *     minimums of the 8 groups of 32 at 4, 128 bytes of nibbles at 16: with {@code e = 64 i + 32 k + l},
 *     the low ({@code k = 0}) or high ({@code k = 1}) nibble of byte {@code 16 + 32 i + l}.
 * <li>Q5_K, 176 bytes: as Q4_K, with 32 bytes of fifth bits at 16 (bit {@code e / 32} of byte
 *     {@code e % 32}) and the nibbles at 48.
 * <li>Q6_K, 210 bytes: 128 bytes of low nibbles at 0, 64 bytes of high 2 bits at 128, 16 signed
 *     byte scales at 192, F16 {@code d} at 208. With {@code e = 128 h + 32 k + l}: the low
 *     ({@code k < 2}) or high nibble of byte {@code 64 h + 32 (k % 2) + l}, bits {@code 2k, 2k+1}
 *     of byte {@code 128 + 32 h + l} above it, minus 32.
 * </ul>
 */
final class KQuantBlocks {
    private static final int QK = PreparedVector.Q8_K_BLOCK;
    private static final int GROUPS = QK / PreparedVector.Q8_K_GROUP;

    private static final long Q2_K_BYTES = GgmlType.Q2_K.bytesPerBlock();
    private static final long Q3_K_BYTES = GgmlType.Q3_K.bytesPerBlock();
    private static final long Q4_K_BYTES = GgmlType.Q4_K.bytesPerBlock();
    private static final long Q5_K_BYTES = GgmlType.Q5_K.bytesPerBlock();
    private static final long Q6_K_BYTES = GgmlType.Q6_K.bytesPerBlock();

    private KQuantBlocks() {
    }

    private static float f16(MemorySegment m, long at) {
        return Float.float16ToFloat(m.get(F16_LAYOUT, at));
    }

    private static int ubyte(MemorySegment m, long at) {
        return m.get(BYTE, at) & 0xFF;
    }

    // ---------------------------------------------------------------- Q2_K

    static float dotQ2_K(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q2Lane(m, base, x, blocks, 0), q2Lane(m, base, x, blocks, 1),
                q2Lane(m, base, x, blocks, 2), q2Lane(m, base, x, blocks, 3),
                q2Lane(m, base, x, blocks, 4), q2Lane(m, base, x, blocks, 5),
                q2Lane(m, base, x, blocks, 6), q2Lane(m, base, x, blocks, 7));
    }

    /**
     * One lane of Q2_K: per super-block, first the minimums of groups {@code 2L} and {@code 2L+1}
     * times their activation sums (scaled by -dmin), then the lane's quant products.
     */
    private static float q2Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q2_K_BYTES * b;
            int minimums = (ubyte(m, blk + 2 * lane) >>> 4) * x.groupSums[b * GROUPS + 2 * lane]
                    + (ubyte(m, blk + 2 * lane + 1) >>> 4) * x.groupSums[b * GROUPS + 2 * lane + 1];
            acc = Math.fma(-x.scales[b] * f16(m, blk + 82), (float) minimums, acc);
            acc = Math.fma(x.scales[b] * f16(m, blk + 80), (float) q2LaneSum(m, blk, x.quants, b * QK, lane), acc);
        }
        return acc;
    }

    /** The lane's scaled quant products in one super-block: elements {@code 128 h + 32 j + 4 lane + t}. */
    private static int q2LaneSum(MemorySegment m, long blk, byte[] xq, int at, int lane) {
        int sumi = 0;
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 4; j++) {
                int g = 8 * h + 2 * j + (lane >>> 2);
                int sum = 0;
                for (int l = AvxLanes.SPAN * lane; l < AvxLanes.SPAN * (lane + 1); l++) {
                    sum += ((ubyte(m, blk + 16 + 32 * h + l) >>> (2 * j)) & 3) * xq[at + 128 * h + 32 * j + l];
                }
                sumi += (ubyte(m, blk + g) & 0x0F) * sum;
            }
        }
        return sumi;
    }

    static void dequantizeQ2_K(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q2_K_BYTES * b;
            float d = f16(m, blk + 80);
            float dmin = f16(m, blk + 82);
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    for (int k = 0; k < 2; k++) {
                        int g = 8 * h + 2 * j + k;
                        int sc = ubyte(m, blk + g);
                        float dl = d * (sc & 0x0F);
                        float ml = dmin * (sc >>> 4);
                        long q = blk + 16 + 32 * h + 16 * k;
                        int at = offset + b * QK + 16 * g;
                        for (int l = 0; l < 16; l++) {
                            out[at + l] = dl * ((ubyte(m, q + l) >>> (2 * j)) & 3) - ml;
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- Q3_K

    /**
     * The signed scale of group {@code g} from Q3_K's 12 scale bytes: its low 4 bits are the low
     * (groups 0-7) or high (8-15) nibble of byte {@code g % 8}, its high 2 bits are bits
     * {@code 2 (g / 4)} and up of byte {@code 8 + g % 4}; stored with a bias of 32.
     */
    private static int q3Scale(MemorySegment m, long scales, int g) {
        int low = (ubyte(m, scales + (g & 7)) >>> (4 * (g >>> 3))) & 0x0F;
        int high = (ubyte(m, scales + 8 + (g & 3)) >>> (2 * (g >>> 2))) & 3;
        return (low | high << 4) - 32;
    }

    static float dotQ3_K(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q3Lane(m, base, x, blocks, 0), q3Lane(m, base, x, blocks, 1),
                q3Lane(m, base, x, blocks, 2), q3Lane(m, base, x, blocks, 3),
                q3Lane(m, base, x, blocks, 4), q3Lane(m, base, x, blocks, 5),
                q3Lane(m, base, x, blocks, 6), q3Lane(m, base, x, blocks, 7));
    }

    /** One lane of Q3_K: elements {@code 128 h + 32 j + 4 lane + t} of each super-block. */
    private static float q3Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q3_K_BYTES * b;
            int at = b * QK;
            int sumi = 0;
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    int highBit = 1 << (4 * h + j);
                    int sum = 0;
                    for (int l = AvxLanes.SPAN * lane; l < AvxLanes.SPAN * (lane + 1); l++) {
                        int low = (ubyte(m, blk + 32 + 32 * h + l) >>> (2 * j)) & 3;
                        int v = (ubyte(m, blk + l) & highBit) != 0 ? low : low - 4;
                        sum += v * x.quants[at + 128 * h + 32 * j + l];
                    }
                    sumi += q3Scale(m, blk + 96, 8 * h + 2 * j + (lane >>> 2)) * sum;
                }
            }
            acc = Math.fma(x.scales[b] * f16(m, blk + 108), (float) sumi, acc);
        }
        return acc;
    }

    static void dequantizeQ3_K(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q3_K_BYTES * b;
            float d = f16(m, blk + 108);
            for (int h = 0; h < 2; h++) {
                for (int j = 0; j < 4; j++) {
                    int highBit = 1 << (4 * h + j);
                    for (int k = 0; k < 2; k++) {
                        int g = 8 * h + 2 * j + k;
                        float dl = d * q3Scale(m, blk + 96, g);
                        long q = blk + 32 + 32 * h + 16 * k;
                        long hm = blk + 16 * k;
                        int at = offset + b * QK + 16 * g;
                        for (int l = 0; l < 16; l++) {
                            int v = ((ubyte(m, q + l) >>> (2 * j)) & 3) - ((ubyte(m, hm + l) & highBit) != 0 ? 0 : 4);
                            out[at + l] = dl * v;
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- Q4_K and Q5_K

    /**
     * The 6-bit scale of group {@code g} (0-7) from the 12 scale bytes of Q4_K and Q5_K: groups
     * 0-3 keep theirs in the low 6 bits of bytes 0-3; groups 4-7 in the low nibble of bytes 8-11,
     * with the top 2 bits of bytes 0-3 above it.
     */
    private static int k4Scale(MemorySegment m, long scales, int g) {
        if (g < 4) {
            return ubyte(m, scales + g) & 63;
        }
        return (ubyte(m, scales + g + 4) & 0x0F) | (ubyte(m, scales + g - 4) >>> 6) << 4;
    }

    /** The 6-bit minimum of group {@code g}: as {@link #k4Scale}, from bytes 4-7 and the high nibbles of bytes 8-11. */
    private static int k4Min(MemorySegment m, long scales, int g) {
        if (g < 4) {
            return ubyte(m, scales + g + 4) & 63;
        }
        return (ubyte(m, scales + g + 4) >>> 4) | (ubyte(m, scales + g) >>> 6) << 4;
    }

    /** The minimums' integer share: sum over groups of 16 of min(group of 32) * sum(q_x). */
    private static int k4Minimums(MemorySegment m, long scales, PreparedVector x, int b) {
        int minimums = 0;
        for (int g = 0; g < GROUPS; g++) {
            minimums += x.groupSums[b * GROUPS + g] * k4Min(m, scales, g >>> 1);
        }
        return minimums;
    }

    static float dotQ4_K(MemorySegment m, long base, PreparedVector x, int blocks) {
        float quants = AvxLanes.sum(k4Lane(m, base, false, x, blocks, 0), k4Lane(m, base, false, x, blocks, 1),
                k4Lane(m, base, false, x, blocks, 2), k4Lane(m, base, false, x, blocks, 3),
                k4Lane(m, base, false, x, blocks, 4), k4Lane(m, base, false, x, blocks, 5),
                k4Lane(m, base, false, x, blocks, 6), k4Lane(m, base, false, x, blocks, 7));
        float minimums = AvxLanes.sum(q4MinimumLane(m, base, x, blocks, 0), q4MinimumLane(m, base, x, blocks, 1),
                q4MinimumLane(m, base, x, blocks, 2), q4MinimumLane(m, base, x, blocks, 3));
        return quants + minimums;
    }

    /**
     * One lane of Q4_K or Q5_K quant products: elements {@code 32 g + 4 lane + t} of each group
     * {@code g}, the group's sum times its scale, times d per super-block.
     */
    private static float k4Lane(MemorySegment m, long base, boolean fifthBits, PreparedVector x, int blocks, int lane) {
        long bytesPerBlock = fifthBits ? Q5_K_BYTES : Q4_K_BYTES;
        long quants = fifthBits ? 48 : 16;
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + bytesPerBlock * b;
            int sumi = 0;
            for (int g = 0; g < 8; g++) {
                long q = blk + quants + 32 * (g >>> 1);
                int shift = 4 * (g & 1);
                int at = b * QK + 32 * g;
                int sum = 0;
                for (int l = AvxLanes.SPAN * lane; l < AvxLanes.SPAN * (lane + 1); l++) {
                    int v = (ubyte(m, q + l) >>> shift) & 0x0F;
                    if (fifthBits) {
                        v |= ((ubyte(m, blk + 16 + l) >>> g) & 1) << 4;
                    }
                    sum += v * x.quants[at + l];
                }
                sumi += k4Scale(m, blk + 4, g) * sum;
            }
            acc = Math.fma(x.scales[b] * f16(m, blk), (float) sumi, acc);
        }
        return acc;
    }

    /**
     * One of Q4_K's four minimum lanes: groups {@code 2L} and {@code 2L+1}, each minimum times
     * the sum of its 32 activation quants, times -dmin per super-block.
     */
    private static float q4MinimumLane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q4_K_BYTES * b;
            int prod = 0;
            for (int g = 2 * lane; g < 2 * lane + 2; g++) {
                int activationSum = x.groupSums[b * GROUPS + 2 * g] + x.groupSums[b * GROUPS + 2 * g + 1];
                prod += k4Min(m, blk + 4, g) * activationSum;
            }
            acc = Math.fma(-x.scales[b] * f16(m, blk + 2), (float) prod, acc);
        }
        return acc;
    }

    static void dequantizeQ4_K(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q4_K_BYTES * b;
            float d = f16(m, blk);
            float dmin = f16(m, blk + 2);
            for (int g = 0; g < 8; g++) {
                float dl = d * k4Scale(m, blk + 4, g);
                float ml = dmin * k4Min(m, blk + 4, g);
                long q = blk + 16 + 32 * (g >>> 1);
                int shift = 4 * (g & 1);
                int at = offset + b * QK + 32 * g;
                for (int l = 0; l < 32; l++) {
                    out[at + l] = dl * ((ubyte(m, q + l) >>> shift) & 0x0F) - ml;
                }
            }
        }
    }

    static float dotQ5_K(MemorySegment m, long base, PreparedVector x, int blocks) {
        float minimums = 0f; // ggml keeps Q5_K's minimums in one running float sum (multiply and add fused)
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_K_BYTES * b;
            minimums = Math.fma(-x.scales[b] * f16(m, blk + 2), (float) k4Minimums(m, blk + 4, x, b), minimums);
        }
        float quants = AvxLanes.sum(k4Lane(m, base, true, x, blocks, 0), k4Lane(m, base, true, x, blocks, 1),
                k4Lane(m, base, true, x, blocks, 2), k4Lane(m, base, true, x, blocks, 3),
                k4Lane(m, base, true, x, blocks, 4), k4Lane(m, base, true, x, blocks, 5),
                k4Lane(m, base, true, x, blocks, 6), k4Lane(m, base, true, x, blocks, 7));
        return quants + minimums;
    }

    static void dequantizeQ5_K(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q5_K_BYTES * b;
            float d = f16(m, blk);
            float dmin = f16(m, blk + 2);
            for (int g = 0; g < 8; g++) {
                float dl = d * k4Scale(m, blk + 4, g);
                float ml = dmin * k4Min(m, blk + 4, g);
                long q = blk + 48 + 32 * (g >>> 1);
                int shift = 4 * (g & 1);
                int at = offset + b * QK + 32 * g;
                for (int l = 0; l < 32; l++) {
                    int v = ((ubyte(m, q + l) >>> shift) & 0x0F) | ((ubyte(m, blk + 16 + l) >>> g) & 1) << 4;
                    out[at + l] = dl * v - ml;
                }
            }
        }
    }

    // ---------------------------------------------------------------- Q6_K

    /** Quant {@code 128 h + 32 k + l} of a Q6_K super-block at {@code blk}, in [-32, 31]. */
    private static int q6(MemorySegment m, long blk, int h, int k, int l) {
        int low = (ubyte(m, blk + 64 * h + 32 * (k & 1) + l) >>> (4 * (k >>> 1))) & 0x0F;
        int high = (ubyte(m, blk + 128 + 32 * h + l) >>> (2 * k)) & 3;
        return (low | high << 4) - 32;
    }

    static float dotQ6_K(MemorySegment m, long base, PreparedVector x, int blocks) {
        return AvxLanes.sum(q6Lane(m, base, x, blocks, 0), q6Lane(m, base, x, blocks, 1),
                q6Lane(m, base, x, blocks, 2), q6Lane(m, base, x, blocks, 3),
                q6Lane(m, base, x, blocks, 4), q6Lane(m, base, x, blocks, 5),
                q6Lane(m, base, x, blocks, 6), q6Lane(m, base, x, blocks, 7));
    }

    /**
     * One lane of Q6_K, as ggml computes it: the products of the unsigned 6-bit quants
     * (elements {@code 128 h + 32 k + 4 lane + t}) times their group's scale, less 32 times the
     * scaled activation sums of groups {@code 2L} and {@code 2L+1} (the -32 of every quant, moved
     * to another lane; the lane's integer can pass 2^24, so which lane holds what matters).
     */
    private static float q6Lane(MemorySegment m, long base, PreparedVector x, int blocks, int lane) {
        float acc = 0f;
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q6_K_BYTES * b;
            int at = b * QK;
            int sumi = 0;
            for (int h = 0; h < 2; h++) {
                for (int k = 0; k < 4; k++) {
                    int sum = 0;
                    for (int l = AvxLanes.SPAN * lane; l < AvxLanes.SPAN * (lane + 1); l++) {
                        sum += (q6(m, blk, h, k, l) + 32) * x.quants[at + 128 * h + 32 * k + l];
                    }
                    sumi += m.get(BYTE, blk + 192 + 8 * h + 2 * k + (lane >>> 2)) * sum;
                }
            }
            sumi -= 32 * (x.groupSums[b * GROUPS + 2 * lane] * m.get(BYTE, blk + 192 + 2 * lane)
                    + x.groupSums[b * GROUPS + 2 * lane + 1] * m.get(BYTE, blk + 192 + 2 * lane + 1));
            acc = Math.fma(x.scales[b] * f16(m, blk + 208), (float) sumi, acc);
        }
        return acc;
    }

    static void dequantizeQ6_K(MemorySegment m, long base, float[] out, int offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long blk = base + Q6_K_BYTES * b;
            float d = f16(m, blk + 208);
            for (int h = 0; h < 2; h++) {
                for (int k = 0; k < 4; k++) {
                    for (int half = 0; half < 2; half++) {
                        int g = 8 * h + 2 * k + half;
                        float dl = d * m.get(BYTE, blk + 192 + g); // ggml: d * scale * q, left to right
                        int at = offset + b * QK + 16 * g;
                        for (int l = 0; l < 16; l++) {
                            out[at + l] = dl * q6(m, blk, h, k, 16 * half + l);
                        }
                    }
                }
            }
        }
    }
}
