package dev.inferj.quantize;

import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.Quantizer;
import dev.inferj.kernels.WeightMatrix;
import dev.inferj.kernels.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Quantizes a GGUF model as llama.cpp's {@code llama-quantize IN OUT TYPE} does (without an
 * importance matrix), to the same bytes: the same tensor types ({@link TensorTypeRules}), the
 * same rounding ({@link Quantizer}), the same file — tensors in llama-quantize's order, all
 * metadata kept in its order except {@code general.quantization_version} (2) and
 * {@code general.file_type} (the mix's number), which go last, and split keys, which go.
 *
 * <p>Inputs may hold F32, F16, BF16 or Q8_0 tensors (Q8_0 is requantized from its dequantized
 * values, as llama-quantize's {@code --allow-requantize} does); a tensor of another type may be
 * copied but not converted. The output is written beside {@code out} and renamed over it when
 * complete, so a failure leaves no partial file; {@code out} may be {@code in}.
 */
public final class ModelQuantizer {
    /** Metadata keys llama.cpp drops from a quantized file: it writes one file, never a split. */
    private static final Set<String> SPLIT_KEYS = Set.of("split.no", "split.count", "split.tensors.count");
    /** The input types a tensor may be converted from. */
    private static final Set<GgmlType> CONVERTIBLE = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);

    private ModelQuantizer() {
    }

    /** One tensor of the output: where it comes from, what it becomes. */
    private record Planned(GgufTensorInfo source, GgmlType target) {
        boolean converted() {
            return source.type() != target;
        }

        long outputBytes() {
            return target.byteSize(source.elementCount());
        }
    }

    /**
     * Writes {@code in} quantized to {@code out}.
     *
     * @throws UnsupportedModelException when a tensor that must change type is of a type that
     *                                   cannot be converted (checked before anything is written)
     * @throws dev.inferj.GgufFormatException when {@code in} is not a well-formed GGUF file
     * @throws dev.inferj.InferjException when {@code out} cannot be written
     */
    public static QuantizeResult quantize(Path in, Path out, QuantizeOptions options) {
        try (GgufFile file = GgufFile.open(in); WorkerPool pool = new WorkerPool(options.threads())) {
            List<Planned> plan = plan(file, options);
            GgufWriter writer = new GgufWriter();
            file.metadata().forEach((key, value) -> {
                if (!SPLIT_KEYS.contains(key) && !key.equals(GgufFile.QUANTIZATION_VERSION_KEY)
                        && !key.equals(GgufFile.FILE_TYPE_KEY)) {
                    writer.put(key, value);
                }
            });
            writer.put(GgufFile.QUANTIZATION_VERSION_KEY, GgufValue.ofUInt32(QuantizationMix.QUANTIZATION_VERSION));
            writer.put(GgufFile.FILE_TYPE_KEY, GgufValue.ofUInt32(options.mix().fileType()));
            long total = plan.stream().mapToLong(Planned::outputBytes).sum();
            long[] done = {0};
            for (int i = 0; i < plan.size(); i++) {
                Planned p = plan.get(i);
                GgufTensorInfo t = p.source();
                GgufWriter.TensorSource source = p.converted() ? converter(file, t, p.target(), pool) : copier(file, t);
                int index = i;
                writer.addTensor(t.name(), p.target(), t.dims(), (offset, chunk) -> {
                    source.fill(offset, chunk);
                    done[0] += chunk.byteSize();
                    options.listener().progress(new QuantizeListener.Progress(index, plan.size(), t.name(), t.type(),
                            p.target(), done[0], total));
                });
            }
            writer.write(out);
            long inputBytes = plan.stream().mapToLong(p -> p.source().byteSize()).sum();
            int converted = (int) plan.stream().filter(Planned::converted).count();
            return new QuantizeResult(plan.size(), converted, inputBytes, total, writer.byteSize());
        }
    }

    /** The tensors in llama-quantize's order with their types, each conversion checked. */
    private static List<Planned> plan(GgufFile file, QuantizeOptions options) {
        List<GgufTensorInfo> tensors = file.tensors();
        List<GgmlType> types = TensorTypeRules.choose(ModelTraits.of(file), tensors, options.mix(), options.pure());
        List<Planned> plan = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Planned p = new Planned(tensors.get(i), types.get(i));
            if (p.converted() && !CONVERTIBLE.contains(p.source().type())) {
                throw new UnsupportedModelException(file.source() + ": tensor " + p.source().name() + " is "
                        + p.source().type() + ", which cannot be converted to " + p.target() + " (F32, F16, BF16 and Q8_0 can)");
            }
            plan.add(p);
        }
        plan.sort(Comparator.comparing(p -> p.source().name(), TensorTypeRules.LLAMA_CPP_ORDER));
        return plan;
    }

    /** The tensor's bytes as they are. */
    private static GgufWriter.TensorSource copier(GgufFile file, GgufTensorInfo t) {
        return (offset, chunk) -> chunk.copyFrom(file.data(t).asSlice(offset, chunk.byteSize()));
    }

    /** Whole rows of the tensor, each read as floats and quantized to {@code target}, spread over the pool's threads. */
    private static GgufWriter.TensorSource converter(GgufFile file, GgufTensorInfo t, GgmlType target, WorkerPool pool) {
        int cols = Math.toIntExact(t.dim(0));
        int rows = Math.toIntExact(t.elementCount() / cols);
        WeightMatrix input = new WeightMatrix(t.name(), t.type(), file.data(t), rows, cols);
        long rowBytes = target.byteSize(cols);
        Kernels kernels = Kernels.get();
        return (offset, chunk) -> {
            int first = Math.toIntExact(offset / rowBytes);
            int count = Math.toIntExact(chunk.byteSize() / rowBytes);
            pool.forRange(count, (from, to) -> {
                float[] row = new float[cols];
                for (int r = from; r < to; r++) {
                    kernels.dequantizeRow(input, first + r, row, 0);
                    Quantizer.quantizeRow(target, row, 0, cols, chunk, r * rowBytes);
                }
            });
        };
    }
}
