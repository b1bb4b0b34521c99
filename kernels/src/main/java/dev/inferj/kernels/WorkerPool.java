package dev.inferj.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split a range of rows between them. A decode step runs
 * hundreds of such parallel regions per token, so workers spin briefly for the next one
 * before they park, and the caller's thread works too. The range is handed out in chunks
 * (about {@value #CHUNKS_PER_THREAD} per thread) to whichever thread asks next, so a thread
 * that starts late or runs slower (a shared memory bus, another process) takes fewer.
 */
public final class WorkerPool implements AutoCloseable {

    /** Work on rows {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final int SPINS_BEFORE_PARK = 20_000;
    private static final int CHUNKS_PER_THREAD = 4;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    /** The start of the next chunk not yet taken. */
    private final AtomicInteger next = new AtomicInteger();
    private volatile RangeTask task;
    private volatile int size;
    private volatile int chunk;
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
            workers[i] = Thread.ofPlatform().daemon().name("inferj-worker-" + (i + 1)).unstarted(this::work);
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)} split in contiguous chunks and returns when all are done; one caller at a time. */
    public synchronized void forRange(int n, RangeTask task) {
        if (threads == 1 || n < threads) {
            task.run(0, n);
            return;
        }
        this.task = task;
        this.size = n;
        this.chunk = Math.max(1, n / (threads * CHUNKS_PER_THREAD));
        next.set(0);
        failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = runChunks(task, n, chunk);
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

    private void work() {
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
            Throwable t = runChunks(task, size, chunk);
            if (t != null) {
                failure = t;
            }
            pending.decrementAndGet();
        }
    }

    /** Takes chunks until none is left; returns what the task threw, if it did. */
    private Throwable runChunks(RangeTask task, int n, int chunk) {
        try {
            for (int from = next.getAndAdd(chunk); from < n; from = next.getAndAdd(chunk)) {
                task.run(from, Math.min(n, from + chunk));
            }
            return null;
        } catch (Throwable t) {
            return t;
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
