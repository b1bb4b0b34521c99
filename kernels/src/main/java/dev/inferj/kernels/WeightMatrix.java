package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A matrix of {@code rows} rows of {@code cols} elements in one of two layouts, viewed over
 * memory it does not own: ggml's row-major layout (usually a slice of a memory-mapped GGUF
 * file), or the tiles of {@link TileLayout}. In GGUF terms {@code cols = ne[0]} and
 * {@code rows = ne[1]}; both layouts take the same number of bytes.
 */
public record WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols, Layout layout) {

    /** How the rows are laid out in {@link #data()}. */
    public enum Layout {
        /** ggml's: row after row, each a run of blocks. */
        ROWS,
        /** {@link TileLayout}: rows interleaved in tiles of {@link TileLayout#TILE_ROWS}, block by block. */
        TILES
    }

    public WeightMatrix {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape " + rows + "x" + cols + " is empty");
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + cols + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        long expected = type.byteSize((long) cols) * rows;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes of data, "
                    + type + " " + rows + "x" + cols + " needs " + expected);
        }
        if (layout == Layout.TILES && !TileLayout.supports(type, rows)) {
            throw new IllegalArgumentException(name + ": " + type + " with " + rows + " rows cannot be tiled");
        }
    }

    /** A matrix in ggml's row-major layout. */
    public WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, Layout.ROWS);
    }

    /** Bytes taken by one row. */
    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Byte offset of the first byte of {@code row} within {@link #data()}; row-major layout only. */
    public long rowOffset(int row) {
        if (layout != Layout.ROWS) {
            throw new IllegalStateException(name + " is tiled: its rows are not contiguous");
        }
        return row * rowBytes();
    }

    /**
     * Row ranges given to {@link Kernels#matVec} and {@link Kernels#matMul} start and end at
     * multiples of this (or at {@link #rows()}): 1 for row-major matrices, the tile height for tiled ones.
     */
    public int rowGranularity() {
        return layout == Layout.TILES ? TileLayout.TILE_ROWS : 1;
    }
}
