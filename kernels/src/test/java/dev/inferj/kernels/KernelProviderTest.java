package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which kernels start-up picks, in child JVMs started with and without the Vector API module. */
class KernelProviderTest {

    /** Prints the name of the chosen kernels. */
    public static void main(String[] args) {
        System.out.println("chosen: " + Kernels.get().name());
    }

    private static String run(Path dir, String... jvmFlags) throws IOException, InterruptedException {
        return ChildJvm.run(dir, KernelProviderTest.class, jvmFlags);
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunAndOneWarningSaysWhy(@TempDir Path dir) throws Exception {
        String output = run(dir);
        assertTrue(output.contains("chosen: scalar"), output);
        assertEquals(1, output.lines().filter(l -> l.contains("--add-modules jdk.incubator.vector")).count(), output);
    }

    @Test
    void withTheVectorModuleTheVectorKernelsRun(@TempDir Path dir) throws Exception {
        String output = run(dir, "--add-modules", "jdk.incubator.vector");
        assertTrue(output.contains("chosen: vector-"), output);
    }

    @Test
    void aSystemPropertyForcesTheScalarKernels(@TempDir Path dir) throws Exception {
        String output = run(dir, "--add-modules", "jdk.incubator.vector", "-Dinferj.kernels=scalar");
        assertTrue(output.contains("chosen: scalar"), output);
    }
}
