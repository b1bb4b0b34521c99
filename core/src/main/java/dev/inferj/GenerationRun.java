package dev.inferj;

import dev.inferj.grammar.GbnfParser;
import dev.inferj.grammar.Grammar;
import dev.inferj.grammar.GrammarConstraint;
import dev.inferj.grammar.JsonSchemaGrammar;
import dev.inferj.sampling.SamplerChain;
import dev.inferj.tokenizer.StreamingDecoder;
import java.util.Arrays;
import java.util.List;

/**
 * One generation in progress on a session: the prompt evaluated, then one token a call of
 * {@link #next()}. {@link Session#generate} drives it to its end with a listener,
 * {@link Session#stream} hands it out as an iterator and {@link Session#publisher} as a
 * {@code Flow.Publisher}. {@link #cancel()} may come from any thread: the next call ends the run.
 */
final class GenerationRun {
    /** A generated token and the text it releases: empty while a character or a possible stop string is incomplete. */
    record Piece(int token, String text) {
    }

    /**
     * Tool calls a chat turn may make: their format and grammar; with {@code lazy} the output is free until the
     * model writes the format's trigger, and kept to the grammar from there (else from the first token).
     */
    record ToolPlan(ToolCallFormat format, String grammar, boolean lazy) {
    }

    private final Session session;
    private final GenerateOptions options;
    private final int[] promptTokens;
    private final SamplerChain sampler;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    /** The grammar the output must follow, or null (until a lazy grammar's trigger). */
    private GrammarConstraint constraint;
    private final ToolPlan tools;
    /** A tool plan's grammar, waiting for its trigger; null once it applies, or without one. */
    private Grammar lazyGrammar;
    /** The tokens' texts so far, searched for the trigger of {@link #lazyGrammar}. */
    private final StringBuilder raw = new StringBuilder();
    /** With a constraint: the logits with the tokens it refuses at negative infinity, and which it allows. */
    private float[] masked;
    private boolean[] allowed;
    private final StringBuilder text = new StringBuilder();
    private final int[] generated;
    private long promptNanos;
    private long warmUpWaitNanos;
    private long generationStart;
    /** The logits that follow the text so far; null until the prompt has run. */
    private float[] logits;
    private int count;
    private Generation.StopReason reason;
    private Generation result;
    private volatile boolean cancelled;
    /** {@link System#nanoTime()} past which the run is cancelled, from its first step; 0 for none. */
    private long deadline;
    /** Set during {@link #next()}: {@link Session#close()} waits for the step to end. */
    private volatile boolean stepping;

    /** Checks the request, to append {@code promptTokens} at position {@code from}; the prompt runs on the first {@link #next()}. */
    GenerationRun(Session session, int from, int[] promptTokens, GenerateOptions options, ToolPlan tools) {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        this.session = session;
        this.options = options;
        this.promptTokens = promptTokens.clone();
        this.sampler = new SamplerChain(options, session.vocabularySize(), session::tokenText);
        this.decoder = session.tokenizer().newStreamingDecoder();
        this.stops = new StopStrings(options.stopStrings());
        session.checkFits(promptTokens, from);
        this.generationStart = System.nanoTime(); // until the prompt has run
        // without a context shift, the context left bounds the generation as much as maxTokens does
        this.generated = new int[options.contextShift() >= 0 ? options.maxTokens()
                : Math.min(options.maxTokens(), session.contextLength() - from - promptTokens.length + 1)];
        this.tools = tools;
        if (tools != null && (options.grammar() != null || options.jsonSchema() != null)) {
            throw new IllegalArgumentException("tools cannot be combined with a grammar or a JSON schema");
        }
        if (tools != null && tools.lazy()) {
            this.lazyGrammar = GbnfParser.parse(tools.grammar());
        } else {
            this.constraint = constraint(session, options, tools);
        }
        if (constraint != null && constraint.cannotFinishIn(generated.length)) {
            throw new GrammarException("the grammar needs more characters than the " + generated.length
                    + " tokens this generation may take (maxTokens, and the room left in the context)");
        }
    }

    /** Runs the prompt, batch by batch; false when cancelled between two batches. */
    private boolean runPrompt() {
        long start = System.nanoTime();
        long waitedBefore = session.warmUpWaitNanos();
        logits = session.evaluateForRun(promptTokens, this::stopRequested);
        promptNanos = System.nanoTime() - start;
        warmUpWaitNanos = session.warmUpWaitNanos() - waitedBefore;
        generationStart = System.nanoTime();
        return logits != null;
    }

    private boolean stopRequested() {
        return cancelled || Thread.currentThread().isInterrupted() || deadline != 0 && System.nanoTime() - deadline > 0;
    }

    private static GrammarConstraint constraint(Session session, GenerateOptions options, ToolPlan tools) {
        String gbnf = tools != null ? tools.grammar()
                : options.jsonSchema() != null ? JsonSchemaGrammar.toGbnf(options.jsonSchema()) : options.grammar();
        return gbnf == null ? null : new GrammarConstraint(GbnfParser.parse(gbnf), session.tokenTrie());
    }

    /** Asks the run to end at its next step, with {@link Generation.StopReason#CANCELLED}. */
    void cancel() {
        cancelled = true;
    }

    /**
     * Generates the next token. Returns it with the text it releases, or the last text held back (with
     * the last token) when the run ends, or null once it has ended.
     */
    Piece next() {
        if (reason != null) {
            return null;
        }
        stepping = true;
        if (deadline == 0 && options.timeout() != null) {
            deadline = System.nanoTime() + options.timeout().toNanos() | 1; // never 0
        }
        try {
            if (stopRequested()) { // before the check below: a session closed under a generation cancels it
                return end(Generation.StopReason.CANCELLED);
            }
            session.ensureOpen(); // read after stepping is set: see Session.close
            return step();
        } finally {
            stepping = false;
        }
    }

    boolean stepping() {
        return stepping;
    }

    private Piece step() {
        if (reason != null) {
            return null;
        }
        if (logits == null && !runPrompt()) {
            return end(Generation.StopReason.CANCELLED);
        }
        if (count == options.maxTokens()) {
            return end(Generation.StopReason.MAX_TOKENS);
        }
        if (count > 0) {
            if (session.position() >= session.contextLength() && !session.shiftContext(options.contextShift())) {
                return end(Generation.StopReason.CONTEXT_FULL);
            }
            logits = session.stepForRun(generated[count - 1]);
        }
        int token = constraint == null ? sampler.sample(logits, session.history(), session.position()) : constrainedSample();
        if (session.isEndOfGeneration(token) && (options.stopAtEndOfGeneration() || constraint != null)) {
            return end(Generation.StopReason.END_OF_GENERATION);
        }
        generated[count++] = token;
        String piece = stops.accept(decoder.accept(token));
        text.append(piece);
        if (stops.stopped()) {
            reason = Generation.StopReason.STOP_STRING;
            finish();
        } else if (constraint != null) {
            constraint.accept(token);
            if (constraint.finished()) {
                Piece last = end(Generation.StopReason.END_OF_GENERATION);
                return last == null ? new Piece(token, piece) : new Piece(token, piece + last.text());
            }
        } else if (lazyGrammar != null) {
            watchForTrigger(token);
        }
        return new Piece(token, piece);
    }

    /**
     * A token the grammar allows. The chain draws from the model's logits, and the draw stands when the
     * grammar allows it (the common case with a model that follows the format); else the chain draws
     * again among its candidates (those its filters left) that the grammar allows. Only when it allows
     * none of them does the grammar mark every token it allows, walking the vocabulary's trie once, for
     * the chain to draw among those. End-of-generation tokens count as allowed where the text is complete.
     */
    private int constrainedSample() {
        int tokensLeftAfter = generated.length - count - 1;
        int token = sampler.sample(logits, session.history(), session.position(), t -> allows(t, tokensLeftAfter));
        if (token >= 0) {
            return token;
        }
        int n = session.vocabularySize();
        if (masked == null) {
            masked = new float[n];
            allowed = new boolean[n];
        }
        Arrays.fill(allowed, false);
        constraint.allowed(allowed, tokensLeftAfter);
        boolean any = false;
        for (int i = 0; i < n; i++) {
            boolean ok = allowed[i] || constraint.complete() && session.isEndOfGeneration(i);
            masked[i] = ok ? logits[i] : Float.NEGATIVE_INFINITY;
            any |= ok;
        }
        if (!any) {
            throw new GrammarException("the grammar cannot be completed in the " + (tokensLeftAfter + 1)
                    + " tokens left with this vocabulary's tokens");
        }
        return sampler.sample(masked, session.history(), session.position());
    }

    /** Applies the lazy grammar from the trigger on, once the tokens so far contain it. */
    private void watchForTrigger(int token) {
        String trigger = tools.format().trigger;
        int from = Math.max(0, raw.length() - trigger.length() + 1);
        raw.append(session.tokenText(token));
        int at = raw.indexOf(trigger, from);
        if (at >= 0) {
            GrammarConstraint started = new GrammarConstraint(lazyGrammar, session.tokenTrie());
            lazyGrammar = null;
            // text the grammar cannot hold after the trigger is left to the parse, which reports it
            constraint = started.accept(raw.substring(at)) ? started : null;
        }
    }

    private boolean allows(int token, int tokensLeftAfter) {
        return session.isEndOfGeneration(token) ? constraint.complete() : constraint.allows(token, tokensLeftAfter);
    }

    /** Ends the run where it is, after its caller failed, and frees the session. */
    void abandon() {
        if (reason == null) {
            reason = Generation.StopReason.CANCELLED;
            finish();
        }
    }

    /** Whether the run has ended. */
    boolean ended() {
        return reason != null;
    }

    /** The whole generation, once {@link #ended()}. */
    Generation result() {
        if (result == null) {
            throw new IllegalStateException("the generation has not ended");
        }
        return result;
    }

    private Piece end(Generation.StopReason why) {
        reason = why;
        String rest = stops.accept(decoder.flush());
        if (stops.stopped()) {
            reason = Generation.StopReason.STOP_STRING;
        } else {
            rest += stops.flush();
        }
        text.append(rest);
        finish();
        return rest.isEmpty() || count == 0 ? null : new Piece(generated[count - 1], rest);
    }

    private void finish() {
        String out = text.toString();
        List<ChatMessage.ToolCall> calls = List.of();
        InferjException malformed = null;
        if (tools != null) {
            try {
                ToolCallFormat.Parsed parsed = tools.format().parse(out);
                if (!parsed.calls().isEmpty()) {
                    out = parsed.content();
                    calls = parsed.calls();
                    // the calls are whole where the model ended them, or where the budget ran out with the grammar complete
                    boolean whole = reason == Generation.StopReason.END_OF_GENERATION || constraint != null && constraint.complete()
                            && (reason == Generation.StopReason.MAX_TOKENS || reason == Generation.StopReason.CONTEXT_FULL);
                    reason = whole ? Generation.StopReason.TOOL_CALLS : reason;
                }
            } catch (InferjException e) {
                // a call cut short by the budget or a cancel stays text; one the model ended is an error
                if (reason == Generation.StopReason.END_OF_GENERATION || reason == Generation.StopReason.STOP_STRING) {
                    malformed = e;
                }
            }
        }
        result = new Generation(out, promptTokens, Arrays.copyOf(generated, count), reason,
                new Timings(promptTokens.length, promptNanos, count, System.nanoTime() - generationStart, warmUpWaitNanos), calls);
        session.runEnded(this);
        if (malformed != null) {
            throw malformed;
        }
    }
}
