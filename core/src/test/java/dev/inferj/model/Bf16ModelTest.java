package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.kernels.Bf16;
import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BF16 weights end to end (llama.cpp's references have no BF16 model): the dense model with its
 * matrices rounded to BF16 and stored as BF16 computes what the same rounded weights stored as F32
 * compute, up to the rounding of activations to BF16 that ggml does before BF16 products.
 */
class Bf16ModelTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void bf16WeightsGiveTheLogitsOfTheSameWeightsInF32(@TempDir Path dir) {
        Path bf16 = dir.resolve("bf16.gguf");
        Path f32 = dir.resolve("f32.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("llama-dense-f32.gguf")); Arena arena = Arena.ofConfined()) {
            GgufWriter asBf16 = GgufWriter.copyOf(f);
            GgufWriter asF32 = GgufWriter.copyOf(f);
            for (GgufTensorInfo t : f.tensors()) {
                if (t.rank() < 2) {
                    continue; // norms stay F32, as converters keep them
                }
                MemorySegment src = f.data(t);
                long n = t.elementCount();
                MemorySegment half = arena.allocate(2 * n);
                MemorySegment rounded = arena.allocate(4 * n);
                for (long i = 0; i < n; i++) {
                    short b = Bf16.fromFloat(src.getAtIndex(F32, i));
                    half.setAtIndex(I16, i, b);
                    rounded.setAtIndex(F32, i, Bf16.toFloat(b));
                }
                asBf16.removeTensor(t.name()).addTensor(t.name(), GgmlType.BF16, t.dims(), half);
                asF32.removeTensor(t.name()).addTensor(t.name(), GgmlType.F32, t.dims(), rounded);
            }
            asBf16.write(bf16);
            asF32.write(f32);
        }
        float[] expected = logits(f32);
        float[] actual = logits(bf16);
        double maxDiff = 0;
        double maxAbs = 0;
        int argmaxExpected = 0;
        int argmaxActual = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            argmaxExpected = expected[i] > expected[argmaxExpected] ? i : argmaxExpected;
            argmaxActual = actual[i] > actual[argmaxActual] ? i : argmaxActual;
        }
        // BF16 keeps 8 significant bits: activations rounded to it move the logits by about 2^-8 relative.
        assertTrue(maxDiff / maxAbs < 2e-2, "relative max error " + maxDiff / maxAbs);
        assertTrue(maxDiff / maxAbs > 0, "activations are rounded to BF16, so the logits differ a little");
        assertTrue(argmaxExpected == argmaxActual, "argmax " + argmaxActual + " vs " + argmaxExpected);
    }

    private static float[] logits(Path file) {
        try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(16)); Session s = m.newSession()) {
            return s.evaluate(1, 1551, 346, 701, 265, 263, 931);
        }
    }
}
