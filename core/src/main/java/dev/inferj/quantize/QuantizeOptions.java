package dev.inferj.quantize;

import java.util.Objects;

/**
 * How {@link ModelQuantizer} quantizes a model.
 *
 * @param mix      the quantization mix, as llama-quantize's TYPE argument
 * @param pure     every quantizable tensor in the mix's base type, without the per-tensor rules
 *                 (llama-quantize's {@code --pure}; the fallback for rows the type's blocks do not
 *                 divide still applies)
 * @param threads  threads quantizing rows, at least 1; the bytes written do not depend on it
 * @param listener told of the progress, on the calling thread
 */
public record QuantizeOptions(QuantizationMix mix, boolean pure, int threads, QuantizeListener listener) {

    public QuantizeOptions {
        Objects.requireNonNull(mix, "mix");
        Objects.requireNonNull(listener, "listener");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
    }

    /** {@code mix} with its per-tensor rules, on all available processors, telling no one. */
    public static QuantizeOptions of(QuantizationMix mix) {
        return new QuantizeOptions(mix, false, Runtime.getRuntime().availableProcessors(), progress -> { });
    }

    public QuantizeOptions withPure(boolean pure) {
        return new QuantizeOptions(mix, pure, threads, listener);
    }

    public QuantizeOptions withThreads(int threads) {
        return new QuantizeOptions(mix, pure, threads, listener);
    }

    public QuantizeOptions withListener(QuantizeListener listener) {
        return new QuantizeOptions(mix, pure, threads, listener);
    }
}
