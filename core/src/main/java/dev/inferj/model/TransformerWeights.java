package dev.inferj.model;

import dev.inferj.GgufFormatException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.kernels.KernelWarmUp;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.TileLayout;
import dev.inferj.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tensors of a decoder-only transformer (Llama, Qwen, Gemma, Mixtral, ...): matrices as views over the mapped file, or
 * tiled copies of them (see {@link #fromGguf}); the norm vectors (a few KB each) copied to float arrays.
 */
public record TransformerWeights(WeightMatrix tokenEmbedding, Layer[] layers, float[] outputNorm, float[] outputNormBias,
        WeightMatrix output, RopeFactors ropeFactors) {

    /**
     * Per-pair divisors of the rope frequencies, each {@code null} where the file has none: Llama 3.1's
     * {@code rope_freqs} for every context, else Phi-3's (LongRoPE) long factors for contexts above the
     * original one and short factors up to it.
     */
    public record RopeFactors(float[] frequencies, float[] longContext, float[] shortContext) {
        /** The factors a session of {@code contextLength} positions uses, as llama.cpp chooses them; {@code null} for none. */
        public float[] forContext(int contextLength, int originalContext) {
            if (frequencies != null) {
                return frequencies;
            }
            return contextLength > originalContext ? longContext : shortContext;
        }
    }

    /**
     * One transformer block. The biases (Qwen 2), the per-head query and key norms (Qwen 3,
     * Gemma 3) and the norms after attention and feed-forward (Gemma 2 and 3) are {@code null}
     * where the model has none. Falcon's blocks ({@link Architecture#parallelBlock}) have LayerNorm biases,
     * no feed-forward norm, and in the 40B layout a second norm, for the attention's input.
     */
    public record Layer(float[] attentionNorm, float[] attentionNormBias, float[] attentionNorm2, float[] attentionNorm2Bias,
                        WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                        float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm,
                        float[] postAttentionNorm, float[] ffnNorm, FeedForward ffn, float[] postFfnNorm) {
    }

    /** The feed-forward part of a block: one gated network (or Falcon's plain one), or a router over several. */
    public sealed interface FeedForward permits Dense, Experts {
    }

    /** {@code down · (silu(gate · x) * (up · x))}. */
    /** {@code gate} is {@code null} for Falcon's plain {@code down(gelu(up(x)))}. */
    public record Dense(WeightMatrix gate, WeightMatrix up, WeightMatrix down) implements FeedForward {
    }

    /**
     * Mixture of experts (Mixtral): the router scores every expert, each token goes through the
     * best few, and their outputs are summed with the router's renormalized weights. Expert
     * {@code e}'s matrices are the {@code e}-th slices of the 3-D {@code *_exps} tensors.
     */
    public record Experts(WeightMatrix router, WeightMatrix[] gate, WeightMatrix[] up, WeightMatrix[] down)
            implements FeedForward {
        public int count() {
            return gate.length;
        }
    }

    /** A matrix the forward pass multiplies by, as the rows of a file tensor from {@code firstRow} (fused QKV is cut in three). */
    public record RowSlice(WeightMatrix matrix, long firstRow) {
    }

    /**
     * The matrices a LoRA adapter may target, by the name of the tensor they come from: each block's attention
     * and dense feed-forward matrices, and the output head unless it is the token embedding.
     */
    public Map<String, List<RowSlice>> adaptable() {
        Map<String, List<RowSlice>> byTensor = new LinkedHashMap<>();
        for (Layer l : layers) {
            for (WeightMatrix w : new WeightMatrix[] {l.wq(), l.wk(), l.wv(), l.wo()}) {
                addSlice(byTensor, w);
            }
            if (l.ffn() instanceof Dense d) {
                for (WeightMatrix w : new WeightMatrix[] {d.gate(), d.up(), d.down()}) {
                    addSlice(byTensor, w);
                }
            }
        }
        if (output != tokenEmbedding) {
            addSlice(byTensor, output);
        }
        return byTensor;
    }

    private static void addSlice(Map<String, List<RowSlice>> byTensor, WeightMatrix w) {
        if (w == null) {
            return;
        }
        String name = w.name();
        int at = name.indexOf("[rows ");
        String tensor = at < 0 ? name : name.substring(0, at);
        long firstRow = at < 0 ? 0 : Long.parseLong(name.substring(at + "[rows ".length(), name.indexOf("..", at)));
        byTensor.computeIfAbsent(tensor, k -> new ArrayList<>()).add(new RowSlice(w, firstRow));
    }

    /**
     * Reads the model's tensors from {@code f}. With a {@code tileArena} (shared: tensors are tiled on several threads), Q4_0, Q8_0, Q4_K, Q5_K and Q6_K matrices
     * whose height is a multiple of the tile height are copied into it in {@link TileLayout} (and
     * the mapped pages they came from released); without one every matrix stays a view of the file.
     */
    public static TransformerWeights fromGguf(GgufFile f, ModelConfig c, Arena tileArena) {
        return fromGguf(f, c, tileArena, null);
    }

    /**
     * As {@link #fromGguf(GgufFile, ModelConfig, Arena)}; with a {@code tileCache}, the tiled tensors are mapped from
     * it when it holds them, and written to it after tiling when it does not.
     */
    public static TransformerWeights fromGguf(GgufFile f, ModelConfig c, Arena tileArena, TileCache tileCache) {
        TensorReader t = new TensorReader(f, tileArena, tileCache);
        int embd = c.embeddingLength();
        WeightMatrix embedding = t.matrix("token_embd.weight", embd, c.vocabularySize());
        Layer[] layers = new Layer[c.blockCount()];
        RopeFactors ropeFactors = ropeFactors(f, t, c);
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            // Some converters fuse Q, K and V (Phi-3): the rows of one matrix, in that order.
            WeightMatrix[] qkv = f.tensor(p + "attn_qkv.weight") != null
                    ? t.rowSlices(p + "attn_qkv.weight", embd, c.queryDim(), c.kvDim(), c.kvDim())
                    : new WeightMatrix[] {t.matrix(p + "attn_q.weight", embd, c.queryDim()),
                            t.matrix(p + "attn_k.weight", embd, c.kvDim()),
                            t.matrix(p + "attn_v.weight", embd, c.kvDim())};
            boolean falcon = c.architecture().parallelBlock();
            layers[i] = new Layer(
                    t.vector(p + "attn_norm.weight", embd),
                    falcon ? t.vector(p + "attn_norm.bias", embd) : null,
                    falcon ? t.optionalVector(p + "attn_norm_2.weight", embd) : null,
                    falcon ? t.optionalVector(p + "attn_norm_2.bias", embd) : null,
                    qkv[0], qkv[1], qkv[2],
                    t.matrix(p + "attn_output.weight", c.queryDim(), embd),
                    t.optionalVector(p + "attn_q.bias", c.queryDim()),
                    t.optionalVector(p + "attn_k.bias", c.kvDim()),
                    t.optionalVector(p + "attn_v.bias", c.kvDim()),
                    t.optionalVector(p + "attn_q_norm.weight", c.headDim()),
                    t.optionalVector(p + "attn_k_norm.weight", c.headDim()),
                    t.optionalVector(p + "post_attention_norm.weight", embd),
                    falcon ? null : t.vector(p + "ffn_norm.weight", embd),
                    c.isMixtureOfExperts() ? experts(t, p, c) : dense(f, t, p, c),
                    t.optionalVector(p + "post_ffw_norm.weight", embd));
        }
        float[] outputNorm = t.vector("output_norm.weight", embd);
        float[] outputNormBias = c.architecture().parallelBlock() ? t.vector("output_norm.bias", embd) : null;
        // Without output.weight the embedding table doubles as the output projection (tied embeddings).
        WeightMatrix output = f.tensor("output.weight") != null
                ? t.matrix("output.weight", embd, c.vocabularySize())
                : embedding;
        t.requireAllRead(c.architecture());
        return new TransformerWeights(embedding, layers, outputNorm, outputNormBias, output, ropeFactors);
    }

    /** The rope factor tensors, where the architecture reads them in llama.cpp; elsewhere they are refused. */
    private static RopeFactors ropeFactors(GgufFile f, TensorReader t, ModelConfig c) {
        int pairs = c.ropeDimensions() / 2;
        boolean llama = c.architecture() == Architecture.LLAMA;
        boolean longRope = llama || c.architecture() == Architecture.PHI3;
        return new RopeFactors(ropeFactor(f, t, "rope_freqs.weight", pairs, llama, c),
                ropeFactor(f, t, "rope_factors_long.weight", pairs, longRope, c),
                ropeFactor(f, t, "rope_factors_short.weight", pairs, longRope, c));
    }

    private static float[] ropeFactor(GgufFile f, TensorReader t, String name, int pairs, boolean read, ModelConfig c) {
        if (f.tensor(name) == null) {
            return null;
        }
        if (!read) {
            throw new UnsupportedModelException(f.source() + ": tensor " + name + " is not used by architecture "
                    + c.architecture().ggufName() + " (llama.cpp refuses such a file too)");
        }
        float[] factors = t.vector(name, pairs);
        for (int i = 0; i < pairs; i++) {
            if (!(factors[i] > 0f)) {
                throw new GgufFormatException(f.source() + ": tensor " + name + " holds " + factors[i] + " at index " + i
                        + "; rope frequency factors divide the angles and must be above 0");
            }
        }
        return factors;
    }

    private static Dense dense(GgufFile f, TensorReader t, String p, ModelConfig c) {
        int embd = c.embeddingLength();
        int ff = c.feedForwardLength();
        WeightMatrix down = t.matrix(p + "ffn_down.weight", ff, embd);
        if (c.architecture().parallelBlock()) {
            return new Dense(null, t.matrix(p + "ffn_up.weight", embd, ff), down);
        }
        if (f.tensor(p + "ffn_gate.weight") == null) {
            // Phi-3 fuses gate and up into ffn_up: the gate's rows, then the up's.
            WeightMatrix[] gateUp = t.rowSlices(p + "ffn_up.weight", embd, ff, ff);
            return new Dense(gateUp[0], gateUp[1], down);
        }
        return new Dense(t.matrix(p + "ffn_gate.weight", embd, ff), t.matrix(p + "ffn_up.weight", embd, ff), down);
    }

    private static Experts experts(TensorReader t, String prefix, ModelConfig c) {
        int embd = c.embeddingLength();
        int ff = c.expertFeedForwardLength();
        int n = c.expertCount();
        return new Experts(t.matrix(prefix + "ffn_gate_inp.weight", embd, n),
                t.experts(prefix + "ffn_gate_exps.weight", embd, ff, n),
                t.experts(prefix + "ffn_up_exps.weight", embd, ff, n),
                t.experts(prefix + "ffn_down_exps.weight", ff, embd, n));
    }

    /** Looks tensors up by name and checks their shape and type. */
    static final class TensorReader {

        private final GgufFile file;
        /** The names of the tensors read so far. */
        private final Set<String> read = new HashSet<>();
        /** The tiled copies of tensors, by name: filled before any matrix is read. */
        private final Map<String, MemorySegment> tiled = new ConcurrentHashMap<>();

        TensorReader(GgufFile file, Arena tileArena, TileCache cache) {
            this.file = file;
            // the JIT compiles this model's kernels while the weights are copied (or mapped from the cache)
            KernelWarmUp.start(tileArena == null ? List.of()
                    : file.tensors().stream().filter(TensorReader::tileable).map(GgufTensorInfo::type).toList());
            if (tileArena != null) {
                tileAll(tileArena, cache);
            }
        }

        /**
         * Tiles every Q4_0, Q8_0, Q4_K, Q5_K and Q6_K tensor whose rows (all dimensions but the first, taken
         * together) come in whole tiles, several tensors at once: most of the time goes into
         * fresh memory being faulted in (see {@link Pages}), which one thread does slowly. The file's pages
         * are read with read calls (see {@link GgufFile#tensorReads}), not through the mapping.
         */
        private void tileAll(Arena arena, TileCache cache) {
            List<GgufTensorInfo> tileable = file.tensors().stream().filter(TensorReader::tileable).toList();
            if (cache != null) {
                Map<String, MemorySegment> cached = cache.read(tileable, tileable.stream().map(t -> t.byteSize()).toList(), arena);
                if (cached != null) {
                    tiled.putAll(cached);
                    return;
                }
            }
            try (GgufFile.TensorReads reads = file.tensorReads()) {
                tileable.parallelStream().forEach(t -> {
                    MemorySegment source = file.data(t);
                    long[] dims = t.dims();
                    WeightMatrix rowMajor = new WeightMatrix(t.name(), t.type(), source,
                            (int) (t.elementCount() / dims[0]), (int) dims[0]);
                    tiled.put(t.name(), TileLayout.repack(rowMajor, Pages.fresh(arena, source.byteSize()),
                            (offset, into, length) -> reads.read(t, offset, into, length)).data());
                });
            } catch (IllegalArgumentException e) { // a non-finite block scale, named by row and block
                throw new GgufFormatException(file.source() + ": tensor " + e.getMessage(), e);
            }
            if (cache != null) {
                cache.write(tileable, tiled);
            }
        }

        /** A tensor of a type that tiles (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K) of two or more dimensions whose rows (all dimensions but the first) come in whole tiles. */
        private static boolean tileable(GgufTensorInfo t) {
            long[] dims = t.dims();
            if (dims.length < 2 || dims[0] <= 0 || dims[0] > Integer.MAX_VALUE || dims[0] % t.type().blockSize() != 0) {
                return false;
            }
            long rows = t.elementCount() / dims[0];
            return rows <= Integer.MAX_VALUE && TileLayout.supports(t.type(), (int) rows);
        }

        /**
         * Rows {@code [firstRow, firstRow + rows)} of tensor {@code t} as a matrix: a view of the tiled
         * copy when there is one and the rows are whole tiles of it, else a view of the file.
         */
        private WeightMatrix view(String name, GgufTensorInfo t, long firstRow, int rows, int cols) {
            long rowBytes = t.type().byteSize(cols);
            MemorySegment tiles = tiled.get(t.name());
            if (tiles != null && firstRow % TileLayout.TILE_ROWS == 0 && rows % TileLayout.TILE_ROWS == 0) {
                return new WeightMatrix(name, t.type(), tiles.asSlice(firstRow * rowBytes, rows * rowBytes), rows, cols,
                        WeightMatrix.Layout.TILES);
            }
            return new WeightMatrix(name, t.type(), file.data(t).asSlice(firstRow * rowBytes, rows * rowBytes), rows, cols);
        }

        GgufTensorInfo info(String name, long... dims) {
            read.add(name);
            GgufTensorInfo t = file.tensor(name);
            if (t == null) {
                throw new GgufFormatException(file.source() + ": tensor " + name + " is missing");
            }
            long[] actual = t.dims();
            long[] trimmed = Arrays.copyOf(actual, Math.max(dims.length, lastNonOne(actual)));
            long[] expected = Arrays.copyOf(dims, trimmed.length);
            for (int i = dims.length; i < expected.length; i++) {
                expected[i] = 1;
            }
            if (!Arrays.equals(trimmed, expected)) {
                throw new GgufFormatException(file.source() + ": tensor " + name + " has shape " + Arrays.toString(actual)
                        + ", expected " + Arrays.toString(dims));
            }
            if (!t.type().isSupported()) {
                throw new UnsupportedModelException(file.source() + ": tensor " + name + " has type " + t.type()
                        + ", which inferj cannot compute with yet");
            }
            return t;
        }

        WeightMatrix matrix(String name, int cols, int rows) {
            GgufTensorInfo t = info(name, cols, rows);
            return view(name, t, 0, rows, cols);
        }

        /** A matrix of {@code cols} columns cut into consecutive blocks of rows, one per entry of {@code rows}. */
        WeightMatrix[] rowSlices(String name, int cols, int... rows) {
            int total = 0;
            for (int r : rows) {
                total += r;
            }
            GgufTensorInfo t = info(name, cols, total);
            WeightMatrix[] slices = new WeightMatrix[rows.length];
            long start = 0;
            for (int i = 0; i < rows.length; i++) {
                slices[i] = view(name + "[rows " + start + ".." + (start + rows[i]) + ")", t, start, rows[i], cols);
                start += rows[i];
            }
            return slices;
        }

        /** The {@code count} matrices of {@code rows x cols} stacked in a 3-D tensor. */
        WeightMatrix[] experts(String name, int cols, int rows, int count) {
            GgufTensorInfo t = info(name, cols, rows, count);
            WeightMatrix[] matrices = new WeightMatrix[count];
            for (int e = 0; e < count; e++) {
                matrices[e] = view(name + "[" + e + "]", t, (long) e * rows, rows, cols);
            }
            return matrices;
        }

        /** A vector the model may lack: {@code null} when absent. */
        float[] optionalVector(String name, int n) {
            return file.tensor(name) == null ? null : vector(name, n);
        }

        float[] vector(String name, int n) {
            GgufTensorInfo t = info(name, n);
            float[] v = new float[n];
            Kernels.get().dequantizeRow(new WeightMatrix(name, t.type(), file.data(t), 1, n), 0, v, 0);
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new GgufFormatException(file.source() + ": tensor " + name + " holds " + v[i] + " at index " + i);
                }
            }
            return v;
        }

        /**
         * Refuses a file holding a tensor the model did not read: inferj would compute without it, silently
         * (llama.cpp refuses such files too, counting the tensors it created).
         */
        void requireAllRead(Architecture architecture) {
            for (GgufTensorInfo t : file.tensors()) {
                if (!read.contains(t.name())) {
                    throw new UnsupportedModelException(file.source() + ": tensor " + t.name() + " is not used by inferj's "
                            + architecture.ggufName() + " model; running without it would give other outputs");
                }
            }
        }

        private static int lastNonOne(long[] dims) {
            int n = dims.length;
            while (n > 1 && dims[n - 1] == 1) {
                n--;
            }
            return n;
        }
    }
}
