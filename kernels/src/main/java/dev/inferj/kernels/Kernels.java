package dev.inferj.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The numeric operations of a transformer forward pass. {@link ScalarKernels} is the plain
 * reference; {@code VectorKernels} does the same with the Vector API. {@link #get()} returns the
 * one chosen at start-up, so callers never ask which.
 *
 * <p>Numerics follow ggml's so outputs match llama.cpp: see {@link ActivationFormat}.
 * Ranges are {@code [offset, offset + n)}; callers pass valid ranges (no checks in hot loops
 * beyond the JVM's own).
 */
public interface Kernels {

    /** The implementation chosen at start-up ({@code -Dinferj.kernels=scalar} forces the reference). */
    static Kernels get() {
        return KernelProvider.INSTANCE;
    }

    /** A short name for logs and benchmarks: "scalar" or "vector-512" and the like. */
    String name();

    /** Makes {@code x[offset, offset + length)} ready for products with weights that take {@code format}. */
    void prepare(float[] x, int offset, int length, ActivationFormat format, PreparedVector out);

    /**
     * {@code out[outOffset + r] = row r of w · x} for {@code r} in {@code [fromRow, toRow)}.
     * {@code x} must have been prepared for {@code ActivationFormat.of(w.type())} with {@code w.cols()} elements.
     */
    void matVec(WeightMatrix w, PreparedVector x, float[] out, int outOffset, int fromRow, int toRow);

    /**
     * The same product for a batch: {@code out[b][outOffset + r] = row r of w · x[b]} for
     * {@code b < count} and {@code r} in {@code [fromRow, toRow)}. Each weight row is read from
     * memory once for the whole batch.
     */
    void matMul(WeightMatrix w, PreparedVector[] x, int count, float[][] out, int outOffset, int fromRow, int toRow);

    /** Writes row {@code row} of {@code w} as floats to {@code out[offset, offset + w.cols())}. */
    void dequantizeRow(WeightMatrix w, int row, float[] out, int offset);

    /** Plain float dot product. */
    float dot(float[] a, int aOffset, float[] b, int bOffset, int n);

    /**
     * Dot product of {@code n} half-precision values at {@code f16[byteOffset]} with {@code x[xOffset, xOffset + n)},
     * in the order of ggml's batched product (llamafile's sgemm): one accumulator of {@link #lanes()}.
     */
    float dotF16(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n);

    /**
     * The same product in the order of ggml's single-row one ({@code ggml_vec_dot_f16}): four accumulators of
     * {@link #lanes()} stepped together and summed as {@link #sumRows} sums, the elements past the last whole
     * step added in double.
     */
    float dotF16Unrolled(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n);

    /** {@code y[yOffset + i] = fma(a, f16[i], y[yOffset + i])} for {@code n} half-precision values at {@code f16[byteOffset]}. */
    void axpyF16(float a, MemorySegment f16, long byteOffset, float[] y, int yOffset, int n);

    /**
     * {@link #dotF16} of the same {@code n} half-precision values with four vectors at the same offset, into
     * {@code out[outOffset, outOffset + 4)}: each the bits {@code dotF16} gives, the values converted once (the keys of
     * a prompt's attention, met by four of its queries).
     */
    void dotF16x4(MemorySegment f16, long byteOffset, float[] x0, float[] x1, float[] x2, float[] x3, int xOffset, int n,
            float[] out, int outOffset);

    /**
     * {@link #axpyF16} of the same {@code n} half-precision values into four stretches of {@code y}, with four factors:
     * each the bits {@code axpyF16} gives, the values converted once.
     */
    void axpyF16x4(MemorySegment f16, long byteOffset, int n, float a0, float a1, float a2, float a3, float[] y, int y0,
            int y1, int y2, int y3);

    /** Dot product of {@code n} floats at {@code f32[byteOffset]} with {@code x[xOffset, xOffset + n)}. */
    float dotF32(MemorySegment f32, long byteOffset, float[] x, int xOffset, int n);

    /** {@code y[yOffset + i] = fma(a, f32[i], y[yOffset + i])} for {@code n} floats at {@code f32[byteOffset]}. */
    void axpyF32(float a, MemorySegment f32, long byteOffset, float[] y, int yOffset, int n);

    /**
     * Dot product of the {@code n / 32} Q8_0 blocks at {@code q8[byteOffset]} with elements
     * {@code [xOffset, xOffset + n)} of {@code x}, prepared as {@link ActivationFormat#Q8_0} ({@code xOffset} and
     * {@code n} multiples of 32): per block the integer sum of the quants' products times both scales.
     */
    float dotQ8_0(MemorySegment q8, long byteOffset, PreparedVector x, int xOffset, int n);

    /** {@code y[yOffset + i] = fma(a, d * q_i, y[yOffset + i])} over the {@code n / 32} Q8_0 blocks at {@code q8[byteOffset]}. */
    void axpyQ8_0(float a, MemorySegment q8, long byteOffset, float[] y, int yOffset, int n);

    /** The width of the float vectors whose summation orders these kernels follow (ggml's on the same machine). */
    int lanes();

    /**
     * {@code out[outOffset + i]} = the sum over {@code r < count} of {@code rows[offset + r * n + i]}, for
     * {@code i < n}, in ggml's order for its accumulators: {@code count} is {@link #lanes()} (lane r of one
     * vector) or four times it (lane r % lanes of vector r / lanes, the four folded as (0 + 2) + (1 + 3)); the
     * lanes are then summed by halving (lane l plus lane l + half).
     */
    void sumRows(float[] rows, int offset, int count, int n, float[] out, int outOffset);

    /** Stores {@code x[xOffset, xOffset + n)} rounded to half precision (ties to even) at {@code dst[byteOffset]}. */
    void storeF16(float[] x, int xOffset, MemorySegment dst, long byteOffset, int n);

    /** {@code out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i]} over {@code n} elements (the sum of squares in double, as ggml). */
    void rmsNorm(float[] x, int xOffset, float[] weight, float[] out, int outOffset, int n, float eps);

    /** In place: {@code x = exp(x - max) / sum}, as ggml computes it (see the implementations). */
    void softmax(float[] x, int offset, int n);

    /** In place: {@code gate[i] = silu(gate[i]) * up[i]}, {@code silu(v) = v / (1 + exp(-v))}. */
    void swiGlu(float[] gate, float[] up, int n);

    /**
     * In place: {@code gate[i] = gelu(gate[i]) * up[i]} with GELU's tanh form, computed as ggml
     * does: through half precision (the input rounded to F16, GELU of it rounded to F16), 0 below
     * -10 and the identity above 10.
     */
    void geGlu(float[] gate, float[] up, int n);

    /** In place: {@code y[i] += x[i]}. */
    void add(float[] y, float[] x, int n);

    /** In place: {@code x[offset + i] *= s}. */
    void scale(float[] x, int offset, int n, float s);
}
