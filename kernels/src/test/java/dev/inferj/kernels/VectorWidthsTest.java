package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vector kernels agree with the scalar reference at narrower widths than this machine's too
 * (256 bits for AVX2, 128 for NEON and SSE). The species are static constants (C2 needs them so),
 * so each width runs {@link KernelAgreement#main} in a child JVM started with
 * {@code -Dinferj.kernels.bits}.
 */
class VectorWidthsTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {256, 128})
    void vectorKernelsAgreeWithScalarAtNarrowerWidth(int bits, @TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(bits <= VectorShape.preferredShape().vectorBitSize(), "this machine's vectors are narrower");
        String output = ChildJvm.run(dir, KernelAgreement.class, "--add-modules", "jdk.incubator.vector",
                "-Dinferj.kernels.bits=" + bits);
        assertTrue(output.contains("vector-" + bits + ": "), output);
    }
}
