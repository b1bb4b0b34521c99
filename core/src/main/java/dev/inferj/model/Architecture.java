package dev.inferj.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model architectures inferj runs, by their GGUF {@code general.architecture} name, with what
 * sets each apart from plain Llama. Optional parts that a file either has or not (QKV biases,
 * query/key norms, an untied output matrix) are found from its tensors, not listed here.
 */
public enum Architecture {
    LLAMA("llama", false, FeedForwardActivation.SILU, false, false),
    QWEN2("qwen2", true, FeedForwardActivation.SILU, false, false),
    QWEN3("qwen3", true, FeedForwardActivation.SILU, false, false),
    QWEN3MOE("qwen3moe", true, FeedForwardActivation.SILU, false, false),
    /** Phi-3: fused QKV and gate|up matrices, the query scaled before attention. */
    PHI3("phi3", true, FeedForwardActivation.SILU, false, true),
    /** Gemma: embeddings scaled by sqrt(n_embd), GELU, and the query scaled before attention. */
    GEMMA("gemma", true, FeedForwardActivation.GELU, true, true),
    /** Gemma 2: as Gemma, with norms after attention and feed-forward, soft-capped scores and logits, local layers. */
    GEMMA2("gemma2", true, FeedForwardActivation.GELU, true, true),
    /** Gemma 3: as Gemma 2 with query/key norms, other rope bases on local layers and no score soft-cap. */
    GEMMA3("gemma3", true, FeedForwardActivation.GELU, true, true),
    /**
     * Falcon (7B, 40B): LayerNorm with bias, fused QKV with one or a few KV heads, attention and a plain
     * (not gated) GELU feed-forward side by side on the same normed input, both added to the residual.
     */
    FALCON("falcon", true, FeedForwardActivation.GELU, false, false);

    /** The gate activation of the feed-forward network. */
    public enum FeedForwardActivation { SILU, GELU }

    private final String ggufName;
    private final boolean ropeNeox;
    private final FeedForwardActivation activation;
    private final boolean scalesEmbedding;
    private final boolean scalesQuery;

    Architecture(String ggufName, boolean ropeNeox, FeedForwardActivation activation, boolean scalesEmbedding,
                 boolean scalesQuery) {
        this.ggufName = ggufName;
        this.ropeNeox = ropeNeox;
        this.activation = activation;
        this.scalesEmbedding = scalesEmbedding;
        this.scalesQuery = scalesQuery;
    }

    /** Whether blocks are Falcon's: LayerNorm with bias, attention and feed-forward in parallel, no gate. */
    public boolean parallelBlock() {
        return this == FALCON;
    }

    /** The architecture named {@code name} in a GGUF file, or {@code null}. */
    public static Architecture byGgufName(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** The supported names, for messages. */
    public static String names() {
        return Arrays.stream(values()).map(a -> a.ggufName).collect(Collectors.joining(", "));
    }

    /** The prefix of this architecture's metadata keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Whether RoPE rotates the pairs (i, i + d/2) (NeoX) rather than (2i, 2i + 1). */
    public boolean ropeNeox() {
        return ropeNeox;
    }

    public FeedForwardActivation activation() {
        return activation;
    }

    /** Whether the embedding is multiplied by sqrt(n_embd) (Gemma). */
    public boolean scalesEmbedding() {
        return scalesEmbedding;
    }

    /** Whether the query, rather than the scores, is multiplied by the attention scale (Gemma, Phi-3). */
    public boolean scalesQuery() {
        return scalesQuery;
    }
}
