package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelWarmUpTest {

    @Test
    @Timeout(120)
    void warmsEachTiledTypeOncePerJvmOnABackgroundThreadThatFinishes() throws InterruptedException {
        KernelWarmUp.start(List.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.F16));
        KernelWarmUp.start(List.of(GgmlType.Q4_K, GgmlType.Q4_0));
        List<Thread> warming = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).toList();
        assertTrue(warming.size() <= 1, "warm-up threads: " + warming);
        for (Thread t : warming) {
            assertTrue(t.isDaemon(), "the warm-up must not keep the JVM alive");
            t.join();
        }
        assertTrue(KernelWarmUp.lastDurationNanos().orElseThrow() > 0, "a finished warm-up reports its duration");
        KernelWarmUp.start(List.of(GgmlType.Q4_0, GgmlType.F32));
        assertEquals(0, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).count(), "a later start of warmed types runs nothing");
    }
}
