package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One hand-made block of each weight type beyond Q8_0 and Q4_0, with its bytes set by hand
 * from the block layout and its dequantized values worked out on paper (the comments show the
 * arithmetic): the layouts of {@link LegacyQuantBlocks} and {@link KQuantBlocks} read as written.
 */
class QuantizedBlocksTest {
    private final Arena arena = Arena.ofConfined();
    private final Kernels k = new ScalarKernels();

    @AfterEach
    void close() {
        arena.close();
    }

    /** A zeroed block of {@code type} to fill in. */
    private MemorySegment block(GgmlType type) {
        return arena.allocate(type.bytesPerBlock());
    }

    private static void f16(MemorySegment m, long at, float v) {
        m.set(ScalarKernels.F16_LAYOUT, at, Float.floatToFloat16(v));
    }

    private static void u8(MemorySegment m, long at, int v) {
        m.set(ScalarKernels.BYTE, at, (byte) v);
    }

    private float[] dequantize(GgmlType type, MemorySegment m) {
        float[] out = new float[type.blockSize() + 1];
        out[type.blockSize()] = 42f;
        k.dequantizeRow(new WeightMatrix("hand-made " + type, type, m, 1, type.blockSize()), 0, out, 0);
        assertEquals(42f, out[type.blockSize()], "wrote past the row");
        return out;
    }

    @Test
    void q4_1IsNibbleTimesScalePlusMinimum() {
        MemorySegment m = block(GgmlType.Q4_1);
        f16(m, 0, 0.5f);  // d
        f16(m, 2, -1f);   // m
        for (int j = 0; j < 16; j++) {
            u8(m, 4 + j, j | (15 - j) << 4);
        }
        float[] w = dequantize(GgmlType.Q4_1, m);
        assertEquals(-1f, w[0]);      // 0 * 0.5 - 1
        assertEquals(0.5f, w[3]);     // 3 * 0.5 - 1
        assertEquals(6.5f, w[16]);    // high nibble of byte 0: 15 * 0.5 - 1
        assertEquals(-1f, w[31]);     // high nibble of byte 15: 0
    }

    @Test
    void q5_0TakesItsFifthBitFromTheWordAfterTheScale() {
        MemorySegment m = block(GgmlType.Q5_0);
        f16(m, 0, 0.25f);
        m.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2, 0x8000_0001); // fifth bits of 0 and 31
        u8(m, 6, 0x73);   // element 0: 3, element 16: 7
        u8(m, 21, 0xF0);  // element 15: 0, element 31: 15
        float[] w = dequantize(GgmlType.Q5_0, m);
        assertEquals(0.75f, w[0]);    // (3 + 16 - 16) * 0.25
        assertEquals(-2.25f, w[16]);  // (7 - 16) * 0.25
        assertEquals(-4f, w[15]);     // (0 - 16) * 0.25
        assertEquals(3.75f, w[31]);   // (15 + 16 - 16) * 0.25
        assertEquals(-4f, w[1]);      // an empty byte: (0 - 16) * 0.25
    }

    @Test
    void q5_1IsFiveBitQuantTimesScalePlusMinimum() {
        MemorySegment m = block(GgmlType.Q5_1);
        f16(m, 0, 2f);
        f16(m, 2, 0.5f);
        u8(m, 6, 0x01);   // bit 16 of the fifth-bit word: element 16
        u8(m, 8, 0x21);   // element 0: 1, element 16: 2
        float[] w = dequantize(GgmlType.Q5_1, m);
        assertEquals(2.5f, w[0]);     // 1 * 2 + 0.5
        assertEquals(36.5f, w[16]);   // (2 + 16) * 2 + 0.5
        assertEquals(0.5f, w[1]);
    }

    @Test
    void q2_KHasAScaleAndMinimumNibbleForEachGroupOf16() {
        MemorySegment m = block(GgmlType.Q2_K);
        u8(m, 0, 0x21);   // group 0: scale 1, minimum 2
        u8(m, 1, 0x03);   // group 1: scale 3, minimum 0
        u8(m, 2, 0x10);   // group 2: scale 0, minimum 1
        u8(m, 4, 0x05);   // group 4: scale 5
        u8(m, 6, 0x12);   // group 6: scale 2, minimum 1
        u8(m, 15, 0xF7);  // group 15: scale 7, minimum 15
        u8(m, 16, 0b11_10_01_00); // elements 0, 32, 64, 96 (groups 0, 2, 4, 6): quants 0, 1, 2, 3
        u8(m, 32, 0x03);  // element 16 (group 1): quant 3
        u8(m, 79, 0x80);  // element 255 (group 15): bits 6-7 of the last byte, quant 2
        f16(m, 80, 0.5f);  // d
        f16(m, 82, 0.25f); // dmin
        float[] w = dequantize(GgmlType.Q2_K, m);
        assertEquals(-0.5f, w[0]);    // 0.5 * 1 * 0 - 0.25 * 2
        assertEquals(4.5f, w[16]);    // 0.5 * 3 * 3 - 0
        assertEquals(-0.25f, w[32]);  // 0.5 * 0 * 1 - 0.25 * 1
        assertEquals(5f, w[64]);      // 0.5 * 5 * 2
        assertEquals(2.75f, w[96]);   // 0.5 * 2 * 3 - 0.25 * 1
        assertEquals(3.25f, w[255]);  // 0.5 * 7 * 2 - 0.25 * 15
    }

    @Test
    void q3_KHasSignedSixBitScalesAndAHighBitThatCancelsMinusFour() {
        MemorySegment m = block(GgmlType.Q3_K);
        u8(m, 0, 0x01);        // high bit of element 0 (bit 0 of byte 0); element 1 has none
        u8(m, 16, 0x10);       // high bit of element 144: byte 16, bit 4 (second half, first quarter)
        u8(m, 32, 0x02);       // element 0: low bits 2
        u8(m, 33, 0x01);       // element 1: low bits 1
        u8(m, 80, 0x03);       // element 144: byte 32 + 32 + 16, bits 0-1
        u8(m, 96, 0x03);       // group 0 scale, low nibble 3
        u8(m, 97, 0xB0);       // group 9 scale, low nibble 0xB (high nibble of byte 1)
        u8(m, 104, 0x02);      // group 0 scale, high bits 2 (byte 8, bits 0-1)
        u8(m, 105, 0x10);      // group 9 scale, high bits 1 (byte 9, bits 4-5)
        f16(m, 108, 0.5f);
        float[] w = dequantize(GgmlType.Q3_K, m);
        // group 0 scale: 3 | 2 << 4 = 35, minus 32 = 3
        assertEquals(3f, w[0]);       // 0.5 * 3 * 2
        assertEquals(-4.5f, w[1]);    // 0.5 * 3 * (1 - 4)
        // group 9 scale: 0xB | 1 << 4 = 27, minus 32 = -5
        assertEquals(-7.5f, w[144]);  // 0.5 * -5 * 3
        // untouched bytes: scale 0 - 32, quant 0 - 4
        assertEquals(64f, w[255]);    // 0.5 * -32 * -4
    }

    @Test
    void q4_KPacksEightSixBitScalesAndMinimumsInTwelveBytes() {
        MemorySegment m = block(GgmlType.Q4_K);
        f16(m, 0, 0.5f);  // d
        f16(m, 2, 1f);    // dmin
        u8(m, 4, 10);     // group 0 scale
        u8(m, 5, 0xC0);   // top bits of group 5's scale (3); group 1's scale stays 0
        u8(m, 8, 3);      // group 0 minimum
        u8(m, 9, 0x80);   // top bits of group 5's minimum (2); group 1's minimum stays 0
        u8(m, 13, 0x27);  // group 5: scale low nibble 7, minimum low nibble 2
        u8(m, 16, 0x95);  // element 0 (group 0): 5; element 32 (group 1): 9
        u8(m, 80, 0xF0);  // byte 64 of the quants: element 128 (group 4): 0, element 160 (group 5): 15
        float[] w = dequantize(GgmlType.Q4_K, m);
        assertEquals(22f, w[0]);      // 0.5 * 10 * 5 - 1 * 3
        assertEquals(0f, w[32]);      // scale 0, minimum 0
        // group 5: scale 7 | 3 << 4 = 55, minimum 2 | 2 << 4 = 34
        assertEquals(378.5f, w[160]); // 0.5 * 55 * 15 - 1 * 34
        assertEquals(0f, w[128]);
    }

    @Test
    void q5_KAddsSixteenWhereTheGroupsBitIsSet() {
        MemorySegment m = block(GgmlType.Q5_K);
        f16(m, 0, 1f);    // d
        f16(m, 2, 0.5f);  // dmin
        u8(m, 4, 2);      // group 0 scale
        u8(m, 7, 0x40);   // top bits of group 7's scale (1)
        u8(m, 8, 4);      // group 0 minimum
        u8(m, 15, 0x31);  // group 7: scale low nibble 1, minimum low nibble 3
        u8(m, 16, 0x01);  // fifth bit of element 0 (group 0 is bit 0 of byte 0)
        u8(m, 47, 0x80);  // fifth bit of element 255 (group 7 is bit 7 of byte 31)
        u8(m, 48, 0x03);  // element 0: low nibble 3
        u8(m, 49, 0x01);  // element 1: 1
        u8(m, 175, 0xA0); // element 255: high nibble of quant byte 127, 10
        float[] w = dequantize(GgmlType.Q5_K, m);
        assertEquals(36f, w[0]);      // 1 * 2 * (3 + 16) - 0.5 * 4
        assertEquals(0f, w[1]);       // 1 * 2 * 1 - 0.5 * 4
        // group 7: scale 1 | 1 << 4 = 17, minimum 3
        assertEquals(440.5f, w[255]); // 1 * 17 * (10 + 16) - 0.5 * 3
    }

    @Test
    void q6_KIsSixBitQuantMinus32TimesSignedScale() {
        MemorySegment m = block(GgmlType.Q6_K);
        u8(m, 0, 0xC7);    // element 0: low nibble 7; element 64: high nibble 12
        u8(m, 80, 0xF0);   // element 208 (second half, k = 2, l = 16): high nibble 15
        u8(m, 128, 0x02);  // element 0: high bits 2 (bits 0-1); element 64: 0 (bits 4-5)
        u8(m, 176, 0x30);  // element 208: high bits 3 (bits 4-5 of byte 128 + 32 + 16)
        u8(m, 192, 2);     // group 0 scale
        u8(m, 196, 1);     // group 4 scale
        u8(m, 205, -3);    // group 13 scale
        f16(m, 208, 0.5f);
        float[] w = dequantize(GgmlType.Q6_K, m);
        assertEquals(7f, w[0]);       // 0.5 * 2 * ((7 | 2 << 4) - 32)
        assertEquals(-10f, w[64]);    // 0.5 * 1 * (12 - 32)
        assertEquals(-46.5f, w[208]); // 0.5 * -3 * ((15 | 3 << 4) - 32)
    }
}
