package dev.inferj.kernels;

/**
 * Rotary position embedding. The angle of pair {@code i} at position {@code p} is
 * {@code p * base^(-2i/nDims)}, computed as ggml does: a float running product.
 * "Normal" ordering rotates adjacent pairs {@code (x[2i], x[2i+1])} (Llama); NeoX ordering
 * rotates {@code (x[i], x[i + nDims/2])} (GPT-NeoX, Qwen, Gemma).
 */
public final class Rope {
    private final int nDims;
    private final boolean neox;
    private final float thetaScale;
    private final float[] cos;
    private final float[] sin;

    /** @param nDims how many leading dimensions of each head rotate (even) */
    public Rope(int nDims, float freqBase, boolean neox) {
        if (nDims <= 0 || nDims % 2 != 0) {
            throw new IllegalArgumentException("rope dimension count " + nDims + " must be even and positive");
        }
        this.nDims = nDims;
        this.neox = neox;
        this.thetaScale = (float) Math.pow(freqBase, -2.0f / nDims);
        this.cos = new float[nDims / 2];
        this.sin = new float[nDims / 2];
    }

    /** Fills the angle tables for position {@code pos}; call before {@link #rotate}. */
    public void setPosition(int pos) {
        float theta = pos;
        for (int i = 0; i < nDims / 2; i++) {
            cos[i] = (float) Math.cos(theta);
            sin[i] = (float) Math.sin(theta);
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
                x[a] = x0 * cos[i] - x1 * sin[i];
                x[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
