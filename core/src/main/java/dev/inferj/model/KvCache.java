package dev.inferj.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Keys and values of every layer for every position so far, off-heap in half precision
 * (as llama.cpp's default F16 cache). Layout per layer: keys then values, each
 * {@code [contextLength][kvDim]}.
 */
public final class KvCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final int contextLength;
    private final int kvDim;
    private final long layerBytes;

    public KvCache(ModelConfig config, int contextLength) {
        this.contextLength = contextLength;
        this.kvDim = config.kvDim();
        this.layerBytes = 2L * 2 * contextLength * kvDim;
        // fresh pages, faulted in as positions are written: zeroing it all up front took ~0.7 s (4096 positions
        // of an 8-layer Mistral) and counted the whole cache as resident from the start
        this.memory = Pages.fresh(arena, layerBytes * config.blockCount());
    }

    public int contextLength() {
        return contextLength;
    }

    public MemorySegment memory() {
        return memory;
    }

    /** Byte offset of the key of kv-head {@code head} at {@code position} in {@code layer}. */
    public long keyOffset(int layer, int position, int head, int headDim) {
        return layer * layerBytes + 2L * ((long) position * kvDim + (long) head * headDim);
    }

    /** Byte offset of the value of kv-head {@code head} at {@code position} in {@code layer}. */
    public long valueOffset(int layer, int position, int head, int headDim) {
        return keyOffset(layer, position, head, headDim) + layerBytes / 2;
    }

    /** The keys of positions {@code [0, positions)} of {@code layer}, then (with {@code values}) their values. */
    public MemorySegment rows(int layer, boolean values, int positions) {
        long start = layer * layerBytes + (values ? layerBytes / 2 : 0);
        return memory.asSlice(start, 2L * positions * kvDim);
    }

    /** Layers in the cache. */
    public int layers() {
        return (int) (memory.byteSize() / layerBytes);
    }

    /** Key (and value) elements per position. */
    public int kvDim() {
        return kvDim;
    }

    @Override
    public void close() {
        arena.close();
    }
}
