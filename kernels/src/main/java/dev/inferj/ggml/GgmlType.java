package dev.inferj.ggml;

/**
 * The tensor types of ggml as GGUF files number them, with their block layout.
 * A row of {@code n} elements takes {@code n / blockSize()} blocks of {@code bytesPerBlock()} bytes.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** f16 scale, 16 bytes of 4-bit quants: low nibbles are elements 0..15, high nibbles 16..31, value = q - 8. */
    Q4_0(2, 32, 18),
    /** f16 scale d, f16 minimum m, 16 bytes of 4-bit quants laid out as in Q4_0: value = q * d + m. */
    Q4_1(3, 32, 20),
    /**
     * f16 scale, 4 bytes holding the fifth bit of each element (bit i for element i, little-endian),
     * 16 bytes of low nibbles as in Q4_0: value = (q - 16) * d.
     */
    Q5_0(6, 32, 22),
    /** f16 scale d, f16 minimum m, then the fifth bits and nibbles of Q5_0: value = q * d + m. */
    Q5_1(7, 32, 24),
    /** f16 scale, 32 signed bytes. */
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    /** 256 elements in 16 groups of 16: 2-bit quants, a 4-bit scale and minimum a group (layout in {@code KQuantBlocks}). */
    Q2_K(10, 256, 84),
    /** 256 elements in 16 groups of 16: 3-bit quants, a signed 6-bit scale a group (layout in {@code KQuantBlocks}). */
    Q3_K(11, 256, 110),
    /** 256 elements in 8 groups of 32: 4-bit quants, a 6-bit scale and minimum a group (layout in {@code KQuantBlocks}). */
    Q4_K(12, 256, 144),
    /** As Q4_K with a fifth bit a quant (layout in {@code KQuantBlocks}). */
    Q5_K(13, 256, 176),
    /** 256 elements in 16 groups of 16: 6-bit quants, a signed 8-bit scale a group (layout in {@code KQuantBlocks}). */
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The type with this GGUF id, or {@code null} when the id names no type we know. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public int id() {
        return id;
    }

    /** Elements per block: 1 for plain types, 32 or 256 for quantized ones. */
    public int blockSize() {
        return blockSize;
    }

    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Bytes taken by {@code elements} elements; the caller checks that it is a whole number of blocks. */
    public long byteSize(long elements) {
        return Math.multiplyExact(elements / blockSize, (long) bytesPerBlock);
    }

    /** Whether this is a block-quantized type (ggml's {@code is_quantized}): every type with blocks of more than one element. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Whether the kernels can multiply and dequantize weights of this type. */
    public boolean isSupported() {
        return switch (this) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }
}
