package dev.inferj;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WeightMatrix;
import dev.inferj.model.OffHeap;
import dev.inferj.model.TransformerWeights.RowSlice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A LoRA adapter in llama.cpp's GGUF form ({@code general.type = adapter}, {@code adapter.type = lora},
 * {@code adapter.lora.alpha}, tensors {@code <base tensor>.lora_a} and {@code .lora_b} in F32, F16 or Q8_0),
 * loaded once for a {@link Model} ({@link Model#loadAdapter}) and shared by every session that applies it
 * ({@link Session#setAdapters}): each adapted product becomes {@code W·x + s·B·(A·x)} with
 * {@code s = scale × alpha / rank} ({@code scale} where alpha is 0). The base weights are never touched; the
 * adapter costs its own bytes, mapped from its file, and is closed with the model.
 */
public final class LoraAdapter {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Model model;
    private final Path path;
    private final GgufFile file;
    /** Holds the column-major copies of the B factors. */
    private final Arena copies;
    private final float alpha;
    private final List<Target> targets;

    /**
     * One adapted matrix: the base matrix (or a slice of a fused one), the adapter's two factors for it, and B's
     * columns as floats one after another (for {@code B·t} as a sum of columns).
     */
    record Target(WeightMatrix base, WeightMatrix a, WeightMatrix b, MemorySegment bColumns) {
        int rank() {
            return a.rows();
        }
    }

    /** An adapter at a scale, as a session applies it. */
    public record Scaled(LoraAdapter adapter, float scale) {
        public Scaled {
            if (!Float.isFinite(scale)) {
                throw new IllegalArgumentException("an adapter's scale must be finite, was " + scale);
            }
        }
    }

    private LoraAdapter(Model model, Path path, GgufFile file, Arena copies, float alpha, List<Target> targets) {
        this.model = model;
        this.path = path;
        this.file = file;
        this.copies = copies;
        this.alpha = alpha;
        this.targets = List.copyOf(targets);
    }

    /**
     * Opens the adapter at {@code path} for a model whose adaptable matrices are {@code base}, checking every
     * tensor's name, type, shape and values against it.
     *
     * @throws InferjException naming the file and tensor, for a file that is not a LoRA adapter of this model
     */
    static LoraAdapter load(Model model, Path path, String architecture, Map<String, List<RowSlice>> base) {
        GgufFile file = GgufFile.open(path);
        Arena copies = OffHeap.sharedArena();
        try {
            if (!"adapter".equals(file.getString("general.type", null)) || !"lora".equals(file.getString("adapter.type", null))) {
                throw bad(path, "is not a LoRA adapter (general.type = adapter, adapter.type = lora)");
            }
            String arch = file.getString("general.architecture", architecture);
            if (!arch.equals(architecture)) {
                throw bad(path, "is an adapter for " + arch + " models; this model is " + architecture);
            }
            float alpha = (float) file.getDouble("adapter.lora.alpha", 0);
            Map<String, GgufTensorInfo> tensors = new TreeMap<>();
            for (GgufTensorInfo t : file.tensors()) {
                tensors.put(t.name(), t);
            }
            List<Target> targets = new ArrayList<>();
            for (GgufTensorInfo a : tensors.values()) {
                if (a.name().endsWith(".lora_b")) {
                    if (!tensors.containsKey(a.name().substring(0, a.name().length() - 2) + "_a")) {
                        throw bad(path, "tensor " + a.name() + " has no lora_a beside it");
                    }
                    continue;
                }
                if (!a.name().endsWith(".lora_a")) {
                    throw bad(path, "tensor " + a.name() + " is not a LoRA factor (<base tensor>.lora_a or .lora_b)");
                }
                String baseName = a.name().substring(0, a.name().length() - ".lora_a".length());
                GgufTensorInfo b = tensors.get(baseName + ".lora_b");
                List<RowSlice> slices = base.get(baseName);
                if (b == null) {
                    throw bad(path, "tensor " + a.name() + " has no lora_b beside it");
                }
                if (slices == null) {
                    throw bad(path, "tensor " + a.name() + " adapts " + baseName + ", which this model does not have or inferj does not adapt"
                            + " (it adapts the attention, dense feed-forward and untied output matrices)");
                }
                targets.addAll(targets(path, file, a, b, slices, copies));
            }
            if (targets.isEmpty()) {
                throw bad(path, "has no LoRA tensors");
            }
            return new LoraAdapter(model, path, file, copies, alpha, targets);
        } catch (RuntimeException e) {
            copies.close();
            file.close();
            throw e;
        }
    }

    /** Every matrix of a GGUF file, by name, as a LoRA adapter may target it: for merging into the file as it is. */
    static Map<String, List<RowSlice>> matricesOf(GgufFile base) {
        Map<String, List<RowSlice>> byName = new TreeMap<>();
        for (GgufTensorInfo t : base.tensors()) {
            if (t.rank() == 2 || t.rank() == 3 && t.dim(2) == 1) {
                WeightMatrix w = new WeightMatrix(t.name(), t.type(), base.data(t), (int) t.dim(1), (int) t.dim(0));
                byName.put(t.name(), List.of(new RowSlice(w, 0)));
            }
        }
        return byName;
    }

    private static List<Target> targets(Path path, GgufFile file, GgufTensorInfo a, GgufTensorInfo b, List<RowSlice> slices,
            Arena copies) {
        long cols = 0;
        long rows = 0;
        for (RowSlice s : slices) {
            cols = s.matrix().cols();
            rows = Math.max(rows, s.firstRow() + s.matrix().rows());
        }
        // ggml's dims: lora_a is [n_in, rank], lora_b is [rank, n_out]
        if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != cols || b.dim(1) != rows || a.dim(1) != b.dim(0)) {
            throw bad(path, "tensors " + a.name() + " " + java.util.Arrays.toString(a.dims()) + " and " + b.name() + " "
                    + java.util.Arrays.toString(b.dims()) + " do not fit a " + rows + " x " + cols + " matrix"
                    + " (lora_a [" + cols + ", r], lora_b [r, " + rows + "])");
        }
        int rank = (int) a.dim(1);
        WeightMatrix fa = factor(path, file, a, rank, (int) cols);
        WeightMatrix fb = factor(path, file, b, (int) rows, rank);
        List<Target> out = new ArrayList<>();
        long rowBytes = fb.type().byteSize(rank);
        for (RowSlice s : slices) {
            WeightMatrix bRows = new WeightMatrix(fb.name(), fb.type(),
                    fb.data().asSlice(s.firstRow() * rowBytes, s.matrix().rows() * rowBytes), s.matrix().rows(), rank);
            out.add(new Target(s.matrix(), fa, bRows, columns(bRows, copies)));
        }
        return out;
    }

    /** The columns of {@code m} as floats, column after column, in {@code arena}: a copy as large as an F32 factor. */
    private static MemorySegment columns(WeightMatrix m, Arena arena) {
        MemorySegment out = arena.allocate(4L * m.rows() * m.cols(), 64);
        float[] row = new float[m.cols()];
        Kernels k = Kernels.get();
        for (int r = 0; r < m.rows(); r++) {
            k.dequantizeRow(m, r, row, 0);
            for (int c = 0; c < row.length; c++) {
                out.set(F32, 4L * ((long) c * m.rows() + r), row[c]);
            }
        }
        return out;
    }

    private static WeightMatrix factor(Path path, GgufFile file, GgufTensorInfo t, int rows, int cols) {
        if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.Q8_0) {
            throw bad(path, "tensor " + t.name() + " is " + t.type() + "; LoRA factors are F32, F16 or Q8_0");
        }
        if (cols % t.type().blockSize() != 0) {
            throw bad(path, "tensor " + t.name() + " is " + t.type() + " with rows of " + cols + " values, not whole blocks");
        }
        MemorySegment data = file.data(t);
        requireFinite(path, t, data);
        return new WeightMatrix(t.name(), t.type(), data, rows, cols);
    }

    /** Every value (for Q8_0, every block scale) finite: a NaN in an adapter would turn every output it touches to NaN. */
    private static void requireFinite(Path path, GgufTensorInfo t, MemorySegment data) {
        long n = t.elementCount();
        for (long i = 0; i < n; i++) {
            float v = switch (t.type()) {
                case F32 -> data.get(F32, 4 * i);
                case F16 -> Float.float16ToFloat(data.get(F16, 2 * i));
                default -> i % 32 == 0 ? Float.float16ToFloat(data.get(F16, i / 32 * t.type().bytesPerBlock())) : 0f;
            };
            if (!Float.isFinite(v)) {
                throw bad(path, "tensor " + t.name() + " holds " + v + " at element " + i);
            }
        }
    }

    private static InferjException bad(Path path, String what) {
        return new InferjException("LoRA adapter " + path + " " + what);
    }

    /** This adapter at {@code scale} (negative scales subtract it). */
    public Scaled scaled(float scale) {
        return new Scaled(this, scale);
    }

    public Path path() {
        return path;
    }

    /** {@code adapter.lora.alpha} (0: the scale is used as it is). */
    public float alpha() {
        return alpha;
    }

    /** The largest rank among its matrices. */
    public int rank() {
        return targets.stream().mapToInt(Target::rank).max().orElse(0);
    }

    /** The base tensors it adapts, in order. */
    public List<String> targets() {
        return targets.stream().map(t -> t.a().name().substring(0, t.a().name().length() - ".lora_a".length())).distinct().toList();
    }

    Model model() {
        return model;
    }

    List<Target> matrices() {
        return targets;
    }

    /** {@code s = scale × alpha / rank} for one of its matrices. */
    float effectiveScale(Target t, float scale) {
        return alpha == 0 ? scale : scale * alpha / t.rank();
    }

    void close() {
        copies.close();
        file.close();
    }
}
