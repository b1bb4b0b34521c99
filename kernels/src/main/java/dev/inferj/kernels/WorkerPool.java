package dev.inferj.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split a range of rows between them. A decode step runs
 * hundreds of such parallel regions per token, so workers spin briefly for the next one
 * before they park, and the caller's thread takes the first share itself.
 */
public final class WorkerPool implements AutoCloseable {

    /** Work on rows {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final int SPINS_BEFORE_PARK = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile RangeTask task;
    private volatile int size;
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;

    /** @param threads total threads including the caller's; 1 runs everything on the caller */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int share = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("inferj-worker-" + share).unstarted(() -> work(share));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)} split in contiguous shares and returns when all are done; one caller at a time. */
    public synchronized void forRange(int n, RangeTask task) {
        if (threads == 1 || n < threads) {
            task.run(0, n);
            return;
        }
        this.task = task;
        this.size = n;
        failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            task.run(0, n / threads);
        } catch (Throwable t) {
            own = t;
        }
        while (pending.get() != 0) {
            Thread.onSpinWait();
        }
        this.task = null;
        Throwable t = own != null ? own : failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private void work(int share) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            int n = size;
            try {
                task.run((int) ((long) n * share / threads), (int) ((long) n * (share + 1) / threads));
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
