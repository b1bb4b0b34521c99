package dev.inferj.model;

import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Copies of the shared models with an edit applied (keys or tensors added, replaced, removed), by our GGUF writer. */
final class ModelVariants {
    private ModelVariants() {
    }

    /** Writes {@code ../shared/models/<model>} with {@code edit} applied to {@code out}, and returns {@code out}. */
    static Path of(String model, Path out, Consumer<GgufWriter> edit) {
        try (GgufFile f = GgufFile.open(SharedData.model(model))) {
            GgufWriter w = GgufWriter.copyOf(f);
            edit.accept(w);
            w.write(out);
        }
        return out;
    }
}
