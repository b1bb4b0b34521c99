package dev.inferj;

import java.nio.file.Path;

/**
 * How a model is loaded.
 *
 * @param threads       threads for the row-parallel kernels (the caller's thread counts as one)
 * @param contextLength positions each session can hold; 0 means the model's own, capped at {@link #DEFAULT_CONTEXT_CAP}
 * @param tileWeights   copy Q4_0, Q8_0, Q4_K, Q5_K and Q6_K matrices at load into a layout the kernels read several
 *                      times faster (the same size, in memory the model owns; the file's pages
 *                      they came from are released); {@code false} computes on the mapped file as it is
 * @param tileCache     a directory where tiled weights are kept, so that the next load of the same file
 *                      maps them instead of copying the weights again (a file as large as the model's
 *                      Q4_0, Q8_0, Q4_K, Q5_K and Q6_K tensors); {@code null}, the default, keeps none
 */
public record ModelOptions(int threads, int contextLength, boolean tileWeights, Path tileCache) {
    /** Sessions hold at most this many positions unless asked for more: the KV cache of a long-context model is large. */
    public static final int DEFAULT_CONTEXT_CAP = 4096;

    public ModelOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("contextLength must not be negative, was " + contextLength);
        }
    }

    /** All processors, the model's context length capped at {@value #DEFAULT_CONTEXT_CAP}, tiled weights. */
    public static ModelOptions defaults() {
        return new ModelOptions(Runtime.getRuntime().availableProcessors(), 0, true, null);
    }

    public ModelOptions withThreads(int threads) {
        return new ModelOptions(threads, contextLength, tileWeights, tileCache);
    }

    public ModelOptions withContextLength(int contextLength) {
        return new ModelOptions(threads, contextLength, tileWeights, tileCache);
    }

    public ModelOptions withTileWeights(boolean tileWeights) {
        return new ModelOptions(threads, contextLength, tileWeights, tileCache);
    }

    /** Keeps tiled weights in {@code directory} (created when missing), or none with {@code null}. */
    public ModelOptions withTileCache(Path directory) {
        return new ModelOptions(threads, contextLength, tileWeights, directory);
    }
}
