package dev.inferj.quantize;

/**
 * What {@link ModelQuantizer#quantize} wrote.
 *
 * @param tensors     tensors in the file
 * @param converted   tensors whose type changed (the rest were copied as they were)
 * @param inputBytes  tensor bytes of the input
 * @param outputBytes tensor bytes of the output
 * @param fileBytes   size of the file written
 */
public record QuantizeResult(int tensors, int converted, long inputBytes, long outputBytes, long fileBytes) {
}
