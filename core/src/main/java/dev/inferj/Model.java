package dev.inferj;

import dev.inferj.gguf.GgufFile;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WorkerPool;
import dev.inferj.model.TransformerWeights;
import dev.inferj.model.ModelConfig;
import dev.inferj.model.VocabularyLoader;
import dev.inferj.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A language model loaded from a GGUF file. Loading maps the file; the weights stay in the
 * mapping and are never copied. A model is immutable and thread-safe: any number of
 * {@link Session}s, each with its own KV cache, can share it. Close it to unmap the file,
 * after its sessions.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("model.gguf"));
 *      Session session = model.newSession()) {
 *     System.out.println(session.generate("Once upon a time", GenerateOptions.greedy()).text());
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final TransformerWeights weights;
    private final Tokenizer tokenizer;
    private final WorkerPool pool;
    private final int sessionContextLength;

    private Model(GgufFile file, ModelOptions options) {
        this.file = file;
        this.tokenizer = Tokenizer.of(VocabularyLoader.fromGguf(file));
        this.config = ModelConfig.fromGguf(file, tokenizer.vocabularySize());
        this.weights = TransformerWeights.fromGguf(file, config);
        this.sessionContextLength = options.contextLength() > 0
                ? options.contextLength()
                : Math.min(config.contextLength(), ModelOptions.DEFAULT_CONTEXT_CAP);
        this.pool = new WorkerPool(options.threads());
    }

    /** Loads a model with the default options. */
    public static Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Maps {@code path} and reads the model it holds.
     *
     * @throws GgufFormatException        when the file is not well-formed GGUF
     * @throws UnsupportedModelException  when it holds a model inferj cannot run
     * @throws InferjException            when it cannot be read
     */
    public static Model load(Path path, ModelOptions options) {
        GgufFile file = GgufFile.open(path);
        try {
            return new Model(file, options);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /** A new session with an empty context. */
    public Session newSession() {
        return new Session(this, config, weights, pool, sessionContextLength);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelInfo info() {
        return new ModelInfo(file.getString("general.name", file.source()), config.architecture().ggufName(), config.blockCount(),
                config.embeddingLength(), config.headCount(), config.headCountKv(), config.vocabularySize(),
                config.contextLength(), sessionContextLength);
    }

    /** The kernels doing the arithmetic ("scalar", "vector-512", ...). */
    public String kernels() {
        return Kernels.get().name();
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
