package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;

/** How an activation vector is held for a product with weights: see {@link #of(GgmlType)}. */
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
    Q8_K;

    /**
     * The form an activation vector takes before a product with weights of {@code type}, as ggml does it (its
     * {@code vec_dot_type}): F32 stays F32, F16 and BF16 round the activation to that type, 32-element types quantize
     * it to Q8_0 blocks, or to Q8_1 blocks when the weights carry a minimum, and the 256-element K-quants to Q8_K blocks.
     */
    public static ActivationFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0, Q4_0, Q5_0 -> Q8_0;
            case Q4_1, Q5_1 -> Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
            default -> throw new UnsupportedOperationException("no kernels for " + type + " weights yet");
        };
    }
}
