package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.gguf.GgufFile;
import dev.inferj.ggml.GgmlType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inferj forge} writes a model that {@code inferj generate} runs. */
class ForgeCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void forgedTinyModelGenerates(@TempDir Path dir) {
        Path file = dir.resolve("tiny.gguf");
        assertEquals(0, run("forge", "--shape", "tiny", "--type", "q8_0", "--layers", "1", "--seed", "3", file.toString()),
                err.toString());
        assertTrue(Files.isRegularFile(file));
        assertTrue(err.toString().contains("tiny, 1 layers, Q8_0"), err.toString());
        assertEquals(0, run("generate", "-m", file.toString(), "-p", "Once upon a time", "-n", "4", "--temp", "0"),
                err.toString());
    }

    @Test
    void anUnknownShapeOrTypeIsAUsageErrorNamingTheChoices(@TempDir Path dir) {
        assertNotEquals(0, run("forge", "--shape", "llama-70b", "--type", "q4_0", dir.resolve("x.gguf").toString()));
        assertTrue(err.toString().contains("mistral-7b"), err.toString());
        err.getBuffer().setLength(0);
        assertNotEquals(0, run("forge", "--shape", "tiny", "--type", "iq2_xs", dir.resolve("x.gguf").toString()));
        assertTrue(err.toString().contains("q8_0") && err.toString().contains("q4_k_m"), err.toString());
    }

    @Test
    void aMixNameForgesEachTensorInTheTypeLlamaQuantizeGivesIt(@TempDir Path dir) {
        Path file = dir.resolve("tiny-q4_k_m.gguf");
        assertEquals(0, run("forge", "--shape", "tiny", "--type", "q4_k_m", "--layers", "1", file.toString()), err.toString());
        assertTrue(err.toString().contains("Q4_K_M mix"), err.toString());
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type(), "128-wide rows: Q8_0 rather than Q6_K");
            assertEquals(GgmlType.Q5_0, f.tensor("blk.0.attn_q.weight").type(), "Q4_K falls back to Q5_0");
            assertEquals(15, f.getInt(GgufFile.FILE_TYPE_KEY, 0, 100));
        }
    }

    @Test
    void aTypeNamePutsEveryMatrixInThatType(@TempDir Path dir) {
        Path file = dir.resolve("tiny-q5_1.gguf");
        assertEquals(0, run("forge", "--shape", "tiny", "--type", "q5_1", "--layers", "1", file.toString()), err.toString());
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(GgmlType.Q5_1, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q5_1, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.ffn_norm.weight").type());
        }
    }
}
