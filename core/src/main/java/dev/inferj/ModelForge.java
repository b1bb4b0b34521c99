package dev.inferj;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.kernels.GgmlType;
import dev.inferj.model.ForgedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Writes GGUF models with deterministic random weights in the shapes of real models (as {@code inferj forge}
 * does): for tests of what surrounds a model, and for benchmarks. Their text is noise; llama.cpp loads them too.
 */
public final class ModelForge {
    private ModelForge() {
    }

    /**
     * Writes a model of {@code shape} (tiny, tiny-moe, small, mistral-7b, llama3-8b, mixtral-8x7b, falcon-7b) with every
     * matrix in {@code type} (f32, f16, bf16, q8_0, q4_0, ... as {@code inferj forge --type}) to {@code out}.
     *
     * @throws IllegalArgumentException for an unknown shape or type
     */
    public static void write(String shape, String type, long seed, Path out) {
        GgmlType t = ForgedModel.TYPES.stream().filter(x -> x.name().equalsIgnoreCase(type)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no weight type " + type + " to forge (types: "
                        + ForgedModel.TYPES.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).toList() + ")"));
        ForgedModel.of(ForgedModel.Shape.named(shape), t, seed).write(out, 1);
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
