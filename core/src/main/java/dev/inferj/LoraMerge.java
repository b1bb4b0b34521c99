package dev.inferj;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.Quantizer;
import dev.inferj.kernels.WeightMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a base model with LoRA adapters merged into its weights, {@code W + Σ s·B·A} per adapted matrix (as
 * llama.cpp's {@code export-lora}): the same outputs as applying them at run time, without the run-time cost.
 * Quantized matrices are dequantized, merged in float and quantized again to their own type.
 */
public final class LoraMerge {
    /** An adapter file and the scale to merge it at. */
    public record Adapter(Path path, float scale) {
    }

    private LoraMerge() {
    }

    /**
     * Merges {@code adapters} into {@code base}, writing {@code out}.
     *
     * @throws InferjException naming the file and tensor when an adapter does not fit the base, or a type cannot be written
     */
    public static void write(Path base, List<Adapter> adapters, Path out) {
        try (GgufFile file = GgufFile.open(base)) {
            String architecture = file.getString("general.architecture", "");
            Map<String, List<dev.inferj.model.TransformerWeights.RowSlice>> matrices = LoraAdapter.matricesOf(file);
            List<LoraAdapter> opened = new ArrayList<>();
            try {
                Map<WeightMatrix, List<Term>> terms = new IdentityHashMap<>();
                for (Adapter a : adapters) {
                    LoraAdapter adapter = LoraAdapter.load(null, a.path(), architecture, matrices);
                    opened.add(adapter);
                    for (LoraAdapter.Target t : adapter.matrices()) {
                        terms.computeIfAbsent(t.base(), w -> new ArrayList<>()).add(new Term(t, adapter.effectiveScale(t, a.scale())));
                    }
                }
                Map<String, WeightMatrix> byName = new LinkedHashMap<>();
                terms.keySet().forEach(w -> byName.put(w.name(), w));
                GgufWriter w = new GgufWriter().version(file.version());
                file.metadata().forEach(w::put);
                for (GgufTensorInfo t : file.tensors()) {
                    WeightMatrix adapted = byName.get(t.name());
                    if (adapted == null) {
                        w.addTensor(t.name(), t.type(), t.dims(), file.data(t));
                    } else {
                        if (!Quantizer.supports(t.type())) {
                            throw new InferjException(base + ": tensor " + t.name() + " is " + t.type() + ", which inferj cannot write back");
                        }
                        w.addTensor(t.name(), t.type(), t.dims(), merged(adapted, terms.get(adapted)));
                    }
                }
                w.write(out);
            } finally {
                opened.forEach(LoraAdapter::close);
            }
        }
    }

    /** One adapter's factors of a matrix, with its effective scale. */
    private record Term(LoraAdapter.Target target, float scale) {
    }

    /** The rows of {@code w} with each term's {@code s·B·A} added, in float, written back in {@code w}'s type. */
    private static GgufWriter.TensorSource merged(WeightMatrix w, List<Term> terms) {
        Kernels k = Kernels.get();
        List<float[][]> a = new ArrayList<>();
        List<float[][]> b = new ArrayList<>();
        for (Term t : terms) {
            a.add(rows(k, t.target().a()));
            b.add(rows(k, t.target().b()));
        }
        long rowBytes = w.type().byteSize(w.cols());
        return (offset, chunk) -> {
            float[] row = new float[w.cols()];
            for (long at = 0; at < chunk.byteSize(); at += rowBytes) {
                int r = (int) ((offset + at) / rowBytes);
                k.dequantizeRow(w, r, row, 0);
                for (int i = 0; i < terms.size(); i++) {
                    float s = terms.get(i).scale();
                    float[][] ai = a.get(i);
                    float[] bi = b.get(i)[r];
                    for (int c = 0; c < row.length; c++) {
                        float sum = 0f;
                        for (int j = 0; j < bi.length; j++) {
                            sum += bi[j] * ai[j][c];
                        }
                        row[c] += s * sum;
                    }
                }
                Quantizer.quantizeRow(w.type(), row, 0, row.length, chunk, at);
            }
        };
    }

    private static float[][] rows(Kernels k, WeightMatrix m) {
        float[][] out = new float[m.rows()][m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            k.dequantizeRow(m, r, out[r], 0);
        }
        return out;
    }
}
