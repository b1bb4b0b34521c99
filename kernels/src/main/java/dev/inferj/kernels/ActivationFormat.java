package dev.inferj.kernels;

/** How an activation vector is held for a product with weights: see {@link GgmlType#activationFormat()}. */
public enum ActivationFormat {
    /** Plain floats. */
    F32,
    /** Floats rounded to the nearest half-precision value (ties to even). */
    F16,
    /** Floats rounded to the nearest bfloat16 value (ties to even). */
    BF16,
    /** Blocks of 32 signed bytes with one scale each: scale = max|x| / 127 rounded to F16, q = round-half-even(x / scale). */
    Q8_0,
    /**
     * Q8_0 blocks that also carry s = d * sum(q) rounded to F16, with d the scale before its
     * rounding to F16 (as ggml's x86 {@code quantize_row_q8_1}), for weights with a per-block minimum.
     */
    Q8_1,
    /**
     * Blocks of 256 signed bytes with one float scale each, for the K-quants: with {@code max}
     * the element of largest magnitude (the first one, sign kept), iscale = -127 / max,
     * q = min(127, round-half-even(iscale * x)), scale = 1 / iscale; plus the sum of the quants of
     * each group of 16 (ggml's {@code quantize_row_q8_K}, the one every x86 build runs).
     */
    Q8_K
}
