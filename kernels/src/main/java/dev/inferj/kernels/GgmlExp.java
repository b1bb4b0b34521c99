package dev.inferj.kernels;

/**
 * e^x exactly as ggml computes it for whole vectors on AVX-512 ({@code ggml_v_expf}), which it uses
 * in softmax and SiLU: a quantized model's later activations are rounded to 8 bits, so an exp that
 * differs from ggml's in the last bit now and then flips one of those roundings and moves the logits
 * by a tenth. The facts: x = n ln2 + b with n = round(x / ln2) (by adding 1.5·2^23), ln2 in two parts,
 * e^b by a degree-5 polynomial, scaled by 2^n with one rounding; |n| > 192 gives 0 or infinity.
 */
final class GgmlExp {
    static final float ROUND = 0x1.8p23f;
    static final float LOG2E = 0x1.715476p+0f;
    static final float LN2_HI = 0x1.62e4p-1f;
    static final float LN2_LO = 0x1.7f7d1cp-20f;
    static final float C1 = 0x1.ffffecp-1f;
    static final float C2 = 0x1.fffdb6p-2f;
    static final float C3 = 0x1.555e66p-3f;
    static final float C4 = 0x1.573e2ep-5f;
    static final float C5 = 0x1.0e4020p-7f;

    private GgmlExp() {
    }

    static float exp(float x) {
        float n = Math.fma(x, LOG2E, ROUND) - ROUND;
        if (Math.abs(n) > 192f) {
            return n <= 0f ? 0f : Float.POSITIVE_INFINITY;
        }
        float b = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(C5, b, C4), u, Math.fma(C3, b, C2)), u, Math.fma(C1, b, 1f));
        return Math.scalb(j, (int) n);
    }
}
