package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a test class's {@code main} in a child JVM with other options (the kernels are chosen once per JVM). */
final class ChildJvm {
    private ChildJvm() {
    }

    /** What {@code main} printed; fails unless the child exits with status 0 within 120 s. */
    static String run(Path dir, Class<?> main, String... options) throws IOException, InterruptedException {
        Path log = dir.resolve(main.getSimpleName() + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC"));
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child JVM still running after 120 s");
        }
        String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        return output;
    }
}
