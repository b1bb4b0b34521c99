package dev.inferj;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The text of one generation, piece by piece, generated as it is pulled (see {@link Session#stream}).
 * Pieces are never empty. Close it to end the generation early; {@link #result()} gives the whole
 * {@link Generation} once the stream has ended.
 */
public final class TextStream implements Iterator<String>, AutoCloseable {
    private final Supplier<GenerationRun> start;
    private volatile GenerationRun run;
    private volatile boolean cancelled;
    private String next;

    TextStream(Supplier<GenerationRun> start) {
        this.start = start;
    }

    /** Generates until some text is final, or the generation ends. */
    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (run == null) {
            GenerationRun started = start.get();
            run = started;
            if (cancelled) { // cancel() came before the run existed
                started.cancel();
            }
        }
        try {
            for (GenerationRun.Piece p = run.next(); p != null; p = run.next()) {
                if (!p.text().isEmpty()) {
                    next = p.text();
                    return true;
                }
            }
            return false;
        } catch (RuntimeException | Error e) {
            run.abandon();
            throw e;
        }
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has ended");
        }
        String piece = next;
        next = null;
        return piece;
    }

    /** The pieces as a sequential stream; closing it closes this. */
    public Stream<String> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(this::close);
    }

    /** Asks the generation to end at its next step (safe from any thread); the stream then ends. */
    public void cancel() {
        cancelled = true;
        GenerationRun r = run;
        if (r != null) {
            r.cancel();
        }
    }

    /**
     * The whole generation, with its stop reason.
     *
     * @throws IllegalStateException while the stream has not ended
     */
    public Generation result() {
        if (run == null || !run.ended()) {
            throw new IllegalStateException("the stream has not ended");
        }
        return run.result();
    }

    /** Ends the generation if it is still running ({@link Generation.StopReason#CANCELLED}) and frees the session. */
    @Override
    public void close() {
        if (run != null && !run.ended()) {
            run.cancel();
            try {
                while (run.next() != null) {
                    // the cancelled run ends at its next step
                }
            } catch (IllegalStateException e) {
                run.abandon(); // the session was closed under it
            }
        }
    }
}
