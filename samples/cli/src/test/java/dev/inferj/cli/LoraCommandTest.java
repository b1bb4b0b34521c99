package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inferj lora merge}, {@code generate --lora/--lora-scaled} and {@code inspect} of an adapter. */
class LoraCommandTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, code, err.toString());
        return out.toString();
    }

    @Test
    void aMergedFileGeneratesWhatTheAdapterDoesAtRunTime() {
        String base = SharedData.model("stories260K.gguf").toString();
        String adapter = SharedData.root().resolve("lora/adapters/stories260K-lora-qv-r8.gguf").toString();
        Path merged = dir.resolve("merged.gguf");
        run("lora", "merge", base, adapter + ":0.5", merged.toString());
        String runTime = run("generate", "-m", base, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--lora-scaled", adapter, "0.5");
        String fromMerged = run("generate", "-m", merged.toString(), "-p", "Once upon a time", "-n", "24", "--temp", "0");
        assertEquals(runTime, fromMerged);
        assertNotEquals(run("generate", "-m", base, "-p", "Once upon a time", "-n", "24", "--temp", "0"), fromMerged);
        String inspect = run("inspect", adapter);
        assertTrue(inspect.strip().endsWith("apply with generate --lora FILE or --lora-scaled FILE SCALE")
                && inspect.contains("rank 8, alpha 16.0, targets attn_q, attn_v in 5 blocks"), inspect);
    }
}
