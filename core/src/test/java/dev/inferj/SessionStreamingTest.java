package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stop strings, streaming (listener, iterator, publisher), cancellation and misuse, on a real tiny model. */
class SessionStreamingTest {
    private static final String PROMPT = "Once upon a time";
    private static final GenerateOptions GREEDY = GenerateOptions.greedy().withMaxTokens(48).withStopAtEndOfGeneration(false);
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(256));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static Generation fresh(GenerateOptions options, TokenListener listener) {
        try (Session s = model.newSession()) {
            return s.generate(PROMPT, options, listener);
        }
    }

    @Test
    void stopStringsCutExactlyAcrossTokensAndInsideOne() {
        Generation full = fresh(GREEDY, null);
        String text = full.text();
        List<String> pieces = new ArrayList<>();
        for (int id : full.tokens()) {
            pieces.add(new String(model.tokenizer().pieceBytes(id), StandardCharsets.UTF_8));
        }
        // one stop that spans a token boundary, one that begins inside a token of 3 or more characters
        int boundary = pieces.get(0).length() + pieces.get(1).length() + pieces.get(2).length();
        String across = text.substring(boundary - 2, boundary + 2);
        int inside = 0;
        int at = 0;
        for (int i = 3; i < pieces.size(); i++) {
            at += pieces.get(i - 1).length();
            if (pieces.get(i).length() >= 3) {
                inside = at + 1;
                break;
            }
        }
        String within = text.substring(inside, inside + 2);
        for (String stop : List.of(across, within)) {
            StringBuilder streamed = new StringBuilder();
            Generation g = fresh(GREEDY.withStopStrings(List.of(stop)), (id, piece) -> streamed.append(piece));
            String expected = text.substring(0, text.indexOf(stop));
            assertEquals(expected, g.text(), "stop " + stop);
            assertEquals(expected, streamed.toString(), "nothing of the stop or after it is streamed");
            assertEquals(Generation.StopReason.STOP_STRING, g.stopReason());
        }
    }

    @Test
    void theIteratorAndThePublisherGiveTheListenersText() throws Exception {
        Generation expected = fresh(GREEDY, null);
        try (Session s = model.newSession(); TextStream stream = s.stream(PROMPT, GREEDY)) {
            String joined = stream.stream().collect(Collectors.joining());
            assertEquals(expected.text(), joined);
            assertArrayEquals(expected.tokens(), stream.result().tokens());
        }
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Session s = model.newSession()) {
            CompletableFuture<String> done = new CompletableFuture<>();
            s.publisher(PROMPT, GREEDY, executor).subscribe(new Flow.Subscriber<>() {
                final StringBuilder text = new StringBuilder();
                Flow.Subscription subscription;

                @Override
                public void onSubscribe(Flow.Subscription sub) {
                    subscription = sub;
                    sub.request(1);
                }

                @Override
                public void onNext(String piece) {
                    assertTrue(!piece.isEmpty());
                    text.append(piece);
                    subscription.request(1);
                }

                @Override
                public void onError(Throwable t) {
                    done.completeExceptionally(t);
                }

                @Override
                public void onComplete() {
                    done.complete(text.toString());
                }
            });
            assertEquals(expected.text(), done.get(60, TimeUnit.SECONDS));
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void cancellingEndsWithinOneStepAndTheSessionStaysUsable() {
        try (Session s = model.newSession()) {
            int[] seen = {0};
            Generation g = s.generate(PROMPT, GREEDY, (id, piece) -> {
                if (++seen[0] == 3) {
                    s.cancel();
                }
            });
            assertEquals(Generation.StopReason.CANCELLED, g.stopReason());
            assertEquals(3, g.tokens().length);
            Generation next = s.generate(" and", GREEDY.withMaxTokens(4));
            assertEquals(4, next.tokens().length);

            Thread.currentThread().interrupt();
            try {
                assertEquals(Generation.StopReason.CANCELLED, s.generate(" then", GREEDY).stopReason());
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void closingASessionUnderAGenerationCancelsIt() throws Exception {
        Session s = model.newSession();
        CompletableFuture<Generation> result = new CompletableFuture<>();
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(s.generate(PROMPT, GREEDY.withMaxTokens(200), (id, piece) -> started.complete(null)));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        t.start();
        started.get(60, TimeUnit.SECONDS);
        s.close();
        Generation g = result.get(60, TimeUnit.SECONDS);
        assertEquals(Generation.StopReason.CANCELLED, g.stopReason());
        assertTrue(g.tokens().length < 200);
        assertThrows(IllegalStateException.class, () -> s.generate(PROMPT, GREEDY));
    }

    @Test
    void anInterruptBeforeThePromptRunsNothingOfIt() {
        try (Session s = model.newSession()) {
            Thread.currentThread().interrupt();
            Generation g;
            try {
                g = s.generate(PROMPT.repeat(20), GREEDY);
            } finally {
                Thread.interrupted();
            }
            assertEquals(Generation.StopReason.CANCELLED, g.stopReason());
            assertEquals(0, g.tokens().length);
            assertEquals(0, s.position(), "no batch of the prompt ran");
        }
    }

    @Test
    void aSessionInUseRefusesASecondCallAtOnce() {
        try (Session s = model.newSession()) {
            TextStream stream = s.stream(PROMPT, GREEDY);
            assertTrue(stream.hasNext()); // the session is now busy until the stream ends
            int position = s.position();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.generate("x", GREEDY));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertEquals(position, s.position());
            stream.close();
            assertEquals(Generation.StopReason.CANCELLED, stream.result().stopReason());
            assertEquals(4, s.generate(" and", GREEDY.withMaxTokens(4)).tokens().length);
        }
    }

    @Test
    void invalidOptionsNameTheOption() {
        for (var bad : List.<Runnable>of(() -> GREEDY.withTopP(0f), () -> GREEDY.withMinP(1.5f),
                () -> GREEDY.withRepeatPenalty(0f), () -> GREEDY.withRepeatLastN(-2), () -> GREEDY.withXtc(2f, 0.1f),
                () -> GREEDY.withStopStrings(List.of("")), () -> GREEDY.withTypicalP(-1f),
                () -> GREEDY.withDry(new GenerateOptions.Dry(1f, 0.5f, 2, 64, List.of()))
        )) {
            assertThrows(IllegalArgumentException.class, bad::run);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GREEDY.withMinP(2f));
        assertTrue(e.getMessage().startsWith("minP"), e.getMessage());
        try (Session s = model.newSession()) {
            GenerateOptions outside = GREEDY.withLogitBias(java.util.Map.of(1_000_000, 1f));
            e = assertThrows(IllegalArgumentException.class, () -> s.generate(PROMPT, outside));
            assertTrue(e.getMessage().contains("logitBias"), e.getMessage());
            assertEquals(0, s.position(), "a refused request leaves the session as it was");
            s.generate(PROMPT, GREEDY.withMaxTokens(4));
            int held = s.position();
            assertThrows(GrammarException.class, () -> s.generate(" more", GREEDY.withGrammar("root ::= [")));
            assertEquals(held, s.position(), "a refused request leaves the session as it was");
        }
    }
}
