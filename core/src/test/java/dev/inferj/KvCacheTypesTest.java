package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sessions with an F32, F16 or Q8_0 KV cache on one model: their sizes, and saving, restoring and
 * shifting in each (how close each follows llama.cpp: LlamaGoldenTest).
 */
class KvCacheTypesTest {
    /** llama-dense: 1 layer, 2 KV heads of 64 values, so kvDim 128. */
    private static final int KV_DIM = 128;

    @TempDir
    Path dir;

    private static Model load(int context) {
        return Model.load(SharedData.model("llama-dense-f32.gguf"), ModelOptions.defaults().withContextLength(context));
    }

    @Test
    void eachTypeTakesItsOwnBytesPerValue() {
        try (Model m = load(64);
                Session f32 = m.newSession(SessionOptions.defaults().withCacheType(KvCacheType.F32));
                Session f16 = m.newSession();
                Session q8 = m.newSession(SessionOptions.defaults().withCacheType(KvCacheType.Q8_0));
                Session shorter = m.newSession(SessionOptions.defaults().withContextLength(16))) {
            long values = 2L * 64 * KV_DIM; // keys and values of 64 positions, one layer
            assertEquals(4 * values, f32.cacheBytes());
            assertEquals(2 * values, f16.cacheBytes());
            assertEquals(values / 32 * 34, q8.cacheBytes());
            assertEquals(KvCacheType.Q8_0, q8.cacheType());
            assertEquals(16, shorter.contextLength());
            assertEquals(2L * 2 * 16 * KV_DIM, shorter.cacheBytes());
        }
    }

    /** Closing a session unmaps its cache: fifty sessions of 32 MiB opened and closed leave the address space as it was. */
    @Test
    void closingASessionReturnsItsCacheMemory() throws IOException {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "needs Linux's /proc/self/status to see the address space");
        try (Model m = load(16)) {
            SessionOptions big = new SessionOptions(32 * 1024, KvCacheType.F32); // 2 x 32768 x 128 floats: 32 MiB
            long cache;
            try (Session s = m.newSession(big)) {
                cache = s.cacheBytes();
                s.evaluate(1, 2, 3);
            }
            long before = virtualBytes(status);
            for (int i = 0; i < 50; i++) {
                try (Session s = m.newSession(big)) {
                    s.evaluate(1, 2, 3);
                }
            }
            long grown = virtualBytes(status) - before;
            assertTrue(grown < 2 * cache, "the address space grew by " + grown + " bytes over 50 sessions of " + cache);
        }
    }

    private static long virtualBytes(Path status) throws IOException {
        String line = Files.readAllLines(status).stream().filter(l -> l.startsWith("VmSize:")).findFirst().orElseThrow();
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
    }

    @Test
    void q8_0NeedsHeadsOfAMultipleOf32() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(32))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.newSession(SessionOptions.defaults().withCacheType(KvCacheType.Q8_0)));
            assertTrue(e.getMessage().contains("multiple of 32") && e.getMessage().contains("have 8"), e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void aRestoredSessionOfEachTypeContinuesBitForBit(KvCacheType type) {
        Path saved = dir.resolve(type + ".session");
        GenerateOptions seeded = GenerateOptions.defaults().withSeed(5).withTemperature(1f).withMaxTokens(12)
                .withStopAtEndOfGeneration(false);
        SessionOptions options = SessionOptions.defaults().withCacheType(type);
        try (Model m = load(64); Session s = m.newSession(options); Session other = m.newSession(options)) {
            s.generate("Once upon a time", GenerateOptions.greedy().withMaxTokens(8).withStopAtEndOfGeneration(false));
            s.save(saved);
            Generation expected = s.generate(" and", seeded);
            other.restore(saved);
            Generation restored = other.generate(" and", seeded);
            assertArrayEquals(expected.tokens(), restored.tokens());
        }
    }

    @Test
    void aSessionFileOfAnotherCacheTypeIsRefused() {
        Path saved = dir.resolve("q8.session");
        try (Model m = load(64);
                Session q8 = m.newSession(SessionOptions.defaults().withCacheType(KvCacheType.Q8_0));
                Session f16 = m.newSession()) {
            q8.evaluate(1, 2, 3);
            q8.save(saved);
            InferjException e = assertThrows(InferjException.class, () -> f16.restore(saved));
            assertTrue(e.getMessage().contains("Q8_0 KV cache") && e.getMessage().contains("F16"), e.getMessage());
            assertEquals(0, f16.position());
        }
    }

    /**
     * After a context shift, each type's session is close to one that never saw the forgotten tokens: exactly as
     * close as the type's rounding allows (F32: float noise; F16 and Q8_0: the turned keys rounded again).
     */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void aShiftedCacheOfEachTypeHoldsTheKeysOfTheNewPositions(KvCacheType type) {
        SessionOptions options = SessionOptions.defaults().withCacheType(type);
        try (Model m = load(32); Session shifted = m.newSession(options); Session fresh = m.newSession(options)) {
            int[] tokens = IntStream.range(0, 20).map(i -> 10 + 37 * i).toArray();
            shifted.evaluate(tokens);
            assertTrue(shifted.shiftContext(4));
            int[] kept = IntStream.concat(IntStream.range(0, 4), IntStream.range(12, 20)).map(i -> tokens[i]).toArray();
            fresh.evaluate(kept);
            float[] a = shifted.evaluate(500);
            float[] b = fresh.evaluate(500);
            float scale = 0;
            float diff = 0;
            for (int i = 0; i < b.length; i++) {
                scale = Math.max(scale, Math.abs(b[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            double tolerance = switch (type) {
                case F32 -> 1e-5;
                case F16 -> 1e-3;
                case Q8_0 -> 3e-2;
            };
            assertTrue(diff <= tolerance * scale, type + ": max difference " + diff + " against logits up to " + scale);
        }
    }
}
