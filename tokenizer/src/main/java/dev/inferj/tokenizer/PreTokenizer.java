package dev.inferj.tokenizer;

import static dev.inferj.tokenizer.CodepointFlags.LETTER;
import static dev.inferj.tokenizer.CodepointFlags.NUMBER;
import static dev.inferj.tokenizer.CodepointFlags.PUNCTUATION;
import static dev.inferj.tokenizer.SplitRule.CharClass.category;
import static dev.inferj.tokenizer.SplitRule.CharClass.categoryOr;
import static dev.inferj.tokenizer.SplitRule.CharClass.ranges;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a byte-level BPE family cuts text into words before merging, named in GGUF by
 * {@code tokenizer.ggml.pre}: the steps llama.cpp applies for it (each a {@link SplitRule}), and
 * the two settings llama.cpp ties to the name: whether a word that is a token as a whole is taken
 * as it is without merging ({@code ignore_merges}), and whether encoding adds BOS unless the file
 * says otherwise.
 *
 * <p>Only names whose handling here is complete are accepted; llama.cpp knows more (and refuses
 * names it does not know, as {@link #forName} does).
 */
enum PreTokenizer {
    /**
     * llama.cpp's fallback, and what a vocabulary without a name gets: runs of punctuation and
     * {@code $+<=>^~|}, then GPT-2's words, then runs of digits, then three ASCII digits at a time.
     */
    DEFAULT(false, false, List.of("default"),
            SplitRule.runs(categoryOr(PUNCTUATION, "$+<=>^~|")),
            SplitRule.gpt2Words(),
            SplitRule.runs(category(NUMBER)),
            SplitRule.threeDigits()),
    /** Llama 3 and the families that took its tokenizer: Llama 3's words, whole-token words unmerged, BOS by default. */
    LLAMA3(true, true, List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
            "jina-v5-nano"),
            SplitRule.llama3Words(3, false)),
    /** Llama 3's expression, without Llama 3's settings. */
    DBRX(false, false, List.of("dbrx", "smaug-bpe"),
            SplitRule.llama3Words(3, false)),
    /** Qwen 2 and 3: Llama 3's words with one digit at a time. */
    QWEN2(false, false, List.of("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
            "solar-open", "grok-2"),
            SplitRule.llama3Words(1, false)),
    /** Qwen 3.5: as Qwen 2, with combining marks counted as letters. */
    QWEN35(false, false, List.of("qwen35"),
            SplitRule.llama3Words(1, true)),
    /** GPT-2, GPT-NeoX, MPT, OLMo and others: GPT-2's words alone. */
    GPT2(false, false, List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "a.x-4.0", "mellum", "modern-bert",
            "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling", "jina-v1-en", "roberta-bpe"),
            SplitRule.gpt2Words()),
    /** Falcon: as the default with {@code `} among the punctuation and no separate digit runs. */
    FALCON(false, false, List.of("falcon"),
            SplitRule.runs(categoryOr(PUNCTUATION, "$+<=>^~|`")),
            SplitRule.gpt2Words(),
            SplitRule.threeDigits()),
    /** StarCoder, Refact, Command-R and others: each digit alone, then GPT-2's words. */
    STARCODER(false, false, List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b",
            "mellum2"),
            SplitRule.singles(category(NUMBER)),
            SplitRule.gpt2Words()),
    /**
     * DeepSeek LLM: line breaks alone, then cased letters and punctuation (spelled out, each with
     * an optional space before), trailing white space, CJK runs, digit runs.
     */
    DEEPSEEK_LLM(false, false, List.of("deepseek-llm"),
            SplitRule.singles(ranges('\r', '\r', '\n', '\n')),
            SplitRule.runsAfterOptionalSpace(ranges(DeepSeek.LETTERS)),
            SplitRule.runsAfterOptionalSpace(ranges(DeepSeek.PUNCTUATION)),
            SplitRule.trailingWhitespace(),
            SplitRule.runs(ranges(DeepSeek.CJK)),
            SplitRule.runs(category(NUMBER))),
    /** DeepSeek Coder: line breaks alone, then letters and punctuation (each with an optional space before), CJK runs, each digit alone. */
    DEEPSEEK_CODER(false, false, List.of("deepseek-coder"),
            SplitRule.singles(ranges('\r', '\r', '\n', '\n')),
            SplitRule.runsAfterOptionalSpace(category(LETTER)),
            SplitRule.runsAfterOptionalSpace(category(PUNCTUATION)),
            SplitRule.runs(ranges(DeepSeek.CJK)),
            SplitRule.singles(category(NUMBER)));

    private static final Map<String, PreTokenizer> BY_NAME = new TreeMap<>();

    static {
        for (PreTokenizer p : values()) {
            for (String name : p.names) {
                BY_NAME.put(name, p);
            }
        }
    }

    private final boolean ignoreMerges;
    private final boolean addBos;
    private final List<String> names;
    private final SplitRule[] rules;

    PreTokenizer(boolean ignoreMerges, boolean addBos, List<String> names, SplitRule... rules) {
        this.ignoreMerges = ignoreMerges;
        this.addBos = addBos;
        this.names = names;
        this.rules = rules;
    }

    /**
     * The pre-tokenizer called {@code name} ({@code tokenizer.ggml.pre}); {@link #DEFAULT} when
     * there is no name ({@code null} or empty), as in llama.cpp.
     *
     * @throws IllegalArgumentException for a name that is not supported
     */
    static PreTokenizer forName(String name) {
        if (isUnnamed(name)) {
            return DEFAULT;
        }
        PreTokenizer p = BY_NAME.get(name);
        if (p == null) {
            throw new IllegalArgumentException("byte-level BPE pre-tokenizer \"" + name + "\" is not supported (supported: "
                    + String.join(", ", BY_NAME.keySet()) + ")");
        }
        return p;
    }

    static boolean isUnnamed(String name) {
        return name == null || name.isEmpty();
    }

    /** Whether a word that is a token as a whole becomes that token without merging. */
    boolean ignoresMerges() {
        return ignoreMerges;
    }

    /** Whether encoding adds BOS when the vocabulary file does not say. */
    boolean addsBosByDefault() {
        return addBos;
    }

    /**
     * Cuts {@code text} into words. Returns the list, {@code a} or {@code b} (two buffers to work
     * in, whose contents are replaced), that holds the end of each word, in order.
     */
    IntList split(SplitRule.Codepoints text, IntList a, IntList b) {
        IntList ends = a;
        IntList next = b;
        ends.clear();
        ends.add(text.length);
        for (SplitRule rule : rules) {
            next.clear();
            int start = 0;
            for (int i = 0; i < ends.size(); i++) {
                int end = ends.get(i);
                rule.split(text, start, end, next);
                start = end;
            }
            IntList t = ends;
            ends = next;
            next = t;
        }
        return ends;
    }

    /** The character classes of DeepSeek's expressions, which spell their code points out. */
    private static final class DeepSeek {
        /** The cased letters of {@code \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+}. */
        static final int[] LETTERS = {
            0x41, 0x5A, 0x61, 0x7A, 0xB5, 0xB5, 0xC0, 0xD6, 0xD8, 0xF6, 0xF8, 0x1BA, 0x1BC, 0x1BF, 0x1C4, 0x293,
            0x295, 0x2AF, 0x370, 0x373, 0x376, 0x377, 0x37B, 0x37D, 0x37F, 0x37F, 0x386, 0x386, 0x388, 0x38A,
            0x38C, 0x38C, 0x38E, 0x3A1, 0x3A3, 0x3F5, 0x3F7, 0x481, 0x48A, 0x52F, 0x531, 0x556, 0x10A0, 0x10C5,
            0x13A0, 0x13F5, 0x13F8, 0x13FD, 0x1C90, 0x1CBA, 0x1CBD, 0x1CBF, 0x1D00, 0x1D2B, 0x1D6B, 0x1D77,
            0x1D79, 0x1D9A, 0x1E00, 0x1F15, 0x1F18, 0x1F1D, 0x1F20, 0x1F45, 0x1F48, 0x1F4D, 0x1F50, 0x1F57,
            0x1F59, 0x1F59, 0x1F5B, 0x1F5B, 0x1F5D, 0x1F5D, 0x1F5F, 0x1F7D, 0x1F80, 0x1FB4, 0x1FB6, 0x1FBC,
            0x1FBE, 0x1FBE, 0x1FC2, 0x1FC4, 0x1FC6, 0x1FCC, 0x1FD0, 0x1FD3, 0x1FD6, 0x1FDB, 0x1FE0, 0x1FEC,
            0x1FF2, 0x1FF4, 0x1FF6, 0x1FFC, 0x2102, 0x2102, 0x2107, 0x2107, 0x210A, 0x2113, 0x2115, 0x2115,
            0x2119, 0x211D, 0x2124, 0x2124, 0x2126, 0x2126, 0x2128, 0x2128, 0x212A, 0x212D, 0x212F, 0x2134,
            0x2139, 0x2139, 0x213C, 0x213F, 0x2145, 0x2149, 0x214E, 0x214E, 0x2183, 0x2184, 0x2C00, 0x2C7B,
            0x2C7E, 0x2CE4, 0x2CEB, 0x2CEE, 0x2CF2, 0x2CF3, 0xA640, 0xA66D, 0xA680, 0xA69B, 0xA722, 0xA76F,
            0xA771, 0xA787, 0xA78B, 0xA78E, 0xAB70, 0xABBF, 0xFB00, 0xFB06, 0xFB13, 0xFB17, 0xFF21, 0xFF3A,
            0xFF41, 0xFF5A, 0x10400, 0x1044F, 0x104B0, 0x104D3, 0x104D8, 0x104FB, 0x10C80, 0x10CB2, 0x10CC0,
            0x10CF2, 0x118A0, 0x118DF, 0x1E900, 0x1E943,
        };
        /** {@code \s?[!-/:-~！-／：-～‘-‟　-。]+}. */
        static final int[] PUNCTUATION = {
            0x21, 0x2F, 0x3A, 0x7E, 0xFF01, 0xFF0F, 0xFF1A, 0xFF5E, 0x2018, 0x201F, 0x3000, 0x3002,
        };
        /** {@code [一-龥ࠀ-一가-퟿]+}: CJK ideographs, U+0800 to U+4E00, and Hangul. */
        static final int[] CJK = {0x4E00, 0x9FA5, 0x0800, 0x4E00, 0xAC00, 0xD7FF};
    }
}
