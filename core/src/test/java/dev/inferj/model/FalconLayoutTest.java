package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Falcon-40B's layout (a second LayerNorm per block, for the attention's input) on the golden Falcon-7B-layout
 * model: with a copy of the first norm as the second the logits are the 7B layout's, bit for bit; with another
 * second norm they differ, so the second norm is what the attention reads.
 */
class FalconLayoutTest {
    private static final int[] PROMPT = {1, 15, 300, 42, 7, 1999};

    @TempDir
    Path dir;

    @Test
    void theSecondNormFeedsTheAttention() {
        float[] plain = logits(SharedData.model("falcon-f32.gguf"));
        assertArrayEquals(plain, logits(withSecondNorm(1f)), "a second norm equal to the first");
        assertFalse(Arrays.equals(plain, logits(withSecondNorm(0.5f))), "a second norm with half the weights");
    }

    /** falcon-f32 with attn_norm_2 = attn_norm, its weights times {@code factor}. */
    private Path withSecondNorm(float factor) {
        try (GgufFile f = GgufFile.open(SharedData.model("falcon-f32.gguf"))) {
            int layers = f.getInt("falcon.block_count", 1, 1024);
            return ModelVariants.of("falcon-f32.gguf", dir.resolve("falcon-40b-layout-" + factor + ".gguf"), w -> {
                for (int l = 0; l < layers; l++) {
                    w.addTensor("blk." + l + ".attn_norm_2.weight", GgmlType.F32, new long[] {128},
                            scaled(f, "blk." + l + ".attn_norm.weight", factor));
                    w.addTensor("blk." + l + ".attn_norm_2.bias", GgmlType.F32, new long[] {128},
                            scaled(f, "blk." + l + ".attn_norm.bias", 1f));
                }
            });
        }
    }

    private static byte[] scaled(GgufFile f, String name, float factor) {
        GgufTensorInfo t = f.tensor(name);
        ByteBuffer in = f.data(t).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            out.putFloat(in.getFloat() * factor);
        }
        return out.array();
    }

    private static float[] logits(Path file) {
        try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(64)); Session s = m.newSession()) {
            return s.evaluate(PROMPT).clone();
        }
    }
}
