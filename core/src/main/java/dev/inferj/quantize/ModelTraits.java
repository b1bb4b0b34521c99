package dev.inferj.quantize;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValueType;

/**
 * What llama.cpp's choice of tensor types reads from a model besides the tensors themselves: its
 * architecture ({@code general.architecture}), layer count, attention head counts (of the first
 * layer, where a file gives one per layer) and expert count.
 *
 * @param headCountKv key-value heads; equal to {@code headCount} without grouped-query attention
 * @param expertCount experts per layer; 0 for a dense feed-forward
 */
public record ModelTraits(String architecture, int blockCount, int headCount, int headCountKv, int expertCount) {

    /** The traits of the model in {@code file}, with llama.cpp's defaults for what it leaves out. */
    public static ModelTraits of(GgufFile file) {
        String arch = file.getString("general.architecture");
        int heads = firstInt(file, arch + ".attention.head_count", 0);
        return new ModelTraits(arch, firstInt(file, arch + ".block_count", 0), heads,
                firstInt(file, arch + ".attention.head_count_kv", heads), firstInt(file, arch + ".expert_count", 0));
    }

    private static int firstInt(GgufFile file, String key, int fallback) {
        if (!file.has(key)) {
            return fallback;
        }
        if (file.value(key).type() == GgufValueType.ARRAY) {
            long[] values = file.getIntegerArray(key);
            return values.length == 0 ? fallback : Math.toIntExact(values[0]);
        }
        return file.getInt(key, 0, Integer.MAX_VALUE);
    }

    /** Query heads per key-value head (llama.cpp's {@code n_gqa}); 0 without key-value heads. */
    public int groupedQueryFactor() {
        return headCountKv == 0 ? 0 : headCount / headCountKv;
    }
}
