package dev.inferj;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The test data folder beside the project ({@code -Dinferj.shared}, default {@code ../shared}).
 * Without it tests that need it are skipped with a message, except under CI ({@code CI} set),
 * where they fail: CI must never pass by skipping.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The folder, or a skip (a failure under CI) when it is absent. */
    public static Path root() {
        Path root = Path.of(System.getProperty("inferj.shared", "../shared")).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("models"))) {
            String message = "test data folder " + root + " not found: put shared/ beside the project or pass -Dinferj.shared=DIR";
            if (System.getenv("CI") != null) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return root;
    }

    public static Path model(String file) {
        return root().resolve("models").resolve(file);
    }

    public static Path reference(String file) {
        return root().resolve("reference").resolve(file);
    }
}
