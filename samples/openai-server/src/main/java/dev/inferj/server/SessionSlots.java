package dev.inferj.server;

import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SessionPool;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sessions requests generate in: at most {@code parallel} at once, each request with a session of its
 * own; up to {@code queue} more wait (first come, first served), and beyond them a request is refused at
 * once. A session goes back to the pool when its request ends, keeping what it holds, so that a
 * conversation's next turn (or another request with the same system prompt) reuses the common prefix.
 */
final class SessionSlots implements AutoCloseable {
    private final SessionPool sessions;
    private final int parallel;
    private final int queue;
    private final Semaphore permits;
    private final AtomicInteger admitted = new AtomicInteger();

    SessionSlots(Model model, SessionOptions sessionOptions, int parallel, int queue) {
        this.sessions = new SessionPool(model, sessionOptions);
        this.parallel = parallel;
        this.queue = queue;
        this.permits = new Semaphore(parallel, true);
    }

    /**
     * A session for one request, waiting for one if all are in use.
     *
     * @throws ApiException (429) when {@code parallel} requests run and {@code queue} wait already
     */
    Session acquire() throws InterruptedException {
        if (admitted.incrementAndGet() > parallel + queue) {
            admitted.decrementAndGet();
            throw new ApiException(429, "rate_limit_exceeded", "the server is busy: " + parallel
                    + " generations are running and " + queue + " requests wait; try again later", null, "server_busy");
        }
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            admitted.decrementAndGet();
            throw e;
        }
        return sessions.take();
    }

    void release(Session session) {
        sessions.give(session);
        permits.release();
        admitted.decrementAndGet();
    }

    /** Cancels what runs; the sessions are closed by the model's owner, or here. */
    void cancelAll() {
        sessions.cancelAll();
    }

    @Override
    public void close() {
        sessions.close();
    }
}
