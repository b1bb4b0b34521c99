package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.TileLayout;
import dev.inferj.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loading with tiled weights: every Q4_0 and Q8_0 matrix that can be tiled is (dense, fused
 * row slices, experts, the tied embedding), its rows are the file's rows, and the model computes
 * the same logits as on the file's layout (up to float summation order).
 */
class TiledWeightsTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-dense-q4_0.gguf", "llama-dense-q8_0.gguf", "llama-moe-q4_0.gguf", "phi3-q8_0.gguf",
            "tiny-shape-v2048-q4_0.gguf"})
    void tileableMatricesAreTiledAndHoldTheFileRows(String name) {
        try (GgufFile file = GgufFile.open(SharedData.model(name)); Arena arena = Arena.ofShared()) {
            Model.load(SharedData.model(name)).close(); // the whole load path works
            ModelConfig config = ModelConfig.fromGguf(file, VocabularyLoader.fromGguf(file).size());
            TransformerWeights tiled = TransformerWeights.fromGguf(file, config, arena);
            TransformerWeights plain = TransformerWeights.fromGguf(file, config, null);
            List<WeightMatrix> tiledMatrices = matrices(tiled);
            List<WeightMatrix> plainMatrices = matrices(plain);
            int tiledCount = 0;
            float[] expected = new float[8192];
            float[] actual = new float[8192];
            for (int i = 0; i < tiledMatrices.size(); i++) {
                WeightMatrix t = tiledMatrices.get(i);
                WeightMatrix p = plainMatrices.get(i);
                assertEquals(p.layout(), WeightMatrix.Layout.ROWS, p.name());
                boolean tileable = TileLayout.supports(p.type(), p.rows());
                assertEquals(tileable ? WeightMatrix.Layout.TILES : WeightMatrix.Layout.ROWS, t.layout(), t.name());
                if (tileable) {
                    tiledCount++;
                    for (int r : new int[] {0, 1, 31, p.rows() / 2 + 7, p.rows() - 1}) {
                        Kernels.get().dequantizeRow(p, r, expected, 0);
                        Kernels.get().dequantizeRow(t, r, actual, 0);
                        assertTrue(Arrays.equals(expected, 0, p.cols(), actual, 0, p.cols()), t.name() + " row " + r);
                    }
                }
            }
            assertTrue(tiledCount >= 7 * config.blockCount(), name + ": only " + tiledCount + " matrices tiled");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-dense-q4_0.gguf", "llama-moe-q8_0.gguf", "phi3-q8_0.gguf"})
    void tiledAndMappedWeightsGiveTheSameLogits(String name) {
        int[] prompt = {1, 450, 4996, 17354, 1701, 432, 17204, 975, 278, 17366, 11203};
        float[] tiled = logits(name, true, prompt);
        float[] mapped = logits(name, false, prompt);
        float scale = 0f;
        float difference = 0f;
        for (int i = 0; i < tiled.length; i++) {
            scale = Math.max(scale, Math.abs(mapped[i]));
            difference = Math.max(difference, Math.abs(tiled[i] - mapped[i]));
        }
        assertTrue(difference <= 1e-4f * scale, name + ": logits differ by " + difference + " (largest " + scale + ")");
    }

    private static float[] logits(String name, boolean tiles, int[] prompt) {
        ModelOptions options = ModelOptions.defaults().withContextLength(32).withTileWeights(tiles);
        try (Model m = Model.load(SharedData.model(name), options); Session s = m.newSession()) {
            int vocab = m.info().vocabularySize();
            return s.evaluate(Arrays.stream(prompt).map(t -> t % vocab).toArray());
        }
    }

    private static List<WeightMatrix> matrices(TransformerWeights w) {
        List<WeightMatrix> all = new ArrayList<>(List.of(w.tokenEmbedding(), w.output()));
        for (TransformerWeights.Layer l : w.layers()) {
            all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo()));
            if (l.ffn() instanceof TransformerWeights.Dense d) {
                all.addAll(List.of(d.gate(), d.up(), d.down()));
            } else if (l.ffn() instanceof TransformerWeights.Experts e) {
                all.add(e.router());
                all.addAll(List.of(e.gate()));
                all.addAll(List.of(e.up()));
                all.addAll(List.of(e.down()));
            }
        }
        return all;
    }
}
