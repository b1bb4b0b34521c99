package dev.inferj.quarkus;

import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** stories260K with a chat template added, written before the application starts and named in its configuration. */
public class ChatModelResource implements QuarkusTestResourceLifecycleManager {
    static final String TEMPLATE =
            "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
    private Path file;

    @Override
    public Map<String, String> start() {
        try {
            file = Files.createTempFile("inferj-quarkus", ".gguf");
            try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
                GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(TEMPLATE)).write(file);
            }
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
