package dev.inferj.quantize;

import dev.inferj.ggml.GgmlType;

/** Told how far {@link ModelQuantizer} has come: after each piece of a tensor it has produced. */
@FunctionalInterface
public interface QuantizeListener {

    /**
     * Where the quantizer is.
     *
     * @param tensor      the index of the tensor being written, from 0, in the output's order
     * @param tensorCount tensors in the model
     * @param name        the tensor's name
     * @param from        its type in the input
     * @param to          its type in the output (the same when it is copied)
     * @param bytesDone   output tensor bytes produced so far, this tensor's piece included
     * @param bytesTotal  output tensor bytes in all
     */
    record Progress(int tensor, int tensorCount, String name, GgmlType from, GgmlType to, long bytesDone,
                    long bytesTotal) {
    }

    void progress(Progress progress);
}
