package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkerPoolTest {

    private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 7, 8, 13, 31, 32, 33, 97, 1000, 4096};

    @Test
    void eachIndexOfTheRangeIsCoveredExactlyOnce() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int round = 0; round < 3; round++) { // the same pool reused
                    for (int n : SIZES) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        pool.forRange(n, (from, to) -> {
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of " + n + " with " + threads + " threads");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailureInAWorkersShareReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException failure = new IllegalStateException("row 70 is broken");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.forRange(100, (from, to) -> {
                if (from <= 70 && 70 < to) {
                    throw failure;
                }
            }));
            assertSame(failure, thrown);
            assertPoolStillCovers(pool, 100);
        }
    }

    @Test
    void aFailureInTheCallersOwnShareReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThrows(ArithmeticException.class, () -> pool.forRange(10, (from, to) -> {
                if (from == 0) {
                    throw new ArithmeticException("first share");
                }
            }));
            assertPoolStillCovers(pool, 10);
        }
    }

    @Test
    void anErrorIsRethrownAsItself() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThrows(AssertionError.class, () -> pool.forRange(10, (from, to) -> {
                if (from > 0) {
                    throw new AssertionError("worker");
                }
            }));
        }
    }

    @Test
    void threadCountBelowOneIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
    }

    private static void assertPoolStillCovers(WorkerPool pool, int n) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        pool.forRange(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " after a failure");
        }
    }
}
