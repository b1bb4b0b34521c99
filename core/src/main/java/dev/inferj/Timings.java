package dev.inferj;

/**
 * How long the prompt and the generation took, in nanoseconds, and how many tokens each had.
 *
 * @param warmUpWaitNanos of {@code promptNanos}, how long the prompt's first pass waited for the kernel warm-up
 *                        that {@link Model#load} starts (in a fresh JVM, until C2 has compiled the kernels)
 */
public record Timings(int promptTokens, long promptNanos, int generatedTokens, long generationNanos, long warmUpWaitNanos) {

    public double promptTokensPerSecond() {
        return rate(promptTokens, promptNanos);
    }

    /** Generated tokens per second, counting from the first sampled token. */
    public double generationTokensPerSecond() {
        return rate(generatedTokens, generationNanos);
    }

    private static double rate(int tokens, long nanos) {
        return nanos > 0 ? tokens * 1e9 / nanos : 0;
    }
}
