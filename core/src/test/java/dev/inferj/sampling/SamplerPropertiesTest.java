package dev.inferj.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GenerateOptions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

/** Each sampler of the chain on random logits, against what it promises. */
class SamplerPropertiesTest {

    private static float[] randomLogits(long seed, int n) {
        Random r = new Random(seed);
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            // some exact ties, as real logits have
            logits[i] = r.nextInt(5) == 0 ? (float) r.nextInt(3) : (float) (r.nextGaussian() * 4);
        }
        return logits;
    }

    /** Candidate ids best first: higher logit, then lower id. */
    private static Integer[] ranked(float[] logits) {
        Integer[] ids = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        return ids;
    }

    private static Candidates candidates(float[] logits) {
        Candidates c = new Candidates(logits.length);
        c.setAll(logits);
        return c;
    }

    @Property(tries = 200)
    void topKKeepsExactlyTheKBest(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                  @ForAll @IntRange(min = 0, max = 320) int k) {
        float[] logits = randomLogits(seed, n);
        Candidates c = candidates(logits);
        c.keepBest(k);
        int expected = k == 0 ? n : Math.min(k, n);
        assertEquals(expected, c.size);
        Integer[] ranked = ranked(logits);
        for (int i = 0; i < expected; i++) {
            assertEquals(ranked[i], c.ids[i], "rank " + i);
            assertEquals(logits[ranked[i]], c.logits[i]);
        }
    }

    @Property(tries = 200)
    void topPKeepsTheSmallestPrefixReachingP(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                             @ForAll @FloatRange(min = 0.01f, max = 0.99f) float p) {
        float[] logits = randomLogits(seed, n);
        double[] probs = softmax(logits);
        Candidates c = candidates(logits);
        SamplerChain.keepTopP(c, p);
        double kept = 0;
        for (int i = 0; i < c.size; i++) {
            kept += probs[c.ids[i]];
        }
        double withoutLast = kept - probs[c.ids[c.size - 1]];
        assertTrue(kept >= p - 1e-9, "kept mass " + kept + " < " + p);
        assertTrue(withoutLast < p + 1e-9, "one fewer token would do: " + withoutLast);
        assertEquals(Arrays.asList(ranked(logits)).subList(0, c.size), Arrays.stream(c.ids, 0, c.size).boxed().toList());
    }

    @Property(tries = 200)
    void minPKeepsTokensAtLeastPTimesTheBest(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                             @ForAll @FloatRange(min = 0.01f, max = 1f) float p) {
        float[] logits = randomLogits(seed, n);
        double[] probs = softmax(logits);
        double best = Arrays.stream(probs).max().orElseThrow();
        Candidates c = candidates(logits);
        c.keepAtLeast(c.logits[c.best()] + (float) Math.log(p));
        Set<Integer> kept = new HashSet<>();
        for (int i = 0; i < c.size; i++) {
            kept.add(c.ids[i]);
        }
        for (int id = 0; id < n; id++) {
            double ratio = probs[id] / best;
            if (Math.abs(ratio - p) > 1e-4) { // away from the threshold's float rounding
                assertEquals(ratio >= p, kept.contains(id), "token " + id + " at " + ratio + " of the best, p " + p);
            }
        }
    }

    @Property(tries = 200)
    void penaltiesTouchOnlyTokensInTheWindow(@ForAll long seed, @ForAll @IntRange(min = 2, max = 200) int n,
                                             @ForAll @IntRange(min = -1, max = 40) int lastN,
                                             @ForAll @FloatRange(min = 0.5f, max = 2f) float repeat,
                                             @ForAll @FloatRange(min = -1f, max = 1f) float frequency,
                                             @ForAll @FloatRange(min = -1f, max = 1f) float presence) {
        Random r = new Random(seed);
        float[] logits = randomLogits(seed, n);
        int[] history = r.ints(r.nextInt(60), 0, n).toArray();
        float[] penalized = logits.clone();
        new RepetitionPenalties(lastN, repeat, frequency, presence, n).apply(penalized, history, history.length);
        Map<Integer, Integer> counts = new HashMap<>();
        int from = lastN < 0 ? 0 : Math.max(0, history.length - lastN);
        for (int i = from; i < history.length; i++) {
            counts.merge(history[i], 1, Integer::sum);
        }
        for (int id = 0; id < n; id++) {
            Integer c = counts.get(id);
            float expected = logits[id];
            if (c != null) {
                expected = (expected <= 0 ? expected * repeat : expected / repeat) - (c * frequency + presence);
            }
            assertEquals(expected, penalized[id], "token " + id + " seen " + c + " times");
        }
    }

    @Property(tries = 300)
    void dryPenalizesWhatAPlainSearchFinds(@ForAll long seed, @ForAll @IntRange(min = 1, max = 120) int length,
                                          @ForAll @IntRange(min = 2, max = 6) int alphabet,
                                          @ForAll @IntRange(min = 1, max = 4) int allowed,
                                          @ForAll @IntRange(min = -1, max = 80) int lastN) {
        Random r = new Random(seed);
        int n = 8;
        int[] history = r.ints(length, 0, alphabet).toArray();
        float[] logits = randomLogits(seed, n);
        // token 5 breaks sequences; it occurs in the history when the alphabet reaches it
        GenerateOptions.Dry dry = new GenerateOptions.Dry(0.8f, 1.75f, allowed, lastN, java.util.List.of("|"));
        float[] penalized = logits.clone();
        new DryPenalty(dry, n, id -> id == 5 ? "a|b" : "t" + id).apply(penalized, history, length);
        float[] expected = logits.clone();
        plainDry(expected, history, dry, 5);
        assertArrayEquals(expected, penalized, 1e-5f, Arrays.toString(history));
    }

    /** DRY by brute force: every earlier position, its match length counted token by token. */
    private static void plainDry(float[] logits, int[] history, GenerateOptions.Dry dry, int breaker) {
        int length = history.length;
        int window = dry.lastN() < 0 ? length : Math.min(length, dry.lastN());
        if (window <= dry.allowedLength()) {
            return;
        }
        int start = length - window;
        int limit = window;
        for (int i = 0; i < window; i++) {
            if (history[length - 1 - i] == breaker) {
                limit = i;
                break;
            }
        }
        int[] longest = new int[logits.length];
        for (int end = start; end < length - 1; end++) { // an earlier occurrence ending at 'end'
            int run = 0;
            while (end - run >= start && run < limit && history[end - run] == history[length - 1 - run]) {
                run++;
            }
            if (run >= dry.allowedLength() && limit >= dry.allowedLength() && history[end + 1] != breaker) {
                longest[history[end + 1]] = Math.max(longest[history[end + 1]], run);
            }
        }
        for (int id = 0; id < logits.length; id++) {
            if (longest[id] > 0) {
                logits[id] -= (float) (dry.multiplier() * Math.pow(dry.base(), longest[id] - dry.allowedLength()));
            }
        }
    }

    @Property(tries = 200)
    void xtcRemovesAllButTheLeastLikelyAboveTheThreshold(@ForAll long seed, @ForAll @IntRange(min = 2, max = 50) int n,
                                                         @ForAll @FloatRange(min = 0.01f, max = 0.5f) float threshold) {
        float[] logits = randomLogits(seed, n);
        double[] probs = softmax(logits);
        Integer[] ranked = ranked(logits);
        int above = 0;
        while (above < n && probs[ranked[above]] >= threshold) {
            above++;
        }
        Candidates c = candidates(logits);
        SamplerChain.excludeTopChoices(c, threshold);
        int dropped = above >= 2 ? above - 1 : 0;
        assertEquals(n - dropped, c.size);
        assertEquals(ranked[dropped], c.ids[0]);
    }

    @Property(tries = 50)
    void theSameSeedDrawsTheSameTokens(@ForAll long seed, @ForAll @IntRange(min = 2, max = 2000) int n) {
        float[] logits = randomLogits(seed, n);
        GenerateOptions o = GenerateOptions.defaults().withSeed(seed).withTemperature(1.5f).withTopK(0).withMinP(0f)
                .withTypicalP(0.9f).withRepeatPenalty(1.2f).withDryMultiplier(0.5f).withXtc(0.5f, 0.1f);
        assertArrayEquals(draws(o, logits), draws(o, logits));
    }

    private static int[] draws(GenerateOptions o, float[] logits) {
        SamplerChain chain = new SamplerChain(o, logits.length, id -> "t" + id);
        int[] history = new int[64];
        for (int i = 0; i < history.length; i++) {
            history[i] = chain.sample(logits, history, i);
        }
        return history;
    }

    @Property(tries = 100)
    void temperatureComesAfterTheFilters(@ForAll long seed, @ForAll @IntRange(min = 3, max = 100) int n) {
        // top-p 0.5 on a distribution whose best token holds 60%: only it is left, however hot the draw
        float[] logits = new float[n];
        logits[n / 2] = (float) Math.log(0.6 * (n - 1) / 0.4);
        GenerateOptions o = GenerateOptions.defaults().withSeed(seed).withTemperature(100f).withTopK(0).withTopP(0.5f)
                .withMinP(0f);
        for (int token : draws(o, logits)) {
            assertEquals(n / 2, token);
        }
    }

    @Property(tries = 100)
    void greedyAppliesTypicalPBeforeTakingTheBest(@ForAll long seed) {
        // probabilities 0.4, 0.3, 0.3: typical-p 0.5 keeps the two 0.3 tokens (closest to the entropy), so
        // temperature 0 then takes token 1, as llama.cpp does
        float[] logits = {(float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.3)};
        GenerateOptions o = GenerateOptions.greedy().withSeed(seed).withTopK(0).withTopP(1f).withMinP(0f).withTypicalP(0.5f);
        assertEquals(1, new SamplerChain(o, 3, id -> "").sample(logits, new int[0], 0));
    }

    @Property(tries = 100)
    void greedyTakesTheBestAfterBiasAndPenalties(@ForAll long seed, @ForAll @IntRange(min = 2, max = 500) int n) {
        float[] logits = randomLogits(seed, n);
        Integer[] ranked = ranked(logits);
        GenerateOptions o = GenerateOptions.greedy().withLogitBias(Map.of(ranked[0], Float.NEGATIVE_INFINITY));
        SamplerChain chain = new SamplerChain(o, n, id -> "");
        assertEquals(ranked[1], chain.sample(logits, new int[0], 0));
        assertArrayEquals(randomLogits(seed, n), logits); // the caller's logits are left alone
    }

    private static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
