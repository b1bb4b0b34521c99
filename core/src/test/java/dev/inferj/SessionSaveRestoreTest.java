package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session saved to a file and restored into another load of the model continues as if it never stopped. */
class SessionSaveRestoreTest {
    private static final GenerateOptions SEEDED = GenerateOptions.defaults().withSeed(11).withTemperature(1f).withMaxTokens(24)
            .withStopAtEndOfGeneration(false);

    @TempDir
    Path dir;

    @Test
    void aRestoredSessionContinuesBitForBit() {
        Path saved = dir.resolve("s.session");
        Generation expected;
        float[] expectedLogits;
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(128));
                Session s = m.newSession()) {
            s.generate("Once upon a time", GenerateOptions.greedy().withMaxTokens(16));
            s.save(saved);
            expected = s.generate(" Then", SEEDED);
            s.reset();
            s.restore(saved);
            expectedLogits = s.evaluate(42);
        }
        try (Model again = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(96));
                Session s = again.newSession()) {
            s.restore(saved);
            assertEquals(20, s.position()); // BOS, 4 prompt tokens, 15 of the 16 generated (the last is not run yet)
            Generation g = s.generate(" Then", SEEDED);
            assertArrayEquals(expected.tokens(), g.tokens());
            assertEquals(expected.text(), g.text());
            s.restore(saved);
            assertArrayEquals(expectedLogits, s.evaluate(42));
        }
    }

    @Test
    void aWrongTruncatedOrCorruptFileIsRefusedAndLeavesTheSessionEmpty() throws IOException {
        Path saved = dir.resolve("s.session");
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64));
                Session s = m.newSession()) {
            s.generate("Once upon a time", GenerateOptions.greedy().withMaxTokens(8));
            s.save(saved);
            byte[] bytes = Files.readAllBytes(saved);

            Path truncated = dir.resolve("truncated.session");
            Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
            assertRefused(s, truncated, "truncated");

            byte[] flipped = bytes.clone();
            flipped[bytes.length / 2] ^= 1;
            Path corrupt = dir.resolve("corrupt.session");
            Files.write(corrupt, flipped);
            assertRefused(s, corrupt, "checksum");

            Path other = dir.resolve("other.session");
            Files.writeString(other, "not a session at all, but long enough to have a header of sixty bytes.......");
            assertRefused(s, other, "not an inferj session");
        }
        try (Model other = Model.load(SharedData.model("llama-2-tiny-random.gguf"), ModelOptions.defaults().withContextLength(64));
                Session s = other.newSession()) {
            assertRefused(s, saved, "another model");
        }
    }

    private static void assertRefused(Session s, Path file, String why) {
        InferjException e = assertThrows(InferjException.class, () -> s.restore(file));
        assertTrue(e.getMessage().contains(why) && e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(0, s.position());
    }
}
