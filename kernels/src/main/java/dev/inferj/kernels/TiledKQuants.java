package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static dev.inferj.kernels.ScalarKernels.BYTE;
import static dev.inferj.kernels.ScalarKernels.F16_LAYOUT;
import static dev.inferj.kernels.TileLayout.TILE_ROWS;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The tiled layouts of the K-quants ({@link TileLayout}). A tile super-block holds the 32 rows'
 * super-blocks of the same 256 elements in the same number of bytes, everything stored as 16-bit
 * lanes side by side, one lane a row, so that one vector load brings a piece of 16 or 32 rows.
 * What a lane holds is re-encoded at tiling time so that the vector kernels take each value out
 * with a shift or two (byte offsets within a tile super-block; short {@code s} of row {@code r} of
 * a run of shorts at {@code at} is at {@code at + 64 s + 2 r}):
 * <ul>
 * <li>Q4_K, 4608 bytes: the rows' F16 {@code d} at 0, {@code dmin} at 64; 6 shorts of scales and
 *     minimums at 128: short {@code i < 4} holds the 6-bit scales of groups {@code 2i} (bits 0-5) and
 *     {@code 2i+1} (bits 8-13) with the top two bits of those groups' minimums above each (bits 6-7,
 *     14-15); shorts 4 and 5 hold the low nibbles of the minimums of groups 0-3 and 4-7, group
 *     {@code g} at bit {@code 4 (g % 4)}. 64 shorts of quants at 512: a short holds ggml's quant
 *     bytes {@code 32 i + 2p} (low byte) and {@code 32 i + 2p + 1}, so its nibbles are elements
 *     {@code 64 i + 2p}, {@code 64 i + 32 + 2p}, {@code 64 i + 2p + 1}, {@code 64 i + 33 + 2p}; the
 *     shorts come in the order the kernel reads them ({@link #q4Short}).
 * <li>Q6_K, 6720 bytes: the rows' F16 {@code d} at 0; 8 shorts of scales at 64, short {@code s}
 *     holding the signed scales of groups {@code 2s} (low byte) and {@code 2s+1}; 96 shorts of
 *     quants at 576, three for each run of 8 elements {@code 8u .. 8u+7} (all in group {@code u / 2};
 *     the runs in the order the kernel reads them, {@link #q6Run}),
 *     each quant as its unsigned 6-bit value {@code v_t = q + 32}: short {@code 3u} is
 *     {@code v0 | v1 << 6 | (v6 & 15) << 12}, short {@code 3u+1} is {@code v2 | v3 << 6 | (v7 & 15) << 12},
 *     short {@code 3u+2} is {@code v4 | v5 << 6 | (v6 >> 4) << 12 | (v7 >> 4) << 14}.
 * <li>Q5_K, 5632 bytes: d, dmin and scales as Q4_K's; 80 shorts of quants at 512, each quant as its
 *     5-bit value: shorts {@code 10L + 5k .. 10L + 5k + 4} hold the 16 quants {@code v_i} of ggml's lane
 *     {@code L} in chunks {@code 2k} and {@code 2k+1} (64 elements each), {@code v_i} the element
 *     {@code 64 (2k + i / 8) + 32 ((i / 4) % 2) + 4L + i % 4}: {@code v_{3n}, v_{3n+1}, v_{3n+2}} in bits
 *     0-14 of short {@code n}, and bit {@code n} of {@code v15} in its bit 15.
 * <li>Q3_K, 3520 bytes: the rows' F16 {@code d} at 0; 6 shorts of scales at 64 (their 6-bit values,
 *     biased by 32 as in ggml): short {@code k < 4} holds the low nibbles of groups {@code 4k .. 4k+3},
 *     group {@code 4k+i} at bit {@code 4i}; short {@code 4 + m} holds the top two bits of groups
 *     {@code 8m .. 8m+7}, group {@code 8m+i} at bit {@code 2i}. 48 shorts of quants at 448, each quant
 *     as its unsigned 3-bit value {@code v = q + 4}: shorts {@code 6L + 3h .. 6L + 3h + 2} hold the 16
 *     quants of ggml's lane {@code L} in half {@code h}, {@code v_i} of element
 *     {@code 128 h + 32 (i / 4) + 4 L + i % 4}: {@code v0..v4}, {@code v5..v9} and {@code v10..v14}
 *     in bits 0-14 of the three shorts, and the three bits of {@code v15} in their bits 15.
 * <li>Q2_K, 2688 bytes: the rows' F16 {@code d} at 0, {@code dmin} at 64; ggml's 16 scale bytes (scale
 *     in the low nibble, minimum in the high) as 8 shorts at 128, short {@code s} holding bytes
 *     {@code 2s} (low byte) and {@code 2s+1}; 32 shorts of quants at 640: short {@code 4L + 2h + p} holds
 *     the 2-bit quants of ggml's lane {@code L} for elements {@code 128 h + 32 j + 4 L + t},
 *     {@code j = 2p} at bit {@code 2t} and {@code j = 2p + 1} at bit {@code 8 + 2t}.
 * </ul>
 * The vector kernels compute ggml's dot products ({@link KQuantBlocks}) on these tiles, lane for
 * lane, so a tiled matrix gives the same bits as the row-major one; the scalar reference reads a
 * tiled row by turning it back into ggml's blocks ({@link #untileRow}).
 */
final class TiledKQuants {
    private static final int QK = PreparedVector.Q8_K_BLOCK;
    private static final int GROUPS = QK / PreparedVector.Q8_K_GROUP;

    /** Offsets within a Q4_K tile super-block. */
    static final int Q4_K_DMIN = 2 * TILE_ROWS;
    static final int Q4_K_SCALES = 4 * TILE_ROWS;
    static final int Q4_K_QUANTS = Q4_K_SCALES + 6 * 2 * TILE_ROWS;
    /** Offset of the quants within a Q5_K tile super-block: d, dmin and scales as Q4_K's before them. */
    static final int Q5_K_QUANTS = Q4_K_QUANTS;
    /** Offsets within a Q6_K tile super-block. */
    static final int Q6_K_SCALES = 2 * TILE_ROWS;
    static final int Q6_K_QUANTS = Q6_K_SCALES + 8 * 2 * TILE_ROWS;

    /** Offsets within a Q3_K tile super-block. */
    static final int Q3_K_SCALES = 2 * TILE_ROWS;
    static final int Q3_K_QUANTS = Q3_K_SCALES + 6 * 2 * TILE_ROWS;
    /** Offsets within a Q2_K tile super-block. */
    static final int Q2_K_DMIN = 2 * TILE_ROWS;
    static final int Q2_K_SCALES = 4 * TILE_ROWS;
    static final int Q2_K_QUANTS = Q2_K_SCALES + 8 * 2 * TILE_ROWS;

    private TiledKQuants() {
    }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Where ggml's quant bytes {@code 2p, 2p+1} of a Q4_K super-block (the short of chunk {@code i = p / 16},
     * pair {@code p % 16}) go among the tile's 64 quant shorts: in the order the kernel reads them,
     * ggml's lane {@code L = (p % 16) / 2} after lane, and within a lane chunk after chunk.
     */
    static int q4Short(int p) {
        int i = p >>> 4;
        int pair = p & 15;
        return 8 * (pair >>> 1) + 2 * i + (pair & 1);
    }

    /**
     * Where the run of 8 elements {@code 8u .. 8u+7} of a Q6_K super-block goes among the tile's 32
     * runs: in the order the kernel reads them, the runs that feed ggml's lanes {@code 2 (u % 4)}
     * and {@code 2 (u % 4) + 1} together.
     */
    static int q6Run(int u) {
        return 8 * (u & 3) + (u >>> 2);
    }

    /** Where short {@code s} of lane {@code lane} lies in a run of shorts starting at {@code at}. */
    private static int lane(int at, int s, int lane) {
        return at + 2 * TILE_ROWS * s + 2 * lane;
    }

    private static void putShort(byte[] out, int at, int v) {
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >>> 8);
    }

    private static int ubyte(byte[] in, int at) {
        return in[at] & 0xFF;
    }

    /**
     * Writes super-block {@code b} of the 32 rows in {@code in} (one after another, {@code rowBytes}
     * apart) into {@code out} at {@code tileBlock}; the caller has checked that the F16 factors are finite.
     */
    static void tileBlock(GgmlType type, byte[] in, int rowBytes, int b, byte[] out, int tileBlock) {
        for (int r = 0; r < TILE_ROWS; r++) {
            int src = r * rowBytes + b * type.bytesPerBlock();
            switch (type) {
                case Q2_K -> tileQ2_K(in, src, out, tileBlock, r);
                case Q3_K -> tileQ3_K(in, src, out, tileBlock, r);
                case Q4_K -> tileQ4_K(in, src, out, tileBlock, r, false);
                case Q5_K -> tileQ4_K(in, src, out, tileBlock, r, true);
                default -> tileQ6_K(in, src, out, tileBlock, r);
            }
        }
    }

    /** Q4_K, or with {@code fifthBits} Q5_K (its quants as 5-bit fields). */
    private static void tileQ4_K(byte[] in, int src, byte[] out, int tb, int r, boolean fifthBits) {
        out[tb + 2 * r] = in[src];
        out[tb + 2 * r + 1] = in[src + 1];
        out[tb + Q4_K_DMIN + 2 * r] = in[src + 2];
        out[tb + Q4_K_DMIN + 2 * r + 1] = in[src + 3];
        int s = src + 4;
        for (int i = 0; i < 4; i++) {
            putShort(out, lane(tb + Q4_K_SCALES, i, r), scale(in, s, 2 * i) | (min(in, s, 2 * i) >>> 4) << 6
                    | scale(in, s, 2 * i + 1) << 8 | (min(in, s, 2 * i + 1) >>> 4) << 14);
        }
        for (int j = 0; j < 2; j++) {
            putShort(out, lane(tb + Q4_K_SCALES, 4 + j, r), (min(in, s, 4 * j) & 15) | (min(in, s, 4 * j + 1) & 15) << 4
                    | (min(in, s, 4 * j + 2) & 15) << 8 | (min(in, s, 4 * j + 3) & 15) << 12);
        }
        if (!fifthBits) {
            for (int p = 0; p < 64; p++) {
                out[lane(tb + Q4_K_QUANTS, q4Short(p), r)] = in[src + 16 + 2 * p];
                out[lane(tb + Q4_K_QUANTS, q4Short(p), r) + 1] = in[src + 17 + 2 * p];
            }
            return;
        }
        for (int lane = 0; lane < 8; lane++) {
            for (int k = 0; k < 2; k++) {
                int v15 = q5Field(in, src, q5Element(lane, k, 15));
                for (int n = 0; n < 5; n++) {
                    int v = (v15 >>> n & 1) << 15;
                    for (int f = 0; f < 3; f++) {
                        v |= q5Field(in, src, q5Element(lane, k, 3 * n + f)) << (5 * f);
                    }
                    putShort(out, lane(tb + Q5_K_QUANTS, 10 * lane + 5 * k + n, r), v);
                }
            }
        }
    }

    /** The element of quant {@code i} (0-15) of ggml's lane {@code lane} in chunks {@code 2k}, {@code 2k+1} of the Q5_K layout. */
    static int q5Element(int lane, int k, int i) {
        return 64 * (2 * k + (i >>> 3)) + 32 * ((i >>> 2) & 1) + 4 * lane + (i & 3);
    }

    /**
     * The 5-bit quant {@code e} of the ggml Q5_K super-block at {@code src}: element {@code 32 g + l} is the
     * low or high nibble of qs byte {@code 48 + 32 (g / 2) + l} with bit {@code g} of qh byte {@code 16 + l} above it.
     */
    private static int q5Field(byte[] in, int src, int e) {
        int g = e >>> 5;
        int l = e & 31;
        return (ubyte(in, src + 48 + 32 * (g >>> 1) + l) >>> (4 * (g & 1))) & 15 | ((ubyte(in, src + 16 + l) >>> g) & 1) << 4;
    }

    private static void tileQ6_K(byte[] in, int src, byte[] out, int tb, int r) {
        out[tb + 2 * r] = in[src + 208];
        out[tb + 2 * r + 1] = in[src + 209];
        for (int s = 0; s < 8; s++) {
            putShort(out, lane(tb + Q6_K_SCALES, s, r), ubyte(in, src + 192 + 2 * s) | ubyte(in, src + 193 + 2 * s) << 8);
        }
        for (int u = 0; u < 32; u++) {
            int e = 8 * u;
            int v6 = q6Field(in, src, e + 6);
            int v7 = q6Field(in, src, e + 7);
            putShort(out, lane(tb + Q6_K_QUANTS, 3 * q6Run(u), r), q6Field(in, src, e) | q6Field(in, src, e + 1) << 6 | (v6 & 15) << 12);
            putShort(out, lane(tb + Q6_K_QUANTS, 3 * q6Run(u) + 1, r),
                    q6Field(in, src, e + 2) | q6Field(in, src, e + 3) << 6 | (v7 & 15) << 12);
            putShort(out, lane(tb + Q6_K_QUANTS, 3 * q6Run(u) + 2, r),
                    q6Field(in, src, e + 4) | q6Field(in, src, e + 5) << 6 | (v6 >>> 4) << 12 | (v7 >>> 4) << 14);
        }
    }

    private static void tileQ3_K(byte[] in, int src, byte[] out, int tb, int r) {
        out[tb + 2 * r] = in[src + 108];
        out[tb + 2 * r + 1] = in[src + 109];
        for (int k = 0; k < 4; k++) {
            int low = 0;
            for (int i = 0; i < 4; i++) {
                int g = 4 * k + i;
                low |= ((ubyte(in, src + 96 + (g & 7)) >>> (4 * (g >>> 3))) & 15) << (4 * i);
            }
            putShort(out, lane(tb + Q3_K_SCALES, k, r), low);
        }
        for (int half = 0; half < 2; half++) {
            int high = 0;
            for (int i = 0; i < 8; i++) {
                int g = 8 * half + i;
                high |= ((ubyte(in, src + 104 + (g & 3)) >>> (2 * (g >>> 2))) & 3) << (2 * i);
            }
            putShort(out, lane(tb + Q3_K_SCALES, 4 + half, r), high);
        }
        for (int lane = 0; lane < 8; lane++) {
            for (int h = 0; h < 2; h++) {
                int base = 128 * h + 4 * lane;
                int v15 = q3Field(in, src, base + 99); // i = 15: j = 3, t = 3
                for (int k = 0; k < 3; k++) {
                    int v = (v15 >>> k & 1) << 15;
                    for (int f = 0; f < 5; f++) {
                        int i = 5 * k + f;
                        v |= q3Field(in, src, base + 32 * (i >>> 2) + (i & 3)) << (3 * f);
                    }
                    putShort(out, lane(tb + Q3_K_QUANTS, 6 * lane + 3 * h + k, r), v);
                }
            }
        }
    }

    /**
     * The unsigned 3-bit quant {@code e} ({@code q + 4}) of the ggml Q3_K super-block at {@code src}:
     * element {@code 128 h + 32 j + l} has bits {@code 2j, 2j+1} of qs byte {@code 32 + 32 h + l} as its
     * low bits and bit {@code 4h + j} of hmask byte {@code l} as its third.
     */
    private static int q3Field(byte[] in, int src, int e) {
        int h = e >>> 7;
        int j = (e >>> 5) & 3;
        int l = e & 31;
        return (ubyte(in, src + 32 + 32 * h + l) >>> (2 * j)) & 3 | ((ubyte(in, src + l) >>> (4 * h + j)) & 1) << 2;
    }

    private static void tileQ2_K(byte[] in, int src, byte[] out, int tb, int r) {
        out[tb + 2 * r] = in[src + 80];
        out[tb + 2 * r + 1] = in[src + 81];
        out[tb + Q2_K_DMIN + 2 * r] = in[src + 82];
        out[tb + Q2_K_DMIN + 2 * r + 1] = in[src + 83];
        for (int s = 0; s < 8; s++) {
            putShort(out, lane(tb + Q2_K_SCALES, s, r), ubyte(in, src + 2 * s) | ubyte(in, src + 2 * s + 1) << 8);
        }
        for (int lane = 0; lane < 8; lane++) {
            for (int hp = 0; hp < 4; hp++) { // half h = hp / 2, pair p = hp % 2
                int v = 0;
                for (int k = 0; k < 8; k++) { // j = 2p + k / 4, t = k % 4
                    int j = 2 * (hp & 1) + (k >>> 2);
                    int l = 4 * lane + (k & 3);
                    v |= ((ubyte(in, src + 16 + 32 * (hp >>> 1) + l) >>> (2 * j)) & 3) << (2 * k);
                }
                putShort(out, lane(tb + Q2_K_QUANTS, 4 * lane + hp, r), v);
            }
        }
    }

    /** ggml's 6-bit scale of group {@code g} (0-7) from the 12 bytes of Q4_K scales and minimums at {@code s}. */
    private static int scale(byte[] in, int s, int g) {
        return g < 4 ? ubyte(in, s + g) & 63 : (ubyte(in, s + g + 4) & 0x0F) | (ubyte(in, s + g - 4) >>> 6) << 4;
    }

    /** ggml's 6-bit minimum of group {@code g} (0-7), packed as {@link #scale}. */
    private static int min(byte[] in, int s, int g) {
        return g < 4 ? ubyte(in, s + g + 4) & 63 : (ubyte(in, s + g + 4) >>> 4) | (ubyte(in, s + g) >>> 6) << 4;
    }

    /**
     * The unsigned 6-bit quant {@code e} of the ggml Q6_K super-block at {@code src}: element
     * {@code 128 h + 32 k + l} is the low or high nibble of ql byte {@code 64 h + 32 (k % 2) + l}
     * with bits {@code 2k, 2k+1} of qh byte {@code 32 h + l} above it.
     */
    private static int q6Field(byte[] in, int src, int e) {
        int h = e >>> 7;
        int k = (e >>> 5) & 3;
        int l = e & 31;
        int low = (ubyte(in, src + 64 * h + 32 * (k & 1) + l) >>> (4 * (k >>> 1))) & 0x0F;
        int high = (ubyte(in, src + 128 + 32 * h + l) >>> (2 * k)) & 3;
        return low | high << 4;
    }

    // ---------------------------------------------------------------- back to ggml's blocks

    /**
     * Writes row {@code r} of the tiled {@code w} in ggml's row-major block layout into
     * {@code out[0, w.rowBytes())}: the inverse of tiling, for the scalar reference.
     */
    static void untileRow(WeightMatrix w, int r, byte[] out) {
        MemorySegment m = w.data();
        int lane = r % TILE_ROWS;
        int bytes = w.type().bytesPerBlock();
        for (int b = 0; b < w.cols() / QK; b++) {
            long tb = (r / TILE_ROWS) * w.rowBytes() * TILE_ROWS + (long) b * bytes * TILE_ROWS;
            int dst = b * bytes;
            switch (w.type()) {
                case Q2_K -> untileQ2_K(m, tb, lane, out, dst);
                case Q3_K -> untileQ3_K(m, tb, lane, out, dst);
                case Q4_K, Q5_K -> untileQ4_K(m, tb, lane, out, dst, w.type() == GgmlType.Q5_K);
                default -> untileQ6_K(m, tb, lane, out, dst);
            }
        }
    }

    private static int ushort(MemorySegment m, long at) {
        return m.get(F16_LAYOUT, at) & 0xFFFF;
    }

    private static void untileQ4_K(MemorySegment m, long tb, int r, byte[] out, int dst, boolean fifthBits) {
        putShort(out, dst, ushort(m, tb + 2 * r));
        putShort(out, dst + 2, ushort(m, tb + Q4_K_DMIN + 2 * r));
        for (int g = 0; g < 4; g++) { // ggml's packing, see scale and min
            out[dst + 4 + g] = (byte) (tiledScale(m, tb, r, g) | (tiledScale(m, tb, r, g + 4) >>> 4) << 6);
            out[dst + 8 + g] = (byte) (tiledMin(m, tb, r, g) | (tiledMin(m, tb, r, g + 4) >>> 4) << 6);
            out[dst + 12 + g] = (byte) ((tiledScale(m, tb, r, g + 4) & 15) | (tiledMin(m, tb, r, g + 4) & 15) << 4);
        }
        if (!fifthBits) {
            for (int p = 0; p < 64; p++) {
                out[dst + 16 + 2 * p] = m.get(BYTE, tb + lane(Q4_K_QUANTS, q4Short(p), r));
                out[dst + 17 + 2 * p] = m.get(BYTE, tb + lane(Q4_K_QUANTS, q4Short(p), r) + 1);
            }
            return;
        }
        Arrays.fill(out, dst + 16, dst + 176, (byte) 0);
        for (int lane = 0; lane < 8; lane++) {
            for (int k = 0; k < 2; k++) {
                long at = tb + lane(Q5_K_QUANTS, 10 * lane + 5 * k, r);
                for (int i = 0; i < 16; i++) {
                    int v = 0;
                    if (i < 15) {
                        v = ushort(m, at + 2L * TILE_ROWS * (i / 3)) >>> (5 * (i % 3)) & 31;
                    } else {
                        for (int n = 0; n < 5; n++) {
                            v |= (ushort(m, at + 2L * TILE_ROWS * n) >>> 15) << n;
                        }
                    }
                    int e = q5Element(lane, k, i);
                    int g = e >>> 5;
                    int l = e & 31;
                    out[dst + 48 + 32 * (g >>> 1) + l] |= (byte) ((v & 15) << (4 * (g & 1)));
                    out[dst + 16 + l] |= (byte) ((v >>> 4) << g);
                }
            }
        }
    }

    private static int tiledScale(MemorySegment m, long tb, int r, int g) {
        return ushort(m, tb + lane(Q4_K_SCALES, g >>> 1, r)) >>> (8 * (g & 1)) & 63;
    }

    private static int tiledMin(MemorySegment m, long tb, int r, int g) {
        int high = ushort(m, tb + lane(Q4_K_SCALES, g >>> 1, r)) >>> (8 * (g & 1) + 6) & 3;
        return (ushort(m, tb + lane(Q4_K_SCALES, 4 + (g >>> 2), r)) >>> (4 * (g & 3))) & 15 | high << 4;
    }

    private static void untileQ6_K(MemorySegment m, long tb, int r, byte[] out, int dst) {
        putShort(out, dst + 208, ushort(m, tb + 2 * r));
        for (int s = 0; s < 8; s++) {
            putShort(out, dst + 192 + 2 * s, ushort(m, tb + lane(Q6_K_SCALES, s, r)));
        }
        Arrays.fill(out, dst, dst + 192, (byte) 0);
        for (int e = 0; e < QK; e++) {
            int u = e >>> 3;
            int t = e & 7;
            long at = tb + lane(Q6_K_QUANTS, 3 * q6Run(u), r);
            int v = t < 6
                    ? ushort(m, at + 2L * TILE_ROWS * (t >>> 1)) >>> (6 * (t & 1)) & 63
                    : ushort(m, at + 2L * TILE_ROWS * (t - 6)) >>> 12 | (ushort(m, at + 4L * TILE_ROWS) >>> (12 + 2 * (t - 6)) & 3) << 4;
            int h = e >>> 7;
            int k = (e >>> 5) & 3;
            int l = e & 31;
            out[dst + 64 * h + 32 * (k & 1) + l] |= (byte) ((v & 15) << (4 * (k >>> 1)));
            out[dst + 128 + 32 * h + l] |= (byte) ((v >>> 4) << (2 * k));
        }
    }

    private static void untileQ3_K(MemorySegment m, long tb, int r, byte[] out, int dst) {
        putShort(out, dst + 108, ushort(m, tb + 2 * r));
        Arrays.fill(out, dst, dst + 108, (byte) 0);
        for (int g = 0; g < 16; g++) {
            int low = ushort(m, tb + lane(Q3_K_SCALES, g >>> 2, r)) >>> (4 * (g & 3)) & 15;
            int high = ushort(m, tb + lane(Q3_K_SCALES, 4 + (g >>> 3), r)) >>> (2 * (g & 7)) & 3;
            out[dst + 96 + (g & 7)] |= (byte) (low << (4 * (g >>> 3)));
            out[dst + 104 + (g & 3)] |= (byte) (high << (2 * (g >>> 2)));
        }
        for (int lane = 0; lane < 8; lane++) {
            for (int h = 0; h < 2; h++) {
                long at = tb + lane(Q3_K_QUANTS, 6 * lane + 3 * h, r);
                for (int i = 0; i < 16; i++) {
                    int v;
                    if (i < 15) {
                        v = ushort(m, at + 2L * TILE_ROWS * (i / 5)) >>> (3 * (i % 5)) & 7;
                    } else {
                        v = 0;
                        for (int k = 0; k < 3; k++) {
                            v |= (ushort(m, at + 2L * TILE_ROWS * k) >>> 15) << k;
                        }
                    }
                    int j = i >>> 2;
                    int l = 4 * lane + (i & 3);
                    out[dst + 32 + 32 * h + l] |= (byte) ((v & 3) << (2 * j));
                    out[dst + l] |= (byte) ((v >>> 2) << (4 * h + j));
                }
            }
        }
    }

    private static void untileQ2_K(MemorySegment m, long tb, int r, byte[] out, int dst) {
        putShort(out, dst + 80, ushort(m, tb + 2 * r));
        putShort(out, dst + 82, ushort(m, tb + Q2_K_DMIN + 2 * r));
        for (int s = 0; s < 8; s++) {
            putShort(out, dst + 2 * s, ushort(m, tb + lane(Q2_K_SCALES, s, r)));
        }
        Arrays.fill(out, dst + 16, dst + 80, (byte) 0);
        for (int lane = 0; lane < 8; lane++) {
            for (int hp = 0; hp < 4; hp++) {
                int v = ushort(m, tb + lane(Q2_K_QUANTS, 4 * lane + hp, r));
                for (int k = 0; k < 8; k++) {
                    int j = 2 * (hp & 1) + (k >>> 2);
                    int l = 4 * lane + (k & 3);
                    out[dst + 16 + 32 * (hp >>> 1) + l] |= (byte) (((v >>> (2 * k)) & 3) << (2 * j));
                }
            }
        }
    }
}
