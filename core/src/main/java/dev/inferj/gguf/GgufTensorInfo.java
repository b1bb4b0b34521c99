package dev.inferj.gguf;

import dev.inferj.ggml.GgmlType;
import java.util.Arrays;

/**
 * A tensor's entry in a GGUF header. {@code dims[0]} is the fastest-varying (row length);
 * {@code offset} counts from the start of the file's data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] dims, long offset) {

    public GgufTensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(dims, t.dims) && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset;
    }
}
