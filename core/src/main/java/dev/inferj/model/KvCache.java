package dev.inferj.model;

import dev.inferj.KvCacheType;
import dev.inferj.kernels.ActivationFormat;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Keys and values of every layer for every position so far, off-heap in F32, F16 (llama.cpp's
 * default) or Q8_0. Layout per layer: keys then values, each {@code [contextLength]} rows of one
 * position's {@code kvDim} elements, a row's heads one after another.
 */
public final class KvCache implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = OffHeap.sharedArena();
    private final MemorySegment memory;
    private final KvCacheType type;
    private final int contextLength;
    private final int kvDim;
    private final int headDim;
    private final long rowBytes;
    private final long headBytes;
    private final long layerBytes;
    /** Q8_0: a row on its way into the cache (the cache is used by one thread at a time). */
    private final PreparedVector quantized;

    public KvCache(ModelConfig config, int contextLength, KvCacheType type) {
        this.type = type;
        this.contextLength = contextLength;
        this.kvDim = config.kvDim();
        this.headDim = config.headDim();
        if (type == KvCacheType.Q8_0 && headDim % PreparedVector.Q8_BLOCK != 0) {
            throw new IllegalArgumentException("a Q8_0 KV cache needs attention heads of a multiple of 32 values; this model's have "
                    + headDim + " (use F16 or F32)");
        }
        this.rowBytes = bytes(type, kvDim);
        this.headBytes = bytes(type, headDim);
        this.layerBytes = 2L * contextLength * rowBytes;
        this.quantized = type == KvCacheType.Q8_0 ? new PreparedVector(kvDim) : null;
        // fresh pages, faulted in as positions are written: zeroing it all up front took ~0.7 s (4096 positions
        // of an 8-layer Mistral) and counted the whole cache as resident from the start
        this.memory = Pages.fresh(arena, layerBytes * config.blockCount());
    }

    /** Bytes of {@code n} elements (a multiple of 32 for Q8_0) in {@code type}. */
    public static long bytes(KvCacheType type, int n) {
        return switch (type) {
            case F32 -> 4L * n;
            case F16 -> 2L * n;
            case Q8_0 -> GgmlType.Q8_0.byteSize(n);
        };
    }

    public KvCacheType type() {
        return type;
    }

    public int contextLength() {
        return contextLength;
    }

    /** How the queries meet the keys: rounded to F16 for an F16 cache (as ggml), quantized for Q8_0. */
    public ActivationFormat queryFormat() {
        return switch (type) {
            case F32 -> ActivationFormat.F32;
            case F16 -> ActivationFormat.F16;
            case Q8_0 -> ActivationFormat.Q8_0;
        };
    }

    private long keyOffset(int layer, int position, int head) {
        return layer * layerBytes + position * rowBytes + head * headBytes;
    }

    private long valueOffset(int layer, int position, int head) {
        return keyOffset(layer, position, head) + layerBytes / 2;
    }

    /** Stores the keys {@code x[xOffset, xOffset + kvDim)} (or with {@code values}, the values) of {@code position}. */
    public void store(Kernels k, int layer, int position, boolean values, float[] x, int xOffset) {
        long at = values ? valueOffset(layer, position, 0) : keyOffset(layer, position, 0);
        switch (type) {
            case F32 -> MemorySegment.copy(x, xOffset, memory, F32, at, kvDim);
            case F16 -> k.storeF16(x, xOffset, memory, at, kvDim);
            case Q8_0 -> {
                k.prepare(x, xOffset, kvDim, ActivationFormat.Q8_0, quantized);
                quantized.writeQ8_0(memory, at);
            }
        }
    }

    /**
     * The key of kv-head {@code head} at {@code position} dotted with the query head at {@code query[queryOffset]}
     * (prepared in {@link #queryFormat()}); for F16 in the order of ggml's batched product or, unless
     * {@code batched}, its single-row one.
     */
    public float keyDot(Kernels k, int layer, int position, int head, PreparedVector query, int queryOffset, boolean batched) {
        long key = keyOffset(layer, position, head);
        return switch (type) {
            case F32 -> k.dotF32(memory, key, query.values(), queryOffset, headDim);
            case F16 -> batched ? k.dotF16(memory, key, query.values(), queryOffset, headDim)
                    : k.dotF16Unrolled(memory, key, query.values(), queryOffset, headDim);
            case Q8_0 -> k.dotQ8_0(memory, key, query, queryOffset, headDim);
        };
    }

    /**
     * An F16 cache's key of kv-head {@code head} at {@code position} dotted with four queries at the same offset, in
     * the order of ggml's batched product: {@code dots[0, 4)} get the bits {@link #keyDot} gives each.
     */
    public void keyDots4(Kernels k, int layer, int position, int head, float[] q0, float[] q1, float[] q2, float[] q3,
            int queryOffset, float[] dots) {
        k.dotF16x4(memory, keyOffset(layer, position, head), q0, q1, q2, q3, queryOffset, headDim, dots, 0);
    }

    /**
     * An F16 cache's value of kv-head {@code head} at {@code position} added to four sums with the four
     * {@code probabilities}, each as {@link #addValue} adds it.
     */
    public void addValues4(Kernels k, float[] probabilities, int layer, int position, int head, float[] sums, int offset0,
            int offset1, int offset2, int offset3) {
        k.axpyF16x4(memory, valueOffset(layer, position, head), headDim, roundedToF16(probabilities[0]),
                roundedToF16(probabilities[1]), roundedToF16(probabilities[2]), roundedToF16(probabilities[3]), sums,
                offset0, offset1, offset2, offset3);
    }

    private static float roundedToF16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /**
     * {@code sums[offset, offset + headDim) += probability * value} of kv-head {@code head} at {@code position};
     * with an F16 cache the probability is rounded to F16 first, as ggml does.
     */
    public void addValue(Kernels k, float probability, int layer, int position, int head, float[] sums, int offset) {
        long value = valueOffset(layer, position, head);
        switch (type) {
            case F32 -> k.axpyF32(probability, memory, value, sums, offset, headDim);
            case F16 -> k.axpyF16(roundedToF16(probability), memory, value, sums, offset, headDim);
            case Q8_0 -> k.axpyQ8_0(probability, memory, value, sums, offset, headDim);
        }
    }

    /** Reads the keys (or {@code values}) of {@code position} into {@code out[0, kvDim)} as floats. */
    public void load(int layer, int position, boolean values, float[] out) {
        long at = values ? valueOffset(layer, position, 0) : keyOffset(layer, position, 0);
        switch (type) {
            case F32 -> MemorySegment.copy(memory, F32, at, out, 0, kvDim);
            case F16 -> {
                for (int i = 0; i < kvDim; i++) {
                    out[i] = Float.float16ToFloat(memory.get(F16, at + 2L * i));
                }
            }
            case Q8_0 -> {
                int block = PreparedVector.Q8_BLOCK;
                for (int b = 0; b < kvDim / block; b++) {
                    long blockAt = at + GgmlType.Q8_0.bytesPerBlock() * (long) b;
                    float d = Float.float16ToFloat(memory.get(F16, blockAt));
                    for (int i = 0; i < block; i++) {
                        out[b * block + i] = d * memory.get(ValueLayout.JAVA_BYTE, blockAt + 2 + i);
                    }
                }
            }
        }
    }

    /** Moves the rows of {@code count} positions from {@code from} down to {@code to}, keys and values of every layer. */
    public void move(int from, int to, int count) {
        for (int l = 0; l < layers(); l++) {
            for (long half : new long[] {0, layerBytes / 2}) {
                long base = l * layerBytes + half;
                MemorySegment.copy(memory, base + from * rowBytes, memory, base + to * rowBytes, count * rowBytes);
            }
        }
    }

    /** The keys of positions {@code [0, positions)} of {@code layer}, then (with {@code values}) their values. */
    public MemorySegment rows(int layer, boolean values, int positions) {
        long start = layer * layerBytes + (values ? layerBytes / 2 : 0);
        return memory.asSlice(start, positions * rowBytes);
    }

    /** Bytes one position takes in one layer's keys (or values). */
    public long rowBytes() {
        return rowBytes;
    }

    /** Bytes the whole cache takes. */
    public long byteSize() {
        return memory.byteSize();
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
