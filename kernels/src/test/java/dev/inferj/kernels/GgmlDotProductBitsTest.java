package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scalar dot products give the very bits of ggml's x86 ones ({@link AvxLanes}): for one
 * deterministic row of each type and a deterministic activation, quantized as ggml quantizes it,
 * the result equals the float that ggml's {@code vec_dot} (llama.cpp 34af94cd, x86-64 build)
 * returned for the same bytes. A change of summation order shows here as a changed last bit.
 */
class GgmlDotProductBitsTest {

    /** The activation: a fixed integer hash of the index, scaled; the same floats in C and Java. */
    private static float activation(int i) {
        int h = ((i * 40503) ^ (i >> 3)) & 0xFFFF;
        return (h - 32768) / 4096.5f;
    }

    /**
     * A row of {@code cols / blockSize} blocks: byte {@code k} is {@code 73 k + 41 + 7 (k >> 5)}
     * (mod 256), except the F16 scale (and minimum) of each block {@code b}, which are
     * {@code base + step * b} as half-precision bits.
     */
    private static MemorySegment row(Arena arena, GgmlType type, int cols, long[] offsets, int[] bases, int[] steps) {
        int blocks = cols / type.blockSize();
        MemorySegment m = arena.allocate((long) blocks * type.bytesPerBlock());
        for (long k = 0; k < m.byteSize(); k++) {
            m.set(ScalarKernels.BYTE, k, (byte) (k * 73 + 41 + 7 * (k >> 5)));
        }
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < offsets.length; j++) {
                long at = (long) b * type.bytesPerBlock() + offsets[j];
                m.set(ScalarKernels.F16_LAYOUT, at, (short) (bases[j] + steps[j] * b));
            }
        }
        return m;
    }

    @ParameterizedTest
    @CsvSource({
            // type, cols, F16 offsets, their bases, their steps per block, ggml's result bits
            "Q4_1, 512,  0 2,    0x1800 0x9400, 37 13, 0x3ebe1f00",
            "Q5_0, 512,  0,      0x9800,        11,    0xbe99d068",
            "Q5_1, 512,  0 2,    0x1800 0x9400, 37 13, 0x40456e9f",
            "Q2_K, 1024, 80 82,  0x1800 0x1400, 37 29, 0x3fe5b440",
            "Q3_K, 1024, 108,    0x1800,        37,    0x41575e20",
            "Q4_K, 1024, 0 2,    0x1800 0x1400, 37 29, 0x416dcd6f",
            "Q5_K, 1024, 0 2,    0x1800 0x1400, 37 29, 0x41d490c3",
            "Q6_K, 1024, 208,    0x1800,        37,    0xc3a8e9fe",
    })
    void dotRowEqualsGgmlToTheBit(GgmlType type, int cols, String offsets, String bases, String steps, String expected) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = row(arena, type, cols, longs(offsets), ints(bases), ints(steps));
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = activation(i);
            }
            ScalarKernels k = new ScalarKernels();
            PreparedVector px = new PreparedVector(cols);
            k.prepare(x, 0, cols, ActivationFormat.of(type), px);
            float actual = k.dotRow(new WeightMatrix("ggml row", type, data, 1, cols), 0, px);
            assertEquals(Integer.toHexString(Integer.parseUnsignedInt(expected.substring(2), 16)),
                    Integer.toHexString(Float.floatToRawIntBits(actual)), type + ": " + actual);
        }
    }

    private static long[] longs(String s) {
        return Arrays.stream(s.trim().split(" +")).mapToLong(Long::parseLong).toArray();
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.trim().split(" +")).mapToInt(Integer::decode).toArray();
    }
}
