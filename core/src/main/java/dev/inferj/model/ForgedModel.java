package dev.inferj.model;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufValueType;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Quantizer;
import dev.inferj.kernels.WorkerPool;
import dev.inferj.quantize.ModelTraits;
import dev.inferj.quantize.QuantizationMix;
import dev.inferj.quantize.TensorTypeRules;
import dev.inferj.tokenizer.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A synthetic model of a named shape with deterministic random weights, written as a GGUF file
 * that llama.cpp and inferj both load: architecture {@code llama} (or {@code falcon} for the Falcon
 * shape), llama.cpp's tensor names and layouts, a SentencePiece-style vocabulary of the shape's size. For benchmarks and tests that
 * need a model of a real model's size without downloading one.
 *
 * <p><b>Weights.</b> Every element is a function of the seed, the tensor's name and its position
 * only, so a file does not depend on how many threads wrote it, and the same seed in another type
 * is the same model quantized differently (F32 weights are the reference; the other types are
 * {@link Quantizer}'s exact ggml rounding of them). Values are uniform, scaled so that the
 * activations stay of order one through any number of layers: projections into a layer have
 * standard deviation {@code 1/sqrt(fan_in)}, the projections back into the residual stream
 * (attention output, feed-forward down) a further {@code 1/sqrt(2 * layers)}, the embedding 1,
 * the norm weights {@code 1 ± 0.1}, the output matrix {@code 2/sqrt(n_embd)} (logits of standard
 * deviation about 2, so that greedy choices are not near-ties).
 *
 * <p><b>Types.</b> Forged with a {@link GgmlType}, every matrix is in that type, the output matrix
 * included, as llama-quantize {@code --pure} writes (where a K-quant's 256 does not divide the
 * rows, it falls back as llama.cpp does: Q4_K to Q5_0 and so on). Forged with a
 * {@link QuantizationMix}, each tensor gets the type llama-quantize gives it in that mix
 * ({@link TensorTypeRules}), so the tensors are byte for byte those of {@code inferj quantize}
 * run on the F32 forge. Either way the norm vectors and the expert router stay F32, as llama.cpp
 * keeps them.
 *
 * <p><b>Vocabulary.</b> {@code tokenizer.ggml.model = llama} for every shape, Llama 3's included
 * (whose real tokenizer is byte-level BPE): {@code <unk>}, {@code <s>}, {@code </s>}, the 256
 * byte tokens {@code <0x00>..<0xFF>}, single characters, then pieces made by joining two earlier
 * pieces (so the merges can reach each one), with falling scores. It depends on the size only,
 * not on the seed.
 *
 * <p><b>Shapes</b> follow the published hyper-parameters; the sliding window of Mistral 7B v0.1
 * (4096) is not written because llama.cpp's {@code llama} architecture ignores it, and forged
 * files should run the same in both.
 */
public final class ForgedModel {

    /**
     * The hyper-parameters of a model.
     *
     * @param expertCount experts per layer (Mixtral); 0 for a dense feed-forward
     * @param expertsUsed experts each token goes through
     * @param architecture {@code LLAMA} or {@code FALCON}
     */
    public record Shape(String name, int embeddingLength, int blockCount, int headCount, int headCountKv,
                        int feedForwardLength, int vocabularySize, int contextLength, float ropeFreqBase,
                        float rmsEpsilon, int expertCount, int expertsUsed, Architecture architecture) {

        /** The smallest vocabulary the synthetic one fits in: special and byte tokens, the single characters. */
        static final int MIN_VOCABULARY = 3 + 256 + 128;

        public Shape {
            Objects.requireNonNull(name, "name");
            if (embeddingLength < 32 || embeddingLength % 32 != 0 || headCount < 1 || embeddingLength % headCount != 0) {
                throw new IllegalArgumentException(name + ": embedding length " + embeddingLength
                        + " must be a multiple of 32 and of the head count " + headCount);
            }
            if (blockCount < 1 || headCountKv < 1 || headCount % headCountKv != 0) {
                throw new IllegalArgumentException(name + ": " + blockCount + " layers, " + headCount + " heads, "
                        + headCountKv + " KV heads");
            }
            if (feedForwardLength < 32 || feedForwardLength % 32 != 0) {
                throw new IllegalArgumentException(name + ": feed-forward length " + feedForwardLength
                        + " is not a positive multiple of 32");
            }
            if (vocabularySize < MIN_VOCABULARY) {
                throw new IllegalArgumentException(name + ": a vocabulary of " + vocabularySize + " is below "
                        + MIN_VOCABULARY);
            }
            if (expertCount < 0 || (expertCount > 0 && (expertsUsed < 1 || expertsUsed > expertCount))) {
                throw new IllegalArgumentException(name + ": " + expertsUsed + " of " + expertCount + " experts");
            }
            if (architecture != Architecture.LLAMA && (architecture != Architecture.FALCON || expertCount > 0)) {
                throw new IllegalArgumentException(name + ": forge writes llama models (dense or mixture of experts) and"
                        + " dense falcon ones, not " + architecture.ggufName() + (expertCount > 0 ? " with experts" : ""));
            }
        }

        /** A Llama-architecture shape. */
        public Shape(String name, int embeddingLength, int blockCount, int headCount, int headCountKv, int feedForwardLength,
                     int vocabularySize, int contextLength, float ropeFreqBase, float rmsEpsilon, int expertCount,
                     int expertsUsed) {
            this(name, embeddingLength, blockCount, headCount, headCountKv, feedForwardLength, vocabularySize, contextLength,
                    ropeFreqBase, rmsEpsilon, expertCount, expertsUsed, Architecture.LLAMA);
        }

        public static final Shape TINY = new Shape("tiny", 128, 2, 4, 2, 384, 2048, 4096, 10000f, 1e-5f, 0, 0);
        /** As {@link #TINY} with a Mixtral-style feed-forward: 8 experts of width 256, top 2. */
        public static final Shape TINY_MOE = new Shape("tiny-moe", 128, 2, 4, 2, 256, 2048, 4096, 10000f, 1e-5f, 8, 2);
        /** About 110 M parameters: GPT-2-small widths with grouped-query attention and a Llama 2 sized vocabulary. */
        public static final Shape SMALL = new Shape("small", 768, 12, 12, 4, 2048, 32000, 4096, 10000f, 1e-5f, 0, 0);
        /** Mistral 7B v0.1. */
        public static final Shape MISTRAL_7B = new Shape("mistral-7b", 4096, 32, 32, 8, 14336, 32000, 32768, 10000f,
                1e-5f, 0, 0);
        /** Llama 3 8B (with a SentencePiece-style vocabulary of its size). */
        public static final Shape LLAMA3_8B = new Shape("llama3-8b", 4096, 32, 32, 8, 14336, 128256, 8192, 500000f,
                1e-5f, 0, 0);
        /** Mixtral 8x7B v0.1: 8 experts of Mistral 7B's feed-forward, top 2. */
        public static final Shape MIXTRAL_8X7B = new Shape("mixtral-8x7b", 4096, 32, 32, 8, 14336, 32000, 32768,
                1e6f, 1e-5f, 8, 2);

        /** Falcon 7B: multi-query attention (one KV head of 64), LayerNorm, parallel attention and feed-forward. */
        public static final Shape FALCON_7B = new Shape("falcon-7b", 4544, 32, 71, 1, 18176, 65024, 2048, 10000f, 1e-5f,
                0, 0, Architecture.FALCON);

        private static final List<Shape> ALL = List.of(TINY, TINY_MOE, SMALL, MISTRAL_7B, LLAMA3_8B, MIXTRAL_8X7B, FALCON_7B);

        /** The named shapes. */
        public static List<Shape> all() {
            return ALL;
        }

        /** The shape called {@code name}. */
        public static Shape named(String name) {
            for (Shape s : ALL) {
                if (s.name.equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("no shape named " + name + " (shapes: "
                    + ALL.stream().map(Shape::name).collect(Collectors.joining(", ")) + ")");
        }

        /** This shape cut (or grown) to {@code layers} layers. */
        public Shape withBlockCount(int layers) {
            return new Shape(name, embeddingLength, layers, headCount, headCountKv, feedForwardLength, vocabularySize,
                    contextLength, ropeFreqBase, rmsEpsilon, expertCount, expertsUsed, architecture);
        }

        public int headDim() {
            return embeddingLength / headCount;
        }

        public int kvDim() {
            return headCountKv * headDim();
        }

        public boolean isMixtureOfExperts() {
            return expertCount > 0;
        }

        /** Elements of all tensors, as llama.cpp counts parameters. */
        public long parameterCount() {
            long total = 0;
            for (TensorSpec t : tensors(this)) {
                total += t.elements();
            }
            return total;
        }
    }

    /** The weight types forge writes every matrix in. */
    public static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K);

    /** How a tensor's values are drawn: uniform around {@code center} with standard deviation {@code std}. */
    private record TensorSpec(String name, long[] dims, float center, float std) {
        long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        int cols() {
            return (int) dims[0];
        }
    }

    private final Shape shape;
    private final QuantizationMix mix;
    /** Every matrix in the mix's base type, without its per-tensor rules. */
    private final boolean pure;
    private final long seed;

    private ForgedModel(Shape shape, QuantizationMix mix, boolean pure, long seed) {
        this.shape = Objects.requireNonNull(shape, "shape");
        this.mix = Objects.requireNonNull(mix, "mix");
        this.pure = pure;
        this.seed = seed;
    }

    /**
     * The model of {@code shape} with every matrix in {@code type}, drawn from {@code seed}.
     *
     * @throws IllegalArgumentException when {@code type} is not one of {@link #TYPES}
     */
    public static ForgedModel of(Shape shape, GgmlType type, long seed) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("cannot forge " + type + " weights (types: "
                    + TYPES.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ")");
        }
        return new ForgedModel(shape, QuantizationMix.of(type), true, seed);
    }

    /** The model of {@code shape} drawn from {@code seed}, each tensor in the type llama-quantize gives it in {@code mix}. */
    public static ForgedModel of(Shape shape, QuantizationMix mix, long seed) {
        return new ForgedModel(shape, mix, false, seed);
    }

    public Shape shape() {
        return shape;
    }

    /** The type of the matrices the mix leaves alone: all of them, when forged with a type. */
    public GgmlType type() {
        return mix.baseType();
    }

    public QuantizationMix mix() {
        return mix;
    }

    public long seed() {
        return seed;
    }

    /** The size of the file {@link #write} makes. */
    public long byteSize() {
        try (WorkerPool pool = new WorkerPool(1)) {
            return writer(pool).byteSize();
        }
    }

    /** Writes the file, generating and quantizing the weights on {@code threads} threads as it goes. */
    public void write(Path out, int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            writer(pool).write(out);
        }
    }

    /** The whole file in memory: for small shapes (tests). */
    public byte[] toByteArray() {
        try (WorkerPool pool = new WorkerPool(1)) {
            return writer(pool).toByteArray();
        }
    }

    // ---- the file

    private GgufWriter writer(WorkerPool pool) {
        GgufWriter w = new GgufWriter();
        Shape s = shape;
        String arch = s.architecture().ggufName();
        w.put("general.architecture", GgufValue.ofString(arch));
        w.put("general.name", GgufValue.ofString("forged " + s.name() + (s.blockCount() != defaultLayers(s) ? " "
                + s.blockCount() + " layers" : "")));
        w.put("general.description", GgufValue.ofString("synthetic weights made by inferj forge (shape " + s.name()
                + ", seed " + seed + ")"));
        w.put(GgufFile.FILE_TYPE_KEY, GgufValue.ofUInt32(mix.fileType()));
        if (mix.baseType().isQuantized()) {
            w.put(GgufFile.QUANTIZATION_VERSION_KEY, GgufValue.ofUInt32(QuantizationMix.QUANTIZATION_VERSION));
        }
        w.put(arch + ".vocab_size", GgufValue.ofUInt32(s.vocabularySize()));
        w.put(arch + ".context_length", GgufValue.ofUInt32(s.contextLength()));
        w.put(arch + ".embedding_length", GgufValue.ofUInt32(s.embeddingLength()));
        w.put(arch + ".block_count", GgufValue.ofUInt32(s.blockCount()));
        w.put(arch + ".feed_forward_length", GgufValue.ofUInt32(s.feedForwardLength()));
        w.put(arch + ".rope.dimension_count", GgufValue.ofUInt32(s.headDim()));
        w.put(arch + ".attention.head_count", GgufValue.ofUInt32(s.headCount()));
        w.put(arch + ".attention.head_count_kv", GgufValue.ofUInt32(s.headCountKv()));
        w.put(arch + (s.architecture() == Architecture.FALCON ? ".attention.layer_norm_epsilon" : ".attention.layer_norm_rms_epsilon"),
                GgufValue.ofFloat32(s.rmsEpsilon()));
        w.put(arch + ".rope.freq_base", GgufValue.ofFloat32(s.ropeFreqBase()));
        if (s.isMixtureOfExperts()) {
            w.put(arch + ".expert_count", GgufValue.ofUInt32(s.expertCount()));
            w.put(arch + ".expert_used_count", GgufValue.ofUInt32(s.expertsUsed()));
        }
        putVocabulary(w, s.vocabularySize());
        List<TensorSpec> specs = tensors(s);
        List<GgmlType> types = TensorTypeRules.choose(
                new ModelTraits(arch, s.blockCount(), s.headCount(), s.headCountKv(), s.expertCount()),
                specs.stream().map(t -> new GgufTensorInfo(t.name(), GgmlType.F32, t.dims(), 0)).toList(), mix, pure);
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec t = specs.get(i);
            w.addTensor(t.name(), types.get(i), t.dims(), source(t, types.get(i), pool));
        }
        return w;
    }

    private static int defaultLayers(Shape s) {
        for (Shape named : Shape.all()) {
            if (named.name().equals(s.name())) {
                return named.blockCount();
            }
        }
        return s.blockCount();
    }

    /** The tensors in llama.cpp's order, with how their values are drawn. */
    private static List<TensorSpec> tensors(Shape s) {
        int embd = s.embeddingLength();
        int ff = s.feedForwardLength();
        int q = s.headCount() * s.headDim();
        float in = (float) (1 / Math.sqrt(embd));
        float residual = (float) (1 / Math.sqrt(2.0 * s.blockCount()));
        List<TensorSpec> list = new ArrayList<>();
        list.add(new TensorSpec("token_embd.weight", new long[] {embd, s.vocabularySize()}, 0f, 1f));
        for (int i = 0; i < s.blockCount(); i++) {
            String p = "blk." + i + ".";
            list.add(new TensorSpec(p + "attn_norm.weight", new long[] {embd}, 1f, NORM_STD));
            if (s.architecture() == Architecture.FALCON) {
                falconBlock(s, p, list);
                continue;
            }
            list.add(new TensorSpec(p + "attn_q.weight", new long[] {embd, q}, 0f, in));
            list.add(new TensorSpec(p + "attn_k.weight", new long[] {embd, s.kvDim()}, 0f, in));
            list.add(new TensorSpec(p + "attn_v.weight", new long[] {embd, s.kvDim()}, 0f, in));
            list.add(new TensorSpec(p + "attn_output.weight", new long[] {q, embd}, 0f,
                    (float) (1 / Math.sqrt(q)) * residual));
            list.add(new TensorSpec(p + "ffn_norm.weight", new long[] {embd}, 1f, NORM_STD));
            float down = (float) (1 / Math.sqrt(ff)) * residual;
            if (s.isMixtureOfExperts()) {
                int n = s.expertCount();
                list.add(new TensorSpec(p + "ffn_gate_inp.weight", new long[] {embd, n}, 0f, in));
                list.add(new TensorSpec(p + "ffn_gate_exps.weight", new long[] {embd, ff, n}, 0f, in));
                list.add(new TensorSpec(p + "ffn_down_exps.weight", new long[] {ff, embd, n}, 0f, down));
                list.add(new TensorSpec(p + "ffn_up_exps.weight", new long[] {embd, ff, n}, 0f, in));
            } else {
                list.add(new TensorSpec(p + "ffn_gate.weight", new long[] {embd, ff}, 0f, in));
                list.add(new TensorSpec(p + "ffn_down.weight", new long[] {ff, embd}, 0f, down));
                list.add(new TensorSpec(p + "ffn_up.weight", new long[] {embd, ff}, 0f, in));
            }
        }
        list.add(new TensorSpec("output_norm.weight", new long[] {embd}, 1f, NORM_STD));
        if (s.architecture() == Architecture.FALCON) {
            list.add(new TensorSpec("output_norm.bias", new long[] {embd}, 0f, NORM_STD));
        }
        list.add(new TensorSpec("output.weight", new long[] {embd, s.vocabularySize()}, 0f, 2 * in));
        return list;
    }

    private static final float NORM_STD = (float) (0.1 / Math.sqrt(3)); // uniform on 1 ± 0.1

    /** The rest of a Falcon block after its norm's weight, in llama.cpp's order: norm bias, fused QKV, output, feed-forward. */
    private static void falconBlock(Shape s, String p, List<TensorSpec> list) {
        int embd = s.embeddingLength();
        int ff = s.feedForwardLength();
        float in = (float) (1 / Math.sqrt(embd));
        float residual = (float) (1 / Math.sqrt(2.0 * s.blockCount()));
        list.add(new TensorSpec(p + "attn_norm.bias", new long[] {embd}, 0f, NORM_STD));
        list.add(new TensorSpec(p + "attn_qkv.weight", new long[] {embd, embd + 2L * s.kvDim()}, 0f, in));
        list.add(new TensorSpec(p + "attn_output.weight", new long[] {embd, embd}, 0f, in * residual));
        list.add(new TensorSpec(p + "ffn_up.weight", new long[] {embd, ff}, 0f, in));
        list.add(new TensorSpec(p + "ffn_down.weight", new long[] {ff, embd}, 0f, (float) (1 / Math.sqrt(ff)) * residual));
    }

    // ---- the weights

    /** Fills a chunk of whole rows: each row drawn from its own stream, then written in the tensor's type. */
    private GgufWriter.TensorSource source(TensorSpec t, GgmlType tensorType, WorkerPool pool) {
        long tensorSeed = mix(seed ^ mix(fnv1a(t.name())));
        int cols = t.cols();
        long rowBytes = tensorType.byteSize(cols);
        float amplitude = (float) (t.std() * Math.sqrt(3)); // uniform on [-a, a) has standard deviation a / sqrt(3)
        return (offset, chunk) -> {
            long firstRow = offset / rowBytes;
            int rows = Math.toIntExact(chunk.byteSize() / rowBytes);
            pool.forRange(rows, (from, to) -> {
                float[] row = new float[cols];
                for (int r = from; r < to; r++) {
                    drawRow(tensorSeed, firstRow + r, t.center(), amplitude, row);
                    Quantizer.quantizeRow(tensorType, row, 0, cols, chunk, r * rowBytes);
                }
            });
        };
    }

    /**
     * Row {@code row} of a tensor: SplitMix64 seeded by the tensor and the row, each 64-bit output
     * giving two values from its two 24-bit halves, uniform on {@code [center - a, center + a)}.
     */
    private static void drawRow(long tensorSeed, long row, float center, float amplitude, float[] out) {
        long state = mix(tensorSeed + row * GOLDEN);
        float scale = amplitude * 0x1p-23f; // 24 bits → [0, 2^24) → [-a, a)
        int n = out.length;
        for (int i = 0; i < n; i += 2) {
            state += GOLDEN;
            long z = mix(state);
            out[i] = center + ((int) (z >>> 40) - (1 << 23)) * scale;
            if (i + 1 < n) {
                out[i + 1] = center + ((int) ((z >>> 8) & 0xFFFFFF) - (1 << 23)) * scale;
            }
        }
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return h;
    }

    // ---- the vocabulary

    private static final String SPACE = "\u2581"; // SentencePiece's word boundary
    private static final String CHARACTERS =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()[]{}<>/\\|@#$%^&*+=_~`";

    private static void putVocabulary(GgufWriter w, int size) {
        String[] tokens = new String[size];
        float[] scores = new float[size];
        long[] types = new long[size];
        tokens[0] = "<unk>";
        types[0] = Vocabulary.UNKNOWN;
        tokens[1] = "<s>";
        types[1] = Vocabulary.CONTROL;
        tokens[2] = "</s>";
        types[2] = Vocabulary.CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format(Locale.ROOT, "<0x%02X>", b);
            types[3 + b] = Vocabulary.BYTE;
        }
        int first = 3 + 256;
        Set<String> seen = new HashSet<>();
        List<String> pieces = new ArrayList<>();
        pieces.add(SPACE);
        CHARACTERS.chars().forEach(c -> pieces.add(Character.toString(c)));
        for (String c : CHARACTERS.split("")) {
            pieces.add(SPACE + c);
        }
        seen.addAll(pieces);
        // Join two earlier pieces, the second never starting a word, preferring short and early ones.
        long state = 0x5EED;
        while (pieces.size() < size - first) {
            state += GOLDEN;
            long z = mix(state);
            String a = pieces.get(pick(z, pieces.size()));
            String b = pieces.get(pick(z >>> 32, pieces.size()));
            if (b.startsWith(SPACE) || a.length() + b.length() > 12) {
                continue;
            }
            String joined = a + b;
            if (seen.add(joined)) {
                pieces.add(joined);
            }
        }
        for (int i = 0; i < size - first; i++) {
            tokens[first + i] = pieces.get(i);
            types[first + i] = Vocabulary.NORMAL;
            scores[first + i] = -i;
        }
        w.put(VocabularyLoader.MODEL, GgufValue.ofString("llama"));
        w.put(VocabularyLoader.TOKENS, GgufValue.ofStrings(tokens));
        w.put(VocabularyLoader.SCORES, GgufValue.ofFloats(scores));
        w.put(VocabularyLoader.TOKEN_TYPE, GgufValue.ofInts(GgufValueType.INT32, types));
        w.put(VocabularyLoader.BOS_ID, GgufValue.ofUInt32(1));
        w.put(VocabularyLoader.EOS_ID, GgufValue.ofUInt32(2));
        w.put(VocabularyLoader.UNKNOWN_ID, GgufValue.ofUInt32(0));
        w.put(VocabularyLoader.ADD_BOS, GgufValue.ofBool(true));
        w.put(VocabularyLoader.ADD_EOS, GgufValue.ofBool(false));
    }

    /** An index below {@code n}, skewed towards small ones (the square of a uniform draw). */
    private static int pick(long bits, int n) {
        double u = (bits & 0xFFFFFFFFL) * 0x1p-32;
        return (int) (u * u * n);
    }
}
