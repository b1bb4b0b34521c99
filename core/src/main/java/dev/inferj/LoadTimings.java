package dev.inferj;

/**
 * Where {@link Model#load} spent its time, in nanoseconds: mapping and parsing the file, reading the vocabulary and
 * the hyper-parameters, reading the weights (tiling them, or mapping the tile cache), and the whole load.
 */
public record LoadTimings(long mapNanos, long vocabularyNanos, long weightsNanos, long totalNanos) {
}
