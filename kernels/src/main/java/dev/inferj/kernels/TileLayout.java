package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * A load-time layout for Q4_0, Q8_0, Q4_K, Q5_K and Q6_K matrices that lets the vector kernels work on many rows
 * at once: rows are taken in tiles of {@link #TILE_ROWS}, and a tile is stored block by block.
 * The tile-block of tile {@code t} and block {@code b} holds the same bytes as the 32 row blocks
 * it replaces, so a tiled matrix is exactly as large as the file's:
 * <ul>
 * <li>the 32 F16 scales, row by row (64 bytes);
 * <li>Q8_0: for each element {@code e} of the block, the 32 rows' quants of {@code e} (32 groups of 32 bytes);
 * <li>Q4_0: for each pair of packed bytes {@code j, j + 1} ({@code j} even), the 32 rows' two bytes
 *     side by side (8 groups of 64 bytes), so a row's four nibbles of elements {@code j, j + 16,
 *     j + 1, j + 17} sit in one 16-bit lane.
 * </ul>
 * The K-quants (Q2_K to Q6_K) tile super-blocks of 256 elements, in the same way: see {@link TiledKQuants}.
 * Block scales must be finite (a file with an infinite or NaN scale is refused here: the tiled
 * kernels convert scales from F16 in two operations that assume it).
 *
 * <p>A vector lane then stands for a row: one vector load brings the same element of 16 or 32 rows,
 * the activation element multiplies all of them, and each row's block sum is scaled by its own
 * block scale in one vector operation instead of one per row.
 */
public final class TileLayout {

    /** Rows per tile. */
    public static final int TILE_ROWS = 32;
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Bytes of the scales at the start of a tile-block. */
    static final int SCALE_BYTES = 2 * TILE_ROWS;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Tiles repacked by one task: enough to amortize its buffers, few enough to spread over the cores. */
    private static final int TILES_PER_TASK = 16;

    private TileLayout() {
    }

    /** Whether matrices of this type and height can be tiled. */
    public static boolean supports(GgmlType type, int rows) {
        return (type == GgmlType.Q4_0 || type == GgmlType.Q8_0 || TiledKQuants.supports(type)) && rows % TILE_ROWS == 0;
    }

    /**
     * Byte offsets, within a ggml block of a type that can be tiled, of its F16 factors: the block
     * scale of Q4_0 and Q8_0, {@code d} and {@code dmin} of Q2_K, Q4_K and Q5_K, {@code d} of Q3_K and Q6_K. Tiling requires them finite.
     */
    public static int[] factorOffsets(GgmlType type) {
        return switch (type) {
            case Q4_0, Q8_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case Q3_K -> new int[] {108};
            case Q2_K -> new int[] {80, 82};
            default -> throw new IllegalArgumentException(type + " cannot be tiled");
        };
    }

    /**
     * Writes {@code w} (row-major) tiled into {@code dst}, which must be as large as
     * {@code w.data()}, and returns the tiled matrix over {@code dst}. Runs on the common
     * fork-join pool.
     *
     * @throws IllegalArgumentException when a block scale is infinite or NaN (naming row and block)
     */
    public static WeightMatrix repack(WeightMatrix w, MemorySegment dst) {
        return repack(w, dst, (offset, into, length) -> MemorySegment.copy(w.data(), BYTE, offset, into, 0, length));
    }

    /** Where {@link #repack(WeightMatrix, MemorySegment, Source)} reads the row-major bytes of a matrix. */
    @FunctionalInterface
    public interface Source {
        /** Copies bytes {@code [offset, offset + length)} of the matrix's row-major data into {@code into[0, length)}. */
        void read(long offset, byte[] into, int length);
    }

    /**
     * {@link #repack(WeightMatrix, MemorySegment)} reading {@code w}'s bytes from {@code source}, a tile's rows at a
     * time, rather than from {@code w.data()} (a file read with read calls rather than through its mapping, say).
     */
    public static WeightMatrix repack(WeightMatrix w, MemorySegment dst, Source source) {
        if (w.layout() != WeightMatrix.Layout.ROWS || !supports(w.type(), w.rows())) {
            throw new IllegalArgumentException(w.name() + ": " + w.type() + " " + w.layout() + " with "
                    + w.rows() + " rows cannot be tiled");
        }
        if (dst.byteSize() != w.data().byteSize()) {
            throw new IllegalArgumentException(w.name() + ": " + dst.byteSize() + " bytes to tile into, "
                    + w.data().byteSize() + " needed");
        }
        int tiles = w.rows() / TILE_ROWS;
        long tileBytes = w.rowBytes() * TILE_ROWS;
        if (tileBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(w.name() + ": rows of " + w.cols() + " elements are too long to tile");
        }
        int tasks = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            byte[] in = new byte[(int) tileBytes];
            byte[] out = new byte[(int) tileBytes];
            for (int t = task * TILES_PER_TASK; t < Math.min(tiles, (task + 1) * TILES_PER_TASK); t++) {
                source.read(t * tileBytes, in, in.length);
                tile(w, t, in, out);
                MemorySegment.copy(out, 0, dst, BYTE, t * tileBytes, out.length);
            }
        });
        return new WeightMatrix(w.name(), w.type(), dst, w.rows(), w.cols(), WeightMatrix.Layout.TILES);
    }

    /** Tile {@code t} of {@code w}: {@code in} holds its 32 rows one after the other. */
    private static void tile(WeightMatrix w, int t, byte[] in, byte[] out) {
        GgmlType type = w.type();
        int rowBytes = (int) w.rowBytes();
        int blockBytes = type.bytesPerBlock();
        int[] factors = factorOffsets(type);
        for (int b = 0; b < w.cols() / type.blockSize(); b++) {
            int tileBlock = b * blockBytes * TILE_ROWS;
            for (int lane = 0; lane < TILE_ROWS; lane++) {
                int src = lane * rowBytes + b * blockBytes;
                for (int f : factors) {
                    if ((in[src + f + 1] & 0x7c) == 0x7c) { // F16 exponent all ones: infinity or NaN
                        throw new IllegalArgumentException(w.name() + ": row " + (t * TILE_ROWS + lane) + ", block " + b
                                + " has a non-finite scale (F16 bits 0x"
                                + Integer.toHexString((in[src + f + 1] & 0xff) << 8 | in[src + f] & 0xff) + ")");
                    }
                }
            }
            if (TiledKQuants.supports(type)) {
                TiledKQuants.tileBlock(type, in, rowBytes, b, out, tileBlock);
                continue;
            }
            for (int lane = 0; lane < TILE_ROWS; lane++) {
                SHORTS.set(out, tileBlock + 2 * lane, (short) SHORTS.get(in, lane * rowBytes + b * blockBytes));
            }
            if (type == GgmlType.Q8_0) {
                for (int lanes = 0; lanes < TILE_ROWS; lanes += 8) {
                    for (int j = 0; j < 32; j += 8) {
                        transpose8x8(in, lanes * rowBytes + b * blockBytes + 2 + j, rowBytes,
                                out, tileBlock + quantOffsetInTileBlock(type, lanes, j), TILE_ROWS);
                    }
                }
            } else { // Q4_0: each row's pairs of quant bytes, 64 bytes apart
                for (int lane = 0; lane < TILE_ROWS; lane++) {
                    int src = lane * rowBytes + b * blockBytes + 2;
                    for (int j = 0; j < blockBytes - 2; j += 2) {
                        SHORTS.set(out, tileBlock + quantOffsetInTileBlock(type, lane, j), (short) SHORTS.get(in, src + j));
                    }
                }
            }
        }
    }

    /**
     * Eight rows of eight bytes, {@code from} bytes apart from {@code in[at]}, written as eight columns, {@code to}
     * bytes apart from {@code out[into]}: byte {@code k} of column {@code m} is byte {@code m} of row {@code k}.
     * Three rounds of swaps in longs (bytes between rows 1 apart, byte pairs 2 apart, quads 4 apart), several times
     * faster than moving the 64 bytes one at a time.
     */
    private static void transpose8x8(byte[] in, int at, int from, byte[] out, int into, int to) {
        long r0 = (long) LONGS.get(in, at);
        long r1 = (long) LONGS.get(in, at + from);
        long r2 = (long) LONGS.get(in, at + 2 * from);
        long r3 = (long) LONGS.get(in, at + 3 * from);
        long r4 = (long) LONGS.get(in, at + 4 * from);
        long r5 = (long) LONGS.get(in, at + 5 * from);
        long r6 = (long) LONGS.get(in, at + 6 * from);
        long r7 = (long) LONGS.get(in, at + 7 * from);
        long m1 = 0x00FF00FF00FF00FFL;
        long t;
        t = r0; r0 = t & m1 | (r1 & m1) << 8; r1 = t >>> 8 & m1 | r1 & ~m1;
        t = r2; r2 = t & m1 | (r3 & m1) << 8; r3 = t >>> 8 & m1 | r3 & ~m1;
        t = r4; r4 = t & m1 | (r5 & m1) << 8; r5 = t >>> 8 & m1 | r5 & ~m1;
        t = r6; r6 = t & m1 | (r7 & m1) << 8; r7 = t >>> 8 & m1 | r7 & ~m1;
        long m2 = 0x0000FFFF0000FFFFL;
        t = r0; r0 = t & m2 | (r2 & m2) << 16; r2 = t >>> 16 & m2 | r2 & ~m2;
        t = r1; r1 = t & m2 | (r3 & m2) << 16; r3 = t >>> 16 & m2 | r3 & ~m2;
        t = r4; r4 = t & m2 | (r6 & m2) << 16; r6 = t >>> 16 & m2 | r6 & ~m2;
        t = r5; r5 = t & m2 | (r7 & m2) << 16; r7 = t >>> 16 & m2 | r7 & ~m2;
        long m4 = 0x00000000FFFFFFFFL;
        t = r0; r0 = t & m4 | r4 << 32; r4 = t >>> 32 | r4 & ~m4;
        t = r1; r1 = t & m4 | r5 << 32; r5 = t >>> 32 | r5 & ~m4;
        t = r2; r2 = t & m4 | r6 << 32; r6 = t >>> 32 | r6 & ~m4;
        t = r3; r3 = t & m4 | r7 << 32; r7 = t >>> 32 | r7 & ~m4;
        LONGS.set(out, into, r0);
        LONGS.set(out, into + to, r1);
        LONGS.set(out, into + 2 * to, r2);
        LONGS.set(out, into + 3 * to, r3);
        LONGS.set(out, into + 4 * to, r4);
        LONGS.set(out, into + 5 * to, r5);
        LONGS.set(out, into + 6 * to, r6);
        LONGS.set(out, into + 7 * to, r7);
    }

    /** Offset of the F16 scale of {@code row}'s block {@code block} in a tiled {@code w}. */
    static long scaleOffset(WeightMatrix w, int row, int block) {
        return tileBlockOffset(w, row, block) + 2L * (row % TILE_ROWS);
    }

    /** Offset of quant byte {@code j} (as in the row-major block, after its scale) of {@code row}'s block {@code block}. */
    static long quantOffset(WeightMatrix w, int row, int block, int j) {
        return tileBlockOffset(w, row, block) + quantOffsetInTileBlock(w.type(), row % TILE_ROWS, j);
    }

    private static long tileBlockOffset(WeightMatrix w, int row, int block) {
        return (row / TILE_ROWS) * w.rowBytes() * TILE_ROWS + (long) block * w.type().bytesPerBlock() * TILE_ROWS;
    }

    private static int quantOffsetInTileBlock(GgmlType type, int lane, int j) {
        return type == GgmlType.Q8_0
                ? SCALE_BYTES + TILE_ROWS * j + lane
                : SCALE_BYTES + 2 * TILE_ROWS * (j >> 1) + 2 * lane + (j & 1);
    }
}
