package dev.inferj.quarkus;

import dev.inferj.SharedData;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** stories260K with a chat template added, written before the application starts and named in its configuration. */
public class ChatModelResource implements QuarkusTestResourceLifecycleManager {
    private Path file;

    @Override
    public Map<String, String> start() {
        try {
            file = SharedData.storiesWithTemplate(SharedData.SIMPLE_CHAT_TEMPLATE, Files.createTempFile("inferj-quarkus", ".gguf"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("inferj.model.path", file.toString(), "inferj.model.context-length", "512");
    }

    @Override
    public void stop() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
