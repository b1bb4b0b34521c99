package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Eight sessions generating at once from eight threads on one model each give exactly what they
 * give alone, and none starves; seeded sampling gives the same tokens with 1 and 2 worker threads.
 */
class ConcurrentSessionsTest {
    private static final String[] PROMPTS = {"Once upon a time", "The dog", "Lily went", "One day", "Tom had a",
        "The sun", "A big red", "They played"};

    private static GenerateOptions options(int i) {
        return GenerateOptions.defaults().withSeed(1000 + i).withTemperature(i % 2 == 0 ? 0f : 0.9f)
                .withRepeatPenalty(1.1f).withMaxTokens(40).withStopAtEndOfGeneration(false);
    }

    @Test
    void concurrentSessionsEqualTheirSoloRuns() throws Exception {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(128))) {
            List<Generation> solo = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                try (Session s = m.newSession()) {
                    solo.add(s.generate(PROMPTS[i], options(i)));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.length);
            try {
                for (int round = 0; round < 3; round++) {
                    List<Future<Generation>> together = new ArrayList<>();
                    for (int i = 0; i < PROMPTS.length; i++) {
                        int n = i;
                        together.add(pool.submit(() -> {
                            try (Session s = m.newSession()) {
                                return s.generate(PROMPTS[n], options(n));
                            }
                        }));
                    }
                    for (int i = 0; i < PROMPTS.length; i++) {
                        Generation g = together.get(i).get();
                        assertArrayEquals(solo.get(i).tokens(), g.tokens(), "session " + i + ", round " + round);
                        assertEquals(solo.get(i).text(), g.text());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Sessions take turns at the worker threads: when the first of four equal generations ends, none has starved. */
    @Test
    void sessionsShareTheWorkersFairly() throws Exception {
        int sessions = 4;
        int tokens = 400; // long enough that a thread the OS schedules late does not look starved
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(512))) {
            AtomicIntegerArray counts = new AtomicIntegerArray(sessions);
            AtomicReference<int[]> atFirstEnd = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(sessions);
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    int n = i;
                    running.add(pool.submit(() -> {
                        try (Session s = m.newSession()) {
                            start.await();
                            s.generate(PROMPTS[n], GenerateOptions.greedy().withMaxTokens(tokens).withStopAtEndOfGeneration(false),
                                    (id, text) -> counts.incrementAndGet(n));
                            int[] now = new int[sessions];
                            for (int k = 0; k < sessions; k++) {
                                now[k] = counts.get(k);
                            }
                            atFirstEnd.compareAndSet(null, now);
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : running) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            for (int k = 0; k < sessions; k++) {
                assertTrue(atFirstEnd.get()[k] >= tokens / 10, "session " + k + " had " + atFirstEnd.get()[k] + " of " + tokens
                        + " tokens when the first ended: " + Arrays.toString(atFirstEnd.get()));
            }
        }
    }

    @Test
    void seededSamplingIsTheSameWithOneAndTwoThreads() {
        List<int[]> byThreads = new ArrayList<>();
        for (int threads : new int[] {1, 2}) {
            try (Model m = Model.load(SharedData.model("llama-2-tiny-random.gguf"),
                    ModelOptions.defaults().withContextLength(128).withThreads(threads)); Session s = m.newSession()) {
                byThreads.add(s.generate("Hello world", options(1).withTopK(0).withMinP(0f)).tokens());
            }
        }
        assertArrayEquals(byThreads.get(0), byThreads.get(1));
    }
}
