package dev.inferj.model;

import dev.inferj.InferjException;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns NaN or infinite logits into a clear error instead of silent garbage, naming the first
 * tensor that holds a non-finite value (found by a scan that runs only on that error path).
 */
public final class NonFiniteCheck {
    private NonFiniteCheck() {
    }

    public static void requireFinite(float[] logits, int position, TransformerWeights weights) {
        for (float v : logits) {
            if (!Float.isFinite(v)) {
                throw new InferjException("the model computed non-finite logits at position " + position
                        + blame(weights));
            }
        }
    }

    private static String blame(TransformerWeights w) {
        String culprit = firstNonFinite(w.tokenEmbedding());
        for (TransformerWeights.Layer l : w.layers()) {
            List<WeightMatrix> matrices = new ArrayList<>(List.of(l.wq(), l.wk(), l.wv(), l.wo()));
            switch (l.ffn()) {
                case TransformerWeights.Dense d -> matrices.addAll(List.of(d.gate(), d.up(), d.down()));
                case TransformerWeights.Experts e -> {
                    matrices.add(e.router());
                    matrices.addAll(List.of(e.gate()));
                    matrices.addAll(List.of(e.up()));
                    matrices.addAll(List.of(e.down()));
                }
            }
            for (WeightMatrix m : matrices) {
                culprit = culprit != null ? culprit : firstNonFinite(m);
            }
        }
        culprit = culprit != null ? culprit : firstNonFinite(w.output());
        return culprit != null ? ": tensor " + culprit + " contains NaN or infinite values"
                : ": the activations overflowed (the weights themselves are finite)";
    }

    private static String firstNonFinite(WeightMatrix m) {
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            Kernels.get().dequantizeRow(m, r, row, 0);
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    return m.name() + " (row " + r + ")";
                }
            }
        }
        return null;
    }
}
