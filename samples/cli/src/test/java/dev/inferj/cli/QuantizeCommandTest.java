package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import dev.inferj.ggml.GgmlType;
import dev.inferj.quantize.QuantizeListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inferj quantize IN OUT TYPE} writes llama-quantize's file. */
class QuantizeCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void writesTheFileLlamaQuantizeWritesAndOneSummaryLineWithoutATerminal(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("q4_k_m.gguf");
        assertEquals(0, run("quantize", SharedData.model("llama-dense-f32.gguf").toString(), file.toString(), "Q4_K_M",
                "--threads", "2"), err.toString());
        assertEquals(-1, Files.mismatch(SharedData.model("llama-dense-q4_k_m.gguf"), file));
        assertEquals("", out.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("Q4_K_M, 11 tensors (8 converted)"), err.toString());
    }

    @Test
    void pureGivesEveryQuantizableTensorTheBaseType(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("q5_k-pure.gguf");
        assertEquals(0, run("quantize", "--pure", SharedData.model("llama-dense-f32.gguf").toString(), file.toString(),
                "q5_k"), err.toString());
        assertEquals(-1, Files.mismatch(SharedData.model("llama-dense-q5_k-pure.gguf"), file));
    }

    @Test
    void anUnknownTypeIsAUsageErrorNamingTheTypes(@TempDir Path dir) {
        assertNotEquals(0, run("quantize", SharedData.model("llama-dense-f32.gguf").toString(),
                dir.resolve("x.gguf").toString(), "IQ2_XS"));
        assertTrue(err.toString().contains("q4_k_m"), err.toString());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void anInputItCannotConvertIsOneLineNamingTheTensorAndNoFile(@TempDir Path dir) {
        Path file = dir.resolve("x.gguf");
        assertEquals(1, run("quantize", SharedData.model("llama-dense-q4_k_m.gguf").toString(), file.toString(), "q8_0"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("token_embd.weight is Q6_K"), err.toString());
        assertFalse(Files.exists(file));
    }

    @Test
    void theProgressLineShowsTheBarThePercentageAndTheTensor() {
        String line = QuantizeCommand.ProgressBar.line(new QuantizeListener.Progress(2, 11, "blk.0.attn_k.weight",
                GgmlType.F32, GgmlType.Q4_K, 50, 200));
        assertEquals("[########                      ]  25% 3/11 blk.0.attn_k.weight F32 -> Q4_K", line);
    }
}
