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
    Q8_0
}
