package dev.inferj.model;

import dev.inferj.GgufFormatException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;

/**
 * The hyper-parameters of a model, read from the {@code <arch>.*} metadata keys of a GGUF file
 * and checked to be positive, consistent and of a sane size before anything is sized from them.
 *
 * @param rmsEpsilon    the epsilon of the norms (LayerNorm's for Falcon)
 * @param slidingWindow attention of local layers looks back at most this many positions; 0 for no window
 * @param slidingWindowPattern every this many layers the last one is global (Gemma); 0 when all layers are local
 * @param ropeFreqBaseLocal the rope base of local layers
 * @param attentionSoftcap  attention scores become {@code cap * tanh(score / cap)}; 0 for none
 * @param finalSoftcap      likewise for the logits
 * @param attentionScale    the factor of the scores (Gemma: of the query)
 * @param expertCount   experts of a mixture-of-experts feed-forward (Mixtral); 0 for a dense one
 * @param expertsUsed   experts each token is routed to
 * @param expertFeedForwardLength hidden width of one expert
 * @param ropeScaling   how the rope is stretched beyond the trained context
 */
public record ModelConfig(
        Architecture architecture,
        int embeddingLength,
        int blockCount,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        int ropeDimensions,
        float ropeFreqBase,
        float rmsEpsilon,
        int contextLength,
        int vocabularySize,
        int slidingWindow,
        int slidingWindowPattern,
        float ropeFreqBaseLocal,
        float attentionSoftcap,
        float finalSoftcap,
        float attentionScale,
        int expertCount,
        int expertsUsed,
        int expertFeedForwardLength,
        RopeScaling ropeScaling) {

    /** Upper bounds far above any real model, so that absurd values fail before they size memory. */
    static final int MAX_WIDTH = 1 << 20;
    static final int MAX_LAYERS = 4096;
    static final int MAX_HEADS = 4096;
    static final int MAX_CONTEXT = 1 << 24;
    static final int MAX_EXPERTS = 1024;

    public int kvDim() {
        return headCountKv * headDim;
    }

    public int queryDim() {
        return headCount * headDim;
    }

    /** Whether layer {@code layer} attends through the sliding window (a local layer). */
    public boolean isLocalLayer(int layer) {
        return slidingWindow > 0 && (slidingWindowPattern == 0 || layer % slidingWindowPattern < slidingWindowPattern - 1);
    }

    public boolean isMixtureOfExperts() {
        return expertCount > 0;
    }

    /** Reads and validates the configuration; {@code vocabularySize} comes from the token list. */
    public static ModelConfig fromGguf(GgufFile f, int vocabularySize) {
        String name = f.getString("general.architecture");
        Architecture architecture = Architecture.byGgufName(name);
        if (architecture == null) {
            throw new UnsupportedModelException(f.source() + ": architecture " + name + " is not supported (supported: "
                    + Architecture.names() + ")");
        }
        String arch = architecture.ggufName();
        int embd = f.getInt(arch + ".embedding_length", 1, MAX_WIDTH);
        int layers = f.getInt(arch + ".block_count", 1, MAX_LAYERS);
        int ff = f.getInt(arch + ".feed_forward_length", 1, MAX_WIDTH);
        int heads = f.getInt(arch + ".attention.head_count", 1, MAX_HEADS);
        int kvHeads = f.getInt(arch + ".attention.head_count_kv", 1, MAX_HEADS, heads);
        if (heads % kvHeads != 0) {
            throw new GgufFormatException(f.source() + ": " + arch + ".attention.head_count " + heads
                    + " is not a multiple of head_count_kv " + kvHeads);
        }
        if (!f.has(arch + ".attention.key_length") && embd % heads != 0) {
            throw new GgufFormatException(f.source() + ": " + arch + ".embedding_length " + embd
                    + " is not a multiple of attention.head_count " + heads);
        }
        int headDim = f.getInt(arch + ".attention.key_length", 1, MAX_WIDTH, embd / heads);
        int valueDim = f.getInt(arch + ".attention.value_length", 1, MAX_WIDTH, headDim);
        if (valueDim != headDim) {
            throw new UnsupportedModelException(f.source() + ": value length " + valueDim + " differs from key length " + headDim);
        }
        int ropeDims = f.getInt(arch + ".rope.dimension_count", 2, headDim, headDim);
        if (ropeDims % 2 != 0) {
            throw new GgufFormatException(f.source() + ": " + arch + ".rope.dimension_count " + ropeDims + " is odd");
        }
        if (ropeDims != headDim && (architecture == Architecture.LLAMA || architecture == Architecture.FALCON)) {
            throw new UnsupportedModelException(f.source() + ": " + arch + ".rope.dimension_count " + ropeDims
                    + " differs from the head size " + headDim + ", which llama.cpp refuses for " + arch);
        }
        float base = (float) f.getDouble(arch + ".rope.freq_base", 10000.0);
        if (!(base > 1f) || Float.isInfinite(base)) {
            throw new GgufFormatException(f.source() + ": " + arch + ".rope.freq_base " + base + " must be a finite number above 1");
        }
        // Falcon normalizes by LayerNorm, whose epsilon llama.cpp requires; the others by RMS norm
        String epsKey = arch + (architecture.parallelBlock() ? ".attention.layer_norm_epsilon" : ".attention.layer_norm_rms_epsilon");
        float eps = (float) (architecture.parallelBlock() ? f.getDouble(epsKey) : f.getDouble(epsKey, 1e-5));
        if (!(eps >= 0f && eps < 1f)) {
            throw new GgufFormatException(f.source() + ": " + epsKey + " " + eps + " must be in [0, 1)");
        }
        int ctx = f.getInt(arch + ".context_length", 1, Integer.MAX_VALUE, 4096);
        boolean gemma2 = architecture == Architecture.GEMMA2;
        boolean gemma3 = architecture == Architecture.GEMMA3;
        // Gemma 2 has a window of 4096 on every other layer even when the file does not say so.
        int window = f.getInt(arch + ".attention.sliding_window", 0, Integer.MAX_VALUE, gemma2 ? 4096 : 0);
        if (architecture == Architecture.PHI3) {
            window = 0; // llama.cpp ignores Phi-3's window (its converters write it wrongly); so do we, to match
        }
        int pattern = f.getInt(arch + ".attention.sliding_window_pattern", 0, MAX_LAYERS, gemma2 ? 2 : gemma3 ? 6 : 0);
        float baseLocal = (float) f.getDouble(arch + ".rope.freq_base_swa", base);
        if (!(baseLocal > 1f) || Float.isInfinite(baseLocal)) {
            throw new GgufFormatException(f.source() + ": " + arch + ".rope.freq_base_swa " + baseLocal + " must be a finite number above 1");
        }
        float attentionCap = gemma2 ? softcap(f, arch + ".attn_logit_softcapping", 50f) : 0f;
        float finalCap = gemma2 || gemma3 ? softcap(f, arch + ".final_logit_softcapping", gemma2 ? 30f : 0f) : 0f;
        // Gemma's 27B models scale by the width per head rather than by the head size.
        boolean gemma27b = (gemma2 && layers == 46) || (gemma3 && layers == 62);
        float scale = 1f / (float) Math.sqrt(gemma27b ? (float) (embd / heads) : (float) headDim);
        refuseUnfollowed(f, arch, embd, vocabularySize, window > 0, headDim, ropeDims);
        int experts = f.getInt(arch + ".expert_count", 0, MAX_EXPERTS, 0);
        int used = experts == 0 ? 0 : f.getInt(arch + ".expert_used_count", 1, experts);
        int expertFf = experts == 0 ? 0 : f.getInt(arch + ".expert_feed_forward_length", 1, MAX_WIDTH, ff);
        return new ModelConfig(architecture, embd, layers, ff, heads, kvHeads, headDim, ropeDims, base, eps,
                Math.min(ctx, MAX_CONTEXT), vocabularySize, window, pattern, baseLocal, attentionCap, finalCap, scale,
                experts, used, expertFf, RopeScaling.fromGguf(f, arch, ctx));
    }

    /**
     * Keys llama.cpp honours that inferj does not follow: a file that gives them anything but the plain value is
     * refused by name rather than run differently. (MetadataKeysTest lists every key llama.cpp reads for these
     * architectures and what inferj does with it.)
     */
    private static void refuseUnfollowed(GgufFile f, String arch, int embd, int vocabularySize, boolean localLayers,
            int headDim, int ropeDims) {
        if (!f.getBool(arch + ".attention.causal", true)) {
            throw unfollowed(f, arch + ".attention.causal", "false (attention to later tokens)");
        }
        differs(f, arch + ".embedding_length_out", embd, "an output width other than the embedding's");
        differs(f, arch + ".vocab_size", vocabularySize, "a vocabulary size other than the token list's");
        if (f.getInt(arch + ".expert_group_count", 0, MAX_EXPERTS, 0) > 1) {
            throw unfollowed(f, arch + ".expert_group_count", f.getInt(arch + ".expert_group_count", 0, MAX_EXPERTS)
                    + " (experts routed by groups)");
        }
        if (localLayers) { // other head sizes on the sliding-window layers
            differs(f, arch + ".attention.key_length_swa", headDim, "another key size on local layers");
            differs(f, arch + ".attention.value_length_swa", headDim, "another value size on local layers");
            differs(f, arch + ".rope.dimension_count_swa", ropeDims, "another rope size on local layers");
        }
    }

    private static void differs(GgufFile f, String key, int expected, String meaning) {
        if (f.has(key) && f.getInt(key, 0, Integer.MAX_VALUE) != expected) {
            throw unfollowed(f, key, f.getInt(key, 0, Integer.MAX_VALUE) + " (" + meaning + ", " + expected + ")");
        }
    }

    private static UnsupportedModelException unfollowed(GgufFile f, String key, String value) {
        return new UnsupportedModelException(f.source() + ": " + key + " = " + value + " is not supported");
    }

    private static float softcap(GgufFile f, String key, float fallback) {
        float cap = (float) f.getDouble(key, fallback);
        if (!(cap >= 0f) || Float.isInfinite(cap)) {
            throw new GgufFormatException(f.source() + ": " + key + " " + cap + " must be a finite number >= 0");
        }
        return cap;
    }
}
