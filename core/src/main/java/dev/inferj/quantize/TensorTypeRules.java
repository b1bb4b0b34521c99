package dev.inferj.quantize;

import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.ggml.GgmlType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type llama.cpp's {@code llama-quantize} gives each tensor of a model for a
 * {@link QuantizationMix} (its {@code llama_tensor_get_type}, for the mixes inferj writes):
 * <ul>
 * <li>Only matrices (2 or more dimensions, trailing 1s not counted) whose names end in
 *     {@code weight} are quantized, and not the norms, the expert routers ({@code ffn_gate_inp})
 *     nor a list of small or positional tensors of other architectures; the rest keep their type.
 * <li>With a quantized base type, per-tensor rules of the mix: the output matrix (and the token
 *     embedding when it doubles as the output) in Q6_K, or Q8_0 for Falcon or rows not a multiple
 *     of the base type's block; more bits for the value projections ({@code attn_v}) and the
 *     feed-forward down projections of some layers, chosen by counters of those tensors in file
 *     order or, in mixture-of-experts models, by the layer in the name; Q8_0 for {@code attn_k}
 *     and {@code attn_v} of 8-expert models, and so on. {@code pure} skips these rules.
 * <li>Then the fallback for rows that are not a whole number of blocks: Q2_K and Q3_K → Q4_0,
 *     Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, and F16 when even 32 does not divide the row.
 * </ul>
 * The counters make the result depend on the order tensors are visited: llama-quantize's, which
 * is also the order it writes them ({@link #LLAMA_CPP_ORDER}).
 */
public final class TensorTypeRules {

    /**
     * llama-quantize's tensor order: by the layer number after {@code blk.} (tensors outside the
     * layers first), then by name, bytewise.
     */
    public static final Comparator<String> LLAMA_CPP_ORDER = Comparator.<String>comparingInt(TensorTypeRules::layerOrder)
            .thenComparing((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
                    b.getBytes(StandardCharsets.UTF_8)));

    /** Parts of names llama.cpp never quantizes (tiny, positional or integer tensors of various architectures). */
    private static final List<String> NEVER_QUANTIZED = List.of("_norm.weight", "ffn_gate_inp.weight",
            "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
            "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
            "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight",
            "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
            "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
            ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
            "a.rvq.codebook", "mm.a.code_embd");
    /** {@code sscanf("blk.%d")}: white space may precede the number, a sign may start it. */
    private static final Pattern LAYER = Pattern.compile("blk\\.\\s*([+-]?\\d+)");
    /** Whole names llama.cpp never quantizes. */
    private static final List<String> NEVER_QUANTIZED_NAMES = List.of("position_embd.weight", "token_types.weight");

    /** llama.cpp's broad kinds of tensor, by name. */
    private enum Category {
        TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_OUTPUT,
        FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER;

        /** Parts of names, tried in this order (llama.cpp's): the first a name contains gives its category. */
        private static final List<Map.Entry<String, Category>> BY_PART = List.of(
                Map.entry("attn_qkv.weight", ATTENTION_QKV), Map.entry("attn_kv_b.weight", ATTENTION_KV_B),
                Map.entry("attn_v.weight", ATTENTION_V), Map.entry("attn_k.weight", ATTENTION_K),
                Map.entry("attn_q.weight", ATTENTION_Q), Map.entry("attn_output.weight", ATTENTION_OUTPUT),
                Map.entry("ffn_up", FFN_UP), Map.entry("ffn_gate", FFN_GATE), Map.entry("ffn_down", FFN_DOWN));

        static Category of(String name) {
            if (name.equals("output.weight")) {
                return OUTPUT;
            }
            if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) {
                return TOKEN_EMBD;
            }
            for (Map.Entry<String, Category> e : BY_PART) {
                if (name.contains(e.getKey())) {
                    return e.getValue();
                }
            }
            return OTHER;
        }

        /** The value projections and what holds them: llama.cpp's most sensitive tensors. */
        boolean isAttentionV() {
            return this == ATTENTION_V || this == ATTENTION_QKV || this == ATTENTION_KV_B;
        }
    }

    private final ModelTraits model;
    private final QuantizationMix mix;
    private final boolean falcon;
    private final boolean tiedEmbeddings;
    private final int attentionVCount;
    private int attentionVSeen;
    private int ffnDownSeen;
    private int ffnGateSeen;
    private int ffnUpSeen;

    private TensorTypeRules(ModelTraits model, QuantizationMix mix, List<GgufTensorInfo> tensors) {
        this.model = model;
        this.mix = mix;
        this.falcon = model.architecture().equals("falcon");
        this.tiedEmbeddings = tensors.stream().noneMatch(t -> Category.of(t.name()) == Category.OUTPUT);
        this.attentionVCount = (int) tensors.stream().filter(t -> Category.of(t.name()).isAttentionV()).count();
    }

    /**
     * The type of each of {@code tensors} (whatever their order: the rules visit them in
     * {@link #LLAMA_CPP_ORDER}), in the order given. A tensor that is not quantized keeps its type.
     *
     * @throws UnsupportedModelException when a mixture-of-experts feed-forward tensor's name has
     *                                   no layer number, or one outside the model's layers
     */
    public static List<GgmlType> choose(ModelTraits model, List<GgufTensorInfo> tensors, QuantizationMix mix,
            boolean pure) {
        TensorTypeRules rules = new TensorTypeRules(model, mix, tensors);
        Integer[] order = new Integer[tensors.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparing(i -> tensors.get(i).name(), LLAMA_CPP_ORDER));
        GgmlType[] types = new GgmlType[tensors.size()];
        for (int i : order) {
            types[i] = rules.typeOf(tensors.get(i), pure);
        }
        return List.of(types);
    }

    /** Whether llama-quantize quantizes a tensor of this name and shape at all. */
    public static boolean isQuantizable(String name, long[] dims) {
        int rank = dims.length;
        while (rank > 1 && dims[rank - 1] == 1) {
            rank--;
        }
        return rank >= 2 && name.endsWith("weight") && !NEVER_QUANTIZED_NAMES.contains(name)
                && NEVER_QUANTIZED.stream().noneMatch(name::contains);
    }

    private GgmlType typeOf(GgufTensorInfo t, boolean pure) {
        if (!isQuantizable(t.name(), t.dims())) {
            return t.type();
        }
        GgmlType type = mix.baseType();
        if (!type.isQuantized()) {
            return type;
        }
        if (!pure) {
            type = mixRules(t, type);
        }
        return fallback(t, type);
    }

    /** llama.cpp's {@code tensor_type_fallback}: a type whose blocks divide the rows. */
    private static GgmlType fallback(GgufTensorInfo t, GgmlType type) {
        long rowLength = t.dim(0);
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        GgmlType fallback = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new UnsupportedModelException("tensor " + t.name() + ": rows of " + rowLength
                    + " are not a whole number of " + type + " blocks, and " + type + " has no fallback");
        };
        return rowLength % fallback.blockSize() == 0 ? fallback : GgmlType.F16;
    }

    private static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** The layer of a feed-forward tensor: the count so far in a dense model, the number in its name with experts. */
    private int layerOf(String name, int seen) {
        if (model.expertCount() <= 1) {
            return seen;
        }
        int layer = layerInName(name);
        if (layer == Integer.MIN_VALUE) {
            throw new UnsupportedModelException("tensor " + name + ": no layer number in its name");
        }
        if (layer < 0 || layer >= model.blockCount()) {
            throw new UnsupportedModelException("tensor " + name + ": layer " + layer + " is outside [0, "
                    + model.blockCount() + ")");
        }
        return layer;
    }

    /** The mix's choice for a quantizable tensor, before the fallback. */
    private GgmlType mixRules(GgufTensorInfo t, GgmlType type) {
        Category category = Category.of(t.name());
        int experts = model.expertCount();
        if (category == Category.OUTPUT || tiedEmbeddings && category == Category.TOKEN_EMBD) {
            if (falcon || t.dim(0) % type.blockSize() != 0) {
                return GgmlType.Q8_0;
            }
            return type == GgmlType.Q8_0 ? type : GgmlType.Q6_K;
        }
        if (category.isAttentionV()) {
            type = attentionV(type);
            attentionVSeen++;
            return type;
        }
        return switch (category) {
            case ATTENTION_K -> experts == 8 ? GgmlType.Q8_0 : type;
            case FFN_DOWN -> {
                GgmlType down = ffnDown(type, layerOf(t.name(), ffnDownSeen));
                ffnDownSeen++;
                yield down;
            }
            case ATTENTION_OUTPUT -> attentionOutput(type);
            case FFN_GATE -> {
                layerOf(t.name(), ffnGateSeen++); // checked as llama.cpp does; no mix here changes the type
                yield type;
            }
            case FFN_UP -> {
                layerOf(t.name(), ffnUpSeen++);
                yield type;
            }
            default -> type;
        };
    }

    private GgmlType attentionV(GgmlType type) {
        int gqa = model.groupedQueryFactor();
        int seen = attentionVSeen;
        type = switch (mix) {
            case Q2_K -> gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            case Q3_K_M -> seen < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            case Q3_K_L -> GgmlType.Q5_K;
            case Q4_K_M, Q5_K_M -> useMoreBits(seen, attentionVCount) ? GgmlType.Q6_K : type;
            case Q4_K_S -> seen < 4 ? GgmlType.Q5_K : type;
            default -> type;
        };
        // 70B models share each attn_v among 8 heads: it is 8 times smaller than attn_q, so more bits cost little
        if (is70B() && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) {
            type = GgmlType.Q5_K;
        }
        return model.expertCount() == 8 ? GgmlType.Q8_0 : type;
    }

    private GgmlType ffnDown(GgmlType type, int layer) {
        int layers = model.blockCount();
        return switch (mix) {
            case Q2_K -> GgmlType.Q3_K;
            case Q3_K_M -> layer < layers / 16 ? GgmlType.Q5_K
                    : !falcon || useMoreBits(layer, layers) ? GgmlType.Q4_K : GgmlType.Q3_K;
            case Q3_K_L -> falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
            case Q4_K_M -> falcon
                    ? layer < layers / 16 ? GgmlType.Q6_K : useMoreBits(layer, layers) ? GgmlType.Q5_K : GgmlType.Q4_K
                    : useMoreBits(layer, layers) ? GgmlType.Q6_K : type;
            case Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : type;
            case Q4_K_S -> !falcon && layer < layers / 8 ? GgmlType.Q5_K : type;
            default -> type;
        };
    }

    private GgmlType attentionOutput(GgmlType type) {
        if (falcon) {
            return mix == QuantizationMix.Q3_K_L ? GgmlType.Q4_K : type;
        }
        if (model.expertCount() == 8) {
            return switch (mix) {
                case Q2_K, Q3_K_S, Q3_K_M, Q4_K_S, Q4_K_M -> GgmlType.Q5_K;
                default -> type;
            };
        }
        return switch (mix) {
            case Q2_K -> GgmlType.Q3_K;
            case Q3_K_M -> GgmlType.Q4_K;
            case Q3_K_L -> GgmlType.Q5_K;
            default -> type;
        };
    }

    /** llama.cpp's model size class "70B", the only one its rules look at. */
    private boolean is70B() {
        int layers = model.blockCount();
        return switch (model.architecture()) {
            case "llama" -> model.expertCount() != 8 && layers == 80 && model.headCount() != model.headCountKv();
            case "qwen2", "deci", "olmo" -> layers == 80;
            case "jais2" -> layers == 68;
            default -> false;
        };
    }

    /** The number after {@code blk.}, as C's {@code sscanf("blk.%d.")} reads it, or {@code MIN_VALUE}. */
    static int layerInName(String name) {
        Matcher m = LAYER.matcher(name);
        if (!m.lookingAt()) {
            return Integer.MIN_VALUE;
        }
        try {
            return Integer.parseInt(m.group(1));
        } catch (NumberFormatException tooLong) {
            return Integer.MIN_VALUE;
        }
    }

    /** The layer a name sorts by: its layer number, or -1 outside the layers. */
    private static int layerOrder(String name) {
        int layer = layerInName(name);
        return layer == Integer.MIN_VALUE ? -1 : layer;
    }
}
