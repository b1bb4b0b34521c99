package dev.inferj;

import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Sessions of one model for requests that come from many threads: {@link #take()} hands out an idle session (the
 * one given back last, whose context most likely begins as the next request's does) or makes one, {@link #give}
 * takes it back keeping what it holds. A session is used by one request at a time; how many run at once is the
 * caller's to bound.
 */
public final class SessionPool implements AutoCloseable {
    private final Model model;
    private final SessionOptions options;
    private final ConcurrentLinkedDeque<Session> idle = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Session> all = new ConcurrentLinkedDeque<>();

    public SessionPool(Model model, SessionOptions options) {
        this.model = model;
        this.options = options;
    }

    /** An idle session, or a new one when all are in use. */
    public Session take() {
        Session s = idle.pollFirst();
        if (s == null) {
            s = model.newSession(options);
            all.add(s);
        }
        return s;
    }

    /** Takes back a session {@link #take()} gave, for the next request. */
    public void give(Session session) {
        idle.addFirst(session);
    }

    /** Cancels whatever the pool's sessions are generating. */
    public void cancelAll() {
        all.forEach(Session::cancel);
    }

    /** Closes every session the pool made (running generations end with what they have). */
    @Override
    public void close() {
        all.forEach(Session::close);
    }
}
