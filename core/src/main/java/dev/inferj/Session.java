package dev.inferj;

import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WorkerPool;
import dev.inferj.model.TransformerForward;
import dev.inferj.model.TransformerWeights;
import dev.inferj.model.ModelConfig;
import dev.inferj.model.NonFiniteCheck;
import dev.inferj.sampling.Sampler;
import dev.inferj.tokenizer.StreamingDecoder;
import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.Vocabulary;
import java.util.Arrays;
import java.util.List;

/**
 * One conversation with a model: its KV cache and the tokens in it. Each {@link #generate} call
 * continues from what the session already holds, so a second call sees the first one's prompt and
 * output; {@link #chat} renders the whole conversation and reuses the longest prefix the session
 * already holds; {@link #reset()} starts over. A session runs one call at a time; close it to free
 * its cache.
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
    private boolean closed;

    Session(Model model, ModelConfig config, TransformerWeights weights, WorkerPool pool, int contextLength) {
        this.model = model;
        this.config = config;
        this.weights = weights;
        this.tokenizer = model.tokenizer();
        this.forward = new TransformerForward(config, weights, Kernels.get(), pool, contextLength);
        this.history = new int[contextLength];
    }

    /** Tokens the session holds so far. */
    public int position() {
        return position;
    }

    public int contextLength() {
        return forward.contextLength();
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
        position = 0;
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
        ensureOpen();
        int[] ids = tokenizer.encode(model.renderChat(messages, true), false, true);
        Vocabulary v = tokenizer.vocabulary();
        if (v.addBos() && v.bosId() >= 0 && (ids.length == 0 || ids[0] != v.bosId())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = v.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos; // templates usually write BOS themselves; add it only when they do not
        }
        int kept = 0;
        while (kept < Math.min(position, ids.length) && history[kept] == ids[kept]) {
            kept++;
        }
        kept = Math.min(kept, ids.length - 1); // at least one token must run to give logits
        position = kept;
        return generate(Arrays.copyOfRange(ids, kept, ids.length), options, listener);
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
     * {@code listener} (may be null) with each as it comes.
     */
    public Generation generate(String prompt, GenerateOptions options, TokenListener listener) {
        boolean addBos = position == 0 && tokenizer.vocabulary().addBos();
        return generate(tokenizer.encode(prompt, addBos, false), options, listener);
    }

    /** Like {@link #generate(String, GenerateOptions, TokenListener)} from token ids. */
    public Generation generate(int[] promptTokens, GenerateOptions options, TokenListener listener) {
        ensureOpen();
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        long start = System.nanoTime();
        long waitedBefore = forward.warmUpWaitNanos();
        float[] logits = evaluateInternal(promptTokens);
        long promptNanos = System.nanoTime() - start;
        long warmUpWait = forward.warmUpWaitNanos() - waitedBefore;

        Sampler sampler = Sampler.of(options.temperature(), options.topK(), options.topP(), options.seed(),
                config.vocabularySize());
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        StringBuilder text = new StringBuilder();
        int[] generated = new int[Math.min(options.maxTokens(), contextLength() - position + 1)];
        int count = 0;
        Generation.StopReason reason = Generation.StopReason.MAX_TOKENS;
        long genStart = System.nanoTime();
        while (count < options.maxTokens()) {
            int next = sampler.sample(logits);
            if (options.stopAtEndOfGeneration() && tokenizer.isEndOfGeneration(next)) {
                reason = Generation.StopReason.END_OF_GENERATION;
                break;
            }
            generated[count++] = next;
            String piece = decoder.accept(next);
            text.append(piece);
            if (listener != null) {
                listener.onToken(next, piece);
            }
            if (count == options.maxTokens()) {
                break;
            }
            if (position >= contextLength()) {
                reason = Generation.StopReason.CONTEXT_FULL;
                break;
            }
            logits = step(next);
        }
        String rest = decoder.flush();
        text.append(rest);
        if (!rest.isEmpty() && listener != null && count > 0) {
            listener.onToken(generated[count - 1], rest);
        }
        long genNanos = System.nanoTime() - genStart;
        return new Generation(text.toString(), promptTokens.clone(), Arrays.copyOf(generated, count), reason,
                new Timings(promptTokens.length, promptNanos, count, genNanos, warmUpWait));
    }

    /**
     * Appends {@code tokens} to the session and returns the logits that follow the last one
     * (a copy, one per vocabulary entry). Useful to score text or to drive decoding yourself.
     */
    public float[] evaluate(int... tokens) {
        ensureOpen();
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to evaluate");
        }
        return evaluateInternal(tokens).clone();
    }

    /**
     * Like {@link #evaluate(int...)}, but copies the logits into {@code logits} (at least one per
     * vocabulary entry) instead of a new array, and returns it: decoding one token at a time this
     * way allocates nothing.
     */
    public float[] evaluate(int[] tokens, float[] logits) {
        ensureOpen();
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens to evaluate");
        }
        if (logits.length < config.vocabularySize()) {
            throw new IllegalArgumentException("room for " + logits.length + " logits, the vocabulary has "
                    + config.vocabularySize());
        }
        System.arraycopy(evaluateInternal(tokens), 0, logits, 0, config.vocabularySize());
        return logits;
    }

    private float[] evaluateInternal(int[] tokens) {
        if (position + tokens.length > contextLength()) {
            throw new InferjException(tokens.length + " tokens do not fit in the session: " + position + " of "
                    + contextLength() + " positions are used");
        }
        for (int t : tokens) {
            if (t < 0 || t >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabularySize() + ")");
            }
        }
        float[] logits = null;
        for (int from = 0; from < tokens.length; from += TransformerForward.MAX_BATCH) {
            int n = Math.min(TransformerForward.MAX_BATCH, tokens.length - from);
            logits = run(tokens, from, n, from + n == tokens.length);
        }
        return logits;
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

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            forward.close();
        }
    }
}
