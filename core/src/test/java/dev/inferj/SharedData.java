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

    /** A chat template as plain as can be: each message as "role: content" on a line, then "assistant:". */
    public static final String SIMPLE_CHAT_TEMPLATE =
            "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

    /** stories260K with {@code template} as its chat template ({@code tokenizer.chat_template}), written to {@code out}. */
    public static Path storiesWithTemplate(String template, Path out) {
        try (dev.inferj.gguf.GgufFile f = dev.inferj.gguf.GgufFile.open(model("stories260K.gguf"))) {
            dev.inferj.gguf.GgufWriter.copyOf(f).put("tokenizer.chat_template", dev.inferj.gguf.GgufValue.ofString(template)).write(out);
        }
        return out;
    }

    /** The template of a real model's case in chat/cases ({@code llamacpp-Qwen-Qwen2.5-7B-Instruct}, ...). */
    @SuppressWarnings("unchecked")
    public static String caseTemplate(String name) {
        return (String) ((java.util.Map<String, Object>) Json.parse(root().resolve("chat/cases/" + name + ".json"))).get("template");
    }
}
