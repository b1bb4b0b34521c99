package dev.inferj.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ggml.GgmlType;
import org.junit.jupiter.api.Test;

/** {@link QuantizationMix} names llama-quantize's types and their {@code general.file_type} numbers. */
class QuantizationMixTest {

    @Test
    void takesLlamaQuantizesNamesInAnyCaseAndItsAliasesForTheMediumKQuants() {
        assertEquals(QuantizationMix.Q4_K_M, QuantizationMix.named("Q4_K_M"));
        assertEquals(QuantizationMix.Q4_K_M, QuantizationMix.named("q4_k"));
        assertEquals(QuantizationMix.Q3_K_M, QuantizationMix.named("Q3_K"));
        assertEquals(QuantizationMix.Q5_K_M, QuantizationMix.named("q5_k"));
        assertEquals(QuantizationMix.Q6_K, QuantizationMix.named("q6_k"));
        assertEquals(QuantizationMix.BF16, QuantizationMix.named("bf16"));
    }

    @Test
    void anUnknownNameIsAnErrorListingTheNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantizationMix.named("iq2_xs"));
        assertTrue(e.getMessage().contains("q4_k_m") && e.getMessage().contains("iq2_xs"), e.getMessage());
    }

    @Test
    void fileTypesAreLlamaCppsNumbers() {
        assertEquals(0, QuantizationMix.F32.fileType());
        assertEquals(1, QuantizationMix.F16.fileType());
        assertEquals(2, QuantizationMix.Q4_0.fileType());
        assertEquals(7, QuantizationMix.Q8_0.fileType());
        assertEquals(15, QuantizationMix.Q4_K_M.fileType());
        assertEquals(18, QuantizationMix.Q6_K.fileType());
        assertEquals(32, QuantizationMix.BF16.fileType());
    }

    @Test
    void theMixOfATypeIsTheOneLlamaQuantizeNamesForIt() {
        assertEquals(QuantizationMix.Q4_0, QuantizationMix.of(GgmlType.Q4_0));
        assertEquals(QuantizationMix.Q3_K_M, QuantizationMix.of(GgmlType.Q3_K));
        assertEquals(QuantizationMix.Q4_K_M, QuantizationMix.of(GgmlType.Q4_K));
        assertEquals(QuantizationMix.Q2_K, QuantizationMix.of(GgmlType.Q2_K));
        assertEquals(QuantizationMix.F32, QuantizationMix.of(GgmlType.F32));
        assertThrows(IllegalArgumentException.class, () -> QuantizationMix.of(GgmlType.IQ2_XS));
    }
}
