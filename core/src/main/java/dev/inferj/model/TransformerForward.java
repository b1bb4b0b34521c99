package dev.inferj.model;

import dev.inferj.KvCacheType;
import dev.inferj.kernels.ActivationFormat;
import dev.inferj.kernels.ExpertRouter;
import dev.inferj.kernels.KernelWarmUp;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import dev.inferj.kernels.Rope;
import dev.inferj.kernels.WeightMatrix;
import dev.inferj.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * One session's forward pass of a decoder-only transformer over a batch of up to
 * {@link #MAX_BATCH} consecutive tokens (one while decoding, many while reading a prompt, so
 * each weight row is read once per batch), with the buffers it needs allocated once.
 * Rounding follows ggml (see shared/README): activations are prepared per weight type, q and the
 * attention probabilities are rounded to F16 before their products with the F16 cache.
 */
public final class TransformerForward {
    /** Most tokens one call processes together. */
    public static final int MAX_BATCH = 32;
    /** llama.cpp's default batch size, which decides whether it sums in its batched order. */
    private static final int GGML_BATCH = 512;
    /** A prompt's queries meet each F16 key and value of the cache four at a time (the conversion was the cost). */
    private static final int QUERIES_A_PASS = 4;

    private final ModelConfig c;
    private final TransformerWeights w;
    private final Kernels k;
    private final WorkerPool pool;
    private final KvCache cache;
    private final Rope rope;
    /** The rope of local (sliding-window) layers, where their base differs (Gemma 3). */
    private final Rope localRope;

    private final float[][] x;
    private final float[][] xb;
    private final float[][] q;
    private final float[][] kv;
    private final float[][] attentionOut;
    private final float[][] gate;
    private final float[][] up;
    // mixture of experts only
    private final float[][] routerLogits;
    private final int[][] selected;
    private final float[][] routeWeights;
    /** How often the router chose each expert of each layer ({@link #expertChoices()}). */
    private final long[][] expertChoices;
    private final int[] tokenOf;
    private final int[] slotOf;
    private final PreparedVector[] expertInput;
    private final PreparedVector[] expertHidden;
    private final float[][] expertOut;
    private final float[][] slotOut;
    // Falcon only: the second norm's output (40B), the attention's output, and ones for GELU through geGlu
    private final float[][] parallelIn;
    private final float[][] parallelOut;
    private final float[] ones;
    private final float[][] logits;
    private final float[] scores;
    /** Scores of one head and token: the context rounded up to whole vectors. */
    private final int scoreStretch;
    /** The attention's partial sums over positions: per head, up to four vectors' lanes of rows of the head's width. */
    private final float[] partialSums;
    private final PreparedVector[] prepared;
    /** The queries in the cache's {@link KvCache#queryFormat()}. */
    private final PreparedVector[] query;
    private final Projection projection = new Projection();
    private final Attention attention = new Attention();
    private final float attentionScale;
    private final float queryScale;
    private final float embeddingScale;
    /** LoRA terms by the matrix they adapt (identity: one matrix object per product), in the order they are added. */
    private IdentityHashMap<WeightMatrix, List<Adaptation>> adaptations = new IdentityHashMap<>();
    private PreparedVector loraInput;
    private PreparedVector loraMiddle;
    private float[] loraDown;
    private float[] loraUp;
    /** Tokens in the current batch. */
    private int count;
    /** How long the passes so far waited for the kernel warm-up. */
    private long warmUpWaitNanos;
    /** Whether ggml would evaluate the current tokens as part of a batch (its order of sums differs for one token). */
    private boolean batched;

    public TransformerForward(ModelConfig config, TransformerWeights weights, Kernels kernels, WorkerPool pool, int contextLength,
            KvCacheType cacheType) {
        this.c = config;
        this.w = weights;
        this.k = kernels;
        this.pool = pool;
        this.cache = new KvCache(config, contextLength, cacheType);
        RopeScaling scaling = config.ropeScaling();
        float[] factors = weights.ropeFactors().forContext(contextLength, scaling.originalContext());
        this.rope = new Rope(config.ropeDimensions(), config.ropeFreqBase(), config.architecture().ropeNeox(), scaling.rope(factors));
        this.localRope = config.slidingWindow() == 0 ? rope
                : new Rope(config.ropeDimensions(), config.ropeFreqBaseLocal(), config.architecture().ropeNeox(), scaling.localRope());
        int embd = c.embeddingLength();
        int widest = Math.max(Math.max(embd, c.queryDim()), Math.max(c.feedForwardLength(), c.expertFeedForwardLength()));
        x = new float[MAX_BATCH][embd];
        xb = new float[MAX_BATCH][Math.max(embd, c.queryDim())];
        q = new float[MAX_BATCH][c.queryDim()];
        kv = new float[MAX_BATCH][2 * c.kvDim()];
        attentionOut = new float[MAX_BATCH][c.queryDim()];
        int ff = Math.max(c.feedForwardLength(), c.expertFeedForwardLength());
        gate = new float[MAX_BATCH][ff];
        up = new float[MAX_BATCH][ff];
        int experts = c.expertCount();
        int used = c.expertsUsed();
        int batch = experts > 0 ? MAX_BATCH : 0; // a token meets each expert at most once
        routerLogits = new float[batch][experts];
        selected = new int[batch][used];
        routeWeights = new float[batch][used];
        expertChoices = new long[c.blockCount()][experts];
        tokenOf = new int[batch];
        slotOf = new int[batch];
        expertInput = new PreparedVector[batch];
        expertHidden = new PreparedVector[batch];
        for (int j = 0; j < batch; j++) {
            expertInput[j] = new PreparedVector(embd);
            expertHidden[j] = new PreparedVector(ff);
        }
        expertOut = new float[batch][embd];
        slotOut = new float[batch * used][embd];
        int parallel = c.architecture().parallelBlock() ? MAX_BATCH : 0;
        parallelIn = new float[parallel][embd];
        parallelOut = new float[parallel][embd];
        ones = new float[parallel > 0 ? c.feedForwardLength() : 0];
        Arrays.fill(ones, 1f);
        logits = new float[1][c.vocabularySize()];
        int lanes = kernels.lanes();
        scoreStretch = (contextLength + lanes - 1) / lanes * lanes;
        scores = new float[c.headCount() * QUERIES_A_PASS * scoreStretch];
        partialSums = new float[c.headCount() * 4 * lanes * c.headDim()];
        prepared = new PreparedVector[MAX_BATCH];
        query = new PreparedVector[MAX_BATCH];
        for (int b = 0; b < MAX_BATCH; b++) {
            prepared[b] = new PreparedVector(widest);
            query[b] = new PreparedVector(c.queryDim());
        }
        // Gemma and Phi-3 scale the query before attention; the others scale the scores. Same value, other roundings.
        queryScale = c.architecture().scalesQuery() ? c.attentionScale() : 1f;
        attentionScale = c.architecture().scalesQuery() ? 1f : c.attentionScale();
        embeddingScale = c.architecture().scalesEmbedding() ? (float) Math.sqrt(c.embeddingLength()) : 1f;
    }

    public int contextLength() {
        return cache.contextLength();
    }

    /**
     * How often the router chose each expert, {@code [layer][expert]}, over every token evaluated
     * since construction or {@link #clearExpertChoices}; the live counts, not a copy (rows of length 0
     * for a dense model).
     */
    public long[][] expertChoices() {
        return expertChoices;
    }

    public void clearExpertChoices() {
        for (long[] row : expertChoices) {
            Arrays.fill(row, 0);
        }
    }

    /** How long the passes so far waited for the kernel warm-up, in nanoseconds (see {@link KernelWarmUp#await}). */
    public long warmUpWaitNanos() {
        return warmUpWaitNanos;
    }

    /**
     * Runs {@code tokens[from, from + n)} at positions {@code position, position + 1, ...}
     * ({@code tokens} being the whole evaluation, for the order of sums llama.cpp would take)
     * (earlier positions must already be in the cache; {@code n <= MAX_BATCH}) and returns the
     * logits after the last one when {@code wantLogits}, else {@code null}. The returned array
     * is reused by the next call.
     */
    public float[] forward(int[] tokens, int from, int n, int position, boolean wantLogits) {
        if (n < 1 || n > MAX_BATCH) {
            throw new IllegalArgumentException("batch of " + n + " tokens; 1 to " + MAX_BATCH + " allowed");
        }
        // until C2 has compiled the kernels, a pass would run them boxed and take the cores from the compilers
        warmUpWaitNanos += KernelWarmUp.await();
        count = n;
        // llama.cpp evaluates tokens (the whole evaluation) in batches of up to 512
        int ggmlBatchStart = from - from % GGML_BATCH;
        batched = Math.min(GGML_BATCH, tokens.length - ggmlBatchStart) > 1;
        int embd = c.embeddingLength();
        for (int b = 0; b < n; b++) {
            k.dequantizeRow(w.tokenEmbedding(), tokens[from + b], x[b], 0);
            if (embeddingScale != 1f) {
                k.scale(x[b], 0, embd, embeddingScale);
            }
        }
        for (int l = 0; l < c.blockCount(); l++) {
            TransformerWeights.Layer layer = w.layers()[l];
            if (c.architecture().parallelBlock()) {
                parallelBlock(l, layer, n, position);
                continue;
            }
            for (int b = 0; b < n; b++) {
                k.rmsNorm(x[b], 0, layer.attentionNorm(), xb[b], 0, embd, c.rmsEpsilon());
            }
            attend(l, layer, xb, n, position, xb);
            for (int b = 0; b < n; b++) {
                if (layer.postAttentionNorm() != null) {
                    k.rmsNorm(xb[b], 0, layer.postAttentionNorm(), xb[b], 0, embd, c.rmsEpsilon());
                }
                k.add(x[b], xb[b], embd);
                k.rmsNorm(x[b], 0, layer.ffnNorm(), xb[b], 0, embd, c.rmsEpsilon());
            }
            switch (layer.ffn()) {
                case TransformerWeights.Dense d -> {
                    project(xb, embd, d.gate(), gate, 0, false);
                    project(xb, embd, d.up(), up, 0, true);
                    for (int b = 0; b < n; b++) {
                        activate(gate[b], up[b], c.feedForwardLength());
                    }
                    project(gate, c.feedForwardLength(), d.down(), xb, 0, false);
                }
                case TransformerWeights.Experts e -> mixtureOfExperts(l, e);
            }
            for (int b = 0; b < n; b++) {
                if (layer.postFfnNorm() != null) {
                    k.rmsNorm(xb[b], 0, layer.postFfnNorm(), xb[b], 0, embd, c.rmsEpsilon());
                }
                k.add(x[b], xb[b], embd);
            }
        }
        if (!wantLogits) {
            return null;
        }
        // Only the last token's logits are wanted: normalize it into row 0 and project that row alone.
        if (c.architecture().parallelBlock()) {
            layerNorm(x[n - 1], w.outputNorm(), w.outputNormBias(), xb[0]);
        } else {
            k.rmsNorm(x[n - 1], 0, w.outputNorm(), xb[0], 0, embd, c.rmsEpsilon());
        }
        count = 1;
        project(xb, embd, w.output(), logits, 0, false);
        if (c.finalSoftcap() > 0f) {
            softcap(logits[0], 0, c.vocabularySize(), c.finalSoftcap());
        }
        return logits[0];
    }

    /**
     * Attention of the batch at {@code position} in layer {@code l}: queries, keys and values from {@code in}, keys and
     * values into the cache, the output projection into {@code out}.
     */
    private void attend(int l, TransformerWeights.Layer layer, float[][] in, int n, int position, float[][] out) {
        int embd = c.embeddingLength();
        project(in, embd, layer.wq(), q, 0, false);
        project(in, embd, layer.wk(), kv, 0, true);
        project(in, embd, layer.wv(), kv, c.kvDim(), true);
        for (int b = 0; b < n; b++) {
            addBias(q[b], 0, layer.qBias());
            addBias(kv[b], 0, layer.kBias());
            addBias(kv[b], c.kvDim(), layer.vBias());
            normalizeHeads(q[b], c.headCount(), layer.qNorm());
            normalizeHeads(kv[b], c.headCountKv(), layer.kNorm());
            Rope r = c.isLocalLayer(l) ? localRope : rope;
            r.setPosition(position + b);
            r.rotate(q[b], 0, c.headCount(), c.headDim());
            if (queryScale != 1f) {
                k.scale(q[b], 0, c.queryDim(), queryScale);
            }
            r.rotate(kv[b], 0, c.headCountKv(), c.headDim());
            cache.store(k, l, position + b, false, kv[b], 0);
            cache.store(k, l, position + b, true, kv[b], c.kvDim());
            k.prepare(q[b], 0, c.queryDim(), cache.queryFormat(), query[b]);
        }
        attention.start(l, position);
        project(attentionOut, c.queryDim(), layer.wo(), out, 0, false);
    }

    /**
     * A Falcon block: attention and the plain GELU feed-forward both read the LayerNorm of the residual (the
     * attention a second norm's in the 40B layout), and the residual gains their sum, {@code (ffn + attn) + x}
     * as ggml adds them.
     */
    private void parallelBlock(int l, TransformerWeights.Layer layer, int n, int position) {
        int embd = c.embeddingLength();
        int ff = c.feedForwardLength();
        for (int b = 0; b < n; b++) {
            layerNorm(x[b], layer.attentionNorm(), layer.attentionNormBias(), xb[b]);
        }
        float[][] attentionIn = xb;
        if (layer.attentionNorm2() != null) {
            for (int b = 0; b < n; b++) {
                layerNorm(x[b], layer.attentionNorm2(), layer.attentionNorm2Bias(), parallelIn[b]);
            }
            attentionIn = parallelIn;
        }
        attend(l, layer, attentionIn, n, position, parallelOut);
        TransformerWeights.Dense d = (TransformerWeights.Dense) layer.ffn();
        project(xb, embd, d.up(), up, 0, false);
        for (int b = 0; b < n; b++) {
            k.geGlu(up[b], ones, ff); // times ones: GELU alone, through ggml's half-precision table as geGlu
        }
        project(up, ff, d.down(), xb, 0, false);
        for (int b = 0; b < n; b++) {
            k.add(xb[b], parallelOut[b], embd);
            k.add(x[b], xb[b], embd);
        }
    }

    /**
     * ggml's norm (mean and variance summed in double, {@code 1 / sqrtf(variance + eps)}), times the weight, plus
     * the bias: Falcon's LayerNorm of {@code v} into {@code out}.
     */
    private void layerNorm(float[] v, float[] weight, float[] bias, float[] out) {
        int n = c.embeddingLength();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += v[i];
        }
        float mean = (float) sum / n;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            float d = v[i] - mean;
            out[i] = d;
            squares += d * d;
        }
        float scale = 1.0f / (float) Math.sqrt((float) (squares / n) + c.rmsEpsilon());
        for (int i = 0; i < n; i++) {
            out[i] = out[i] * scale * weight[i] + bias[i];
        }
    }

    /** {@code v = cap * tanh(v / cap)}, in the order of ggml's scale, tanh, scale. */
    private static void softcap(float[] v, int offset, int n, float cap) {
        float inverse = 1f / cap;
        for (int i = offset; i < offset + n; i++) {
            v[i] = (float) Math.tanh(v[i] * inverse) * cap;
        }
    }

    private void activate(float[] gateRow, float[] upRow, int n) {
        switch (c.architecture().activation()) {
            case SILU -> k.swiGlu(gateRow, upRow, n);
            case GELU -> k.geGlu(gateRow, upRow, n);
        }
    }

    private void addBias(float[] v, int offset, float[] bias) {
        if (bias != null) {
            for (int i = 0; i < bias.length; i++) {
                v[offset + i] += bias[i];
            }
        }
    }

    /** RMS-normalizes each head of {@code v} on its own (Qwen 3's query and key norms). */
    private void normalizeHeads(float[] v, int heads, float[] norm) {
        if (norm != null) {
            for (int h = 0; h < heads; h++) {
                k.rmsNorm(v, h * c.headDim(), norm, v, h * c.headDim(), c.headDim(), c.rmsEpsilon());
            }
        }
    }

    /**
     * The experts' feed-forward for the batch, from {@code xb} into {@code xb}. Tokens are grouped
     * by expert, so each chosen expert's weights are read once per batch; each token's expert
     * outputs are then summed in slot order with the router's weights, as ggml sums them.
     */
    private void mixtureOfExperts(int layer, TransformerWeights.Experts experts) {
        int embd = c.embeddingLength();
        int ff = c.expertFeedForwardLength();
        int used = c.expertsUsed();
        project(xb, embd, experts.router(), routerLogits, 0, false);
        for (int b = 0; b < count; b++) {
            ExpertRouter.route(k, routerLogits[b], experts.count(), used, selected[b], routeWeights[b]);
            for (int slot = 0; slot < used; slot++) {
                expertChoices[layer][selected[b][slot]]++;
            }
        }
        for (int e = 0; e < experts.count(); e++) {
            int m = 0;
            for (int b = 0; b < count; b++) {
                for (int slot = 0; slot < used; slot++) {
                    if (selected[b][slot] == e) {
                        tokenOf[m] = b;
                        slotOf[m] = slot;
                        m++;
                    }
                }
            }
            if (m == 0) {
                continue;
            }
            ActivationFormat format = ActivationFormat.of(experts.gate()[e].type());
            for (int j = 0; j < m; j++) {
                k.prepare(xb[tokenOf[j]], 0, embd, format, expertInput[j]);
            }
            projection.run(experts.gate()[e], expertInput, m, gate, 0);
            projection.run(experts.up()[e], expertInput, m, up, 0);
            ActivationFormat hiddenFormat = ActivationFormat.of(experts.down()[e].type());
            for (int j = 0; j < m; j++) {
                activate(gate[j], up[j], ff);
                k.prepare(gate[j], 0, ff, hiddenFormat, expertHidden[j]);
            }
            projection.run(experts.down()[e], expertHidden, m, expertOut, 0);
            for (int j = 0; j < m; j++) {
                System.arraycopy(expertOut[j], 0, slotOut[tokenOf[j] * used + slotOf[j]], 0, embd);
            }
        }
        for (int b = 0; b < count; b++) {
            for (int i = 0; i < embd; i++) {
                float sum = slotOut[b * used][i] * routeWeights[b][0];
                for (int slot = 1; slot < used; slot++) {
                    sum += slotOut[b * used + slot][i] * routeWeights[b][slot];
                }
                xb[b][i] = sum;
            }
        }
    }

    /**
     * {@code out[b][offset..] = W · in[b]} for the batch, preparing {@code in} the way W's type
     * wants it, unless {@code sameInput} says the previous projection read the same, unchanged
     * input in the same format.
     */
    private void project(float[][] in, int n, WeightMatrix weights, float[][] out, int offset, boolean sameInput) {
        ActivationFormat format = ActivationFormat.of(weights.type());
        if (!sameInput || prepared[0].format() != format) {
            for (int b = 0; b < count; b++) {
                k.prepare(in[b], 0, n, format, prepared[b]);
            }
        }
        projection.run(weights, prepared, count, out, offset);
        List<Adaptation> terms = adaptations.get(weights);
        if (terms != null) {
            for (Adaptation t : terms) {
                adapt(t, in, n, out, offset);
            }
        }
    }

    /**
     * A LoRA term of a weight matrix: {@code y += scale · B·(A·x)}. {@code bColumns} holds B's columns, each of
     * {@code b.rows()} floats, one after another, so that {@code B·t} is a sum of columns (long vector loops) rather
     * than a short dot product per output row.
     */
    public record Adaptation(WeightMatrix base, WeightMatrix a, WeightMatrix b, MemorySegment bColumns, float scale) {
    }

    /**
     * Adds {@code scale · B·(A·x)} to each token's output, the product scaled then added as ggml does; {@code A·x}
     * rounded as B's type takes its activations (to F16 for an F16 adapter, as llama.cpp).
     */
    private void adapt(Adaptation t, float[][] in, int n, float[][] out, int offset) {
        int rank = t.a().rows();
        int rows = t.b().rows();
        for (int b = 0; b < count; b++) {
            k.prepare(in[b], 0, n, ActivationFormat.of(t.a().type()), loraInput);
            k.matVec(t.a(), loraInput, loraDown, 0, 0, rank);
            k.prepare(loraDown, 0, rank, ActivationFormat.of(t.b().type()), loraMiddle);
            Arrays.fill(loraUp, 0, rows, 0f);
            boolean quantized = loraMiddle.format() == ActivationFormat.Q8_0;
            for (int j = 0; j < rank; j++) {
                float v = quantized ? loraMiddle.quants()[j] * loraMiddle.scales()[j / PreparedVector.Q8_BLOCK] : loraMiddle.values()[j];
                k.axpyF32(v, t.bColumns(), 4L * j * rows, loraUp, 0, rows);
            }
            for (int i = 0; i < rows; i++) {
                out[b][offset + i] += loraUp[i] * t.scale();
            }
        }
    }

    /** Applies these LoRA terms from the next pass on (none: the base model). */
    public void setAdaptations(List<Adaptation> terms) {
        IdentityHashMap<WeightMatrix, List<Adaptation>> byMatrix = new IdentityHashMap<>();
        int widest = 1;
        int rank = 1;
        for (Adaptation t : terms) {
            byMatrix.computeIfAbsent(t.base(), m -> new ArrayList<>()).add(t);
            widest = Math.max(widest, Math.max(t.a().cols(), t.b().rows()));
            rank = Math.max(rank, t.a().rows());
        }
        loraInput = new PreparedVector(widest);
        loraMiddle = new PreparedVector(rank);
        loraDown = new float[rank];
        loraUp = new float[widest];
        adaptations = byMatrix;
    }

    /** Row-parallel product of a weight matrix with prepared inputs; one reusable task so decoding allocates nothing. */
    private final class Projection implements WorkerPool.RangeTask {
        private WeightMatrix weights;
        private PreparedVector[] inputs;
        private int n;
        private float[][] out;
        private int offset;

        void run(WeightMatrix weights, PreparedVector[] inputs, int n, float[][] out, int offset) {
            this.weights = weights;
            this.inputs = inputs;
            this.n = n;
            this.out = out;
            this.offset = offset;
            pool.forRange(weights.rows() / weights.rowGranularity(), this); // tiles are not split between threads
        }

        @Override
        public void run(int fromUnit, int toUnit) {
            int from = fromUnit * weights.rowGranularity();
            int to = toUnit * weights.rowGranularity();
            if (n == 1) {
                k.matVec(weights, inputs[0], out[0], offset, from, to);
            } else {
                k.matMul(weights, inputs, n, out, offset, from, to);
            }
        }
    }

    /**
     * Causal attention of every query head of every token in the batch over the cache,
     * parallel over heads. Token {@code b} at position {@code p} sees positions up to {@code p},
     * and no further back than the sliding window when the model has one.
     */
    private final class Attention implements WorkerPool.RangeTask {
        private int layer;
        private int position;

        void start(int layer, int position) {
            this.layer = layer;
            this.position = position;
            pool.forRange(c.headCount(), this);
        }

        /**
         * Scores and softmax over whole vectors from a multiple of the lane count, the positions outside the window
         * at minus infinity, and the weighted sum of the values in partial sums by position modulo the rows of
         * ggml's accumulators: its sums run over the whole cache, so this is the order in which they meet the
         * positions (one vector for a batch, four for a single token).
         */
        @Override
        public void run(int fromHead, int toHead) {
            int group = c.headCount() / c.headCountKv();
            int s = fromHead * QUERIES_A_PASS * scoreStretch; // this share's own stretches of the scores buffer
            int p = fromHead * 4 * k.lanes() * c.headDim(); // and of the partial sums
            boolean fourAPass = batched && cache.type() == KvCacheType.F16;
            Four four = fourAPass ? new Four() : null;
            for (int h = fromHead; h < toHead; h++) {
                int kvHead = h / group;
                int b = 0;
                for (; fourAPass && b + QUERIES_A_PASS <= count; b += QUERIES_A_PASS) {
                    attendFour(h, kvHead, b, s, p, four);
                }
                for (; b < count; b++) {
                    attendOne(h, kvHead, b, s, p);
                }
            }
        }

        private int last(int b) {
            return position + b;
        }

        private int first(int b) {
            return c.isLocalLayer(layer) ? Math.max(0, last(b) - c.slidingWindow() + 1) : 0;
        }

        /** Where token {@code b}'s scores start: its first position rounded down to whole vectors. */
        private int start(int b) {
            return first(b) - first(b) % k.lanes();
        }

        /** Masks token {@code b}'s stretch of scores at {@code s}, then returns its end (past whole vectors). */
        private int maskScores(int b, int s) {
            int lanes = k.lanes();
            int end = Math.min(scoreStretch, (last(b) + lanes) / lanes * lanes);
            Arrays.fill(scores, s, s + end - start(b), Float.NEGATIVE_INFINITY);
            return end;
        }

        private void softmax(int b, int s, int end) {
            if (c.attentionSoftcap() > 0f) {
                softcap(scores, s + first(b) - start(b), last(b) - first(b) + 1, c.attentionSoftcap());
            }
            k.softmax(scores, s, end - start(b));
        }

        private void attendOne(int h, int kvHead, int b, int s, int p) {
            int hd = c.headDim();
            int rows = batched ? k.lanes() : 4 * k.lanes();
            int start = start(b);
            int end = maskScores(b, s);
            for (int t = first(b); t <= last(b); t++) {
                scores[s + t - start] = cache.keyDot(k, layer, t, kvHead, query[b], h * hd, batched) * attentionScale;
            }
            softmax(b, s, end);
            Arrays.fill(partialSums, p, p + rows * hd, 0f);
            for (int t = first(b); t <= last(b); t++) {
                cache.addValue(k, scores[s + t - start], layer, t, kvHead, partialSums, p + t % rows * hd);
            }
            k.sumRows(partialSums, p, rows, hd, attentionOut[b], h * hd);
        }

        /**
         * Tokens {@code b .. b + 3} of a batch over an F16 cache, each key and value converted once for the four of
         * them: every token's sums in the order {@link #attendOne} gives them, so the same bits. A position outside a
         * token's window adds nothing to its sums (its probability is zero).
         */
        private void attendFour(int h, int kvHead, int b, int s, int p, Four four) {
            int hd = c.headDim();
            int rows = k.lanes();
            int[] firsts = four.first;
            int[] lasts = four.last;
            int[] at = four.at;
            int[] ends = four.end;
            float[] dots = four.dots;
            for (int g = 0; g < QUERIES_A_PASS; g++) {
                firsts[g] = first(b + g);
                lasts[g] = last(b + g);
                at[g] = s + g * scoreStretch - start(b + g);
                ends[g] = maskScores(b + g, s + g * scoreStretch);
            }
            int from = firsts[0];
            int to = lasts[QUERIES_A_PASS - 1];
            for (int t = from; t <= to; t++) {
                cache.keyDots4(k, layer, t, kvHead, query[b].values(), query[b + 1].values(), query[b + 2].values(),
                        query[b + 3].values(), h * hd, dots);
                for (int g = 0; g < QUERIES_A_PASS; g++) {
                    if (t >= firsts[g] && t <= lasts[g]) {
                        scores[at[g] + t] = dots[g] * attentionScale;
                    }
                }
            }
            for (int g = 0; g < QUERIES_A_PASS; g++) {
                softmax(b + g, s + g * scoreStretch, ends[g]);
            }
            int region = rows * hd;
            Arrays.fill(partialSums, p, p + QUERIES_A_PASS * region, 0f);
            for (int t = from; t <= to; t++) {
                for (int g = 0; g < QUERIES_A_PASS; g++) {
                    dots[g] = t >= firsts[g] && t <= lasts[g] ? scores[at[g] + t] : 0f;
                }
                int row = t % rows * hd;
                cache.addValues4(k, dots, layer, t, kvHead, partialSums, p + row, p + region + row, p + 2 * region + row,
                        p + 3 * region + row);
            }
            for (int g = 0; g < QUERIES_A_PASS; g++) {
                k.sumRows(partialSums, p + g * region, rows, hd, attentionOut[b + g], h * hd);
            }
        }

        /** One share's window of four tokens: their first and last positions, where their scores lie, their ends, dots. */
        private static final class Four {
            final int[] first = new int[QUERIES_A_PASS];
            final int[] last = new int[QUERIES_A_PASS];
            /** Where each token's score of position 0 would be. */
            final int[] at = new int[QUERIES_A_PASS];
            final int[] end = new int[QUERIES_A_PASS];
            final float[] dots = new float[QUERIES_A_PASS];
        }
    }

    /**
     * llama.cpp's context shift: forgets the {@code discard} positions after the first {@code keep} of
     * the {@code position} the cache holds, moving the later ones down and turning their keys back by
     * {@code discard} positions, as if they had been computed there.
     */
    public void shiftCache(int keep, int discard, int position) {
        int moved = position - keep - discard;
        cache.move(keep + discard, keep, moved);
        float[] row = new float[c.kvDim()];
        for (int l = 0; l < c.blockCount(); l++) {
            Rope back = (c.isLocalLayer(l) ? localRope : rope).rotationOnly();
            back.setPosition(-discard);
            for (int p = keep; p < keep + moved; p++) {
                cache.load(l, p, false, row);
                back.rotate(row, 0, c.headCountKv(), c.headDim());
                cache.store(k, l, p, false, row, 0);
            }
        }
    }

    /** The KV cache, for saving and restoring a session. */
    public KvCache cache() {
        return cache;
    }

    /** Frees the cache. */
    public void close() {
        cache.close();
    }
}
