package dev.inferj.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.ggml.GgmlType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link TensorTypeRules} chooses the types llama-quantize chooses (its {@code llama_tensor_get_type}).
 * The shared files pin down a dense and an 8-expert Llama; these pin down the rules one at a time
 * on models made of names and shapes only.
 */
class TensorTypeRulesTest {
    private static final ModelTraits DENSE = new ModelTraits("llama", 8, 32, 8, 0);

    private static GgufTensorInfo tensor(String name, long... dims) {
        return new GgufTensorInfo(name, GgmlType.F32, dims, 0);
    }

    /** The chosen types by tensor name. */
    private static Map<String, GgmlType> choose(ModelTraits model, List<GgufTensorInfo> tensors, QuantizationMix mix,
            boolean pure) {
        List<GgmlType> types = TensorTypeRules.choose(model, tensors, mix, pure);
        Map<String, GgmlType> byName = new HashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            byName.put(tensors.get(i).name(), types.get(i));
        }
        return byName;
    }

    /** A dense model of {@code layers} layers with 256-wide rows everywhere, and an output matrix. */
    private static List<GgufTensorInfo> denseLayers(int layers) {
        List<GgufTensorInfo> list = new ArrayList<>();
        list.add(tensor("token_embd.weight", 256, 1000));
        list.add(tensor("output.weight", 256, 1000));
        for (int i = 0; i < layers; i++) {
            for (String name : List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")) {
                list.add(tensor("blk." + i + "." + name + ".weight", 256, 256));
            }
        }
        return list;
    }

    @Test
    void vectorsNormsRoutersAndTensorsNotNamedWeightKeepTheirType() {
        List<GgufTensorInfo> tensors = List.of(tensor("blk.0.attn_norm.weight", 256), tensor("blk.0.attn_q.bias", 256, 256),
                tensor("blk.0.ffn_gate_inp.weight", 256, 8), tensor("blk.0.attn_q.weight", 256, 1),
                new GgufTensorInfo("blk.0.ffn_up.weight", GgmlType.F16, new long[] {256, 256}, 0));
        Map<String, GgmlType> types = choose(DENSE, tensors, QuantizationMix.Q4_K_M, false);
        assertEquals(GgmlType.F32, types.get("blk.0.attn_norm.weight"));
        assertEquals(GgmlType.F32, types.get("blk.0.attn_q.bias"));
        assertEquals(GgmlType.F32, types.get("blk.0.ffn_gate_inp.weight"));
        assertEquals(GgmlType.F32, types.get("blk.0.attn_q.weight"), "a trailing dimension of 1 does not count");
        assertEquals(GgmlType.Q4_K, types.get("blk.0.ffn_up.weight"));
    }

    @Test
    void theOutputMatrixTakesQ6_KAndSoDoesTheTokenEmbeddingWhenItIsAlsoTheOutput() {
        Map<String, GgmlType> untied = choose(DENSE, denseLayers(1), QuantizationMix.Q4_0, false);
        assertEquals(GgmlType.Q6_K, untied.get("output.weight"));
        assertEquals(GgmlType.Q4_0, untied.get("token_embd.weight"));
        Map<String, GgmlType> tied = choose(DENSE, denseLayers(1).subList(0, 1), QuantizationMix.Q4_0, false);
        assertEquals(GgmlType.Q6_K, tied.get("token_embd.weight"));
        assertEquals(GgmlType.Q8_0, choose(DENSE, denseLayers(1), QuantizationMix.Q8_0, false).get("output.weight"));
    }

    @Test
    void theOutputMatrixTakesQ8_0InFalconAndWhenTheBaseTypesBlocksDoNotDivideItsRows() {
        ModelTraits falcon = new ModelTraits("falcon", 8, 32, 8, 0);
        assertEquals(GgmlType.Q8_0, choose(falcon, denseLayers(1), QuantizationMix.Q4_K_M, false).get("output.weight"));
        List<GgufTensorInfo> narrow = List.of(tensor("output.weight", 288, 1000));
        assertEquals(GgmlType.Q8_0, choose(DENSE, narrow, QuantizationMix.Q4_K_M, false).get("output.weight"));
        assertEquals(GgmlType.Q8_0, choose(DENSE, narrow, QuantizationMix.Q4_0, false).get("output.weight"),
                "Q4_0's blocks divide 288, so the rule picks Q6_K, whose blocks do not: it falls back to Q8_0");
    }

    @Test
    void rowsThatAreNotAWholeNumberOfSuperBlocksFallBackToA32ElementTypeOrF16() {
        List<GgufTensorInfo> tensors = List.of(tensor("blk.0.attn_q.weight", 128, 64), tensor("blk.0.attn_k.weight", 48, 64));
        Map<QuantizationMix, GgmlType> expected = Map.of(QuantizationMix.Q2_K, GgmlType.Q4_0, QuantizationMix.Q3_K_M,
                GgmlType.Q4_0, QuantizationMix.Q4_K_M, GgmlType.Q5_0, QuantizationMix.Q5_K_M, GgmlType.Q5_1,
                QuantizationMix.Q6_K, GgmlType.Q8_0);
        expected.forEach((mix, type) -> {
            Map<String, GgmlType> types = choose(DENSE, tensors, mix, true);
            assertEquals(type, types.get("blk.0.attn_q.weight"), mix.name());
            assertEquals(GgmlType.F16, types.get("blk.0.attn_k.weight"), mix.name());
        });
    }

    @Test
    void rowsThat32DoesNotDivideHaveNoFallbackFromA32ElementType() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> TensorTypeRules.choose(DENSE,
                List.of(tensor("blk.0.attn_q.weight", 48, 64)), QuantizationMix.Q8_0, false));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight"), e.getMessage());
    }

    @Test
    void q4_K_MGivesSixBitsToValueAndDownProjectionsInTheLayersUseMoreBitsPicks() {
        // use_more_bits(i, 8): the first eighth, the last eighth, and every third layer from the first eighth on
        Map<String, GgmlType> types = choose(DENSE, denseLayers(8), QuantizationMix.Q4_K_M, false);
        for (int i = 0; i < 8; i++) {
            GgmlType expected = List.of(0, 3, 6, 7).contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(expected, types.get("blk." + i + ".attn_v.weight"), "attn_v " + i);
            assertEquals(expected, types.get("blk." + i + ".ffn_down.weight"), "ffn_down " + i);
            assertEquals(GgmlType.Q4_K, types.get("blk." + i + ".attn_q.weight"), "attn_q " + i);
        }
    }

    @Test
    void theLayerCountersRunInLlamaCppsOrderWhateverTheOrderGiven() {
        List<GgufTensorInfo> tensors = new ArrayList<>(denseLayers(16));
        tensors.sort((a, b) -> b.name().compareTo(a.name())); // reversed names: blk.9 before blk.15 before blk.1
        Map<String, GgmlType> types = choose(new ModelTraits("llama", 16, 32, 8, 0), tensors, QuantizationMix.Q5_K_M, false);
        // use_more_bits(i, 16): i < 2, i >= 14, (i - 2) % 3 == 2
        for (int i = 0; i < 16; i++) {
            GgmlType expected = List.of(0, 1, 4, 7, 10, 13, 14, 15).contains(i) ? GgmlType.Q6_K : GgmlType.Q5_K;
            assertEquals(expected, types.get("blk." + i + ".ffn_down.weight"), "ffn_down " + i);
        }
    }

    @Test
    void q3_K_MGivesTheFirstTwoValueProjectionsQ5_KAndTheRestQ4_K() {
        Map<String, GgmlType> types = choose(new ModelTraits("llama", 4, 32, 8, 0), denseLayers(4), QuantizationMix.Q3_K_M,
                false);
        assertEquals(List.of(GgmlType.Q5_K, GgmlType.Q5_K, GgmlType.Q4_K, GgmlType.Q4_K),
                List.of(types.get("blk.0.attn_v.weight"), types.get("blk.1.attn_v.weight"), types.get("blk.2.attn_v.weight"),
                        types.get("blk.3.attn_v.weight")));
        assertEquals(GgmlType.Q4_K, types.get("blk.2.attn_output.weight"));
        assertEquals(GgmlType.Q4_K, types.get("blk.2.ffn_down.weight"));
        assertEquals(GgmlType.Q3_K, types.get("blk.2.ffn_up.weight"));
    }

    @Test
    void seventyBillionLlamasGiveTheirSharedValueProjectionsQ5_K() {
        List<GgufTensorInfo> v = List.of(tensor("blk.10.attn_v.weight", 256, 256));
        assertEquals(GgmlType.Q5_K, choose(new ModelTraits("llama", 80, 64, 8, 0), v, QuantizationMix.Q3_K_S, false)
                .get("blk.10.attn_v.weight"));
        assertEquals(GgmlType.Q3_K, choose(new ModelTraits("llama", 79, 64, 8, 0), v, QuantizationMix.Q3_K_S, false)
                .get("blk.10.attn_v.weight"));
        assertEquals(GgmlType.Q3_K, choose(new ModelTraits("llama", 80, 64, 64, 0), v, QuantizationMix.Q3_K_S, false)
                .get("blk.10.attn_v.weight"), "80 layers without grouped-query attention: llama.cpp's 65B");
    }

    @Test
    void eightExpertModelsKeepKeyAndValueProjectionsInQ8_0AndOutputProjectionsInQ5_K() {
        ModelTraits moe = new ModelTraits("llama", 16, 32, 8, 8);
        List<GgufTensorInfo> tensors = List.of(tensor("blk.5.attn_k.weight", 256, 256), tensor("blk.5.attn_v.weight", 256, 256),
                tensor("blk.5.attn_output.weight", 256, 256), tensor("blk.5.attn_q.weight", 256, 256));
        Map<String, GgmlType> types = choose(moe, tensors, QuantizationMix.Q3_K_S, false);
        assertEquals(GgmlType.Q8_0, types.get("blk.5.attn_k.weight"));
        assertEquals(GgmlType.Q8_0, types.get("blk.5.attn_v.weight"));
        assertEquals(GgmlType.Q5_K, types.get("blk.5.attn_output.weight"));
        assertEquals(GgmlType.Q3_K, types.get("blk.5.attn_q.weight"));
    }

    @Test
    void expertFeedForwardTensorsTakeTheirLayerFromTheirNames() {
        ModelTraits moe = new ModelTraits("llama", 16, 32, 8, 4);
        List<GgufTensorInfo> tensors = List.of(tensor("blk.4.ffn_down_exps.weight", 256, 64, 4),
                tensor("blk.5.ffn_down_exps.weight", 256, 64, 4));
        Map<String, GgmlType> types = choose(moe, tensors, QuantizationMix.Q4_K_M, false);
        assertEquals(GgmlType.Q6_K, types.get("blk.4.ffn_down_exps.weight"), "layer 4 of 16: (4 - 2) % 3 == 2");
        assertEquals(GgmlType.Q4_K, types.get("blk.5.ffn_down_exps.weight"), "a counter would have said layer 1");
    }

    @Test
    void anExpertFeedForwardTensorWithoutALayerInItsNameIsATypedError() {
        ModelTraits moe = new ModelTraits("llama", 16, 32, 8, 8);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> TensorTypeRules.choose(moe,
                List.of(tensor("ffn_down_exps.weight", 256, 64, 8)), QuantizationMix.Q4_K_M, false));
        assertTrue(e.getMessage().contains("ffn_down_exps.weight"), e.getMessage());
        assertThrows(UnsupportedModelException.class, () -> TensorTypeRules.choose(moe,
                List.of(tensor("blk.16.ffn_up_exps.weight", 256, 64, 8)), QuantizationMix.Q4_K_M, false));
    }

    @Test
    void pureGivesEveryQuantizableTensorTheBaseType() {
        Map<String, GgmlType> types = choose(DENSE, denseLayers(8), QuantizationMix.Q4_K_M, true);
        types.forEach((name, type) -> assertEquals(GgmlType.Q4_K, type, name));
    }

    @Test
    void floatMixesConvertEveryQuantizableTensorAndApplyNoRules() {
        List<GgufTensorInfo> tensors = new ArrayList<>(denseLayers(1));
        tensors.add(tensor("output_norm.weight", 256));
        Map<String, GgmlType> types = choose(DENSE, tensors, QuantizationMix.BF16, false);
        types.forEach((name, type) -> assertEquals(name.equals("output_norm.weight") ? GgmlType.F32 : GgmlType.BF16, type,
                name));
    }

    @Test
    void llamaCppOrderPutsTensorsOutsideTheLayersFirstThenLayersByNumberThenNamesBytewise() {
        List<String> names = new ArrayList<>(List.of("blk.10.attn_q.weight", "token_embd.weight", "blk.2.ffn_up.weight",
                "blk.2.attn_k.weight", "output_norm.weight", "blk.0.ffn_down.weight"));
        names.sort(TensorTypeRules.LLAMA_CPP_ORDER);
        assertEquals(List.of("output_norm.weight", "token_embd.weight", "blk.0.ffn_down.weight", "blk.2.attn_k.weight",
                "blk.2.ffn_up.weight", "blk.10.attn_q.weight"), names);
    }
}
