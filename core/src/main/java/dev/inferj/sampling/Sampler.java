package dev.inferj.sampling;

/** Picks the next token from logits. Implementations keep their buffers: one per session. */
public interface Sampler {
    int sample(float[] logits);

    /** Greedy for temperature 0, else temperature with top-k and top-p from {@code seed}. */
    static Sampler of(float temperature, int topK, float topP, long seed, int vocabularySize) {
        return temperature == 0f ? new GreedySampler() : new RandomSampler(temperature, topK, topP, seed, vocabularySize);
    }
}
