package dev.inferj;

import dev.inferj.GenerationRun.ToolPlan;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WorkerPool;
import dev.inferj.model.TransformerForward;
import dev.inferj.model.TransformerWeights;
import dev.inferj.model.ModelConfig;
import dev.inferj.model.NonFiniteCheck;
import dev.inferj.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One conversation with a model: its KV cache and the tokens in it. Each {@link #generate} call
 * continues from what the session already holds, so a second call sees the first one's prompt and
 * output; {@link #chat} renders the whole conversation and reuses the longest prefix the session
 * already holds; {@link #reset()} starts over. A session runs one call at a time: a call while
 * another one (or an unfinished {@link #stream}) holds it throws {@link IllegalStateException} at
 * once, without touching the session. {@link #cancel()} may come from any thread. Close it to free its cache.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelConfig config;
    private final TransformerWeights weights;
    private final TransformerForward forward;
    private final Tokenizer tokenizer;
    private final int[] single = new int[1];
    /** The token at each position the cache holds. */
    private final int[] history;
    private int position;
    private volatile boolean closed;
    /** Set while a call (or a generation, until it ends) uses the session. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile GenerationRun running;
    private List<LoraAdapter.Scaled> adapters = List.of();

    Session(Model model, ModelConfig config, TransformerWeights weights, WorkerPool pool, int contextLength, KvCacheType cacheType) {
        this.model = model;
        this.config = config;
        this.weights = weights;
        this.tokenizer = model.tokenizer();
        this.forward = new TransformerForward(config, weights, Kernels.get(), pool, contextLength, cacheType);
        this.history = new int[contextLength];
    }

    /**
     * Applies {@code adapters} (LoRA, each at its scale, in order) to everything this session computes from now
     * on; an empty list goes back to the base model. When the set changes the session starts over, since what it
     * holds was computed with the previous one. The adapters must come from this session's model.
     *
     * @throws IllegalArgumentException for an adapter of another model
     */
    public void setAdapters(List<LoraAdapter.Scaled> adapters) {
        List<TransformerForward.Adaptation> terms = new java.util.ArrayList<>();
        for (LoraAdapter.Scaled use : adapters) {
            if (use.adapter().model() != model) {
                throw new IllegalArgumentException("adapter " + use.adapter().path() + " was loaded for another model");
            }
            for (LoraAdapter.Target t : use.adapter().matrices()) {
                terms.add(new TransformerForward.Adaptation(t.base(), t.a(), t.b(), t.bColumns(), use.adapter().effectiveScale(t, use.scale())));
            }
        }
        acquire();
        try {
            if (!adapters.equals(this.adapters)) {
                forward.setAdaptations(terms);
                this.adapters = List.copyOf(adapters);
                position = 0;
            }
        } finally {
            busy.set(false);
        }
    }

    /** The adapters this session applies ({@link #setAdapters}). */
    public List<LoraAdapter.Scaled> adapters() {
        return adapters;
    }

    /** Tokens the session holds so far. */
    public int position() {
        return position;
    }

    public int contextLength() {
        return forward.contextLength();
    }

    /** How the session's KV cache holds keys and values. */
    public KvCacheType cacheType() {
        return forward.cache().type();
    }

    /** Bytes the session's KV cache takes off-heap (faulted in as positions are written). */
    public long cacheBytes() {
        return forward.cache().byteSize();
    }

    /**
     * How often the router of a mixture-of-experts model chose each expert of each layer, over the
     * tokens this session evaluated since it was created or {@link #clearExpertUsage()} (a
     * {@link #reset()} keeps the counts). Read it between calls or from a {@link TokenListener}.
     */
    public ExpertUsage expertUsage() {
        ensureOpen();
        return new ExpertUsage(forward.expertChoices());
    }

    /** Sets the counts of {@link #expertUsage()} back to zero. */
    public void clearExpertUsage() {
        ensureOpen();
        forward.clearExpertChoices();
    }

    /** Forgets everything: the next call starts at position 0. */
    public void reset() {
        acquire();
        position = 0;
        busy.set(false);
    }

    /**
     * Answers the last message of a conversation: renders all of {@code messages} with the model's
     * chat template (special tokens in it are parsed as such), skips the part of the result that the
     * session already holds from earlier turns, and generates the assistant's reply. Pass the whole
     * conversation each time, with the previous replies as assistant messages.
     *
     * @throws InferjException when the model has no chat template or the template raises an error
     */
    public Generation chat(List<ChatMessage> messages, GenerateOptions options, TokenListener listener) {
        return chat(messages, null, options, listener);
    }

    /**
     * Like {@link #chat(List, GenerateOptions, TokenListener)}, offering the model {@code tools} (null: none)
     * through its chat template. The calls it makes come back parsed in {@link Generation#toolCalls()} (with
     * {@link Generation.StopReason#TOOL_CALLS}), their arguments valid under each tool's schema: once the model
     * opens a call ({@link Tools.Choice#AUTO}), or from its first token ({@link Tools.Choice#REQUIRED}), the
     * output is kept to the grammar of the calls. The listener sees the text as the model writes it, calls included.
     *
     * @throws InferjException when the template shows no tool-call format inferj reads (Hermes/Qwen, Mistral,
     *                         Llama 3.x), or a call the model ended does not parse
     * @throws IllegalArgumentException when {@code options} also has a grammar or a JSON schema
     * @throws GrammarException         when a tool's parameter schema cannot be honoured
     */
    public Generation chat(List<ChatMessage> messages, Tools tools, GenerateOptions options, TokenListener listener) {
        ToolPlan plan = toolPlan(tools);
        return runToEnd(start(() -> chatTokens(messages, tools), options, plan), listener);
    }

    public Generation chat(List<ChatMessage> messages, Tools tools, GenerateOptions options) {
        return chat(messages, tools, options, null);
    }

    public Generation chat(List<ChatMessage> messages, GenerateOptions options) {
        return chat(messages, options, null);
    }

    public Generation generate(String prompt, GenerateOptions options) {
        return generate(prompt, options, null);
    }

    /**
     * Appends {@code prompt} (with a BOS token first when the session is empty and the vocabulary
     * asks for one), then generates up to {@code options.maxTokens()} tokens, calling
     * {@code listener} (may be null) with each as it comes. {@link #cancel()} from another thread, or
     * an interrupt of this one, ends it after the current step with what was generated so far.
     */
    public Generation generate(String prompt, GenerateOptions options, TokenListener listener) {
        return runToEnd(start(() -> promptTokens(prompt), options, null), listener);
    }

    /** Like {@link #generate(String, GenerateOptions, TokenListener)} from token ids. */
    public Generation generate(int[] promptTokens, GenerateOptions options, TokenListener listener) {
        return runToEnd(start(() -> new Prompt(position, promptTokens), options, null), listener);
    }

    /**
     * Like {@link #generate(String, GenerateOptions)}, but hands the text out as it comes, piece by
     * piece, to the thread that iterates: each {@link TextStream#next()} generates until some text is
     * final. The session is busy until the stream ends or is closed; closing it early cancels the
     * generation. The prompt is evaluated on the first call to {@code hasNext()}.
     */
    public TextStream stream(String prompt, GenerateOptions options) {
        return new TextStream(() -> start(() -> promptTokens(prompt), options, null));
    }

    /** Like {@link #stream(String, GenerateOptions)} for a conversation, as {@link #chat} answers it. */
    public TextStream streamChat(List<ChatMessage> messages, GenerateOptions options) {
        return streamChat(messages, null, options);
    }

    /** Like {@link #chat(List, Tools, GenerateOptions, TokenListener)}, as a stream; its result has the parsed calls. */
    public TextStream streamChat(List<ChatMessage> messages, Tools tools, GenerateOptions options) {
        ToolPlan plan = toolPlan(tools);
        return new TextStream(() -> start(() -> chatTokens(messages, tools), options, plan));
    }

    /** How a turn's tool calls are constrained and parsed, or null where the model may not call any. */
    private ToolPlan toolPlan(Tools tools) {
        if (tools == null || tools.choice() == Tools.Choice.NONE) {
            return null;
        }
        ToolCallFormat format = model.toolCallFormat();
        return new ToolPlan(format, format.grammar(tools.functions()), tools.choice() == Tools.Choice.AUTO);
    }

    /**
     * The text of a generation as a {@link Flow.Publisher}: each subscriber starts its own generation
     * on this session, run on {@code executor} as the subscriber requests pieces of text; cancelling
     * the subscription cancels the generation within one token step.
     */
    public Flow.Publisher<String> publisher(String prompt, GenerateOptions options, Executor executor) {
        return new TextPublisher(() -> start(() -> promptTokens(prompt), options, null), executor);
    }

    /**
     * Writes what the session holds (its tokens and their keys and values) to {@code file}, replacing
     * it, so that {@link #restore} (in this or another process, with the same model file) continues
     * exactly where this session stands.
     *
     * @throws InferjException when the file cannot be written
     */
    public void save(Path file) {
        acquire();
        try {
            SessionFile.write(file, model.fingerprint(), history, position, forward.cache());
        } finally {
            busy.set(false);
        }
    }

    /**
     * Replaces what the session holds with what {@link #save} wrote to {@code file}.
     *
     * @throws InferjException when the file is not a session file, was saved from another model, holds
     *                         more positions than this session's context, or is truncated or corrupt
     *                         (the session is then empty)
     */
    public void restore(Path file) {
        acquire();
        try {
            position = 0;
            position = SessionFile.read(file, model.fingerprint(), history, config.vocabularySize(), forward.cache());
        } finally {
            busy.set(false);
        }
    }

    /**
     * Cancels the generation running on this session, if there is one: it ends after its current
     * step with {@link Generation.StopReason#CANCELLED} and the text generated so far. Safe from any thread.
     */
    public void cancel() {
        GenerationRun run = running;
        if (run != null) {
            run.cancel();
        }
    }

    /**
     * Appends {@code tokens} to the session and returns the logits that follow the last one
     * (a copy, one per vocabulary entry). Useful to score text or to drive decoding yourself.
     */
    public float[] evaluate(int... tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to evaluate");
        }
        acquire();
        try {
            return evaluateInternal(tokens).clone();
        } finally {
            busy.set(false);
        }
    }

    /**
     * Like {@link #evaluate(int...)}, but copies the logits into {@code logits} (at least one per
     * vocabulary entry) instead of a new array, and returns it: decoding one token at a time this
     * way allocates nothing.
     */
    public float[] evaluate(int[] tokens, float[] logits) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to evaluate");
        }
        if (logits.length < config.vocabularySize()) {
            throw new IllegalArgumentException("room for " + logits.length + " logits, the vocabulary has "
                    + config.vocabularySize());
        }
        acquire();
        try {
            System.arraycopy(evaluateInternal(tokens), 0, logits, 0, config.vocabularySize());
            return logits;
        } finally {
            busy.set(false);
        }
    }

    private float[] evaluateInternal(int[] tokens) {
        return evaluateInternal(tokens, () -> false);
    }

    /** Runs {@code tokens} in batches; returns null, with the batches run so far held, when {@code stop} says so between two. */
    private float[] evaluateInternal(int[] tokens, BooleanSupplier stop) {
        checkFits(tokens);
        float[] logits = null;
        for (int from = 0; from < tokens.length; from += TransformerForward.MAX_BATCH) {
            if (stop.getAsBoolean()) {
                return null;
            }
            int n = Math.min(TransformerForward.MAX_BATCH, tokens.length - from);
            logits = run(tokens, from, n, from + n == tokens.length);
        }
        return logits;
    }

    /** Throws when {@code tokens} do not fit in the session or are not token ids. */
    private void checkFits(int[] tokens) {
        checkFits(tokens, position);
    }

    /** Throws when {@code tokens}, appended at {@code from}, do not fit in the session or are not token ids. */
    void checkFits(int[] tokens, int from) {
        if (from + tokens.length > contextLength()) {
            throw new ContextFullException(tokens.length + " tokens", tokens.length, from, contextLength());
        }
        for (int t : tokens) {
            if (t < 0 || t >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabularySize() + ")");
            }
        }
    }

    // what a GenerationRun reads and drives; it holds the session (busy) while it runs

    float[] evaluateForRun(int[] tokens, BooleanSupplier stop) {
        return evaluateInternal(tokens, stop);
    }

    float[] stepForRun(int token) {
        return step(token);
    }

    int[] history() {
        return history;
    }

    int vocabularySize() {
        return config.vocabularySize();
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The text of one token, as generated text shows it (possibly part of a character). */
    String tokenText(int id) {
        return new String(tokenizer.pieceBytes(id), StandardCharsets.UTF_8);
    }

    dev.inferj.grammar.TokenTrie tokenTrie() {
        return model.tokenTrie();
    }

    boolean isEndOfGeneration(int id) {
        return model.isEndOfGeneration(id);
    }

    /**
     * Makes room in a full session by llama.cpp's context shift: keeps the first {@code keep} tokens and
     * forgets the older half of the rest. Returns false when {@code keep} is -1 (off) or leaves nothing to forget.
     */
    boolean shiftContext(int keep) {
        int discard = keep < 0 ? 0 : (position - keep) / 2;
        if (discard <= 0) {
            return false;
        }
        forward.shiftCache(keep, discard, position);
        System.arraycopy(history, keep + discard, history, keep, position - keep - discard);
        position -= discard;
        return true;
    }

    long warmUpWaitNanos() {
        return forward.warmUpWaitNanos();
    }

    private float[] step(int token) {
        single[0] = token;
        return run(single, 0, 1, true);
    }

    private float[] run(int[] tokens, int from, int n, boolean wantLogits) {
        float[] logits = forward.forward(tokens, from, n, position, wantLogits);
        System.arraycopy(tokens, from, history, position, n);
        position += n;
        if (wantLogits) {
            NonFiniteCheck.requireFinite(logits, position - 1, weights);
        }
        return logits;
    }

    private Prompt promptTokens(String prompt) {
        // no token holds more than the longest piece's bytes, nor a char fewer than one byte: a text this long cannot fit
        long fewestTokens = prompt.length() / model.longestPieceBytes();
        if (fewestTokens > contextLength() - position) {
            throw new ContextFullException("the prompt (" + prompt.length() + " characters, at least " + fewestTokens
                    + " tokens)", fewestTokens, position, contextLength());
        }
        boolean addBos = position == 0 && tokenizer.vocabulary().addBos();
        return new Prompt(position, tokenizer.encode(prompt, addBos, false));
    }

    /**
     * The rendered conversation's tokens that the session does not hold yet; the session's position moves
     * back to the end of the part it holds (at least one token is left to run, to give logits).
     */
    private Prompt chatTokens(List<ChatMessage> messages, Tools tools) {
        int[] ids = model.encodeChat(messages, tools, true);
        if (ids.length == 0) {
            throw new InferjException("the chat template rendered the conversation as nothing, and the vocabulary adds no BOS:"
                    + " there is no token to run");
        }
        int kept = 0;
        while (kept < Math.min(position, ids.length) && history[kept] == ids[kept]) {
            kept++;
        }
        kept = Math.min(kept, ids.length - 1);
        return new Prompt(kept, Arrays.copyOfRange(ids, kept, ids.length));
    }

    /** Tokens to append at position {@code from} (the session forgets what it holds after it). */
    private record Prompt(int from, int[] tokens) {
    }

    /**
     * Starts a generation: the session is busy until it ends. The prompt is made once the session is
     * held (it reads what the session holds); nothing changes when the request is refused.
     */
    private GenerationRun start(Supplier<Prompt> makePrompt, GenerateOptions options, ToolPlan tools) {
        acquire();
        try {
            Prompt prompt = makePrompt.get();
            GenerationRun run = new GenerationRun(this, prompt.from(), prompt.tokens(), options, tools);
            position = prompt.from();
            running = run;
            return run;
        } catch (RuntimeException | Error e) {
            busy.set(false);
            throw e;
        }
    }

    private Generation runToEnd(GenerationRun run, TokenListener listener) {
        try {
            for (GenerationRun.Piece p = run.next(); p != null; p = run.next()) {
                if (listener != null) {
                    listener.onToken(p.token(), p.text());
                }
            }
            return run.result();
        } finally {
            run.abandon(); // when the listener or a step threw
        }
    }

    /** Called when {@code run} ends or is abandoned (its caller failed): the session is free again. */
    void runEnded(GenerationRun run) {
        if (running == run) {
            running = null;
            busy.set(false);
        }
    }

    /** Marks the session busy, or throws when another call holds it or the session is closed. */
    private void acquire() {
        ensureOpen();
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("the session is in use by another call: a Session runs one call at a time");
        }
        if (closed) { // close() may have looked at busy before it was set: it reads closed after setting it
            busy.set(false);
            ensureOpen();
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(model.isClosed() ? "the model of this session is closed" : "the session is closed");
        }
    }

    /**
     * Frees the KV cache. A generation running on the session is cancelled, and close waits for its
     * current step (or any other call in progress) to end; a stream left open fails on its next call.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancel();
        while (busy.get()) {
            GenerationRun run = running;
            if (run != null && !run.stepping()) {
                break; // a stream nobody iterates: it finds the session closed when it is next called
            }
            Thread.onSpinWait();
        }
        forward.close();
        model.sessionClosed(this);
    }
}
