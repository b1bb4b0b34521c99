package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelWarmUpTest {

    @Test
    @Timeout(120)
    void startsOneBackgroundThreadPerJvmThatFinishes() throws InterruptedException {
        KernelWarmUp.start();
        KernelWarmUp.start();
        List<Thread> warming = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).toList();
        assertTrue(warming.size() <= 1, "warm-up threads: " + warming);
        for (Thread t : warming) {
            assertTrue(t.isDaemon(), "the warm-up must not keep the JVM alive");
            t.join();
        }
        KernelWarmUp.start();
        assertEquals(0, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).count(), "a later start runs nothing");
    }
}
