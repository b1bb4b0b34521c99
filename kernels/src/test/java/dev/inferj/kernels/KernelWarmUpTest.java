package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelWarmUpTest {

    @Test
    @Timeout(120)
    void warmsEachTiledTypeOncePerJvmOnABackgroundThreadThatEndsWhenTheKernelsAreCompiled() throws InterruptedException {
        KernelWarmUp.start(List.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.F16));
        KernelWarmUp.start(List.of(GgmlType.Q4_K, GgmlType.Q4_0));
        List<Thread> warming = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).toList();
        assertTrue(warming.size() <= 1, "warm-up threads: " + warming);
        for (Thread t : warming) {
            assertTrue(t.isDaemon(), "the warm-up must not keep the JVM alive");
        }
        KernelWarmUp.await();
        for (Thread t : warming) {
            assertTrue(!t.isAlive(), "await returns once the warm-up has ended");
        }
        long nanos = KernelWarmUp.lastDurationNanos().orElseThrow();
        assertTrue(nanos > 0, "a finished warm-up reports its duration");
        if (Kernels.get() instanceof VectorKernels) {
            // it ended because the kernels were compiled, not at its time limit, and they now run unboxed
            assertTrue(nanos < 15_000_000_000L, "warm-up took " + nanos / 1_000_000 + " ms");
            assertTrue(compiledProductAllocates() < KernelWarmUp.COMPILED_ROUND_BYTES);
        }
        KernelWarmUp.start(List.of(GgmlType.Q4_0, GgmlType.F32));
        assertEquals(0, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("inferj-warm-up")).count(), "a later start of warmed types runs nothing");
    }

    /** Bytes this thread allocates in a tiled Q4_0 matVec and matMul of a model's size. */
    private static long compiledProductAllocates() {
        ThreadAllocations allocations = ThreadAllocations.counter();
        assertNotNull(allocations, "HotSpot counts a thread's allocations");
        Kernels k = Kernels.get();
        int rows = 256;
        int cols = 1024;
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment rowMajor = arena.allocate(GgmlType.Q4_0.byteSize(cols) * rows, 64);
            for (long i = 0; i < rowMajor.byteSize(); i++) {
                rowMajor.set(ScalarKernels.BYTE, i, (byte) rnd.nextInt(64));
            }
            WeightMatrix w = TileLayout.repack(new WeightMatrix("w", GgmlType.Q4_0, rowMajor, rows, cols),
                    arena.allocate(rowMajor.byteSize(), 64));
            float[] x = KernelAgreement.values(rnd, KernelAgreement.Values.GAUSSIAN, cols);
            PreparedVector[] xs = new PreparedVector[4];
            float[][] out = new float[xs.length][rows];
            for (int b = 0; b < xs.length; b++) {
                xs[b] = new PreparedVector(cols);
                k.prepare(x, 0, cols, ActivationFormat.Q8_0, xs[b]);
            }
            long before = allocations.bytes();
            k.matVec(w, xs[0], out[0], 0, 0, rows);
            k.matMul(w, xs, xs.length, out, 0, 0, rows);
            return allocations.bytes() - before;
        }
    }
}
