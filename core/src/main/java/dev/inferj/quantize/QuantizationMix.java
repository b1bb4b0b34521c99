package dev.inferj.quantize;

import dev.inferj.ggml.GgmlType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The quantization mixes of llama.cpp's {@code llama-quantize} that inferj writes, each with the
 * number llama.cpp stores for it in {@code general.file_type} (its {@code LLAMA_FTYPE}) and its
 * base type: the type of every quantizable tensor that {@link TensorTypeRules} gives no other.
 * The names are llama-quantize's ({@code Q4_K_M}); {@link #named} also takes its aliases.
 */
public enum QuantizationMix {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    BF16(32, GgmlType.BF16);

    /** ggml's version of the quantized formats ({@code GGML_QNT_VERSION}), written as {@code general.quantization_version}. */
    public static final int QUANTIZATION_VERSION = 2;

    private final int fileType;
    private final GgmlType baseType;

    QuantizationMix(int fileType, GgmlType baseType) {
        this.fileType = fileType;
        this.baseType = baseType;
    }

    /** llama.cpp's {@code LLAMA_FTYPE} number, written as {@code general.file_type}. */
    public int fileType() {
        return fileType;
    }

    /** The type of the quantizable tensors the mix's rules leave alone. */
    public GgmlType baseType() {
        return baseType;
    }

    /** The name llama-quantize takes, in lower case: {@code q4_k_m}. */
    public String lowerName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mix called {@code name}, in any case, or by llama-quantize's aliases {@code Q3_K},
     * {@code Q4_K} and {@code Q5_K} (the {@code _M} mixes).
     *
     * @throws IllegalArgumentException naming the mixes, when there is none of that name
     */
    public static QuantizationMix named(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        for (QuantizationMix m : values()) {
            if (m.name().equals(upper) || m.name().equals(upper + "_M") && m.baseType.name().equals(upper)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no quantization type " + name + " (types: " + names() + ")");
    }

    /**
     * The mix whose base type is {@code type} that llama-quantize would name for it: the type's
     * own mix, or the {@code _M} one of a K-quant with several ({@code Q4_K} → {@code Q4_K_M}).
     *
     * @throws IllegalArgumentException when no mix has that base type
     */
    public static QuantizationMix of(GgmlType type) {
        QuantizationMix found = null;
        for (QuantizationMix m : values()) {
            if (m.baseType == type && (found == null || m.name().endsWith("_M"))) {
                found = m;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("no quantization type writes " + type + " (types: " + names() + ")");
        }
        return found;
    }

    /** All names in lower case, for messages and help. */
    public static String names() {
        return Arrays.stream(values()).map(QuantizationMix::lowerName).collect(Collectors.joining(", "));
    }
}
