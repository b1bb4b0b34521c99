package dev.inferj.model;

import dev.inferj.GgufFormatException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValueType;
import dev.inferj.tokenizer.TokenizerModel;
import dev.inferj.tokenizer.Vocabulary;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the {@code tokenizer.ggml.*} metadata of a GGUF file into a {@link Vocabulary}, with the
 * defaults and corrections llama.cpp applies when it loads one, so that tokenizing gives the same
 * ids it does.
 */
public final class VocabularyLoader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String PRE = "tokenizer.ggml.pre";
    static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    static final String EOM_ID = "tokenizer.ggml.eom_token_id";
    static final String FIM_PAD_ID = "tokenizer.ggml.fim_pad_token_id";
    static final String FIM_REPO_ID = "tokenizer.ggml.fim_rep_token_id";
    static final String FIM_SEPARATOR_ID = "tokenizer.ggml.fim_sep_token_id";
    static final String UNKNOWN_ID = "tokenizer.ggml.unknown_token_id";
    static final String PADDING_ID = "tokenizer.ggml.padding_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** Texts of control tokens that end a generation wherever they are in the vocabulary, as in llama.cpp. */
    static final Set<String> END_OF_GENERATION_BY_TEXT = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "[e~[");

    /**
     * Texts llama.cpp treats as control tokens whatever type the file gives them (it looks for
     * end-of-generation, end-of-turn and fill-in-the-middle tokens by text). Their type matters:
     * a control token is only recognized in text when special tokens are parsed, and renders as
     * nothing. Gemma 3, for one, lists {@code </s>} as user-defined.
     */
    static final Set<String> CONTROL_BY_TEXT = union(END_OF_GENERATION_BY_TEXT, Set.of(
            // fill in the middle
            "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\uFF5Cfim\u2581begin\uFF5C>", "<PRE>", "\u2581<PRE>",
            "<|code_prefix|>", "<|prefix|>",
            "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>", "\u2581<SUF>",
            "<|code_suffix|>", "<|suffix|>",
            "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\uFF5Cfim\u2581end\uFF5C>", "<MID>", "\u2581<MID>",
            "<|code_middle|>", "<|middle|>",
            "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
            "<|file_sep|>"));

    /** Texts llama.cpp takes for the end-of-turn token when the file names none. */
    static final Set<String> END_OF_TURN_BY_TEXT = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
            "_<EOT>", "[EOT]", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "<end_of_utterance>");

    private VocabularyLoader() {
    }

    /**
     * The vocabulary of {@code f}.
     *
     * @throws GgufFormatException       a tokenizer key is missing, of the wrong type or inconsistent
     * @throws UnsupportedModelException the tokenizer model is neither {@code llama} nor {@code gpt2}
     */
    public static Vocabulary fromGguf(GgufFile f) {
        String src = f.source();
        String modelName = f.getString(MODEL);
        TokenizerModel model = switch (modelName) {
            case "llama" -> TokenizerModel.LLAMA;
            case "gpt2" -> TokenizerModel.GPT2;
            default -> throw new UnsupportedModelException(src + ": metadata key " + MODEL + " = \"" + modelName
                    + "\" is not a supported tokenizer (supported: llama, gpt2)");
        };
        boolean spm = model == TokenizerModel.LLAMA;

        String[] tokens = f.getStringArray(TOKENS);
        int n = tokens.length;
        if (n == 0) {
            throw new GgufFormatException(src + ": metadata key " + TOKENS + " has no tokens");
        }
        float[] scores = new float[n];
        if (f.has(SCORES)) {
            scores = f.getFloatArray(SCORES);
            checkLength(src, SCORES, scores.length, n);
        }
        int[] types = new int[n];
        if (f.has(TOKEN_TYPE)) {
            if (f.value(TOKEN_TYPE).elementType() != GgufValueType.INT32) {
                // the format (and llama.cpp) has token types as INT32; another width is a broken file, not a variant
                throw new GgufFormatException(src + ": metadata key " + TOKEN_TYPE + " is an array of "
                        + f.value(TOKEN_TYPE).elementType() + ", not INT32");
            }
            long[] raw = f.getIntegerArray(TOKEN_TYPE);
            checkLength(src, TOKEN_TYPE, raw.length, n);
            for (int i = 0; i < n; i++) {
                // llama.cpp reads types as int32 and treats values it does not know as undefined
                types[i] = raw[i] >= Integer.MIN_VALUE && raw[i] <= Integer.MAX_VALUE ? (int) raw[i] : Vocabulary.UNDEFINED;
            }
        } else {
            Arrays.fill(types, Vocabulary.NORMAL);
        }
        for (int i = 0; i < n; i++) {
            if (types[i] == Vocabulary.BYTE && Vocabulary.byteValue(tokens[i]) < 0) {
                throw new GgufFormatException(src + ": metadata key " + TOKENS + ": token " + i
                        + " has type BYTE but its text \"" + tokens[i] + "\" is not <0xHH>");
            }
        }
        if (!spm && !f.has(MERGES)) {
            throw new GgufFormatException(src + ": metadata key " + MERGES + " is missing: byte-level BPE needs its merges");
        }
        String[] merges = f.has(MERGES) ? f.getStringArray(MERGES) : new String[0];
        String pre = f.getString(PRE, null);
        boolean defaultAddBos;
        try {
            defaultAddBos = Vocabulary.defaultAddBos(model, pre);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedModelException(src + ": metadata key " + PRE + ": " + e.getMessage());
        }

        // llama.cpp's defaults: SentencePiece files may omit the ids Llama 2 uses
        int bos = specialId(f, BOS_ID, n, spm ? 1 : 11);
        int eos = specialId(f, EOS_ID, n, spm ? 2 : 11);
        int unk = specialId(f, UNKNOWN_ID, n, spm ? 0 : -1);
        int pad = specialId(f, PADDING_ID, n, -1);
        int eot = specialId(f, EOT_ID, n, -1);

        eot = correctTypesByText(tokens, types, eos, eot);

        // llama.cpp's default: SentencePiece adds BOS, byte-level BPE only with some pre-tokenizers (Llama 3's)
        boolean addBos = f.getBool(ADD_BOS, defaultAddBos);
        boolean addEos = f.getBool(ADD_EOS, false);
        boolean addSpacePrefix = f.getBool(ADD_SPACE_PREFIX, spm);
        if (addBos && bos < 0) {
            throw new GgufFormatException(src + ": metadata key " + ADD_BOS + " is true but there is no BOS token");
        }
        if (addEos && eos < 0) {
            throw new GgufFormatException(src + ": metadata key " + ADD_EOS + " is true but there is no EOS token");
        }
        try {
            return new Vocabulary(tokens, scores, types, merges, model, pre, bos, eos, eot, unk, pad,
                    addBos, addEos, addSpacePrefix);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(src + ": tokenizer: " + e.getMessage(), e);
        }
    }

    /**
     * llama.cpp's corrections of token types by text (see {@link #CONTROL_BY_TEXT}), with its two
     * exceptions (gpt-oss's {@code <|end|>} and Gemma 4's {@code </s>} do not end generation) and
     * the gpt-oss tokens it always renders. Returns the end-of-turn id: {@code eot}, or when that is
     * -1 a token that looks like one, preferring one that is not {@code eos}, then the lowest id
     * (llama.cpp takes whichever its hash map yields first).
     */
    private static int correctTypesByText(String[] tokens, int[] types, int eos, int eot) {
        Map<String, Integer> seen = new HashMap<>();
        int found = -1;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (CONTROL_BY_TEXT.contains(t)) {
                types[i] = Vocabulary.CONTROL;
                seen.put(t, i);
                if (END_OF_TURN_BY_TEXT.contains(t) && (found < 0 || found == eos)) {
                    found = i;
                }
            } else if (t.equals("<|channel|>") || t.equals("<|message|>") || t.equals("<|start|>")
                    || t.equals("<|constrain|>")) {
                types[i] = Vocabulary.USER_DEFINED;
            }
        }
        Integer end = seen.get("<|end|>");
        if (end != null && (seen.containsKey("<|return|>") && seen.containsKey("<|call|>")
                || seen.containsKey("<|calls|>") && seen.containsKey("<|flush|>"))) {
            types[end] = Vocabulary.USER_DEFINED;
            if (found == end) {
                found = -1;
            }
        }
        Integer s = seen.get("</s>");
        if (s != null && seen.containsKey("<|tool_response>")) {
            types[s] = Vocabulary.NORMAL;
        }
        return eot >= 0 ? eot : found;
    }

    /**
     * The ids of the tokens that end a generation, ascending, as llama.cpp finds them: EOS, EOT, EOM and
     * the fill-in-the-middle pad, repo and separator tokens the file names, and every control token whose
     * text is one of {@link #END_OF_GENERATION_BY_TEXT} (after {@link #fromGguf}'s type corrections, which
     * leave out gpt-oss's {@code <|end|>} and Gemma 4's {@code </s>}).
     */
    public static int[] endOfGenerationIds(GgufFile f, Vocabulary v) {
        int n = v.size();
        TreeSet<Integer> ids = new TreeSet<>();
        for (int id : new int[] {v.eosId(), v.eotId(), specialId(f, EOM_ID, n, -1), specialId(f, FIM_PAD_ID, n, -1),
                specialId(f, FIM_REPO_ID, n, -1), specialId(f, FIM_SEPARATOR_ID, n, -1)}) {
            if (id >= 0) {
                ids.add(id);
            }
        }
        String[] tokens = v.tokens();
        for (int i = 0; i < n; i++) {
            if (v.tokenType(i) == Vocabulary.CONTROL && END_OF_GENERATION_BY_TEXT.contains(tokens[i])) {
                ids.add(i);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    private static void checkLength(String src, String key, int length, int tokens) {
        if (length != tokens) {
            throw new GgufFormatException(src + ": metadata key " + key + " has " + length + " values for "
                    + tokens + " tokens");
        }
    }

    /**
     * A special token id: the file's value, {@code fallback} when the key is absent (or -1 when the
     * fallback lies outside the vocabulary), -1 for the "none" markers converters write (-1 as a
     * signed integer, 2^32 - 1 as UINT32).
     */
    private static int specialId(GgufFile f, String key, int n, int fallback) {
        if (!f.has(key)) {
            return fallback < n ? fallback : -1;
        }
        long id = f.getLong(key);
        if (id == -1 || id == 0xFFFF_FFFFL) {
            return -1;
        }
        if (id < 0 || id >= n) {
            throw new GgufFormatException(f.source() + ": metadata key " + key + " = " + id
                    + " is outside the vocabulary of " + n + " tokens");
        }
        return (int) id;
    }
}
