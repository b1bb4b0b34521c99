package dev.inferj;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The text of a generation as a {@link Flow.Publisher} (see {@link Session#publisher}): each
 * subscription starts a generation and runs it on the executor, a token step at a time, while the
 * subscriber has demand. Pieces are never empty.
 */
final class TextPublisher implements Flow.Publisher<String> {
    private final Supplier<GenerationRun> start;
    private final Executor executor;

    TextPublisher(Supplier<GenerationRun> start, Executor executor) {
        this.start = start;
        this.executor = executor;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super String> subscriber) {
        new Subscription(subscriber).begin();
    }

    private final class Subscription implements Flow.Subscription {
        private final Flow.Subscriber<? super String> subscriber;
        private final AtomicLong demand = new AtomicLong();
        /** Drains scheduled or running: only one runs at a time. */
        private final AtomicInteger pending = new AtomicInteger();
        private volatile boolean cancelled;
        private volatile Throwable failure;
        /** Set once onSubscribe has returned: no signal may overlap it. */
        private volatile boolean subscribed;
        private boolean done;
        private volatile GenerationRun run;

        Subscription(Flow.Subscriber<? super String> subscriber) {
            this.subscriber = subscriber;
        }

        void begin() {
            subscriber.onSubscribe(this);
            subscribed = true;
            schedule(); // whatever onSubscribe requested or cancelled
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                failure = new IllegalArgumentException("request(" + n + "): Flow requires a positive demand (rule 3.9)");
                cancel();
                return;
            }
            demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            schedule();
        }

        @Override
        public void cancel() {
            cancelled = true;
            GenerationRun r = run;
            if (r != null) {
                r.cancel();
            }
            schedule();
        }

        private void schedule() {
            if (subscribed && pending.getAndIncrement() == 0) {
                try {
                    executor.execute(this::drain);
                } catch (RejectedExecutionException e) { // no drain runs: ending here is safe
                    if (!done) {
                        finish(e);
                    }
                }
            }
        }

        /** Generates while there is demand, in one task at a time. */
        private void drain() {
            int missed = 1;
            while (true) {
                if (!done) {
                    step();
                }
                missed = pending.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void step() {
            try {
                if (failure != null) {
                    finish(failure);
                    return;
                }
                if (run == null && !cancelled) {
                    GenerationRun started = start.get();
                    run = started;
                    if (cancelled) { // cancel() came while the run was starting and did not see it
                        started.cancel();
                    }
                }
                while (!done && failure == null && (cancelled || demand.get() > 0)) {
                    GenerationRun.Piece p = run == null ? null : run.next();
                    if (p == null) {
                        finish(null);
                    } else if (!p.text().isEmpty() && !cancelled) {
                        demand.decrementAndGet();
                        subscriber.onNext(p.text());
                    }
                }
                if (!done && failure != null) {
                    finish(failure);
                }
            } catch (RuntimeException | Error e) {
                if (!done) { // else the subscriber's own onComplete or onError threw: no second terminal signal
                    finish(e);
                }
            }
        }

        private void finish(Throwable error) {
            done = true;
            GenerationRun r = run;
            if (r != null) {
                r.abandon();
            }
            if (cancelled && error == null) {
                return;
            }
            if (error != null) {
                subscriber.onError(error);
            } else {
                subscriber.onComplete();
            }
        }
    }
}
