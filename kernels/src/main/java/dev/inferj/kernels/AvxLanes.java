package dev.inferj.kernels;

/**
 * The float summation order of ggml's x86 quantized dot products (the AVX2 code every x86-64
 * build of llama.cpp runs, AVX-512 machines included), which the scalar kernels of
 * {@link LegacyQuantBlocks} and {@link KQuantBlocks} follow so that their results are the same
 * bits as llama.cpp's. The integer products of a block are summed into 8 lanes, lane {@code L}
 * taking elements {@code 4L .. 4L+3} of every 32; each lane's integer sum becomes a float and is
 * added into that lane's own float accumulator with one fused multiply-add per block; the 8
 * accumulators are added at the end by {@link #sum}.
 *
 * <p>Why bother: a dot product that differs from ggml's in its last bit now and then rounds to
 * a different F16 value in the KV cache, or to a different 8-bit quant of the next activation,
 * and either can move a logit of these small models by a percent or more. With the same order the
 * products agree exactly (checked against llama.cpp's intermediate tensors).
 */
final class AvxLanes {
    /** Float accumulators of an AVX2 register. */
    static final int LANES = 8;
    /** Elements a lane takes from every 32. */
    static final int SPAN = 4;

    private AvxLanes() {
    }

    /**
     * ggml's {@code hsum_float_8}: the upper four lanes added to the lower four, then lane 0 to
     * lane 2 and lane 1 to lane 3, then those two.
     */
    static float sum(float l0, float l1, float l2, float l3, float l4, float l5, float l6, float l7) {
        float r0 = l4 + l0;
        float r1 = l5 + l1;
        float r2 = l6 + l2;
        float r3 = l7 + l3;
        return (r0 + r2) + (r1 + r3);
    }

    /** The same reduction of a 4-lane (SSE) accumulator: lane 0 to lane 2, lane 1 to lane 3, then those two. */
    static float sum(float l0, float l1, float l2, float l3) {
        return (l0 + l2) + (l1 + l3);
    }
}
