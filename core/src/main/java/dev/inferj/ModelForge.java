package dev.inferj;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import dev.inferj.model.ForgedModel;
import dev.inferj.quantize.QuantizationMix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Writes GGUF models with deterministic random weights in the shapes of real models (as {@code inferj forge}
 * does): for tests of what surrounds a model, and for benchmarks. Their text is noise; llama.cpp loads them too.
 */
public final class ModelForge {
    private final ForgedModel.Shape shape;
    private final GgmlType type;
    private final QuantizationMix mix;
    private final long seed;

    private ModelForge(ForgedModel.Shape shape, GgmlType type, QuantizationMix mix, long seed) {
        this.shape = shape;
        this.type = type;
        this.mix = mix;
        this.seed = seed;
    }

    /**
     * A model of {@code shape} (one of {@link #shapes()}) with every matrix in {@code type}: one of {@link #types()}
     * (as llama-quantize --pure), or one of {@link #mixes()}, which give each tensor the type llama-quantize gives it.
     *
     * @throws IllegalArgumentException for an unknown shape or type, naming the known ones
     */
    public static ModelForge of(String shape, String type, long seed) {
        ForgedModel.Shape s = ForgedModel.Shape.named(shape);
        for (GgmlType t : ForgedModel.TYPES) {
            if (t.name().equalsIgnoreCase(type)) {
                return new ModelForge(s, t, null, seed);
            }
        }
        for (QuantizationMix m : QuantizationMix.values()) {
            if (m.name().equalsIgnoreCase(type)) {
                return new ModelForge(s, null, m, seed);
            }
        }
        throw new IllegalArgumentException("no type " + type + " (types: " + String.join(", ", types()) + "; mixes: "
                + String.join(", ", mixes()) + ")");
    }

    /**
     * Writes a model of {@code shape} with every matrix in {@code type} to {@code out}, on one thread.
     *
     * @throws IllegalArgumentException for an unknown shape or type
     */
    public static void write(String shape, String type, long seed, Path out) {
        of(shape, type, seed).write(out, 1);
    }

    /** The shapes: tiny, tiny-moe, small, mistral-7b, llama3-8b, mixtral-8x7b, falcon-7b. */
    public static List<String> shapes() {
        return ForgedModel.Shape.all().stream().map(ForgedModel.Shape::name).toList();
    }

    /** The weight types a forge can put every matrix in (f32, f16, bf16, q8_0, q4_0, ...). */
    public static List<String> types() {
        return ForgedModel.TYPES.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).toList();
    }

    /** The quantization mixes that are not one type (q3_k_s ... q5_k_m). */
    public static List<String> mixes() {
        return Arrays.stream(QuantizationMix.values()).map(QuantizationMix::lowerName).filter(m -> !types().contains(m))
                .toList();
    }

    /** This model cut (or grown) to {@code layers} layers. */
    public ModelForge withLayers(int layers) {
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be at least 1, was " + layers);
        }
        return new ModelForge(shape.withBlockCount(layers), type, mix, seed);
    }

    /** The shape's name. */
    public String shape() {
        return shape.name();
    }

    /** The number of layers. */
    public int layers() {
        return shape.blockCount();
    }

    /** The weight type ("Q4_0") or mix ("Q4_K_M mix"). */
    public String typeDescription() {
        return type != null ? type.toString() : mix + " mix";
    }

    /** The number of parameters, as llama.cpp counts them. */
    public long parameterCount() {
        return shape.parameterCount();
    }

    /** Writes the model to {@code out}, quantizing on {@code threads} threads. */
    public void write(Path out, int threads) {
        (type != null ? ForgedModel.of(shape, type, seed) : ForgedModel.of(shape, mix, seed)).write(out, threads);
    }

    /** The matrices a forged adapter adapts: every block's attention and dense feed-forward matrices. */
    private static final Pattern ADAPTED = Pattern.compile("blk\\.\\d+\\.(attn_(q|k|v|output)|ffn_(gate|up|down))\\.weight");

    /**
     * Writes a LoRA adapter of {@code rank} for the model at {@code base}, in llama.cpp's form, with F32 factors on every
     * block's attention and dense feed-forward matrices, deterministic random values (A of unit-norm rows' scale, B
     * small) and alpha = rank, so that scale 1 adds {@code B·A} as it is: for measuring what adapters cost.
     */
    public static void writeLora(Path base, int rank, long seed, Path out) {
        if (rank < 1) {
            throw new IllegalArgumentException("rank must be at least 1, was " + rank);
        }
        try (GgufFile f = GgufFile.open(base)) {
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.ofString(f.getString("general.architecture")));
            w.put("general.type", GgufValue.ofString("adapter"));
            w.put("adapter.type", GgufValue.ofString("lora"));
            w.put("adapter.lora.alpha", GgufValue.ofFloat32(rank));
            SplittableRandom random = new SplittableRandom(seed);
            for (GgufTensorInfo t : f.tensors()) {
                if (!ADAPTED.matcher(t.name()).matches() || t.rank() != 2) {
                    continue;
                }
                int in = (int) t.dim(0);
                int outRows = (int) t.dim(1);
                w.addTensor(t.name() + ".lora_a", GgmlType.F32, new long[] {in, rank}, gaussian(random, in * rank, 1 / Math.sqrt(in)));
                w.addTensor(t.name() + ".lora_b", GgmlType.F32, new long[] {rank, outRows}, gaussian(random, rank * outRows, 0.01));
            }
            w.write(out);
        }
    }

    private static byte[] gaussian(SplittableRandom random, int n, double sigma) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (sigma * random.nextGaussian()));
        }
        return b.array();
    }
}
