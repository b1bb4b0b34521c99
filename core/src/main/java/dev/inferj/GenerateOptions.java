package dev.inferj;

/**
 * How {@link Session#generate} picks tokens.
 *
 * @param maxTokens   most tokens to generate
 * @param temperature 0 picks the most likely token every time (greedy); higher values flatten the distribution
 * @param topK        sample only among the k most likely tokens (0: all)
 * @param topP        sample only among the most likely tokens whose probabilities add up to p (1: all)
 * @param seed        seed of the random sampler, for repeatable output
 * @param stopAtEndOfGeneration whether an end-of-generation token (EOS, EOT) ends the generation
 */
public record GenerateOptions(int maxTokens, float temperature, int topK, float topP, long seed,
                              boolean stopAtEndOfGeneration) {

    public GenerateOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must not be negative, was " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        }
    }

    /** 256 tokens, temperature 0.8, top-k 40, top-p 0.95, a random seed, stop at end of generation. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(256, 0.8f, 40, 0.95f, System.nanoTime(), true);
    }

    /** The defaults with temperature 0: always the most likely token. */
    public static GenerateOptions greedy() {
        return defaults().withTemperature(0f);
    }

    public GenerateOptions withMaxTokens(int maxTokens) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stopAtEndOfGeneration);
    }

    public GenerateOptions withTemperature(float temperature) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stopAtEndOfGeneration);
    }

    public GenerateOptions withTopK(int topK) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stopAtEndOfGeneration);
    }

    public GenerateOptions withTopP(float topP) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stopAtEndOfGeneration);
    }

    public GenerateOptions withSeed(long seed) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stopAtEndOfGeneration);
    }

    public GenerateOptions withStopAtEndOfGeneration(boolean stop) {
        return new GenerateOptions(maxTokens, temperature, topK, topP, seed, stop);
    }
}
