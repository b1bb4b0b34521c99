package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.model.OffHeap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 200 generations with random options on one model from 8 threads, some cancelled and some with their session
 * closed under them from another thread, then the model closed with sessions still open: every output equals (or,
 * cut short, begins) its solo run, and no worker thread, off-heap byte or mapping of the file is left. A watchdog fails a deadlock.
 * CI runs one round (~25 s); {@code -Dinferj.soak.rounds=N} runs N, each with its own jobs, for a longer soak:
 * {@code ./mvnw verify -pl core -Dtest=SoakTest -Dinferj.soak.rounds=40}.
 */
class SoakTest {
    private record Job(String prompt, GenerateOptions options, int interference, int delayMillis) {
    }

    @Test
    void eightThreadsOfMixedWorkThenAClose() {
        int rounds = Integer.getInteger("inferj.soak.rounds", 1);
        for (int round = 0; round < rounds; round++) {
            long seed = 2026 + round;
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> soak(seed), "round " + round);
        }
    }

    private void soak(long seed) throws Exception {
        Path file = SharedData.model("stories260K.gguf");
        int threadsBefore = workerThreads();
        long offHeapBefore = OffHeap.liveBytes();
        Random random = new Random(seed);
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went", "One day, a bird", "The sun"};
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            GenerateOptions o = GenerateOptions.defaults().withTemperature(random.nextFloat() * 1.5f).withSeed(random.nextLong())
                    .withTopK(random.nextInt(60)).withMaxTokens(4 + random.nextInt(40)).withStopAtEndOfGeneration(random.nextBoolean());
            jobs.add(new Job(prompts[random.nextInt(prompts.length)], o, random.nextInt(10) < 7 ? 0 : 1 + random.nextInt(2),
                    random.nextInt(20)));
        }
        Model m = Model.load(file, ModelOptions.defaults().withContextLength(128).withThreads(2));
        try (Session probe = m.newSession()) {
            assertTrue(OffHeap.liveBytes() > offHeapBefore, "a session's KV cache is counted");
        }
        List<int[]> solo = new ArrayList<>();
        for (Job j : jobs) {
            try (Session s = m.newSession()) {
                solo.add(s.generate(j.prompt(), j.options()).tokens());
            }
        }
        List<Session> leftOpen = new ArrayList<>();
        try (ExecutorService workers = Executors.newFixedThreadPool(8);
                ScheduledExecutorService interferer = Executors.newSingleThreadScheduledExecutor()) {
            List<Future<int[]>> runs = new ArrayList<>();
            for (Job j : jobs) {
                runs.add(workers.submit(() -> {
                    Session s = m.newSession();
                    if (j.interference() == 1) {
                        interferer.schedule(s::cancel, j.delayMillis(), TimeUnit.MILLISECONDS);
                    } else if (j.interference() == 2) {
                        interferer.schedule(s::close, j.delayMillis(), TimeUnit.MILLISECONDS);
                    }
                    try {
                        return s.generate(j.prompt(), j.options()).tokens();
                    } catch (IllegalStateException closedFirst) {
                        return new int[0]; // the session was closed before the generation began
                    } finally {
                        if (j.interference() == 0 && leftOpen.size() < 3) {
                            synchronized (leftOpen) {
                                leftOpen.add(s); // for the model's close to close
                            }
                        } else {
                            s.close();
                        }
                    }
                }));
            }
            for (int i = 0; i < jobs.size(); i++) {
                int[] got = runs.get(i).get();
                int[] want = solo.get(i);
                if (jobs.get(i).interference() == 0) {
                    assertArrayEquals(want, got, "job " + i);
                } else {
                    assertTrue(got.length <= want.length && Arrays.equals(want, 0, got.length, got, 0, got.length),
                            "job " + i + " cut short must begin as its solo run");
                }
            }
        }
        m.close();
        assertTrue(leftOpen.stream().allMatch(s -> {
            try {
                s.evaluate(1);
                return false;
            } catch (IllegalStateException closed) {
                return true;
            }
        }), "sessions left open are closed with the model");
        assertEquals(threadsBefore, workerThreads(), "inferj-worker threads");
        assertEquals(offHeapBefore, OffHeap.liveBytes(), "off-heap bytes (KV caches)");
        assertEquals(0, mappings(file), "mappings of the model file");
    }

    private static int workerThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("inferj-worker")).count();
    }

    private static long mappings(Path file) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        String name = file.toAbsolutePath().normalize().toString();
        return Files.isReadable(maps) ? Files.readAllLines(maps).stream().filter(l -> l.endsWith(name)).count() : 0;
    }
}
