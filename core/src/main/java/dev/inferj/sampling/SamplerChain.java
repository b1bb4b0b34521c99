package dev.inferj.sampling;

import dev.inferj.GenerateOptions;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * Picks the next token from logits through llama.cpp's default chain, in its order: logit bias,
 * repetition penalties, DRY, top-k, typical-p, top-p, min-p, XTC, temperature, then a draw
 * (see {@link GenerateOptions}). One chain serves one generation: it holds the random generator and
 * buffers sized once for the vocabulary.
 */
public final class SamplerChain {
    private final GenerateOptions options;
    private final int vocabularySize;
    private final int[] biasIds;
    private final float[] biasValues;
    private final RepetitionPenalties penalties;
    private final DryPenalty dry;
    /** Temperature 0, no XTC and no typical-p: no filter can remove the best token, so the chain is an argmax. */
    private final boolean greedy;
    private final SplittableRandom random;
    private final float[] work;
    private Candidates candidates;
    private long[] order;

    /**
     * @param tokenText the text of a token id, for DRY's sequence breakers
     * @throws IllegalArgumentException when {@code options.logitBias()} names a token outside the vocabulary
     */
    public SamplerChain(GenerateOptions options, int vocabularySize, IntFunction<String> tokenText) {
        this.options = options;
        this.vocabularySize = vocabularySize;
        Map<Integer, Float> bias = options.logitBias();
        biasIds = new int[bias.size()];
        biasValues = new float[bias.size()];
        int i = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            if (e.getKey() >= vocabularySize) {
                throw new IllegalArgumentException("logitBias names token " + e.getKey()
                        + ", outside the vocabulary [0, " + vocabularySize + ")");
            }
            biasIds[i] = e.getKey();
            biasValues[i++] = e.getValue();
        }
        penalties = RepetitionPenalties.off(options.repeatLastN(), options.repeatPenalty(), options.frequencyPenalty(),
                options.presencePenalty()) ? null : new RepetitionPenalties(options.repeatLastN(),
                options.repeatPenalty(), options.frequencyPenalty(), options.presencePenalty(), vocabularySize);
        dry = options.dry().enabled() ? new DryPenalty(options.dry(), vocabularySize, tokenText) : null;
        greedy = options.temperature() == 0f && !xtcOn() && options.typicalP() >= 1f;
        random = new SplittableRandom(options.seed());
        work = new float[vocabularySize];
    }

    /**
     * The next token.
     *
     * @param logits  one per vocabulary entry; not modified
     * @param history the session's tokens so far in {@code [0, length)}, for the penalties
     * @throws IllegalArgumentException when the logit bias bans every token
     */
    public int sample(float[] logits, int[] history, int length) {
        return sample(logits, history, length, null);
    }

    /**
     * Like {@link #sample(float[], int[], int)}, but the token must pass {@code allowed}: when the draw does
     * not, the chain draws again among the candidates left after its filters that pass it. Returns -1 when
     * none does (the caller can then mask the logits and draw again).
     */
    public int sample(float[] logits, int[] history, int length, IntPredicate allowed) {
        System.arraycopy(logits, 0, work, 0, vocabularySize);
        for (int i = 0; i < biasIds.length; i++) {
            work[biasIds[i]] += biasValues[i];
        }
        if (penalties != null) {
            penalties.apply(work, history, length);
        }
        if (dry != null) {
            dry.apply(work, history, length);
        }
        int best = argmax(work);
        if (work[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("logitBias bans every token of the vocabulary");
        }
        if (greedy && (allowed == null || allowed.test(best))) {
            return best;
        }
        return filterAndDraw(allowed);
    }

    private int filterAndDraw(IntPredicate allowed) {
        if (candidates == null) {
            candidates = new Candidates(vocabularySize);
        }
        Candidates c = candidates;
        c.setAll(work);
        if (options.topK() > 0) {
            c.keepBest(options.topK());
        }
        if (options.typicalP() < 1f) {
            keepTypical(c, options.typicalP());
        }
        if (options.topP() < 1f) {
            keepTopP(c, options.topP());
        }
        if (options.minP() > 0f) {
            c.keepAtLeast(c.logits[c.best()] + (float) Math.log(options.minP()));
        }
        if (xtcOn() && c.size >= 2 && random.nextDouble() < options.xtcProbability()) {
            excludeTopChoices(c, options.xtcThreshold());
        }
        if (options.temperature() == 0f) {
            int best = c.ids[c.best()];
            if (allowed == null || allowed.test(best)) {
                return best;
            }
            return c.keepPassing(allowed) ? c.ids[c.best()] : -1;
        }
        for (int i = 0; i < c.size; i++) {
            c.logits[i] /= options.temperature();
        }
        int token = draw(c);
        if (allowed == null || allowed.test(token)) {
            return token;
        }
        return c.keepPassing(allowed) ? draw(c) : -1;
    }

    /** A draw from the candidates' softmax. */
    private int draw(Candidates c) {
        c.softmax();
        double r = random.nextDouble();
        for (int i = 0; i < c.size - 1; i++) {
            r -= c.probabilities[i];
            if (r < 0) {
                return c.ids[i];
            }
        }
        return c.ids[c.size - 1];
    }

    private boolean xtcOn() {
        return options.xtcProbability() > 0f && options.xtcThreshold() <= 0.5f;
    }

    /** Keeps the most likely candidates whose probabilities add up to at least {@code p}. */
    static void keepTopP(Candidates c, float p) {
        c.sort();
        c.softmax();
        double cumulative = 0;
        for (int i = 0; i < c.size; i++) {
            cumulative += c.probabilities[i];
            if (cumulative >= p) {
                c.truncate(i + 1);
                return;
            }
        }
    }

    /**
     * Locally typical sampling: orders the candidates by how far their surprise ({@code -log p}) lies from
     * the entropy, and keeps the closest until their probabilities add up to more than {@code p}.
     */
    private void keepTypical(Candidates c, float p) {
        c.softmax();
        double entropy = 0;
        for (int i = 0; i < c.size; i++) {
            double q = c.probabilities[i];
            entropy -= q > 0 ? q * Math.log(q) : 0;
        }
        if (order == null) {
            order = new long[vocabularySize];
        }
        for (int i = 0; i < c.size; i++) {
            float distance = (float) Math.abs(-Math.log(c.probabilities[i]) - entropy); // >= 0: its bits order it
            order[i] = (long) Float.floatToIntBits(distance) << 32 | i;
        }
        Arrays.sort(order, 0, c.size);
        double cumulative = 0;
        int kept = c.size;
        for (int i = 0; i < c.size; i++) {
            cumulative += c.probabilities[(int) order[i]];
            if (cumulative > p) {
                kept = i + 1;
                break;
            }
        }
        c.keepInOrder(order, kept);
    }

    /** XTC: removes every candidate at or above the threshold but the least likely of them, when there are two or more. */
    static void excludeTopChoices(Candidates c, float threshold) {
        c.sort();
        c.softmax();
        int above = 0;
        while (above < c.size && c.probabilities[above] >= threshold) {
            above++;
        }
        if (above >= 2) {
            c.dropFirst(above - 1);
        }
    }

    /** The index of the largest value, the lowest on ties. */
    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
