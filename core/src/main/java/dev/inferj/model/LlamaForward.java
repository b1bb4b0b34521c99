package dev.inferj.model;

import dev.inferj.kernels.ActivationFormat;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import dev.inferj.kernels.Rope;
import dev.inferj.kernels.WeightMatrix;
import dev.inferj.kernels.WorkerPool;
import java.util.Arrays;

/**
 * One session's forward pass of a Llama-family transformer, a token at a time, with the
 * buffers it needs allocated once. Rounding follows ggml (see shared/README): activations are
 * prepared per weight type, q and the attention probabilities are rounded to F16 before their
 * products with the F16 cache.
 */
public final class LlamaForward {
    private final ModelConfig c;
    private final LlamaWeights w;
    private final Kernels k;
    private final WorkerPool pool;
    private final KvCache cache;
    private final Rope rope;

    private final float[] x;
    private final float[] xb;
    private final float[] q;
    private final float[] kv;
    private final float[] attentionOut;
    private final float[] scores;
    private final float[] gate;
    private final float[] up;
    private final float[] logits;
    private final PreparedVector prepared;
    private final PreparedVector queryF16;
    private final MatVec matVec = new MatVec();
    private final Attention attention = new Attention();
    private final float attentionScale;

    public LlamaForward(ModelConfig config, LlamaWeights weights, Kernels kernels, WorkerPool pool, int contextLength) {
        this.c = config;
        this.w = weights;
        this.k = kernels;
        this.pool = pool;
        this.cache = new KvCache(config, contextLength);
        this.rope = new Rope(config.ropeDimensions(), config.ropeFreqBase(), config.ropeNeox());
        int widest = Math.max(Math.max(c.embeddingLength(), c.queryDim()), c.feedForwardLength());
        x = new float[c.embeddingLength()];
        xb = new float[Math.max(c.embeddingLength(), c.queryDim())];
        q = new float[c.queryDim()];
        kv = new float[2 * c.kvDim()];
        attentionOut = new float[c.queryDim()];
        scores = new float[c.headCount() * contextLength];
        gate = new float[c.feedForwardLength()];
        up = new float[c.feedForwardLength()];
        logits = new float[c.vocabularySize()];
        prepared = new PreparedVector(widest);
        queryF16 = new PreparedVector(c.queryDim());
        attentionScale = (float) (1.0 / Math.sqrt(c.headDim()));
    }

    public int contextLength() {
        return cache.contextLength();
    }

    /**
     * Runs {@code token} at {@code position} (0-based; earlier positions must already be in the
     * cache) and returns the logits when {@code wantLogits}, else {@code null}. The returned array
     * is reused by the next call.
     */
    public float[] forward(int token, int position, boolean wantLogits) {
        int embd = c.embeddingLength();
        k.dequantizeRow(w.tokenEmbedding(), token, x, 0);
        rope.setPosition(position);
        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer layer = w.layers()[l];
            k.rmsNorm(x, 0, layer.attentionNorm(), xb, 0, embd, c.rmsEpsilon());
            project(xb, embd, layer.wq(), q, 0, false);
            project(xb, embd, layer.wk(), kv, 0, true);
            project(xb, embd, layer.wv(), kv, c.kvDim(), true);
            rope.rotate(q, 0, c.headCount(), c.headDim());
            rope.rotate(kv, 0, c.headCountKv(), c.headDim());
            k.storeF16(kv, 0, cache.memory(), cache.keyOffset(l, position, 0, c.headDim()), c.kvDim());
            k.storeF16(kv, c.kvDim(), cache.memory(), cache.valueOffset(l, position, 0, c.headDim()), c.kvDim());

            attend(l, position);
            project(attentionOut, c.queryDim(), layer.wo(), xb, 0, false);
            k.add(x, xb, embd);

            k.rmsNorm(x, 0, layer.ffnNorm(), xb, 0, embd, c.rmsEpsilon());
            project(xb, embd, layer.gate(), gate, 0, false);
            project(xb, embd, layer.up(), up, 0, true);
            k.swiGlu(gate, up, c.feedForwardLength());
            project(gate, c.feedForwardLength(), layer.down(), xb, 0, false);
            k.add(x, xb, embd);
        }
        if (!wantLogits) {
            return null;
        }
        k.rmsNorm(x, 0, w.outputNorm(), xb, 0, embd, c.rmsEpsilon());
        project(xb, embd, w.output(), logits, 0, false);
        return logits;
    }

    /**
     * {@code out[offset..] = W · in}, preparing {@code in} the way W's type wants it, unless
     * {@code sameInput} says the previous projection read the same, unchanged input in the same format.
     */
    private void project(float[] in, int n, WeightMatrix weights, float[] out, int offset, boolean sameInput) {
        ActivationFormat format = weights.type().activationFormat();
        if (!sameInput || prepared.format() != format) {
            k.prepare(in, 0, n, format, prepared);
        }
        matVec.run(weights, out, offset);
    }

    private void attend(int layer, int position) {
        k.prepare(q, 0, c.queryDim(), ActivationFormat.F16, queryF16);
        int first = c.slidingWindow() > 0 ? Math.max(0, position - c.slidingWindow() + 1) : 0;
        attention.run(layer, first, position);
    }

    /** Row-parallel matrix-vector product; one reusable task so the decode loop allocates nothing. */
    private final class MatVec implements WorkerPool.RangeTask {
        private WeightMatrix weights;
        private float[] out;
        private int offset;

        void run(WeightMatrix weights, float[] out, int offset) {
            this.weights = weights;
            this.out = out;
            this.offset = offset;
            pool.forRange(weights.rows(), this);
        }

        @Override
        public void run(int from, int to) {
            k.matVec(weights, prepared, out, offset, from, to);
        }
    }

    /** Attention of every query head over cache positions {@code [first, last]}, parallel over heads. */
    private final class Attention implements WorkerPool.RangeTask {
        private int layer;
        private int first;
        private int last;

        void run(int layer, int first, int last) {
            this.layer = layer;
            this.first = first;
            this.last = last;
            pool.forRange(c.headCount(), this);
        }

        @Override
        public void run(int fromHead, int toHead) {
            int hd = c.headDim();
            int group = c.headCount() / c.headCountKv();
            int ctx = cache.contextLength();
            int n = last - first + 1;
            float[] qf = queryF16.values();
            for (int h = fromHead; h < toHead; h++) {
                int kvHead = h / group;
                int s = h * ctx;
                for (int t = first; t <= last; t++) {
                    scores[s + t - first] = k.dotF16(cache.memory(), cache.keyOffset(layer, t, kvHead, hd), qf, h * hd, hd)
                            * attentionScale;
                }
                k.softmax(scores, s, n);
                Arrays.fill(attentionOut, h * hd, (h + 1) * hd, 0f);
                for (int t = first; t <= last; t++) {
                    // ggml rounds the probabilities to F16 before the product with the F16 values
                    float p = Float.float16ToFloat(Float.floatToFloat16(scores[s + t - first]));
                    k.axpyF16(p, cache.memory(), cache.valueOffset(layer, t, kvHead, hd), attentionOut, h * hd, hd);
                }
            }
        }
    }

    /** Frees the cache. */
    public void close() {
        cache.close();
    }
}
