package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.UnsupportedModelException;
import dev.inferj.ggml.GgmlType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Optional tensors llama.cpp 34af94cd9 reads for the architectures inferj runs (each architecture's
 * {@code load_arch_tensors} in src/models/) and inferj does not: a file holding one is refused with an
 * {@link UnsupportedModelException} naming it, never run without it. (The optional tensors inferj reads are
 * checked where they change the outputs: the golden tests, {@link RopeScalingTest}, {@link FalconLayoutTest}.)
 */
class TensorNamesTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "llama-dense-f32, blk.0.attn_output.bias, 256",
        "llama-dense-f32, blk.0.ffn_down.bias, 256",
        "llama-dense-f32, blk.0.ffn_gate.bias, 256",
        "llama-dense-f32, blk.0.ffn_gate_shexp.weight, 256 256",
        "llama-dense-f32, blk.0.ffn_up_shexp.weight, 256 256",
        "llama-dense-f32, blk.0.ffn_down_shexp.weight, 256 256",
        "qwen3-f32, cls_out.weight, 128 2",
        "gemma3-f32, dense_2_out.weight, 128 512",
        "gemma3-f32, dense_3_out.weight, 512 128",
        "qwen2-f32, blk.1.attn_rot_embd, 16"})
    void aTensorInferjWouldNotReadIsRefusedByName(String model, String tensor, String shape) {
        long[] dims = Arrays.stream(shape.split(" ")).mapToLong(Long::parseLong).toArray();
        int elements = (int) Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        Path file = ModelVariants.of(model + ".gguf", dir.resolve("with-tensor.gguf"),
                w -> w.addTensor(tensor, GgmlType.F32, dims, new byte[4 * elements]));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> Model.load(file, ModelOptions.defaults().withContextLength(32)).close());
        assertTrue(e.getMessage().contains(tensor), "\"" + e.getMessage() + "\" should name " + tensor);
    }
}
