package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void everyCommandAnswersHelp() {
        for (String command : List.of("generate", "chat", "inspect", "forge", "quantize", "bench", "tokenize", "template",
                "serve", "lora")) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(command, "--help"), command + ": " + err);
            assertTrue(out.toString().startsWith("Usage: inferj " + command), command + ": " + out);
        }
    }

    @Test
    void aBadOptionValueIsNamedByItsFlag() {
        String model = SharedData.model("stories260K.gguf").toString();
        assertEquals(1, run("generate", "--model", model, "--prompt", "x", "--top-p", "3"));
        assertTrue(err.toString().contains("--top-p must be in (0.0, 1.0], was 3.0"), err.toString());
    }

    @Test
    void generateStreamsOnlyTheContinuationAndSummarizesSpeedOnStderr() {
        String model = SharedData.model("stories260K.gguf").toString();
        int code = run("generate", "--model", model, "--prompt", "Once upon a time", "-n", "16", "--temp", "0");
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().startsWith(", there was a little girl named Lily."), out.toString());
        assertFalse(out.toString().contains("Once upon a time"), "the prompt is not echoed");
        assertTrue(err.toString().matches("(?s).*prompt: 5 tokens, .* t/s \\| generation: 16 tokens, .* t/s.*"), err.toString());
    }

    @Test
    void verboseGenerateReportsTheLoadPhases() {
        String model = SharedData.model("stories260K.gguf").toString();
        int code = run("generate", "--verbose", "--model", model, "--prompt", "Once upon a time", "-n", "4", "--temp", "0");
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().matches(
                "(?s).*load: map \\d+ ms, vocabulary \\d+ ms, weights \\d+ ms, total \\d+ ms \\| prompt \\d+ ms"
                        + " \\(waiting for the kernel warm-up \\d+ ms\\) \\| kernel warm-up (\\d+ ms|still running)\n.*"), err.toString());
    }

    @Test
    void inspectListsMetadataAndTensors() {
        int code = run("inspect", SharedData.model("llama-dense-q4_0.gguf").toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("general.architecture"), out.toString());
        assertTrue(out.toString().contains("blk.0.attn_q.weight"), out.toString());
        assertTrue(out.toString().contains("Q4_0"), out.toString());
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("supported: yes (llama, "), last);
    }

    @Test
    void inspectEndsSayingWhyAFileIsNotSupported(@TempDir Path dir) {
        Path file = dir.resolve("extra-tensor.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("llama-dense-q4_0.gguf"))) {
            GgufWriter.copyOf(f).addTensor("blk.0.attn_rot_embd", GgmlType.F32, new long[] {4}, new byte[16]).write(file);
        }
        assertEquals(0, run("inspect", file.toString()), err.toString());
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("supported: no: ") && last.contains("blk.0.attn_rot_embd"), last);
    }

    @Test
    void missingModelIsOneLineOnStderrAndNonZeroExit() {
        int code = run("generate", "--model", "/no/such/model.gguf", "--prompt", "hi");
        assertNotEquals(0, code);
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("/no/such/model.gguf"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }

    @Test
    void aPromptLongerThanTheContextNamesTheFlagThatSetsIt() {
        String model = SharedData.model("stories260K.gguf").toString();
        String prompt = "Once upon a time there was a little girl named Lily. ".repeat(5);
        int code = run("generate", "--model", model, "-c", "16", "--prompt", prompt);
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("cannot fit in the session") && err.toString().contains("-c sets a longer context"),
                err.toString());
    }

    @Test
    void malformedFileIsOneLineOnStderrWithoutStackTrace(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, (byte) 0xff, (byte) 0xff});
        for (String[] args : new String[][] {{"inspect", bad.toString()}, {"generate", "-m", bad.toString(), "-p", "x"}}) {
            err.getBuffer().setLength(0);
            assertNotEquals(0, run(args));
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
            assertTrue(err.toString().contains("bad.gguf"), err.toString());
        }
    }

    @Test
    void verboseAddsTheStackTrace() {
        int code = run("generate", "--verbose", "--model", "/no/such/model.gguf", "--prompt", "hi");
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("\tat "), err.toString());
    }
}
