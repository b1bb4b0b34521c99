package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which kernels start-up picks, in child JVMs started with and without the Vector API module. */
class KernelProviderTest {

    /** Prints the name of the chosen kernels. */
    public static void main(String[] args) {
        System.out.println("chosen: " + Kernels.get().name());
    }

    private static String run(Path dir, String... jvmFlags) throws IOException, InterruptedException {
        Path log = dir.resolve("provider.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmFlags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelProviderTest.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child JVM still running after 60 s");
        }
        String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        return output;
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
