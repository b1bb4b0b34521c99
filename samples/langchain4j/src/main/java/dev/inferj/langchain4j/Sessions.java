package dev.inferj.langchain4j;

import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The sessions a chat model's calls run in: one per call at a time, made when all are busy and kept for the
 * next call (whose conversation usually begins as the last one did, so its prompt is mostly held already).
 */
final class Sessions implements AutoCloseable {
    private final Model model;
    private final SessionOptions options;
    private final ConcurrentLinkedDeque<Session> idle = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Session> all = new ConcurrentLinkedDeque<>();

    Sessions(Model model, SessionOptions options) {
        this.model = model;
        this.options = options;
    }

    Session take() {
        Session s = idle.pollFirst();
        if (s == null) {
            s = model.newSession(options);
            all.add(s);
        }
        return s;
    }

    void give(Session s) {
        idle.addFirst(s);
    }

    @Override
    public void close() {
        all.forEach(Session::close);
    }
}
