package dev.inferj.kernels;

/**
 * Rotary position embedding, computed as ggml does. The base angle of pair {@code i} at position
 * {@code p} is {@code p * base^(-2i/nDims)} (a float running product), divided by the pair's
 * frequency factor where the model has them (Llama 3.1's {@code rope_freqs}, Phi-3's long or short
 * factors). {@link Scaling} then interpolates it (linear scaling) or blends interpolation and
 * extrapolation per pair (YaRN), and scales cosine and sine by the attention factor.
 * "Normal" ordering rotates adjacent pairs {@code (x[2i], x[2i+1])} (Llama); NeoX ordering
 * rotates {@code (x[i], x[i + nDims/2])} (GPT-NeoX, Qwen, Gemma).
 */
public final class Rope {
    /**
     * How a model stretches its rope beyond the context it was trained at.
     *
     * @param freqScale         angles are multiplied by this (1 / the scaling factor; 1 for none)
     * @param extFactor         YaRN's mix of extrapolated angles into the interpolated ones (0: plain interpolation)
     * @param attentionFactor   cosine and sine are multiplied by this
     * @param betaFast          YaRN's ramp: pairs turning at least this many times over {@code originalContext} keep
     *                          their angle ...
     * @param betaSlow          ... and pairs turning at most this many times are interpolated
     * @param originalContext   the context the model was trained at (YaRN's ramp)
     * @param frequencyFactors  each pair's angle is divided by its factor ({@code nDims / 2} values), or null
     */
    public record Scaling(float freqScale, float extFactor, float attentionFactor, float betaFast, float betaSlow,
            int originalContext, float[] frequencyFactors) {
        /** No scaling: the plain rope. */
        public static final Scaling NONE = new Scaling(1f, 0f, 1f, 32f, 1f, 0, null);
    }

    private final int nDims;
    private final float freqBase;
    private final boolean neox;
    private final float thetaScale;
    private final Scaling scaling;
    /** The correction dimensions of YaRN's ramp (ggml_rope_yarn_corr_dims). */
    private final float rampLow;
    private final float rampHigh;
    /** What cosine and sine are multiplied by: the attention factor, with YaRN's magnitude correction. */
    private final float magnitude;
    private final float[] cos;
    private final float[] sin;

    /** @param nDims how many leading dimensions of each head rotate (even) */
    public Rope(int nDims, float freqBase, boolean neox) {
        this(nDims, freqBase, neox, Scaling.NONE);
    }

    /** @param nDims how many leading dimensions of each head rotate (even) */
    public Rope(int nDims, float freqBase, boolean neox, Scaling scaling) {
        if (nDims <= 0 || nDims % 2 != 0) {
            throw new IllegalArgumentException("rope dimension count " + nDims + " must be even and positive");
        }
        if (scaling.frequencyFactors() != null && scaling.frequencyFactors().length != nDims / 2) {
            throw new IllegalArgumentException(scaling.frequencyFactors().length + " rope frequency factors for "
                    + nDims / 2 + " pairs");
        }
        this.nDims = nDims;
        this.freqBase = freqBase;
        this.neox = neox;
        this.thetaScale = (float) Math.pow(freqBase, -2.0f / nDims);
        this.scaling = scaling;
        this.rampLow = Math.max(0f, (float) Math.floor(correctionDim(nDims, scaling.originalContext(), scaling.betaFast(), freqBase)));
        this.rampHigh = Math.min(nDims - 1, (float) Math.ceil(correctionDim(nDims, scaling.originalContext(), scaling.betaSlow(), freqBase)));
        this.magnitude = scaling.extFactor() == 0f ? scaling.attentionFactor()
                : scaling.attentionFactor() * (1.0f + 0.1f * (float) Math.log(1.0f / scaling.freqScale()));
        this.cos = new float[nDims / 2];
        this.sin = new float[nDims / 2];
    }

    /**
     * This rope without the attention factor and YaRN's magnitude correction: a pure rotation, for
     * turning keys already rotated at one position to another (the rotations add up, since each
     * pair's angle is proportional to the position).
     */
    public Rope rotationOnly() {
        float correction = scaling.extFactor() == 0f ? 1f : 1.0f + 0.1f * (float) Math.log(1.0f / scaling.freqScale());
        return new Rope(nDims, freqBase, neox, new Scaling(scaling.freqScale(), scaling.extFactor(), 1f / correction,
                scaling.betaFast(), scaling.betaSlow(), scaling.originalContext(), scaling.frequencyFactors()));
    }

    /** The dimension whose pair turns {@code rotations} times over {@code originalContext} positions. */
    private static float correctionDim(int nDims, int originalContext, float rotations, float base) {
        return nDims * (float) Math.log(originalContext / (rotations * 2 * (float) Math.PI)) / (2 * (float) Math.log(base));
    }

    /** Fills the angle tables for position {@code pos}; call before {@link #rotate}. */
    public void setPosition(int pos) {
        float[] factors = scaling.frequencyFactors();
        float theta = pos;
        for (int i = 0; i < nDims / 2; i++) {
            float extrapolated = factors == null ? theta : theta / factors[i];
            float angle = scaling.freqScale() * extrapolated;
            if (scaling.extFactor() != 0f) {
                float y = (i - rampLow) / Math.max(0.001f, rampHigh - rampLow);
                float mix = (1 - Math.min(1, Math.max(0, y))) * scaling.extFactor();
                angle = angle * (1 - mix) + extrapolated * mix;
            }
            cos[i] = (float) Math.cos(angle) * magnitude;
            sin[i] = (float) Math.sin(angle) * magnitude;
            theta *= thetaScale;
        }
    }

    /** Rotates {@code heads} heads of {@code headDim} values starting at {@code x[offset]}, in place. */
    public void rotate(float[] x, int offset, int heads, int headDim) {
        int half = nDims / 2;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = neox ? base + i : base + 2 * i;
                int b = neox ? base + i + half : base + 2 * i + 1;
                float x0 = x[a];
                float x1 = x[b];
                // as ggml is compiled (GCC contracts these to fused multiply-adds): under cancellation it matters
                x[a] = Math.fma(x0, cos[i], -(x1 * sin[i]));
                x[b] = Math.fma(x0, sin[i], x1 * cos[i]);
            }
        }
    }
}
