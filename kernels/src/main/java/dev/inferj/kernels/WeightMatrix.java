package dev.inferj.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A row-major matrix of {@code rows} rows of {@code cols} elements in ggml's layout, viewed
 * over memory it does not own (usually a slice of a memory-mapped GGUF file).
 * In GGUF terms {@code cols = ne[0]} and {@code rows = ne[1]}.
 */
public record WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {

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
    }

    /** Bytes taken by one row. */
    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Byte offset of the first byte of {@code row} within {@link #data()}. */
    public long rowOffset(int row) {
        return row * rowBytes();
    }
}
