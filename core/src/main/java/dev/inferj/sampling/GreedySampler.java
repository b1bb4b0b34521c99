package dev.inferj.sampling;

/** The most likely token; the lowest id on an exact tie (as llama.cpp's reference runs do). */
public final class GreedySampler implements Sampler {
    @Override
    public int sample(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
