package dev.inferj.kernels;

import java.util.Arrays;

/**
 * The searches by which ggml's K-quant reference quantizers pick the scale (and minimum) of a
 * small group of elements: try a range of candidate scales, round every element with each, keep
 * the one that fits the group best. Each is the arithmetic of ggml's {@code make_qx_quants}
 * (with weights {@code x²}), {@code make_q3_quants} (with its refinement passes) and
 * {@code make_qkx2_quants}, in float, in ggml's order of operations and with its comparisons
 * (strict, so the first of equal candidates wins), because the bytes written must be llama.cpp's.
 * Integer quants are {@code int} here where ggml has bytes; the values fit either way.
 */
final class ScaleSearch {
    /** Below this largest magnitude a group counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {
    }

    /**
     * Round to nearest, ties to even, of a float of magnitude below 2<sup>22</sup>: adding
     * 1.5 · 2<sup>23</sup> leaves the rounded integer in the low mantissa bits. (Beyond that range,
     * NaN or infinite, the result is ggml's garbage, reproduced bit for bit.)
     */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007FFFFF) - 0x00400000;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** The element of largest magnitude, with its sign; the first of equals wins (0 for an all-zero group). */
    private static float signedLargest(int n, float[] x, int from) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        return max;
    }

    /** Quants {@code clamp(round(iscale · x), -nmax, nmax - 1) + nmax} of the group into {@code q[qFrom..]}. */
    private static void round(int n, int nmax, float[] x, int from, float iscale, int[] q, int qFrom) {
        for (int i = 0; i < n; i++) {
            q[qFrom + i] = clamp(nearestInt(iscale * x[from + i]), -nmax, nmax - 1) + nmax;
        }
    }

    /** {@code Σ x² · x · l}, the {@code x²}-weighted correlation of the group with quants {@code l = q - nmax}. */
    private static float sumLX(int n, int nmax, float[] x, int from, int[] q, int qFrom) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[from + i];
            sum += v * v * v * (q[qFrom + i] - nmax);
        }
        return sum;
    }

    /** {@code Σ x² · l²} for quants {@code l = q - nmax}. */
    private static float sumL2(int n, int nmax, float[] x, int from, int[] q, int qFrom) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[from + i];
            int l = q[qFrom + i] - nmax;
            sum += v * v * l * l;
        }
        return sum;
    }

    /**
     * Rounds the group with the scale that maps its signed largest element to {@code -nmax} and
     * returns that element; an all-zero group (below {@link #GROUP_MAX_EPS}) gets quants 0 and 0 is returned.
     */
    private static float firstRounding(int n, int nmax, float[] x, int from, int[] q, int qFrom) {
        float max = signedLargest(n, x, from);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            Arrays.fill(q, qFrom, qFrom + n, 0);
            return 0f;
        }
        round(n, nmax, x, from, -nmax / max, q, qFrom);
        return max;
    }

    /**
     * A symmetric scale for {@code n} elements at {@code x[from]} with quants in
     * {@code [-nmax, nmax)}, fitted by least squares weighted by {@code x²}; writes the quants plus
     * {@code nmax} to {@code q[qFrom..]} and returns the scale ({@code x ≈ scale · (q - nmax)}).
     * Starts from the scale that maps the signed largest element to {@code -nmax} and tries 18
     * neighbours {@code -(nmax ± 0.1 k) / max}; {@code scratch} holds {@code n} candidate quants.
     */
    static float symmetric(int n, int nmax, float[] x, int from, int[] q, int qFrom, int[] scratch) {
        float max = firstRounding(n, nmax, x, from, q, qFrom);
        if (max == 0) {
            return 0f;
        }
        float sumlx = sumLX(n, nmax, x, from, q, qFrom);
        float suml2 = sumL2(n, nmax, x, from, q, qFrom);
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            round(n, nmax, x, from, -(nmax + 0.1f * is) / max, scratch, 0);
            sumlx = sumLX(n, nmax, x, from, scratch, 0);
            suml2 = sumL2(n, nmax, x, from, scratch, 0);
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                System.arraycopy(scratch, 0, q, qFrom, n);
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Q3_K's symmetric scale for {@code n} elements with quants in {@code [-nmax, nmax)}: round
     * with the scale that maps the signed largest element to {@code -nmax}, then up to five passes
     * that move single quants while that improves the {@code x²}-weighted least-squares fit.
     * Writes the quants plus {@code nmax} (0 for an all-zero group) and returns the fitted scale.
     */
    static float symmetricRefined(int n, int nmax, float[] x, int from, int[] q, int qFrom) {
        float max = firstRounding(n, nmax, x, from, q, qFrom);
        if (max == 0) {
            return 0f;
        }
        float sumlx = sumLX(n, nmax, x, from, q, qFrom);
        float suml2 = sumL2(n, nmax, x, from, q, qFrom);
        for (int pass = 0; pass < 5; pass++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[from + i];
                float w = v * v;
                int l = q[qFrom + i] - nmax;
                float slx = sumlx - w * v * l;
                if (slx > 0) {
                    float sl2 = suml2 - w * l * l;
                    int newL = clamp(nearestInt(v * sl2 / slx), -nmax, nmax - 1);
                    if (newL != l) {
                        slx += w * v * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            q[qFrom + i] = newL + nmax;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * A scale and a minimum for {@code n} elements with quants in {@code [0, nmax]}
     * ({@code x ≈ scale · q - minimum}, the minimum never negative), minimizing the error weighted
     * by {@code weights} — squared, or absolute when {@code absoluteError}. Starts from the
     * group's range, then tries the scales {@code (nmax + rmin + rdelta · k) / range} for
     * {@code k = 0..steps}, each with the least-squares scale and minimum of its rounding.
     * Writes the quants to {@code q[qFrom..]}, the minimum to {@code minimum[at]}, returns the
     * scale; {@code scratch} holds {@code n} candidate quants.
     */
    static float withMinimum(int n, int nmax, float[] x, int from, float[] weights, int[] q, int qFrom,
            float[] minimum, int at, int[] scratch, float rmin, float rdelta, int steps, boolean absoluteError) {
        float min = x[from];
        float max = x[from];
        float sumW = weights[0];
        float sumX = sumW * x[from];
        for (int i = 1; i < n; i++) {
            float v = x[from + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(q, qFrom, qFrom + n, 0);
            minimum[at] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[from + i] - min)), 0, nmax);
            q[qFrom + i] = l;
            float diff = scale * l + min - x[from + i];
            bestError += weights[i] * (absoluteError ? Math.abs(diff) : diff * diff);
        }
        for (int step = 0; step <= steps; step++) {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                float v = x[from + i];
                int l = clamp(nearestInt(iscale * (v - min)), 0, nmax);
                scratch[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * v;
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * scratch[i] + thisMin - x[from + i];
                    error += weights[i] * (absoluteError ? Math.abs(diff) : diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(scratch, 0, q, qFrom, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minimum[at] = -min;
        return scale;
    }
}
