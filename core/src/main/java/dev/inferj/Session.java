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
import java.util.Arrays;

/**
 * One conversation with a model: its KV cache and position. Each call continues from what the
 * session already holds, so a second {@link #generate} call sees the first one's prompt and
 * output; {@link #reset()} starts over. A session runs one call at a time; close it to free
 * its cache.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelConfig config;
    private final TransformerWeights weights;
    private final TransformerForward forward;
    private final Tokenizer tokenizer;
    private final int[] single = new int[1];
    private int position;
    private boolean closed;

    Session(Model model, ModelConfig config, TransformerWeights weights, WorkerPool pool, int contextLength) {
        this.model = model;
        this.config = config;
        this.weights = weights;
        this.tokenizer = model.tokenizer();
        this.forward = new TransformerForward(config, weights, Kernels.get(), pool, contextLength);
    }

    /** Tokens the session holds so far. */
    public int position() {
        return position;
    }

    public int contextLength() {
        return forward.contextLength();
    }

    /** Forgets everything: the next call starts at position 0. */
    public void reset() {
        position = 0;
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
        if (promptTokens.length == 0 && position == 0) {
            throw new IllegalArgumentException("nothing to continue from: the prompt is empty and so is the session");
        }
        long start = System.nanoTime();
        float[] logits = evaluateInternal(promptTokens);
        long promptNanos = System.nanoTime() - start;

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
                new Timings(promptTokens.length, promptNanos, count, genNanos));
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
