package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.KernelAgreement.Values;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link VectorKernels} at this machine's preferred width agrees with {@link ScalarKernels} on
 * every operation it overrides, over awkward sizes and random values; the tolerances are stated
 * and explained in {@link KernelAgreement}.
 */
class VectorKernelsPropertiesTest {

    private final KernelAgreement agree = new KernelAgreement(new VectorKernels());

    @Example
    void providerChoosesVectorKernelsWhenTheModuleIsPresent() {
        if (!Kernels.get().name().startsWith("vector-")) {
            throw new AssertionError("expected the Vector API kernels, got " + Kernels.get().name());
        }
    }

    @Property(tries = 300)
    void quantizedMatVecAgreesWithScalar(@ForAll("quantizedTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 8) int rows, @ForAll("blockedLengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.matVec(type, rows, cols, values, seed);
    }

    @Property(tries = 200)
    void tiledProductsGiveIdenticalBits(@ForAll("quantizedTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 3) int tiles, @ForAll("blockedLengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.tiled(type, tiles, cols, values, seed);
    }

    @Property(tries = 100)
    void tiledKQuantProductsGiveIdenticalBits(@ForAll("tiledKQuantTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 3) int tiles, @ForAll("superBlockLengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.tiled(type, tiles, cols, values, seed);
    }

    @Property(tries = 300)
    void floatMatVecAgreesWithScalar(@ForAll("floatTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 8) int rows, @ForAll("lengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.matVec(type, rows, cols, values, seed);
    }

    @Property(tries = 200)
    void legacyQuantProductsGiveTheReferenceBits(@ForAll("legacyQuantTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 5) int rows, @ForAll("blockedLengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.matVecSameBits(type, rows, cols, values, seed);
    }

    @Property(tries = 200)
    void floatMatMulGivesEachTokenTheBitsOfMatVec(@ForAll("floatTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll("lengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.batchLikeSingle(type, rows, cols, values, seed);
    }

    @Property(tries = 100)
    void quantizedMatMulGivesEachTokenTheBitsOfMatVec(@ForAll("quantizedTypes") GgmlType type,
            @ForAll @IntRange(min = 1, max = 9) int rows, @ForAll("blockedLengths") int cols,
            @ForAll Values values, @ForAll long seed) {
        agree.batchLikeSingle(type, rows, cols, values, seed);
    }

    @Property(tries = 300)
    void prepareGivesIdenticalActivations(@ForAll ActivationFormat format, @ForAll("lengths") int n,
            @ForAll Values values, @ForAll long seed) {
        agree.prepare(format, n, values, seed);
    }

    @Property(tries = 300)
    void dotAgreesWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.dot(n, values, seed);
    }

    @Property(tries = 300)
    void dotF16AgreesWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.dotF16(n, values, seed);
    }

    @Property(tries = 300)
    void axpyF16GivesIdenticalBits(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.axpyF16(n, values, seed);
    }

    @Property(tries = 300)
    void fourQueryF16KernelsGiveEachQueryItsOwnBits(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.f16x4(n, values, seed);
    }

    @Property(tries = 300)
    void cacheF32RowsAgreeWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.cacheF32(n, values, seed);
    }

    @Property(tries = 300)
    void cacheQ8_0RowsAgreeWithScalar(@ForAll @IntRange(min = 1, max = 12) int blocks, @ForAll Values values, @ForAll long seed) {
        agree.cacheQ8_0(blocks, values, seed);
    }

    @Property(tries = 300)
    void softmaxAgreesWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.softmax(n, values, seed);
    }

    @Property(tries = 300)
    void sumRowsGivesIdenticalBits(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.sumRows(n, values, seed);
    }

    @Property(tries = 300)
    void rmsNormAgreesWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.rmsNorm(n, values, seed);
    }

    @Property(tries = 300)
    void swiGluAgreesWithScalar(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.swiGlu(n, values, seed);
    }

    @Property(tries = 300)
    void addGivesIdenticalBits(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.add(n, values, seed);
    }

    @Property(tries = 300)
    void scaleGivesIdenticalBits(@ForAll("lengths") int n, @ForAll Values values, @ForAll long seed) {
        agree.scale(n, values, seed);
    }

    @Provide
    Arbitrary<GgmlType> quantizedTypes() {
        return Arbitraries.of(GgmlType.Q8_0, GgmlType.Q4_0);
    }

    @Provide
    Arbitrary<GgmlType> legacyQuantTypes() {
        return Arbitraries.of(GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1);
    }

    @Provide
    Arbitrary<GgmlType> tiledKQuantTypes() {
        return Arbitraries.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    }

    /** Whole super-blocks of 256: one, a few, and Mistral's 14336. */
    @Provide
    Arbitrary<Integer> superBlockLengths() {
        return Arbitraries.frequencyOf(List.of(
                Tuple.of(4, Arbitraries.integers().between(1, 6).map(k -> 256 * k)),
                Tuple.of(1, Arbitraries.of(4096, 14336))));
    }

    @Provide
    Arbitrary<GgmlType> floatTypes() {
        return Arbitraries.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);
    }

    /** Any length: the awkward ones named, mostly short ones (many tails), some long ones. */
    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.frequencyOf(List.of(
                Tuple.of(1, Arbitraries.of(1, 13, 25, 702, 4096 + 32)),
                Tuple.of(4, Arbitraries.integers().between(1, 300)),
                Tuple.of(1, Arbitraries.integers().between(301, 5000))));
    }

    /** Whole Q8_0/Q4_0 blocks, including counts that are not a multiple of any vector length. */
    @Provide
    Arbitrary<Integer> blockedLengths() {
        return Arbitraries.frequencyOf(List.of(
                Tuple.of(1, Arbitraries.of(32, 96, 160, 4096 + 32)),
                Tuple.of(4, Arbitraries.integers().between(1, 20).map(k -> 32 * k)),
                Tuple.of(1, Arbitraries.integers().between(21, 160).map(k -> 32 * k))));
    }
}
