package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.model.OffHeap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edges of a model's life: closing under a generation, calls after close, failed loads, an empty rendered chat. */
class LifecycleTest {
    @TempDir
    Path dir;

    private static Model stories(int context) {
        return Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(context));
    }

    @Test
    void closingTheModelUnderAGenerationCancelsItAndReturnsPromptly() throws Exception {
        Model m = stories(4096);
        Session s = m.newSession();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Generation> running = CompletableFuture.supplyAsync(() -> s.generate("Once upon a time",
                GenerateOptions.defaults().withMaxTokens(4000).withStopAtEndOfGeneration(false), (id, text) -> started.countDown()));
        assertTrue(started.await(30, TimeUnit.SECONDS));
        assertTimeoutPreemptively(Duration.ofSeconds(10), m::close);
        Generation g = running.get(10, TimeUnit.SECONDS);
        assertEquals(Generation.StopReason.CANCELLED, g.stopReason());
        assertTrue(g.tokens().length < 4000);
        m.close(); // again: nothing
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.generate("x", GenerateOptions.greedy()));
        assertTrue(e.getMessage().contains("model"), e.getMessage());
        assertTrue(assertThrows(IllegalStateException.class, m::newSession).getMessage().contains("model is closed"));
        assertThrows(IllegalStateException.class, () -> s.evaluate(1));
    }

    /**
     * A load that fails after reading the weights (a chat template stored as a number) leaves no thread, mapping or
     * off-heap byte behind.
     */
    @Test
    void failedLoadsReleaseTheirThreadsAndFiles() throws IOException {
        Path bad = dir.resolve("bad-template.gguf");
        Path good = SharedData.model("llama-dense-q4_0.gguf"); // Q4_0: its weights are tiled off-heap
        try (GgufFile f = GgufFile.open(good)) {
            GgufWriter.copyOf(f).put(Model.CHAT_TEMPLATE_KEY, GgufValue.ofUInt32(7)).write(bad);
        }
        int threadsBefore = workerThreads();
        long mapsBefore = mappings(bad);
        long offHeapBefore = OffHeap.liveBytes();
        try (Model m = Model.load(good)) {
            assertTrue(OffHeap.liveBytes() > offHeapBefore, "the tiled weights are counted");
        }
        for (int i = 0; i < 100; i++) {
            assertThrows(RuntimeException.class, () -> Model.load(bad, ModelOptions.defaults().withThreads(4)));
        }
        assertEquals(threadsBefore, workerThreads(), "inferj-worker threads");
        assertEquals(mapsBefore, mappings(bad), "mappings of the file");
        assertEquals(offHeapBefore, OffHeap.liveBytes(), "off-heap bytes (tiled weights)");
    }

    private static int workerThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("inferj-worker")).count();
    }

    /** Lines of /proc/self/maps naming the file (0 where /proc is absent). */
    private static long mappings(Path file) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        return Files.isReadable(maps) ? Files.readAllLines(maps).stream().filter(l -> l.endsWith(file.toString())).count() : 0;
    }

    @Test
    void aChatRenderedAsNothingIsRefusedAndLeavesTheSessionAsItWas() {
        Path empty = dir.resolve("empty-template.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
            GgufWriter.copyOf(f).put(Model.CHAT_TEMPLATE_KEY, GgufValue.ofString(""))
                    .put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false)).write(empty);
        }
        try (Model m = Model.load(empty, ModelOptions.defaults().withContextLength(64)); Session s = m.newSession()) {
            InferjException e = assertThrows(InferjException.class, () -> s.chat(List.of(ChatMessage.user("hi")), GenerateOptions.greedy()));
            assertTrue(e.getMessage().contains("rendered the conversation as nothing"), e.getMessage());
            assertEquals(0, s.position());
            assertEquals(8, s.generate("Once upon a time", GenerateOptions.greedy().withMaxTokens(8).withStopAtEndOfGeneration(false))
                    .tokens().length);
        }
    }

    @Test
    void aPromptThatCannotFitIsRefusedBeforeItIsTokenized() {
        try (Model m = stories(256); Session s = m.newSession()) {
            String huge = "once upon a time ".repeat(1_000_000); // 17 million characters
            ContextFullException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThrows(ContextFullException.class, () -> s.generate(huge, GenerateOptions.greedy())));
            assertTrue(e.getMessage().contains("cannot fit"), e.getMessage());
            assertEquals(256, e.contextLength());
            assertEquals(0, e.used());
            assertTrue(e.tokens() > 256, "at least " + e.tokens() + " tokens");
            assertEquals(0, s.position());
            // tokens handed over as ids are refused the same way, the session untouched
            ContextFullException ids = assertThrows(ContextFullException.class, () -> s.evaluate(new int[300]));
            assertEquals(300, ids.tokens());
            assertEquals(0, s.position());
        }
    }

    @Test
    void aTimeoutEndsTheCallWithWhatItHas() {
        try (Model m = stories(4096); Session s = m.newSession()) {
            long start = System.nanoTime();
            Generation g = s.generate("Once upon a time", GenerateOptions.defaults().withMaxTokens(4000)
                    .withStopAtEndOfGeneration(false).withTimeout(Duration.ofMillis(300)));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(Generation.StopReason.CANCELLED, g.stopReason());
            assertTrue(seconds < 5 && g.tokens().length < 4000, seconds + " s, " + g.tokens().length + " tokens");
            assertEquals(8, s.generate(" The end.", GenerateOptions.greedy().withMaxTokens(8).withStopAtEndOfGeneration(false))
                    .tokens().length, "the session goes on");
        }
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.defaults().withTimeout(Duration.ZERO));
    }

    /** Text that is not valid Unicode (a lone surrogate) reads as U+FFFD, as Java's UTF-8 encoder writes it, in both tokenizer families. */
    @Test
    void aLoneSurrogateIsEncodedAsTheReplacementCharacter() {
        for (String file : List.of("stories260K.gguf", "qwen2-f32.gguf")) {
            try (Model m = Model.load(SharedData.model(file), ModelOptions.defaults().withContextLength(64))) {
                int[] lone = m.tokenizer().encode("a\uD800b\uDC00", false, false);
                assertEquals(java.util.Arrays.toString(m.tokenizer().encode("a\uFFFDb\uFFFD", false, false)),
                        java.util.Arrays.toString(lone), file);
                try (Session s = m.newSession()) {
                    assertEquals(4, s.generate("a\uD800b", GenerateOptions.greedy().withMaxTokens(4).withStopAtEndOfGeneration(false))
                            .tokens().length, file);
                }
            }
        }
    }
}
